"""Quantized fused modules (torch.ao.nn.intrinsic.quantized): linear/conv/bn with ReLU."""

from __future__ import annotations

from typing import Any

from ....quantized.modules.batchnorm import BatchNorm2d as _QBatchNorm2d
from ....quantized.modules.conv import Conv1d as _QConv1d
from ....quantized.modules.conv import Conv2d as _QConv2d
from ....quantized.modules.linear import Linear as _QLinear
from ...modules import fused as nni

__all__ = ["BNReLU2d", "ConvReLU1d", "ConvReLU2d", "LinearReLU"]


class LinearReLU(_QLinear):
    """Quantized Linear whose requantization clamps at the output zero point (ReLU)."""

    _FLOAT_MODULE: Any = nni.LinearReLU
    _RELU = True

    def _get_name(self) -> str:
        return "QuantizedLinearReLU"


class ConvReLU1d(_QConv1d):
    """Quantized Conv1d fused with ReLU."""

    _FLOAT_MODULE: Any = nni.ConvReLU1d
    _RELU = True

    def _get_name(self) -> str:
        return "QuantizedConvReLU1d"


class ConvReLU2d(_QConv2d):
    """Quantized Conv2d fused with ReLU."""

    _FLOAT_MODULE: Any = nni.ConvReLU2d
    _RELU = True

    def _get_name(self) -> str:
        return "QuantizedConvReLU2d"


class BNReLU2d(_QBatchNorm2d):
    """Quantized BatchNorm2d fused with ReLU."""

    _FLOAT_MODULE: Any = nni.BNReLU2d
    _RELU = True

    def _get_name(self) -> str:
        return "QuantizedBNReLU2d"
