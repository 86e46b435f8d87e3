"""Quantized tensors: QTensor (integer backend array + quantization parameters) and the numerics.

A quantized tensor is a Tensor subclass whose backend array holds the integer representation
(int8 for qint8, uint8 for quint8, int32 for qint32, uint8 0..15 for quint4x2) and whose dtype
is the quantized dtype. Its scale and zero point (or per-channel arrays and axis) are a QParams
record. QTensor overrides `__torch_function__`, so every registered op that receives one goes
through ember/ops/quantized.py: the supported ops run there, all others raise torch's
NotImplementedError. Ordinary ops on float tensors never see a quantized check.

Numerics are torch 2.13's CPU kernels, found by differential tests:
  - per-tensor qint8/quint8: q = clamp(rint(fma(x, inv, zero_point))), inv = 1f / float(scale)
    (one rounding of x * inv + zero_point, in float32);
  - per-tensor qint32 and all per-channel: q = clamp(rint(float32(x * inv) + zero_point));
  - dequantize, per-tensor: (float(q) - float(zero_point)) * float(scale) in float32;
    per-channel: float32((q - zero_point) * scale) computed in double.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _init_empty, make

_new_obj = object.__new__
# Out-of-range floats overflow on the way to the clamp, as in torch: silence NumPy's warning.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\._quantized")


class qscheme:
    """torch.qscheme: how a quantized tensor maps integers to reals."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self) -> str:
        return self.name  # unpickles to the module-level singleton


per_tensor_affine = qscheme("per_tensor_affine")
per_channel_affine = qscheme("per_channel_affine")
per_tensor_symmetric = qscheme("per_tensor_symmetric")
per_channel_symmetric = qscheme("per_channel_symmetric")
per_channel_affine_float_qparams = qscheme("per_channel_affine_float_qparams")
QSCHEMES = (per_tensor_affine, per_channel_affine, per_tensor_symmetric, per_channel_symmetric,
            per_channel_affine_float_qparams)


class QParams:
    """A quantized tensor's parameters: per-tensor (scale, zero_point) or per-channel arrays."""

    __slots__ = ("scheme", "scale", "zero_point", "scales", "zero_points", "axis")

    def __init__(self, scheme: qscheme, scale: float = 1.0, zero_point: int = 0,
                 scales: Any = None, zero_points: Any = None,
                 axis: int = 0) -> None:
        self.scheme = scheme
        self.scale = scale              # Python float (a double, as torch keeps it)
        self.zero_point = zero_point    # Python int
        self.scales = scales  # float64 array (float32 for float qparams), per channel
        self.zero_points = zero_points  # int64 array (float32 for float qparams), per channel
        self.axis = axis

    @property
    def per_channel(self) -> bool:
        return self.scales is not None


_DISPATCH: list = []  # ops/quantized.dispatch_quantized, imported on first use


class QTensor(Tensor):
    """A quantized tensor (torch's QuantizedCPU tensors); `type()` differs from torch's Tensor."""

    __slots__ = ("_qp",)
    _qp: QParams

    @property
    def is_quantized(self) -> bool:
        return True

    def is_floating_point(self) -> bool:
        return False

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return dequantize_array(self).reshape(()).item()

    def tolist(self) -> Any:
        raise RuntimeError("load_scalar: invalid type (tolist() of a quantized tensor: call "
                           "dequantize() first)")

    def numpy(self, *, force: bool = False) -> np.ndarray:
        raise TypeError(f"Got unsupported ScalarType {D._SCALAR_NAMES[self.dtype.name]}")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.numpy()

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        return self

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return qtensor_repr(self)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if id(self) in memo:
            return memo[id(self)]
        new = wrap(self._data.copy(), self.dtype, self._qp, self.device)
        if self.__dict__:
            import copy

            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto: Any) -> tuple:
        qp = self._qp
        return (_rebuild_q, (self._host().copy(), self.dtype.name, qp.scheme.name, qp.scale,
                             qp.zero_point, qp.scales, qp.zero_points, qp.axis))

    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        """Every op on a quantized tensor: the quantized implementation, or torch's error."""
        d = _DISPATCH
        if not d:
            from .ops.quantized import dispatch_quantized

            d.append(dispatch_quantized)
        return d[0](func, args, kwargs or {})


def _rebuild_q(arr: np.ndarray, dtname: str, scheme: str, scale: float, zp: int,
               scales: Any, zps: Any, axis: int) -> QTensor:
    from ._device import CPU

    qp = QParams(globals()[scheme], scale, zp, scales, zps, axis)
    return wrap(np.asarray(arr), D._by_name(dtname), qp, CPU)


def scalar_name(dt: D.dtype) -> str:
    """torch's ScalarType name of a dtype (Float, QUInt8, ...), as its error messages use."""
    return D._SCALAR_NAMES[dt.name]


