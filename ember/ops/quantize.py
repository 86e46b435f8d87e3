"""Quantize / dequantize ops and the quantized-tensor accessors (int_repr, q_scale, ...).

These implementations handle QTensor arguments themselves: ops/quantized.py calls them
directly (QUANT_AWARE) instead of refusing them.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype as D
from .._quantized import (
    QParams,
    QTensor,
    dequantize,
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_tensor_affine,
    quantize_array,
    quantize_array_per_channel,
    scalar_name,
    wrap,
)
from ._core import Tensor, make, np
from ._registry import register

QUANT_AWARE: set = set()


def _aware(fn: Any) -> Any:
    QUANT_AWARE.add(fn)
    return fn


def _check_float(op: str, t: Any) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(t).__name__}")
    if isinstance(t, QTensor):
        raise NotImplementedError(f"Could not run 'aten::{op}' with arguments from the "
                                  f"'QuantizedCPU' backend: the input is already quantized")
    if t.dtype is not D.float32:
        raise RuntimeError(f"Quantize only works on Float Tensor, got {scalar_name(t.dtype)}")


def _check_qdtype(dtype: Any) -> None:
    if not isinstance(dtype, D.dtype) or dtype.category != D.QUANT:
        name = scalar_name(dtype) if isinstance(dtype, D.dtype) else repr(dtype)
        raise RuntimeError(f"ScalarType {name} is not supported in new_qtensor.")


def _check_zero_point(op: str, zp: int, dt: D.dtype) -> None:
    _, lo, hi = D.QUANT_INFO[dt]
    if zp > hi:
        raise RuntimeError(f"{op} zero_point {zp} is above upper bound.")
    if zp < lo:
        raise RuntimeError(f"{op} zero_point {zp} is below lower bound.")


def _scalar(v: Any, kind: type) -> Any:
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise RuntimeError(f"quantize_per_tensor: expected a one-element scale/zero_point "
                               f"tensor, got shape {list(v.shape)}")
        return kind(v.item())
    return kind(v)


def _quantize_one(input: Tensor, scale: Any, zero_point: Any, dtype: D.dtype) -> QTensor:
    _check_float("quantize_per_tensor", input)
    _check_qdtype(dtype)
    s, zp = _scalar(scale, float), _scalar(zero_point, int)
    _check_zero_point("quantize_tensor_per_tensor_affine", zp, dtype)
    arr = quantize_array(input._host(), dtype, s, zp)
    return wrap(arr, dtype, QParams(per_tensor_affine, s, zp), input.device)


@register("quantize_per_tensor")
@_aware
def quantize_per_tensor(input: Any, scale: Any, zero_point: Any, dtype: D.dtype) -> Any:
    """q = clamp(round(x / scale) + zero_point) as torch computes it (see ember/_quantized.py).

    A list of tensors takes 1-d tensors of scales and zero points and returns a list.
    """
    if isinstance(input, (list, tuple)):
        sc = scale.tolist() if isinstance(scale, Tensor) else list(scale)
        zps = zero_point.tolist() if isinstance(zero_point, Tensor) else list(zero_point)
        if len(sc) != len(input) or len(zps) != len(input):
            raise RuntimeError("quantize_per_tensor: expected as many scales and zero points as "
                               f"tensors, got {len(sc)}, {len(zps)} for {len(input)} tensors")
        return [_quantize_one(t, s, z, dtype) for t, s, z in zip(input, sc, zps)]
    return _quantize_one(input, scale, zero_point, dtype)


def choose_qparams(mn: float, mx: float, qmin: int, qmax: int, reduce_range: bool = False,
                   preserve_sparsity: bool = False) -> tuple[float, int]:
    """(scale, zero_point) for [mn, mx] as torch's ChooseQuantizationParams picks them.

    Used by quantize_per_tensor_dynamic and the fused observer/fake-quant op; min and max are
    float32 as in torch, intermediate results double. preserve_sparsity: symmetric range.
    """
    f32 = np.float32
    if reduce_range:
        qmin, qmax = qmin // 2, qmax // 2
    lo, hi = f32(mn), f32(mx)
    if lo < 0 < hi and preserve_sparsity:
        sym_min, sym_max = -((qmax - qmin) // 2 + 1), (qmax - qmin) // 2
        max_scale = max(abs(float(lo) / sym_min), abs(float(hi) / sym_max))
        lo, hi = f32(max_scale * sym_min), f32(max_scale * sym_max)
    lo, hi = min(lo, f32(0)), max(hi, f32(0))
    scale = (float(hi) - float(lo)) / (qmax - qmin)
    if f32(scale) == 0 or math.isinf(float(f32(1) / f32(scale))):
        scale = 0.1
    small = f32(6.1e-5)
    if scale < small:
        org = f32(scale)
        scale = float(small)
        if lo == 0:
            hi = f32(float(small) * (qmax - qmin))
        elif hi == 0:
            lo = f32(-float(small) * (qmax - qmin))
        else:
            amp = small / org
            lo, hi = lo * amp, hi * amp
    zp_min = qmin - float(lo) / scale
    zp_max = qmax - float(hi) / scale
    err_min = abs(qmin) - abs(float(lo) / scale)
    err_max = abs(qmax) - abs(float(hi) / scale)
    init = zp_min if err_min < err_max else zp_max
    if lo < 0 < hi and preserve_sparsity:
        init = (qmin + qmax) / 2
    zp = qmin if init < qmin else qmax if init > qmax else int(np.rint(init))
    return scale, zp


@register("quantize_per_tensor_dynamic")
@_aware
def quantize_per_tensor_dynamic(input: Tensor, dtype: D.dtype, reduce_range: bool) -> QTensor:
    """Quantize with scale and zero point chosen from the tensor's own min and max."""
    _check_float("quantize_per_tensor_dynamic", input)
    if dtype is not D.qint8 and dtype is not D.quint8:
        raise RuntimeError(f"dtype {dtype!r} not supported for dynamic quantization: expected "
                           "ember.qint8 or ember.quint8")
    a = input._host()
    mn, mx = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    _, lo, hi = D.QUANT_INFO[dtype]
    scale, zp = choose_qparams(mn, mx, lo, hi, reduce_range)
    return _quantize_one(input, scale, zp, dtype)


