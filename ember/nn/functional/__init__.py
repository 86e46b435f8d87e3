"""ember.nn.functional: the functional forms of nn's layers (torch.nn.functional)."""

from typing import TYPE_CHECKING

from . import activation, attention, conv

if TYPE_CHECKING:
    # The loop below rebinds `linear` from the submodule to the function of that name (torch's
    # F.linear); type checkers are shown the function from the start.
    from .linear import linear
else:
    from . import linear
from . import loss, normalization, pooling

__all__: list = []
for _m in (activation, linear, loss, normalization, conv, pooling, attention):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)

if TYPE_CHECKING:
    # The loop above fills the namespace at import time; type checkers cannot follow it, so
    # the same names are spelled out here. Keep in step with the submodules' __all__.
    from .activation import (
        celu,
        celu_,
        elu,
        elu_,
        gelu,
        glu,
        hardshrink,
        hardsigmoid,
        hardswish,
        hardtanh,
        hardtanh_,
        leaky_relu,
        leaky_relu_,
        log_softmax,
        logsigmoid,
        mish,
        prelu,
        relu,
        relu6,
        relu_,
        rrelu,
        rrelu_,
        selu,
        selu_,
        sigmoid,
        silu,
        softmax,
        softmin,
        softplus,
        softshrink,
        softsign,
        tanh,
        tanhshrink,
        threshold,
        threshold_,
    )
    from .attention import multi_head_attention_forward, scaled_dot_product_attention
    from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d, convolution, fold, unfold
    from .linear import (
        alpha_dropout,
        bilinear,
        cosine_similarity,
        dropout,
        dropout1d,
        dropout2d,
        dropout3d,
        embedding,
        embedding_bag,
        feature_alpha_dropout,
        one_hot,
        pad,
        pairwise_distance,
    )
    from .loss import (
        binary_cross_entropy,
        binary_cross_entropy_with_logits,
        cross_entropy,
        huber_loss,
        kl_div,
        l1_loss,
        mse_loss,
        nll_loss,
        smooth_l1_loss,
    )
    from .normalization import (
        batch_norm,
        group_norm,
        layer_norm,
        local_response_norm,
        normalize,
        rms_norm,
    )
    from .pooling import (
        adaptive_avg_pool1d,
        adaptive_avg_pool2d,
        adaptive_max_pool1d,
        adaptive_max_pool1d_with_indices,
        adaptive_max_pool2d,
        adaptive_max_pool2d_with_indices,
        avg_pool1d,
        avg_pool2d,
        interpolate,
        max_pool1d,
        max_pool1d_with_indices,
        max_pool2d,
        max_pool2d_with_indices,
        pixel_shuffle,
        pixel_unshuffle,
        upsample,
        upsample_bilinear,
        upsample_nearest,
    )

    __all__ += ["relu", "relu_", "relu6", "gelu", "silu", "mish", "tanh", "sigmoid", "softmax",
                "log_softmax", "softmin", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu",
                "selu_", "celu", "celu_", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_",
                "softplus", "softsign", "tanhshrink", "prelu", "glu", "logsigmoid", "threshold",
                "threshold_", "hardshrink", "softshrink", "rrelu", "rrelu_", "linear", "bilinear",
                "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot", "pad",
                "cosine_similarity", "pairwise_distance", "cross_entropy", "nll_loss", "mse_loss",
                "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                "binary_cross_entropy_with_logits", "kl_div", "layer_norm", "rms_norm",
                "group_norm", "batch_norm", "normalize", "local_response_norm", "conv1d", "conv2d",
                "conv_transpose1d", "conv_transpose2d", "convolution", "unfold", "fold",
                "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
                "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
                "adaptive_max_pool2d_with_indices", "interpolate", "upsample", "upsample_nearest",
                "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
                "scaled_dot_product_attention", "multi_head_attention_forward"]