def wrap(arr: Any, dt: D.dtype, qp: QParams, dev: Any) -> QTensor:
    """A QTensor on a fresh integer array `arr` (its own storage)."""
    t = _new_obj(QTensor)
    _init_empty(t)
    t._data, t.dtype, t.device, t._qp = arr, dt, dev, qp
    return t


def wrap_view(plain: Tensor, dt: D.dtype, qp: QParams) -> QTensor:
    """A QTensor sharing `plain`'s array and storage (views of quantized tensors stay views)."""
    t = _new_obj(QTensor)
    _init_empty(t)
    t._data, t.dtype, t.device, t._qp = plain._data, dt, plain.device, qp
    t._storage = plain._storage
    t._base = plain._base if plain._base is not None else plain
    return t


def int_view(q: QTensor) -> Tensor:
    """A plain integer tensor on q's storage (what the integer-domain ops compute on)."""
    from ._tensor import make_view

    return make_view(q._data, q, D.QUANT_INFO[q.dtype][0])


# ------------------------------------------------------------------ numerics
def quantize_array(x: np.ndarray, dt: D.dtype, scale: float, zero_point: int) -> np.ndarray:
    """Per-tensor quantization of a float32 array, bit-exact with torch 2.13's CPU kernel."""
    x = np.asarray(x, np.float32)
    inv = np.float32(1.0) / np.float32(scale)
    if dt is D.qint8 or dt is D.quint8:
        # torch's vectorized kernel: one fused multiply-add, rounded once to float32. The
        # product of two float32 values is exact in float64, so is the sum with a small int.
        y = (np.multiply(x, np.float64(inv)) + zero_point).astype(np.float32)
    else:
        y = x * inv + np.float32(zero_point)
    return _clip_cast(np.rint(y), dt)


def quantize_array_per_channel(x: np.ndarray, dt: D.dtype, scales: np.ndarray,
                               zero_points: np.ndarray, axis: int) -> np.ndarray:
    """Per-channel quantization along `axis`, bit-exact with torch 2.13's CPU kernel."""
    x = np.asarray(x, np.float32)
    shape = [1] * x.ndim
    shape[axis] = -1
    inv = (np.float32(1.0) / scales.astype(np.float32)).reshape(shape)
    zp = zero_points.astype(np.float32).reshape(shape)
    return _clip_cast(np.rint(x * inv + zp), dt)


def _clip_cast(r: np.ndarray, dt: D.dtype) -> np.ndarray:
    idt, lo, hi = D.QUANT_INFO[dt]
    if dt is D.qint32:  # float32 cannot hold 2**31 - 1: clip in float64
        r = r.astype(np.float64)
    r = np.asarray(r)
    if r.ndim:
        np.clip(r, lo, hi, out=r)
    else:
        r = np.asarray(np.clip(r, lo, hi))
    return r.astype(idt.np)


def dequantize_array(q: QTensor) -> np.ndarray:
    """The float32 values of a quantized tensor, bit-exact with torch 2.13's CPU kernel."""
    qp = q._qp
    a = q._data
    if not qp.per_channel:
        out = np.asarray(a.astype(np.float32))
        if out.ndim:  # in place: one float32 buffer for the three steps
            out -= np.float32(qp.zero_point)
            out *= np.float32(qp.scale)
            return out
        return np.asarray((out - np.float32(qp.zero_point)) * np.float32(qp.scale))
    shape = [1] * a.ndim
    shape[qp.axis] = -1
    assert qp.scales is not None and qp.zero_points is not None
    s = qp.scales.reshape(shape)
    z = qp.zero_points.reshape(shape)
    if qp.scheme is per_channel_affine_float_qparams:  # float zero points: x = (q - zp) * s
        return ((a.astype(np.float32) - z.astype(np.float32)) * s.astype(np.float32))
    return np.asarray((a.astype(np.float64) - z) * s).astype(np.float32)


def dequantize(q: QTensor) -> Tensor:
    return make(dequantize_array(q), D.float32, q.device)


# ------------------------------------------------------------------ repr
def qtensor_repr(q: QTensor) -> str:
    """torch's repr of a quantized tensor: dequantized values, then size, dtype and qparams."""
    from ._formatting import _add_suffixes, _tensor_str
    from ._tensor_str import _opts

    indent = len("tensor(")
    vals = dequantize_array(q)
    body = "[]" if vals.size == 0 else _tensor_str(vals, indent, _opts)
    qp = q._qp
    suffixes = [f"size={tuple(q._data.shape)}", f"dtype={q.dtype!r}",
                f"quantization_scheme={qp.scheme!r}"]
    if qp.per_channel:
        from .ops.creation import tensor

        suffixes += [f"scale={tensor(qp.scales)!r}",
                     f"zero_point={tensor(qp.zero_points)!r}", f"axis={qp.axis}"]
    else:
        suffixes += [f"scale={qp.scale!r}", f"zero_point={qp.zero_point}"]
    if q.device.type != "cpu":
        suffixes.insert(0, f"device='{q.device}'")
    return _add_suffixes("tensor(" + body, suffixes, indent, False, _opts["linewidth"])
