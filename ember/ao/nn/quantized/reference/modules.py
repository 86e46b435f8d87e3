"""Reference quantized modules: float modules whose weight is quantized then dequantized.

convert_to_reference_fx swaps observed Linear/Conv modules for these; lowering then replaces a
`dequantize -> reference module -> quantize_per_tensor` pattern with the quantized module.
"""

from __future__ import annotations

from typing import Any

import ember

from ....._tensor import Tensor
from .....nn import functional as F
from .....nn.modules import conv as _conv
from .....nn.modules.linear import Linear as _Linear
from .....nn.modules.module import Module

_E: Any = ember  # ops are published on ember at import time

__all__ = ["Conv1d", "Conv2d", "Linear", "ReferenceQuantizedModule"]

_AFFINE = {
    "per_tensor_symmetric": "per_tensor_affine",
    "per_channel_symmetric": "per_channel_affine",
}


class ReferenceQuantizedModule(Module):
    """Holds the weight's qscheme, dtype, scale, zero point and axis next to a float weight."""

    weight: Any

    def _init_weight_qparams(self, weight_qparams: dict[str, Any] | None) -> None:
        if weight_qparams is None:
            weight_qparams = {
                "qscheme": ember.per_tensor_affine,
                "dtype": ember.quint8,
                "scale": 1.0,
                "zero_point": 0,
            }
        qscheme = weight_qparams["qscheme"]
        # symmetric observers give affine qparams with a zero zero point: same integers
        qscheme = getattr(ember, _AFFINE.get(str(qscheme).rsplit(".", 1)[-1], ""), qscheme)
        if qscheme not in (
            None,
            ember.per_tensor_affine,
            ember.per_channel_affine,
            ember.per_channel_affine_float_qparams,
        ):
            raise AssertionError(
                f"qscheme: {qscheme} is not supported in reference quantized {self._get_name()}"
            )
        self.weight_qscheme = qscheme
        self.weight_dtype = weight_qparams["dtype"]

        def as_tensor(v: Any, dtype: Any) -> Tensor:
            return v.detach().clone() if isinstance(v, Tensor) else ember.tensor(v, dtype=dtype)

        if self.weight_dtype in (ember.quint8, ember.qint8, ember.quint4x2, ember.qint32):
            self.register_buffer("weight_scale", as_tensor(weight_qparams["scale"], ember.float))
            self.register_buffer(
                "weight_zero_point", as_tensor(weight_qparams["zero_point"], ember.int32)
            )
            axis = weight_qparams.get("axis", 0) if qscheme is not ember.per_tensor_affine else 0
            self.register_buffer("weight_axis", as_tensor(axis, ember.int32))
        else:
            self.register_buffer("weight_scale", ember.tensor(1.0))
            self.register_buffer("weight_zero_point", ember.tensor(0, dtype=ember.int32))
            self.register_buffer("weight_axis", ember.tensor(0, dtype=ember.int32))
        self.is_decomposed = bool(weight_qparams.get("is_decomposed", False))
        self.weight_axis_int = int(self.weight_axis.item())
        self.weight_quant_min = weight_qparams.get("quant_min")
        self.weight_quant_max = weight_qparams.get("quant_max")

    def get_quantized_weight(self) -> Tensor:
        """The weight as a quantized tensor with the stored qparams."""
        w = self.weight.detach()
        if self.weight_dtype == ember.float16:
            return w.to(ember.float16)
        if self.weight_qscheme is ember.per_tensor_affine:
            return _E.quantize_per_tensor(
                w, float(self.weight_scale), int(self.weight_zero_point), self.weight_dtype
            )
        if self.weight_qscheme is ember.per_channel_affine:
            return _E.quantize_per_channel(
                w,
                self.weight_scale.double(),
                self.weight_zero_point.long(),
                self.weight_axis_int,
                self.weight_dtype,
            )
        raise NotImplementedError(
            f"{self._get_name()}: weight qscheme {self.weight_qscheme} is not implemented "
            "in Ember's reference modules"
        )

    def get_weight(self) -> Tensor:
        """The weight quantized and dequantized again (what the quantized kernel computes with)."""
        if self.weight_dtype in (ember.quint8, ember.qint8, ember.qint32):
            return self.get_quantized_weight().dequantize()
        if self.weight_dtype == ember.float16:
            return self.get_quantized_weight().float()
        return self.weight


class Linear(_Linear, ReferenceQuantizedModule):
    """Reference quantized Linear: F.linear with the fake-quantized weight."""

    _IS_REFERENCE = True

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias_: bool = True,
        device: Any = None,
        dtype: Any = None,
        weight_qparams: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(in_features, out_features, bias_, device, dtype)
        self._init_weight_qparams(weight_qparams)

    def _get_name(self) -> str:
        return "QuantizedLinear(Reference)"

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.get_weight(), self.bias)

    @classmethod
    def from_float(cls, float_linear: Any, weight_qparams: dict[str, Any]) -> Linear:
        m = cls(
            float_linear.in_features,
            float_linear.out_features,
            float_linear.bias is not None,
            weight_qparams=weight_qparams,
        )
        m.weight = ember.nn.Parameter(float_linear.weight.detach())
        if float_linear.bias is not None:
            m.bias = ember.nn.Parameter(float_linear.bias.detach())
        return m


def _conv_from_float(cls: Any, float_conv: Any, weight_qparams: dict[str, Any]) -> Any:
    m = cls(
        float_conv.in_channels,
        float_conv.out_channels,
        float_conv.kernel_size,
        float_conv.stride,
        float_conv.padding,
        float_conv.dilation,
        float_conv.groups,
        float_conv.bias is not None,
        float_conv.padding_mode,
        weight_qparams=weight_qparams,
    )
    m.weight = ember.nn.Parameter(float_conv.weight.detach())
    if float_conv.bias is not None:
        m.bias = ember.nn.Parameter(float_conv.bias.detach())
    return m


class _ConvReference(ReferenceQuantizedModule):
    """What Conv1d and Conv2d add to their float conv: the weight's qparams, a forward through
    the quantized-then-dequantized weight, from_float. Put first among the bases so its
    __init__ takes weight_qparams and passes the float conv's arguments on."""

    _REF_NAME = ""
    bias: Any
    _conv_forward: Any

    def __init__(self, *args: Any, weight_qparams: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_weight_qparams(weight_qparams)

    def _get_name(self) -> str:
        return self._REF_NAME

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x, self.get_weight(), self.bias)

    @classmethod
    def from_float(cls, float_conv: Any, weight_qparams: dict[str, Any]) -> Any:
        return _conv_from_float(cls, float_conv, weight_qparams)


class Conv1d(_ConvReference, _conv.Conv1d):
    """Reference quantized Conv1d."""

    _REF_NAME = "QuantizedConv1d(Reference)"


class Conv2d(_ConvReference, _conv.Conv2d):
    """Reference quantized Conv2d."""

    _REF_NAME = "QuantizedConv2d(Reference)"
