"""ember.nn.utils: gradient clipping and parameter/vector conversion."""

from typing import TYPE_CHECKING

from . import clip_grad, convert_parameters, fusion

__all__: list = []
for _m in (clip_grad, convert_parameters, fusion):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)

if TYPE_CHECKING:
    # The loop above fills the namespace at import time; type checkers cannot follow it, so
    # the same names are spelled out here. Keep in step with the submodules' __all__.
    from .clip_grad import (
        clip_grad_norm,
        clip_grad_norm_,
        clip_grad_value_,
        clip_grads_with_norm_,
        get_total_norm,
    )
    from .convert_parameters import parameters_to_vector, vector_to_parameters
    from .fusion import (
        fuse_conv_bn_eval,
        fuse_conv_bn_weights,
        fuse_linear_bn_eval,
        fuse_linear_bn_weights,
    )

    __all__ += ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
                "get_total_norm", "parameters_to_vector", "vector_to_parameters",
                "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
                "fuse_linear_bn_weights"]
