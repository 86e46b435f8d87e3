"""QAT conv+bn(+relu) and conv+relu (torch.ao.nn.intrinsic.qat): BN folded during training.

The weight is scaled by gamma/sqrt(running_var + eps) before fake quantization, the conv
output is unscaled again and passed through the real BatchNorm (torch's "approximate"
path), so BN statistics keep updating while the weight sees its quantization error.
"""

from __future__ import annotations

import math
from typing import Any

from ......_tensor import Tensor
from ......nn import functional as F
from ......nn import init
from ......nn.modules import conv as _fconv
from ......nn.modules.activation import ReLU
from ......nn.modules.batchnorm import BatchNorm2d
from ......nn.parameter import Parameter
from ......nn.utils.fusion import fuse_conv_bn_weights
from ......ops.creation import empty, zeros
from ....qat.modules.conv import Conv2d as _QATConv2d
from ...modules import fused as nni

__all__ = ["ConvBn2d", "ConvBnReLU2d", "ConvReLU2d", "freeze_bn_stats", "update_bn_stats"]


class _ConvBnNd(_fconv.Conv2d, nni._FusedModule):
    # a _FusedModule like torch's, so prepare/convert treat it as one unit and leave its bn
    _version = 2
    _FLOAT_MODULE: Any = nni.ConvBn2d
    _FLOAT_CONV_MODULE: Any = _fconv.Conv2d
    _FLOAT_BN_MODULE: Any = BatchNorm2d
    _FLOAT_RELU_MODULE: Any = None
    _FUSED_FLOAT_MODULE: Any = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = False,
                 padding_mode: str = "zeros", eps: float = 1e-05, momentum: float = 0.1,
                 freeze_bn: bool = False, qconfig: Any = None) -> None:
        _fconv.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                               dilation, groups, False, padding_mode)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.freeze_bn = freeze_bn if self.training else True
        self.bn = BatchNorm2d(out_channels, eps, momentum, True, True)
        self.weight_fake_quant = self.qconfig.weight()
        if bias:
            self.bias = Parameter(empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_bn_parameters()
        if self.training and not freeze_bn:
            self.update_bn_stats()
        else:
            self.freeze_bn_stats()

    def reset_running_stats(self) -> None:
        self.bn.reset_running_stats()

    def reset_bn_parameters(self) -> None:
        self.bn.reset_running_stats()
        init.uniform_(self.bn.weight)
        init.zeros_(self.bn.bias)
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def update_bn_stats(self) -> Any:
        self.freeze_bn = False
        self.bn.training = True
        return self

    def freeze_bn_stats(self) -> Any:
        self.freeze_bn = True
        self.bn.training = False
        return self

    def _forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        running_std = (self.bn.running_var + self.bn.eps).sqrt()
        scale_factor = self.bn.weight / running_std
        weight_shape = [1] * self.weight.dim()
        weight_shape[0] = -1
        bias_shape = [1] * self.weight.dim()
        bias_shape[1] = -1
        scaled_weight = self.weight_fake_quant(self.weight * scale_factor.reshape(weight_shape))
        zero_bias = zeros(self.out_channels, dtype=input.dtype)
        conv = self._conv_forward(input, scaled_weight, zero_bias)
        conv_orig = conv / scale_factor.reshape(bias_shape)
        if self.bias is not None:
            conv_orig = conv_orig + self.bias.reshape(bias_shape)
        return self.bn(conv_orig)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return self._forward(input)

    def train(self, mode: bool = True) -> Any:
        # a frozen BN stays in eval mode when the model trains
        self.training = mode
        if not self.freeze_bn:
            for module in self.children():
                module.train(mode)
        return self

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """A QAT module sharing the fused float module's conv and bn parameters and stats."""
        if type(mod) is not cls._FLOAT_MODULE:
            raise AssertionError(f"qat.{cls.__name__}.from_float only works for "
                                 f"{cls._FLOAT_MODULE.__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if not mod.qconfig:
            raise AssertionError("Input float module must have a valid qconfig")
        conv, bn = mod[0], mod[1]
        qat = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                  conv.padding, conv.dilation, conv.groups, conv.bias is not None,
                  conv.padding_mode, bn.eps, bn.momentum, False, mod.qconfig)
        qat.weight = conv.weight
        qat.bias = conv.bias
        qat.bn.weight = bn.weight
        qat.bn.bias = bn.bias
        qat.bn.running_mean = bn.running_mean
        qat.bn.running_var = bn.running_var
        qat.bn.num_batches_tracked = bn.num_batches_tracked
        return qat

    def to_float(self) -> Any:
        conv = self._FLOAT_CONV_MODULE(self.in_channels, self.out_channels, self.kernel_size,
                                       self.stride, self.padding, self.dilation, self.groups,
                                       self.bias is not None, self.padding_mode)
        conv.weight = Parameter(self.weight.detach())
        if self.bias is not None:
            conv.bias = Parameter(self.bias.detach())
        conv.weight, conv.bias = fuse_conv_bn_weights(
            conv.weight, conv.bias, self.bn.running_mean, self.bn.running_var, self.bn.eps,
            self.bn.weight, self.bn.bias)
        if self._FLOAT_RELU_MODULE is not None:
            fused = self._FUSED_FLOAT_MODULE(conv, self._FLOAT_RELU_MODULE())
            fused.train(self.training)
            return fused
        conv.train(self.training)
        return conv


class ConvBn2d(_ConvBnNd):
    """Conv2d + BatchNorm2d for QAT; converted to a quantized Conv2d with BN folded."""


class ConvBnReLU2d(_ConvBnNd):
    """Conv2d + BatchNorm2d + ReLU for QAT; converted to a quantized ConvReLU2d."""

    _FLOAT_MODULE: Any = nni.ConvBnReLU2d
    _FLOAT_RELU_MODULE: Any = ReLU
    _FUSED_FLOAT_MODULE: Any = nni.ConvReLU2d

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.relu(self._forward(input))


class ConvReLU2d(_QATConv2d):
    """QAT Conv2d followed by ReLU (from a fused nni.ConvReLU2d)."""

    _FLOAT_MODULE: Any = nni.ConvReLU2d

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.relu(self._conv_forward(input, self.weight_fake_quant(self.weight), self.bias))

    def to_float(self) -> Any:
        return nni.ConvReLU2d(super().to_float(), ReLU())


def update_bn_stats(mod: Any) -> None:
    """Let a QAT conv-bn module's BatchNorm update its running statistics again."""
    if type(mod) in (ConvBn2d, ConvBnReLU2d):
        mod.update_bn_stats()


def freeze_bn_stats(mod: Any) -> None:
    """Freeze a QAT conv-bn module's BatchNorm running statistics."""
    if type(mod) in (ConvBn2d, ConvBnReLU2d):
        mod.freeze_bn_stats()
