"""The few quantized-tensor operations the quantized modules need, in one place.

Modules keep their weights prepacked as NumPy arrays (int8 values, float32 scales, zero
points) and talk to quantized tensors only through these helpers, so the tensor
representation can change without touching the modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ...._tensor import Tensor
from ....ops.quantize import _make_per_channel_quantized_tensor, _make_per_tensor_quantized_tensor
from ._int8_gemm import row_l1, row_sum

PER_TENSOR = ("per_tensor_affine", "per_tensor_symmetric")


def check_quantized(x: Any, module: Any) -> None:
    """Raise if a float tensor reaches a quantized module (a QuantStub is missing)."""
    if not isinstance(x, Tensor) or not x.is_quantized:
        name = module._get_name() if hasattr(module, "_get_name") else str(module)
        got = f"a tensor of dtype {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
        raise RuntimeError(
            f"{name} expects a quantized input (torch.quint8) but got {got}: a float tensor "
            f"reached a quantized module. Quantize it first (a QuantStub before this module "
            f"in eager mode, or torch.quantize_per_tensor).")


def int_repr(q: Tensor) -> np.ndarray:
    """The integer values of a quantized tensor as a NumPy array."""
    return q.int_repr().numpy()


def make_per_tensor(values: np.ndarray, scale: float, zero_point: int) -> Tensor:
    """A per-tensor quantized tensor (dtype from the integer array's dtype) over `values`."""
    return _make_per_tensor_quantized_tensor(ember.from_numpy(values), float(scale),
                                                   int(zero_point))


def scheme_name(q: Tensor) -> str:
    return str(q.qscheme()).rsplit(".", 1)[-1]


class PackedWeight:
    """A quantized weight kept as NumPy: int8 values, float32 scales and zero points per row.

    `scales`/`zero_points` are 1-element arrays for per-tensor weights. fbgemm keeps weight
    scales in float32, which the requantization multiplier is built from.
    """

    __slots__ = ("values", "scales", "zero_points", "scheme", "axis", "qscale", "qzp", "l1",
                 "row_sum")
    qscale: Any
    qzp: Any

    def __init__(self, q: Tensor) -> None:
        self.values = int_repr(q)
        self.scheme = scheme_name(q)
        rows = q.shape[0] if q.dim() else 1
        if self.scheme in PER_TENSOR:
            self.axis = 0
            self.qscale, self.qzp = float(q.q_scale()), int(q.q_zero_point())
            self.scales = np.full(rows, self.qscale, dtype=np.float32)
            self.zero_points: np.ndarray | int = self.qzp
        else:
            self.axis = int(q.q_per_channel_axis())
            if self.axis != 0:
                raise NotImplementedError(
                    f"quantized weights are supported per channel along axis 0, got axis "
                    f"{self.axis}")
            self.qscale = q.q_per_channel_scales().numpy().astype(np.float64)
            self.qzp = q.q_per_channel_zero_points().numpy().astype(np.int64)
            self.scales = self.qscale.astype(np.float32)
            zps = self.qzp
            self.zero_points = 0 if not np.any(zps) else zps
        self.l1 = row_l1(self.values, self.zero_points)
        self.row_sum = row_sum(self.values)

    def tensor(self) -> Tensor:
        """The weight as a quantized tensor again (what `module.weight()` returns)."""
        vals = ember.from_numpy(self.values)
        if self.scheme in PER_TENSOR:
            return _make_per_tensor_quantized_tensor(vals, self.qscale, self.qzp)
        return _make_per_channel_quantized_tensor(
            vals, ember.from_numpy(np.asarray(self.qscale)),
            ember.from_numpy(np.asarray(self.qzp)), self.axis)

    def nbytes(self) -> int:
        return int(self.values.nbytes + self.scales.nbytes)


def quantize_np(x: np.ndarray, scale: float, zero_point: int, dtype: Any = None) -> np.ndarray:
    """float -> integers of a per-tensor quantized dtype: rint(x * float32(1/scale)) + zp."""
    dtype = ember.quint8 if dtype is None else dtype
    lo, hi, np_t = {ember.quint8: (0, 255, np.uint8), ember.qint8: (-128, 127, np.int8),
                    ember.qint32: (-(2**31), 2**31 - 1, np.int32)}[dtype]
    inv = np.float32(1.0) / np.float32(scale)
    y = np.multiply(x, inv, dtype=np.float32)
    np.rint(y, out=y)
    y += np.float32(zero_point)
    np.clip(y, lo, hi, out=y)
    return y.astype(np_t)


def dequantize_np(q: Tensor) -> np.ndarray:
    """A per-tensor quantized tensor's real values as float32."""
    return q.dequantize().numpy()


def dequantize_fma(q: Tensor) -> np.ndarray:
    """Per-tensor dequantize as torch's vectorized kernels do: fma(q, scale, -zp * scale)."""
    s = np.float32(q.q_scale())
    neg_zs = -np.float32(q.q_zero_point()) * s
    return (int_repr(q).astype(np.float64) * s + np.float64(neg_zs)).astype(np.float32)


def requant_float(y: np.ndarray, scale: float, zero_point: int, like: Any = None) -> Tensor:
    """Quantize a float result to a per-tensor tensor (dtype of `like`, else quint8)."""
    dtype = like.dtype if like is not None else ember.quint8
    return make_per_tensor(quantize_np(y, scale, zero_point, dtype), scale, zero_point)