@register("quantize_per_channel")
@_aware
def quantize_per_channel(input: Tensor, scales: Tensor, zero_points: Tensor, axis: int,
                         dtype: D.dtype) -> QTensor:
    """Quantize each slice along `axis` with its own scale and zero point."""
    _check_float("quantize_per_channel", input)
    _check_qdtype(dtype)
    return _make_per_channel(input, scales, zero_points, axis, dtype, True)


def _make_per_channel(input: Tensor, scales: Any, zero_points: Any, axis: int, dtype: D.dtype,
                      quantize: bool) -> QTensor:
    z = np.asarray(zero_points._host() if isinstance(zero_points, Tensor) else zero_points)
    # float zero points make a per_channel_affine_float_qparams tensor (embeddings), whose
    # scales and zero points torch keeps in float32
    floats = z.dtype.kind == "f"
    pdt = np.float32 if floats else np.float64
    s = np.asarray(scales._host() if isinstance(scales, Tensor) else scales, pdt).ravel()
    z = z.astype(np.float32 if floats else np.int64).ravel()
    if s.size != z.size:
        raise RuntimeError("number of elements in scales and zero_points must match")
    nd = input.dim()
    if not 0 <= axis < nd:
        raise RuntimeError("Channel axis out of range in per channel affine quantization. Got: "
                           f"{axis}Expected: [0, {nd})")
    if s.size != input.shape[axis]:
        raise RuntimeError(f"length of scales must equal to channel, expected "
                           f"{input.shape[axis]} got, {s.size}")
    if not floats:
        for v in z:
            _check_zero_point("quantize_tensor_per_channel_affine", int(v), dtype)
    qp = QParams(per_channel_affine_float_qparams if floats else per_channel_affine, scales=s,
                 zero_points=z, axis=axis)
    a = input._host()
    arr = quantize_array_per_channel(a, dtype, s, z, axis) if quantize else a.copy()
    return wrap(arr, dtype, qp, input.device)


_INT_TO_Q = {D.int8: D.qint8, D.uint8: D.quint8, D.int32: D.qint32}


def _int_input(op: str, t: Any) -> D.dtype:
    if not isinstance(t, Tensor) or isinstance(t, QTensor) or t.dtype not in _INT_TO_Q:
        got = scalar_name(t.dtype) if isinstance(t, Tensor) else type(t).__name__
        raise RuntimeError(f"{op}: expected an int8, uint8 or int32 tensor, got {got}")
    return _INT_TO_Q[t.dtype]


@register("_make_per_tensor_quantized_tensor")
@_aware
def _make_per_tensor_quantized_tensor(input: Tensor, scale: float, zero_point: int) -> QTensor:
    """A quantized tensor whose integers are a copy of `input` (int8->qint8, uint8->quint8...)."""
    dt = _int_input("_make_per_tensor_quantized_tensor", input)
    qp = QParams(per_tensor_affine, float(scale), int(zero_point))
    return wrap(input._host().copy(), dt, qp, input.device)


