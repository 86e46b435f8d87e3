"""ember.nn.functional: the functional forms of nn's layers (torch.nn.functional)."""

from . import activation, attention, conv, linear, loss, normalization, pooling

__all__: list = []
for _m in (activation, linear, loss, normalization, conv, pooling, attention):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)
