"""QAT Conv1d/Conv2d (torch.ao.nn.qat): the weight passes through a fake quantizer."""

from __future__ import annotations

from typing import Any

from ....._tensor import Tensor
from .....nn.modules import conv as _fconv
from .....nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d"]


class _ConvMixin:
    _FLOAT_MODULE: Any = None

    def _init_qat(self, qconfig: Any) -> None:
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        s: Any = self
        return s._conv_forward(input, s.weight_fake_quant(s.weight), s.bias)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """A QAT conv sharing the float (or fused ConvReLU's) weight and bias."""
        if type(mod) is not cls._FLOAT_MODULE:
            raise AssertionError(f"qat.{cls.__name__}.from_float only works for "
                                 f"{cls._FLOAT_MODULE.__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if not mod.qconfig:
            raise AssertionError("Input float module must have a valid qconfig")
        if type(mod).__name__.startswith("ConvReLU"):
            mod = mod[0]
        qat: Any = cls(mod.in_channels, mod.out_channels, mod.kernel_size,  # type: ignore[call-arg]
                       stride=mod.stride, padding=mod.padding, dilation=mod.dilation,
                       groups=mod.groups, bias=mod.bias is not None,
                       padding_mode=mod.padding_mode, qconfig=mod.qconfig)
        qat.weight = mod.weight
        qat.bias = mod.bias
        return qat

    def to_float(self) -> Any:
        s: Any = self
        conv = self._FLOAT_CONV(s.in_channels, s.out_channels, s.kernel_size,  # type: ignore
                                s.stride, s.padding, s.dilation, s.groups, s.bias is not None,
                                s.padding_mode)
        conv.weight = Parameter(s.weight.detach())
        if s.bias is not None:
            conv.bias = Parameter(s.bias.detach())
        return conv


class Conv1d(_ConvMixin, _fconv.Conv1d):
    """nn.Conv1d with a fake-quantized weight."""

    _FLOAT_MODULE: Any = _fconv.Conv1d
    _FLOAT_CONV = _fconv.Conv1d

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", qconfig: Any = None, device: Any = None,
                 dtype: Any = None) -> None:
        _fconv.Conv1d.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                               dilation, groups, bias, padding_mode, device=device, dtype=dtype)
        self._init_qat(qconfig)


class Conv2d(_ConvMixin, _fconv.Conv2d):
    """nn.Conv2d with a fake-quantized weight."""

    _FLOAT_MODULE: Any = _fconv.Conv2d
    _FLOAT_CONV = _fconv.Conv2d

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", qconfig: Any = None, device: Any = None,
                 dtype: Any = None) -> None:
        _fconv.Conv2d.__init__(self, in_channels, out_channels, kernel_size, stride, padding,
                               dilation, groups, bias, padding_mode, device=device, dtype=dtype)
        self._init_qat(qconfig)
