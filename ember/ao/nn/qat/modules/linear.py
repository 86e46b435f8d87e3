"""QAT Linear (torch.ao.nn.qat.Linear): the weight passes through a fake quantizer."""

from __future__ import annotations

from typing import Any

from ....._tensor import Tensor
from .....nn import functional as F
from .....nn.modules.linear import Linear as _FloatLinear
from .....nn.parameter import Parameter

__all__ = ["Linear"]


class Linear(_FloatLinear):
    """nn.Linear whose forward uses weight_fake_quant(weight); converted by nnq.Linear."""

    _FLOAT_MODULE: Any = _FloatLinear

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 qconfig: Any = None, device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        if not qconfig:
            raise AssertionError("qconfig must be provided for QAT module")
        self.qconfig = qconfig
        self.weight_fake_quant = qconfig.weight()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return F.linear(input, self.weight_fake_quant(self.weight), self.bias)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """A QAT Linear sharing the float (or fused LinearReLU's) weight and bias."""
        if type(mod) is not cls._FLOAT_MODULE:
            raise AssertionError(f"qat.{cls.__name__}.from_float only works for "
                                 f"{cls._FLOAT_MODULE.__name__}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if not mod.qconfig:
            raise AssertionError("Input float module must have a valid qconfig")
        if type(mod).__name__ == "LinearReLU":
            mod = mod[0]
        qat = cls(mod.in_features, mod.out_features, bias=mod.bias is not None,
                  qconfig=mod.qconfig)
        qat.weight = mod.weight
        qat.bias = mod.bias
        return qat

    def to_float(self) -> Any:
        linear = _FloatLinear(self.in_features, self.out_features, self.bias is not None)
        linear.weight = Parameter(self.weight.detach())
        if self.bias is not None:
            linear.bias = Parameter(self.bias.detach())
        linear.train(self.training)
        return linear
