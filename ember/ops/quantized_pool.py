"""Ops that requantize a quantized tensor: average pooling, mean, sigmoid, tanh, hardsigmoid,
leaky_relu, gelu.

Averages are computed on the integers as torch's kernels do: an exact integer sum over each
window, divided and rounded half to even; the output keeps the input's scale and zero point.
Sigmoid, tanh and hardsigmoid dequantize, apply the float function in float32 and quantize
with torch's fixed output parameters (scale 1/256 or 2/256).
"""

from __future__ import annotations

import math
from typing import Any

from .. import _dtype as D
from .._quantized import QParams, QTensor, dequantize_array, quantize_array, wrap
from ._core import make, np
from .quantized import _handles, _per_tensor


def _window_sums(a: np.ndarray, starts_h: np.ndarray, ends_h: np.ndarray,
                 starts_w: np.ndarray, ends_w: np.ndarray) -> np.ndarray:
    """Exact integer sums of a[..., sh:eh, sw:ew] for every (output row, output column):
    separable, one pass over the columns of each window, then over its rows."""
    def over(x: np.ndarray, starts: np.ndarray, ends: np.ndarray, axis: int) -> np.ndarray:
        n = x.shape[axis]
        if len(starts) == 1 and starts[0] == 0 and ends[0] == n:  # global pooling
            return x.sum(axis=axis, dtype=np.int64, keepdims=True)
        idx = [slice(None)] * x.ndim
        parts = []
        for s0, e0 in zip(starts.tolist(), ends.tolist()):
            idx[axis] = slice(s0, e0)
            parts.append(x[tuple(idx)].sum(axis=axis, dtype=np.int64))
        return np.stack(parts, axis=axis)

    return over(over(a, starts_w, ends_w, a.ndim - 1), starts_h, ends_h, a.ndim - 2)


def _rint_div(total: np.ndarray, count: Any, dt: D.dtype) -> np.ndarray:
    _, lo, hi = D.QUANT_INFO[dt]
    r = np.rint(total / np.asarray(count, np.float64))
    return np.asarray(np.clip(r, lo, hi)).astype(D.QUANT_INFO[dt][0].np)


def _spatial(q: QTensor, op: str, dims: int = 2) -> np.ndarray:
    _per_tensor(op, q)
    a = q._host()
    if a.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{op}: expected {dims + 1}D or {dims + 2}D input, got {a.ndim}D "
                           f"(shape {list(a.shape)})")
    return a


