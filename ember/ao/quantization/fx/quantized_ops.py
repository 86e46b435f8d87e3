"""Quantized functional ops that lowered FX graphs call (torch.ops.quantized.* in torch).

Each takes quantized tensors and returns one quantized with the given output scale and zero
point, computing as torch's x86/fbgemm CPU kernels do: dequantize in float32, compute in
float32, requantize with rint(x * float32(1/scale)) + zero_point.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ...._tensor import Tensor
from ....nn.modules.module import Module
from ...nn.quantized import _qt

_E: Any = ember  # ops are published on ember at import time

__all__ = [
    "PackedLinearWeight",
    "add",
    "add_relu",
    "linear",
    "linear_relu",
    "matmul",
    "mul",
    "mul_relu",
    "layer_norm",
]


def _deq(q: Tensor) -> np.ndarray:
    """(q - zp) * scale as the vectorized kernels compute it: fma(q, scale, -zp * scale)."""
    _qt.check_quantized(q, "quantized op")
    v = _qt.int_repr(q).astype(np.float64)
    s = np.float32(q.q_scale())
    premul = np.float32(s * np.float32(-int(q.q_zero_point())))
    return (v * np.float64(s) + np.float64(premul)).astype(np.float32)


def _out(y: np.ndarray, scale: Any, zero_point: Any, like: Tensor) -> Tensor:
    return _qt.requant_float(np.asarray(y, dtype=np.float32), float(scale), int(zero_point), like)


def _bounds(q: Tensor) -> tuple[int, int]:
    bounds: dict[Any, tuple[int, int]] = {ember.quint8: (0, 255), ember.qint8: (-128, 127)}
    return bounds.get(q.dtype, (-(2**31), 2**31 - 1))


def _mul_scalar(a: Tensor, c: float, relu: bool) -> Tensor:
    """quantized::mul_scalar: only the qparams change (mirrored integers for c < 0)."""
    qmin, qmax = _bounds(a)
    v = _qt.int_repr(a).astype(np.int64)
    s, z = float(a.q_scale()), int(a.q_zero_point())
    if c > 0.0:
        scale, zp = c * s, z
    elif c == 0.0:
        scale, zp, v = 1.0, 0, np.zeros_like(v)
    else:
        scale, zp, v = abs(c) * s, qmax - (z - qmin), qmax + qmin - v
    if relu:
        v = np.maximum(v, zp)
    return _qt.make_per_tensor(v.astype(_qt.int_repr(a).dtype), scale, zp)


def _add_scalar(a: Tensor, c: float, relu: bool) -> Tensor:
    """quantized::add_scalar: shift the zero point, or requantize when it would leave range."""
    qmin, qmax = _bounds(a)
    s, z = float(a.q_scale()), int(a.q_zero_point())
    cq = int(np.rint(c / s))
    v = _qt.int_repr(a).astype(np.int64)
    if qmin <= z - cq <= qmax:
        zp = z - cq
        out = np.maximum(v, zp) if relu else v
        return _qt.make_per_tensor(out.astype(_qt.int_repr(a).dtype), s, zp)
    if z - cq < qmin:
        scale, zp = (qmax - (z - cq)) / (qmax - qmin) * s, qmin
    else:
        scale, zp = ((z - cq) - qmin) / (qmax - qmin) * s, qmax
    y = _deq(a) + np.float32(c)
    if relu:
        np.maximum(y, np.float32(0), out=y)
    return _out(y, scale, zp, a)


def _binary(a: Tensor, b: Any, scale: Any, zero_point: Any, fn: Any, relu: bool) -> Tensor:
    if not isinstance(b, Tensor):
        if fn is np.multiply:
            return _mul_scalar(a, float(b), relu)
        return _add_scalar(a, float(b), relu)
    if scale is None or zero_point is None:
        raise TypeError("quantized binary op: expected an output scale and zero_point")
    y = fn(_deq(a), _deq(b))
    if relu:
        np.maximum(y, np.float32(0), out=y)
    return _out(y, scale, zero_point, a)


def add(a: Tensor, b: Any, scale: Any = None, zero_point: Any = None) -> Tensor:
    """quantized::add: a + b requantized to (scale, zero_point)."""
    return _binary(a, b, scale, zero_point, np.add, False)


def add_relu(a: Tensor, b: Any, scale: Any = None, zero_point: Any = None) -> Tensor:
    """quantized::add_relu."""
    return _binary(a, b, scale, zero_point, np.add, True)


def mul(a: Tensor, b: Any, scale: Any = None, zero_point: Any = None) -> Tensor:
    """quantized::mul."""
    return _binary(a, b, scale, zero_point, np.multiply, False)


def mul_relu(a: Tensor, b: Any, scale: Any = None, zero_point: Any = None) -> Tensor:
    """quantized::mul_relu."""
    return _binary(a, b, scale, zero_point, np.multiply, True)


def matmul(a: Tensor, b: Tensor, scale: Any, zero_point: Any) -> Tensor:
    """quantized::matmul: x86/fbgemm dequantize, multiply in float, quantize_per_tensor."""
    y = _E.matmul(a.dequantize(), b.dequantize())
    return _E.quantize_per_tensor(y, float(scale), int(zero_point), a.dtype)


class PackedLinearWeight(Module):
    """A prepacked quantized weight and float bias (quantized::linear_prepack's result)."""

    def __init__(self, qweight: Tensor, bias: Tensor | None) -> None:
        super().__init__()
        self.packed = _qt.PackedWeight(qweight)
        self.bias = None if bias is None else bias.detach().float()

    def unpack(self) -> tuple[Tensor, Tensor | None]:
        return self.packed.tensor(), self.bias

    def extra_repr(self) -> str:
        n_out, n_in = self.packed.values.shape[:2]
        return f"out_features={n_out}, in_features={n_in}"


def _linear(x: Tensor, w: PackedLinearWeight, scale: Any, zero_point: Any, relu: bool) -> Tensor:
    from ...nn.quantized._int8_gemm import int8_linear, requantize

    _qt.check_quantized(x, "quantized::linear")
    p = w.packed
    xq = _qt.int_repr(x)
    k = xq.shape[-1]
    acc = int8_linear(xq.reshape(-1, k), int(x.q_zero_point()), p.values, p.zero_points,
                      p.l1, p.row_sum)
    b = None if w.bias is None else w.bias.numpy()
    y = requantize(
        acc, np.float32(x.q_scale()) * p.scales, b, float(scale), int(zero_point), relu=relu
    )
    return _qt.make_per_tensor(
        y.reshape(*xq.shape[:-1], p.values.shape[0]), float(scale), int(zero_point)
    )


def linear(x: Tensor, w: PackedLinearWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::linear with a prepacked weight."""
    return _linear(x, w, scale, zero_point, False)


def linear_relu(x: Tensor, w: PackedLinearWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::linear_relu."""
    return _linear(x, w, scale, zero_point, True)


def layer_norm(
    x: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    *,
    output_scale: Any,
    output_zero_point: Any,
) -> Tensor:
    """quantized::layer_norm: normalize the dequantized values in float, requantize."""
    y = ember.nn.functional.layer_norm(x.dequantize(), normalized_shape, weight, bias, eps)
    return _E.quantize_per_tensor(y, float(output_scale), int(output_zero_point), x.dtype)


class QuantizedLayerNorm(ember.nn.LayerNorm):
    """LayerNorm on a quantized input, quantized to the module's scale and zero point."""

    def __init__(
        self,
        normalized_shape: Any,
        weight: Any,
        bias: Any,
        scale: float,
        zero_point: int,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
    ) -> None:
        super().__init__(normalized_shape, eps=eps, elementwise_affine=elementwise_affine)
        self.weight = weight
        self.bias = bias
        self.register_buffer("scale", ember.tensor(scale))
        self.register_buffer("zero_point", ember.tensor(zero_point))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return layer_norm(
            input,
            self.normalized_shape,
            self.weight,
            self.bias,
            self.eps,
            output_scale=self.scale,
            output_zero_point=self.zero_point,
        )

    def _get_name(self) -> str:
        return "QuantizedLayerNorm"

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        scale, zp = mod.activation_post_process.calculate_qparams()
        return cls(
            mod.normalized_shape,
            mod.weight,
            mod.bias,
            float(scale),
            int(zp),
            mod.eps,
            mod.elementwise_affine,
        )


def _dynamic_linear_cls() -> Any:
    from ...nn.quantized.dynamic import Linear

    return Linear


class DynamicQuantizedLinearReLU(_dynamic_linear_cls()):  # type: ignore[misc]
    """Dynamically quantized Linear followed by ReLU on its float output
    (torch.ao.nn.intrinsic.quantized.dynamic.LinearReLU)."""

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x).relu()

    def _get_name(self) -> str:
        return "DynamicQuantizedLinearReLU"


class _QuantizedActivation(Module):
    """A float activation applied to the dequantized input, requantized to (scale, zero_point)
    as torch's x86 kernels do (dequantize, float32 op, quantize)."""

    _NAME = ""

    def __init__(self, scale: float, zero_point: int) -> None:
        super().__init__()
        self.register_buffer("scale", _E.tensor(scale))
        self.register_buffer("zero_point", _E.tensor(zero_point))

    def _float_op(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        _qt.check_quantized(input, self)
        y = self._float_op(input.dequantize())
        return _E.quantize_per_tensor(y, float(self.scale), int(self.zero_point), input.dtype)

    def _get_name(self) -> str:
        return self._NAME


class QuantizedELU(_QuantizedActivation):
    """Quantized ELU (torch.ao.nn.quantized.ELU)."""

    _NAME = "QuantizedELU"

    def __init__(self, scale: float, zero_point: int, alpha: float = 1.0) -> None:
        super().__init__(scale, zero_point)
        self.alpha = alpha

    def _float_op(self, x: Tensor) -> Tensor:
        return _E.nn.functional.elu(x, self.alpha)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        s, z = mod.activation_post_process.calculate_qparams()
        return cls(float(s), int(z), mod.alpha)


class QuantizedLeakyReLU(_QuantizedActivation):
    """Quantized LeakyReLU (torch.ao.nn.quantized.LeakyReLU)."""

    _NAME = "QuantizedLeakyReLU"

    def __init__(self, scale: float, zero_point: int, negative_slope: float = 1e-2) -> None:
        super().__init__(scale, zero_point)
        self.negative_slope = negative_slope

    def _float_op(self, x: Tensor) -> Tensor:
        return _E.nn.functional.leaky_relu(x, self.negative_slope)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        s, z = mod.activation_post_process.calculate_qparams()
        return cls(float(s), int(z), mod.negative_slope)


class QuantizedSoftmax(_QuantizedActivation):
    """Quantized Softmax (torch.ao.nn.quantized.Softmax; x86 dequantizes and requantizes)."""

    _NAME = "QuantizedSoftmax"

    def __init__(self, dim: int | None = None, scale: float = 1.0, zero_point: int = 0) -> None:
        super().__init__(scale, zero_point)
        self.dim = dim

    def _float_op(self, x: Tensor) -> Tensor:
        return _E.nn.functional.softmax(x, self.dim)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        s, z = mod.activation_post_process.calculate_qparams()
        return cls(mod.dim, float(s), int(z))


class PackedConvWeight(Module):
    """A prepacked quantized conv weight with its bias, stride, padding, dilation and groups
    (quantized::conv2d_prepack's result): a quantized Conv module run with the op's qparams."""

    def __init__(self, qweight: Tensor, bias: Tensor | None, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, relu: bool = False) -> None:  # fmt: skip
        from ...nn.intrinsic import quantized as nniq
        from ...nn.quantized import modules as nnq

        super().__init__()
        dims = qweight.dim() - 2
        if dims not in (1, 2):
            raise NotImplementedError(f"quantized conv{dims}d is not implemented in Ember")
        if isinstance(padding, str):
            raise NotImplementedError("quantized conv with string padding is not implemented")
        cls = {(1, False): nnq.Conv1d, (2, False): nnq.Conv2d,
               (1, True): nniq.ConvReLU1d, (2, True): nniq.ConvReLU2d}[(dims, relu)]  # fmt: skip
        out_c, in_per_group = qweight.shape[0], qweight.shape[1]
        # a plain attribute, not a child module: the graph reaches this object by get_attr,
        # and GraphModule.delete_all_unused_submodules drops children of get_attr targets
        conv = cls(in_per_group * groups, out_c, tuple(qweight.shape[2:]), stride, padding,
                        dilation, groups, bias is not None)  # fmt: skip
        conv.set_weight_bias(qweight, None if bias is None else bias.detach().float())
        self.__dict__["conv"] = conv

    def extra_repr(self) -> str:
        return repr(self.__dict__["conv"])

    def run(self, x: Tensor, scale: Any, zero_point: Any) -> Tensor:
        self.conv.scale, self.conv.zero_point = float(scale), int(zero_point)
        return self.conv(x)


def conv1d(x: Tensor, w: PackedConvWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::conv1d with a prepacked weight."""
    return w.run(x, scale, zero_point)


def conv1d_relu(x: Tensor, w: PackedConvWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::conv1d_relu (the ReLU is packed with the weight)."""
    return w.run(x, scale, zero_point)


def conv2d(x: Tensor, w: PackedConvWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::conv2d with a prepacked weight."""
    return w.run(x, scale, zero_point)


def conv2d_relu(x: Tensor, w: PackedConvWeight, scale: Any, zero_point: Any) -> Tensor:
    """quantized::conv2d_relu (the ReLU is packed with the weight)."""
    return w.run(x, scale, zero_point)


# functional forms torch lowers F.hardswish/F.elu/F.leaky_relu/F.dropout to (same parameters)


def hardswish(input: Tensor, output_scale: float, output_zero_point: int) -> Tensor:  # noqa: A002
    """quantized::hardswish."""
    from ...nn.quantized import Hardswish

    return Hardswish(float(output_scale), int(output_zero_point))(input)


def elu(self: Tensor, output_scale: float, output_zero_point: int, alpha: float = 1.0,
        scale: float = 1.0, input_scale: float = 1.0) -> Tensor:  # fmt: skip
    """quantized::elu (scale and input_scale: torch's, applied as alpha * (exp(x*in) - 1) * s)."""
    if scale != 1.0 or input_scale != 1.0:
        raise NotImplementedError("quantized elu with scale/input_scale != 1 is not implemented")
    return QuantizedELU(float(output_scale), int(output_zero_point), float(alpha))(self)


def leaky_relu(qx: Tensor, negative_slope: float = 0.01, inplace: bool = False, *,
               output_scale: float, output_zero_point: int) -> Tensor:  # fmt: skip
    """quantized::leaky_relu."""
    return QuantizedLeakyReLU(float(output_scale), int(output_zero_point), negative_slope)(qx)


def dropout(self: Tensor, output_scale: float, output_zero_point: int, p: float = 0.5,
            training: bool = False) -> Tensor:  # fmt: skip
    """quantized::dropout: the identity outside training."""
    if training:
        raise NotImplementedError("quantized dropout in training mode is not implemented")
    return self