@register("_make_per_channel_quantized_tensor")
@_aware
def _make_per_channel_quantized_tensor(input: Tensor, scale: Tensor, zero_point: Tensor,
                                       axis: int) -> QTensor:
    """A per-channel quantized tensor whose integers are a copy of `input`."""
    dt = _int_input("_make_per_channel_quantized_tensor", input)
    return _make_per_channel(input, scale, zero_point, axis, dt, False)


# ------------------------------------------------------------------ accessors
def _need_q(op: str, t: Any) -> QTensor:
    if not isinstance(t, QTensor):
        dev = t.device.type.upper() if isinstance(t, Tensor) else "CPU"
        raise NotImplementedError(f"Could not run 'aten::{op}' with arguments from the '{dev}' "
                                  f"backend: {op}() needs a quantized tensor")
    return t


def _need_scheme(t: QTensor, per_channel: bool) -> None:
    if t._qp.per_channel != per_channel:
        want = "kPerChannelAffine" if per_channel else "kPerTensorAffine"
        raise RuntimeError(f"Expected quantizer->qscheme() == {want} to be true, but got false.")


@register("dequantize", method=True)
@_aware
def dequantize_op(input: Any) -> Any:
    """The float32 values of a quantized tensor; a float tensor is returned as is."""
    if isinstance(input, (list, tuple)):
        return [dequantize_op(t) for t in input]
    if isinstance(input, QTensor):
        return dequantize(input)
    if not isinstance(input, Tensor):
        raise TypeError(f"dequantize(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    return input


@register("int_repr", method=True)
@_aware
def int_repr(input: Tensor) -> Tensor:
    """A copy of the integers (int8/uint8/int32); quint4x2 packs two values per byte as torch."""
    q = _need_q("int_repr", input)
    a = q._host()
    if q.dtype is D.quint4x2:
        flat = a.reshape(-1)
        if flat.size % 2:
            flat = np.concatenate([flat, np.zeros(1, np.uint8)])
        packed = (flat[0::2] | (flat[1::2] << 4)).astype(np.uint8)
        return make(packed, D.uint8, q.device)
    return make(np.array(a, copy=True), D.QUANT_INFO[q.dtype][0], q.device)


@register("q_scale", method=True)
@_aware
def q_scale(input: Tensor) -> float:
    """The scale of a per-tensor quantized tensor (a Python float)."""
    q = _need_q("q_scale", input)
    _need_scheme(q, False)
    return q._qp.scale


@register("q_zero_point", method=True)
@_aware
def q_zero_point(input: Tensor) -> int:
    """The zero point of a per-tensor quantized tensor (a Python int)."""
    q = _need_q("q_zero_point", input)
    _need_scheme(q, False)
    return q._qp.zero_point


def _per_channel_check(q: QTensor) -> None:
    if not q._qp.per_channel:
        raise RuntimeError("Expected quantizer->qscheme() == kPerChannelAffine || "
                           "quantizer->qscheme() == kPerChannelAffineFloatQParams to be true, "
                           "but got false.")


@register("q_per_channel_scales", method=True)
@_aware
def q_per_channel_scales(input: Tensor) -> Tensor:
    """The per-channel scales (float64; float32 for float qparams, as torch)."""
    q = _need_q("q_per_channel_scales", input)
    _per_channel_check(q)
    s = np.array(q._qp.scales)
    return make(s, D.float32 if s.dtype == np.float32 else D.float64, q.device)


@register("q_per_channel_zero_points", method=True)
@_aware
def q_per_channel_zero_points(input: Tensor) -> Tensor:
    """The per-channel zero points (int64; float32 for float qparams, as torch)."""
    q = _need_q("q_per_channel_zero_points", input)
    _per_channel_check(q)
    z = np.array(q._qp.zero_points)
    return make(z, D.float32 if z.dtype == np.float32 else D.int64, q.device)


@register("q_per_channel_axis", method=True)
@_aware
def q_per_channel_axis(input: Tensor) -> int:
    """The dimension the per-channel parameters run along."""
    q = _need_q("q_per_channel_axis", input)
    _per_channel_check(q)
    return q._qp.axis


@register("qscheme", method=True, function=False)
@_aware
def qscheme(input: Tensor) -> Any:
    """The quantization scheme (ember.per_tensor_affine, ember.per_channel_affine, ...)."""
    return _need_q("qscheme", input)._qp.scheme
