"""Every nn module class, one torch file -> one file."""

from typing import TYPE_CHECKING

from . import (
    activation,
    attention,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)

__all__: list = []
for _m in (module, container, linear, activation, attention, dropout, loss, normalization,
           batchnorm, sparse, conv, pooling, flatten, upsampling, rnn, transformer):
    for _name in getattr(_m, "__all__", ()):
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)

if TYPE_CHECKING:
    # The loop above fills the namespace at import time; type checkers cannot follow it, so
    # the same names are spelled out here. Keep in step with the submodules' __all__.
    from .activation import (
        CELU,
        ELU,
        GELU,
        GLU,
        SELU,
        Hardshrink,
        Hardsigmoid,
        Hardswish,
        Hardtanh,
        LeakyReLU,
        LogSigmoid,
        LogSoftmax,
        Mish,
        PReLU,
        ReLU,
        ReLU6,
        RReLU,
        Sigmoid,
        SiLU,
        Softmax,
        Softmin,
        Softplus,
        Softshrink,
        Softsign,
        Tanh,
        Tanhshrink,
        Threshold,
    )
    from .attention import MultiheadAttention
    from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
    from .container import (
        Container,
        ModuleDict,
        ModuleList,
        ParameterDict,
        ParameterList,
        Sequential,
    )
    from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
    from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
    from .flatten import Flatten, Unflatten
    from .linear import Bilinear, Identity, Linear
    from .loss import (
        BCELoss,
        BCEWithLogitsLoss,
        CrossEntropyLoss,
        HuberLoss,
        KLDivLoss,
        L1Loss,
        MSELoss,
        NLLLoss,
        SmoothL1Loss,
    )
    from .module import Module
    from .normalization import GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm
    from .pooling import (
        AdaptiveAvgPool1d,
        AdaptiveAvgPool2d,
        AdaptiveMaxPool1d,
        AdaptiveMaxPool2d,
        AvgPool1d,
        AvgPool2d,
        MaxPool1d,
        MaxPool2d,
    )
    from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
    from .sparse import Embedding, EmbeddingBag
    from .transformer import (
        Transformer,
        TransformerDecoder,
        TransformerDecoderLayer,
        TransformerEncoder,
        TransformerEncoderLayer,
    )
    from .upsampling import (
        PixelShuffle,
        PixelUnshuffle,
        Upsample,
        UpsamplingBilinear2d,
        UpsamplingNearest2d,
    )

    __all__ += ["Module", "Container", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
                "ParameterDict", "Identity", "Linear", "Bilinear", "Threshold", "ReLU", "ReLU6",
                "Hardtanh", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid", "Softmax", "LogSoftmax",
                "Softmin", "LeakyReLU", "ELU", "SELU", "CELU", "Hardswish", "Hardsigmoid",
                "Softplus", "Softsign", "PReLU", "GLU", "LogSigmoid", "Tanhshrink", "RReLU",
                "Hardshrink", "Softshrink", "MultiheadAttention", "Dropout", "Dropout1d",
                "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "L1Loss",
                "NLLLoss", "KLDivLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "SmoothL1Loss",
                "HuberLoss", "CrossEntropyLoss", "LayerNorm", "RMSNorm", "GroupNorm",
                "LocalResponseNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Embedding",
                "EmbeddingBag", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d",
                "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
                "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "Flatten",
                "Unflatten", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
                "PixelShuffle", "PixelUnshuffle", "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase",
                "RNNCell", "LSTMCell", "GRUCell", "Transformer", "TransformerEncoder",
                "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer"]