def _pair(v: Any, name: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    v = tuple(v)
    if len(v) == 1:
        return (int(v[0]), int(v[0]))
    if len(v) != 2:
        raise RuntimeError(f"{name} must be an int or a pair of ints, got {v!r}")
    return (int(v[0]), int(v[1]))


@_handles("adaptive_avg_pool2d")
def _adaptive_avg_pool2d(func: Any, args: tuple, kwargs: dict) -> QTensor:
    q = args[0]
    a = _spatial(q, "adaptive_avg_pool2d")
    size = kwargs.get("output_size", args[1] if len(args) > 1 else None)
    h, w = a.shape[-2:]
    size = (size, size) if isinstance(size, int) else tuple(size or ())
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    sh = np.array([(i * h) // oh for i in range(oh)])
    eh = np.array([-((-(i + 1) * h) // oh) for i in range(oh)])
    sw = np.array([(j * w) // ow for j in range(ow)])
    ew = np.array([-((-(j + 1) * w) // ow) for j in range(ow)])
    sums = _window_sums(a, sh, eh, sw, ew)
    counts = (eh - sh)[:, None] * (ew - sw)[None, :]
    return wrap(_rint_div(sums, counts, q.dtype), q.dtype, q._qp, q.device)


@_handles("avg_pool2d")
def _avg_pool2d(func: Any, args: tuple, kwargs: dict) -> QTensor:
    names = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
             "divisor_override")
    opts = dict(zip(names, args[1:]))
    opts.update(kwargs)
    q = args[0]
    a = _spatial(q, "avg_pool2d")
    k = _pair(opts["kernel_size"], "kernel_size")
    st = opts.get("stride")
    s = k if st is None or (not isinstance(st, int) and len(st) == 0) else _pair(st, "stride")
    p = _pair(opts.get("padding", 0), "padding")
    ceil = bool(opts.get("ceil_mode", False))
    include_pad = bool(opts.get("count_include_pad", True))
    div = opts.get("divisor_override")
    zp = q._qp.zero_point
    starts, ends, counts = [], [], []
    for d in (0, 1):
        n = a.shape[d - 2]
        span = n + 2 * p[d] - k[d]
        out = (-(-span // s[d]) if ceil else span // s[d]) + 1
        if ceil and (out - 1) * s[d] >= n + p[d]:
            out -= 1
        st_ = np.arange(out) * s[d] - p[d]
        en_ = np.minimum(st_ + k[d], n + p[d])
        counts.append(en_ - st_)  # window size clipped to the padded input
        starts.append(np.clip(st_, 0, n))
        ends.append(np.clip(en_, 0, n))
    sums = _window_sums(a, starts[0], ends[0], starts[1], ends[1])
    valid = (ends[0] - starts[0])[:, None] * (ends[1] - starts[1])[None, :]
    padded = counts[0][:, None] * counts[1][None, :]
    # padding holds the real value 0, i.e. the integer zero_point
    sums = sums + (padded - valid) * zp if include_pad else sums
    count = padded if include_pad else valid
    if div:  # real sum / divisor: the zero points of the summed elements come out first
        _, lo, hi = D.QUANT_INFO[q.dtype]
        r = np.rint((sums - count * zp) / np.float64(div)) + zp
        out = np.asarray(np.clip(r, lo, hi)).astype(D.QUANT_INFO[q.dtype][0].np)
        return wrap(out, q.dtype, q._qp, q.device)
    return wrap(_rint_div(sums, count, q.dtype), q.dtype, q._qp, q.device)


@_handles("mean")
def _mean(func: Any, args: tuple, kwargs: dict) -> QTensor:
    q = args[0]
    _per_tensor("mean", q)
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    keep = bool(kwargs.get("keepdim", args[2] if len(args) > 2 else False))
    if kwargs.get("dtype") is not None:
        raise NotImplementedError("mean of a quantized tensor does not take dtype=")
    a = q._host()
    axes = None if dim is None else tuple(d % max(a.ndim, 1) for d in
                                          ((dim,) if isinstance(dim, int) else dim))
    n = a.size if axes is None else math.prod(a.shape[d] for d in axes)
    sums = np.asarray(a.astype(np.int64).sum(axis=axes, keepdims=keep))
    return wrap(_rint_div(sums, max(n, 1), q.dtype), q.dtype, q._qp, q.device)


def _fixed(q: QTensor, fn: Any, scale: float, zp_u8: int, zp_i8: int) -> QTensor:
    _per_tensor("sigmoid", q)
    if q.dtype not in (D.quint8, D.qint8):
        raise NotImplementedError(f"ember: this op on {q.dtype!r} tensors is not supported "
                                  "(quint8 and qint8 are)")
    zp = zp_u8 if q.dtype is D.quint8 else zp_i8
    y = np.asarray(fn(dequantize_array(q)), np.float32)
    qp = QParams(q._qp.scheme, scale, zp)
    return wrap(quantize_array(y, q.dtype, scale, zp), q.dtype, qp, q.device)


@_handles("sigmoid")
def _sigmoid(func: Any, args: tuple, kwargs: dict) -> QTensor:
    one = np.float32(1.0)
    return _fixed(args[0], lambda v: one / (one + np.exp(-v)), 1.0 / 256, 0, -128)


@_handles("tanh")
def _tanh(func: Any, args: tuple, kwargs: dict) -> QTensor:
    return _fixed(args[0], np.tanh, 2.0 / 256, 128, 0)


@_handles("hardsigmoid")
def _hardsigmoid(func: Any, args: tuple, kwargs: dict) -> QTensor:
    q = args[0]
    r = _fixed(q, lambda v: np.clip(v / np.float32(6) + np.float32(0.5), 0, 1), 1.0 / 256, 0,
               -128)
    if kwargs.get("inplace") or args[1:2] == (True,):  # torch copies the result in: q takes
        q._data[...] = r._data                            # the output's parameters
        q._qp = r._qp
        q._bump_version()
        return q
    return r


@_handles("leaky_relu", "leaky_relu_")
def _leaky_relu(func: Any, args: tuple, kwargs: dict) -> QTensor:
    """torch's vectorized kernel: x = fma(q, scale, -zp * scale); y = x or x * slope;
    q' = rint(y / scale) + zp. (torch's scalar tail rounds y / scale + zp once: the two
    differ only at rounding ties, in the last < 64 elements.)"""
    q = args[0]
    _per_tensor("leaky_relu", q)
    slope = kwargs.get("negative_slope", args[1] if len(args) > 1 else 0.01)
    inplace = func.__name__ == "leaky_relu_" or bool(kwargs.get("inplace", args[2:3] == (True,)))
    f32 = np.float32
    s, zp = f32(q._qp.scale), q._qp.zero_point
    a = q._host()
    x = (a.astype(np.float64) * np.float64(s) + np.float64(f32(zp) * -s)).astype(np.float32)
    y = np.where(x >= 0, x, x * f32(slope)).astype(np.float32)
    _, lo, hi = D.QUANT_INFO[q.dtype]
    r = np.asarray(np.clip(np.rint(y * (f32(1) / s)) + zp, lo, hi)).astype(a.dtype)
    if inplace:
        q._data[...] = r
        q._bump_version()
        return q
    return wrap(r, q.dtype, q._qp, q.device)


@_handles("gelu")
def _gelu(func: Any, args: tuple, kwargs: dict) -> QTensor:
    """torch's quantized gelu: the float gelu of the dequantized values, quantized with the
    input's zero point and its scale rounded to float32."""
    q = args[0]
    _per_tensor("gelu", q)
    x = make(dequantize_array(q), D.float32, q.device)
    y = func(x, *args[1:], **kwargs)._host()
    scale = float(np.float32(q._qp.scale))
    qp = QParams(q._qp.scheme, scale, q._qp.zero_point)
    return wrap(quantize_array(y, q.dtype, scale, q._qp.zero_point), q.dtype, qp, q.device)
