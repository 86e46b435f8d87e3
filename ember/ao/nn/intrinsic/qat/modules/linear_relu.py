"""QAT Linear followed by ReLU (torch.ao.nn.intrinsic.qat.LinearReLU)."""

from __future__ import annotations

from typing import Any

from ......_tensor import Tensor
from ......nn import functional as F
from ......nn.modules.activation import ReLU
from ....qat.modules.linear import Linear as _QATLinear
from ...modules import fused as nni

__all__ = ["LinearReLU"]


class LinearReLU(_QATLinear):
    """relu(linear(x, fake_quant(weight), bias)); converted to a quantized LinearReLU."""

    _FLOAT_MODULE: Any = nni.LinearReLU

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.relu(F.linear(input, self.weight_fake_quant(self.weight), self.bias))

    def to_float(self) -> Any:
        return nni.LinearReLU(super().to_float(), ReLU())
