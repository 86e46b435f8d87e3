"""ember.nn.utils: gradient clipping and parameter/vector conversion."""

from . import clip_grad, convert_parameters

__all__: list = []
for _m in (clip_grad, convert_parameters):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)
