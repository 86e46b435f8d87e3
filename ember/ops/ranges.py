"""Range factories: arange, linspace, logspace, with the helpers that reproduce the rounding of
torch's CPU range kernels (fused multiply-adds, vector blocks, half-precision steps)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._registry import register
from ._tensor_data import _C_NAMES
from .creation import _check_layout, _checked_fill, _out, _out_dtype, finish, get_device


def _num(x: Any, name: str) -> Any:
    if isinstance(x, Tensor):
        if x._data.ndim:
            if name == "arange":
                raise TypeError("arange(): argument 'end' must be Number, not Tensor")
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but "
                               f"got a tensor with {x._data.ndim} dimension(s).")
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (bool, int, float, complex)):
        raise TypeError(f"{name}(): argument must be Number, not {type(x).__name__}")
    return x


# torch's CPU range kernels (x86-64 build) compute with fused multiply-adds and, for arange, in
# AVX2 vectors of 32 bytes processed two at a time; the helpers below reproduce their rounding so
# that values match torch bit for bit (ranges longer than 32768 elements, which torch splits
# across threads, can differ in the last bit).
def _fma(a: float, b: np.ndarray, c: Any) -> np.ndarray:
    """a * b + c in float64 rounded once, for a scalar a and integers b >= 0: Dekker's exact
    product (b below 2**26 needs no splitting), then a two-sum."""
    a = float(a)
    b = np.asarray(b, np.float64)
    p = a * b
    ah = a * 134217729.0  # 2**27 + 1: a = ah + al, each half exact when multiplied by b
    ah = ah - (ah - a)
    al = a - ah
    if b.size and b.max() >= 67108864.0:  # large b: split it too
        bh = b * 134217729.0
        bh = bh - (bh - b)
        bl = b - bh
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    else:
        e = (ah * b - p) + al * b
    s = p + c
    bb = s - p
    r = s + (((p - (s - bb)) + (c - bb)) + e)
    if not math.isfinite(a * 2.0**26) or not np.isfinite(r).all():
        r = np.where(np.isfinite(r), r, p + c)  # out of range for the splitting: plain
    return r


def _fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """a * b + c for float32 operands, rounded once to float32 (the product is exact in f64)."""
    return (np.float64(np.float32(a)) * np.asarray(b, np.float64) +
            np.float64(np.float32(c))).astype(np.float32)


def _round_to(x: Any, npd: Any) -> np.ndarray:
    """Round float32/float64 values to a half type, back in float32 (what each Half op does)."""
    return np.asarray(x, np.float32).astype(npd).astype(np.float32)


def _arange_float(start: float, step: float, n: int, dt: D.dtype) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    vec = 32 // dt.itemsize          # one AVX2 vector; the kernel fills two per iteration
    nv = n // (2 * vec) * (2 * vec)
    if step == int(step) and start == int(start) and abs(start) + abs(step) * n < 2**24:
        return (start + step * i).astype(dt.np)  # exact integers: no rounding to imitate
    k = np.tile(np.arange(vec, dtype=np.float64), nv // vec)
    if dt is D.float16 or dt is D.bfloat16:  # accumulate in float32, round bases to dt
        s, a = np.float32(step), np.float32(start)
        out = _fma32(s, i, a)
        if nv:
            base = _round_to(out[:nv:vec], dt.np).repeat(vec)
            out[:nv] = _fma32(s, k, base)
        return out.astype(dt.np)
    out = _fma(step, i, start)        # float32 and float64 accumulate in float64
    if nv:
        base = out[:nv:vec].astype(dt.np).astype(np.float64).repeat(vec)  # out[c] is fma(c)
        out[:nv] = _fma(step, k, base)
    return out.astype(dt.np)


@register("arange", differentiable=False)
def arange(start: Any = None, end: Any = None, step: Any = 1, *, out: Tensor | None = None,
           dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 unless an argument is a float.

    The length is ceil((end - start) / step) in float64; integer dtypes truncate start, end and
    step first, as torch does.
    """
    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end'")
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = _num(start, "arange"), _num(end, "arange"), _num(step, "arange")
    for v in (start, end, step):
        if isinstance(v, complex):
            raise RuntimeError("value cannot be converted to type double without overflow")
    _check_layout(layout, "arange")
    dtype = _out_dtype("arange", dtype, out)
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, int) for v in (start, end, step)) \
            else D.get_default_dtype()
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise NotImplementedError(f'"arange_cpu" not implemented for '
                                  f"'{D._SCALAR_NAMES[dtype.name]}'")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if dtype is D.int64:  # int64 truncates the arguments before sizing the range
        int_step = int(step)
        if int_step == 0 and step != 0:
            raise ValueError("step must be nonzero")
        start, end, step = int(start), int(end), int_step
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is D.int64:
        n = max(-((start - end) // step), 0)  # exact ceil for Python ints
        a = np.int64(start) + np.int64(step) * np.arange(n, dtype=np.int64)
    elif dtype.category == D.INT:  # other integers: sized in float64, values truncated
        if all(isinstance(v, int) for v in (start, end, step)):
            n = max(-((start - end) // step), 0)
        else:
            n = max(int(math.ceil((float(end) - float(start)) / float(step))), 0)
        a = (np.int64(int(start)) + np.int64(int(step)) * np.arange(n, dtype=np.int64)
             ).astype(dtype.np)
    else:
        n = max(int(math.ceil((float(end) - float(start)) / float(step))), 0)
        with np.errstate(over="ignore", invalid="ignore"):
            a = _arange_float(float(start), float(step), n, dtype)
    return _out("arange", finish(a, dtype, get_device(device)), out, requires_grad)


def _steps(steps: Any, name: str) -> int:
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _space_dtype(dtype: D.dtype | None, start: Any, end: Any) -> D.dtype:
    if dtype is not None:
        return dtype
    if isinstance(start, complex) or isinstance(end, complex):
        return D.default_complex()
    return D.get_default_dtype()


def _endpoints(start: Any, end: Any, dt: D.dtype) -> tuple:
    """start and end converted to dt as torch does first (integers truncate, checked)."""
    if dt.category == D.INT:
        s, e = (int(_checked_fill(v.real if isinstance(v, complex) else v, dt))
                for v in (start, end))
        return s, e
    if dt.category == D.FLOAT:
        if isinstance(start, complex) or isinstance(end, complex):
            raise RuntimeError("value cannot be converted to type "
                               f"{_C_NAMES[dt.name]} without overflow")
        return float(start), float(end)
    return complex(start), complex(end)


def _space(start: Any, end: Any, n: int, dt: D.dtype, fused: bool) -> np.ndarray:
    """torch's linspace values: the first half is start + i*step, the second end - j*step
    (j counted from the end), with the rounding of torch's kernel for dt; `fused` says whether
    the kernel fuses the multiply-add (linspace does, logspace's exponents do not)."""
    i = np.arange(n)
    j = n - 1 - i
    lo = i < n // 2
    s: Any  # the endpoints and step: complex, rounded arrays, float32 or float by branch
    e: Any
    step: Any
    if n == 1:
        return np.array([start])
    if dt.category == D.COMPLEX:  # real and imaginary parts as two real ranges
        rt = D.float32 if dt is D.complex64 else D.float64
        s, e = complex(start), complex(end)
        out = np.empty(n, dt.np)
        out.real = _space(s.real, e.real, n, rt, fused)
        out.imag = _space(s.imag, e.imag, n, rt, fused)
        return out
    if dt is D.float16 or dt is D.bfloat16:  # every Half/BFloat16 operation rounds
        h = dt.np
        s, e = _round_to(start, h), _round_to(end, h)
        step = _round_to(_round_to(e - s, h) / _round_to(max(n - 1, 1), h), h)
        return np.where(lo, _round_to(s + _round_to(step * _round_to(i, h), h), h),
                        _round_to(e - _round_to(step * _round_to(j, h), h), h))
    if dt is D.float32:
        s, e = np.float32(start), np.float32(end)
        step = np.float32(np.float32(e - s) / np.float32(max(n - 1, 1)))
        if fused:
            return np.where(lo, _fma32(step, i, s), _fma32(-step, j, e))
        return np.where(lo, s + step * i.astype(np.float32), e - step * j.astype(np.float32))
    s, e = float(start), float(end)  # float64, and integer outputs (float64 steps)
    step = (e - s) / max(n - 1, 1)
    h = n // 2
    if fused:
        return np.concatenate([_fma(step, i[:h], s), _fma(-step, j[h:], e)])
    return np.where(lo, s + step * i, e - step * j)


@register("linspace", differentiable=False)
def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (torch's symmetric formula;
    integer dtypes truncate start and end first)."""
    start, end = _num(start, "linspace"), _num(end, "linspace")
    steps = _steps(steps, "linspace")
    _check_layout(layout, "linspace")
    dt = _space_dtype(_out_dtype("linspace", dtype, out), start, end)
    if dt is D.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    s, e = _endpoints(start, end, dt)
    with np.errstate(all="ignore"):
        a = _space(s, e, steps, dt, fused=True).astype(dt.np)
    return _out("linspace", finish(a, dt, get_device(device)), out, requires_grad)


@register("logspace", differentiable=False)
def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """base ** linspace(start, end, steps) (exponents as torch's kernel rounds them).

    float64 and integer results match torch exactly; float32 and half results can differ in
    the last bit (torch's float kernel uses its own vectorised pow).
    """
    start, end = _num(start, "logspace"), _num(end, "logspace")
    steps = _steps(steps, "logspace")
    base = _num(base, "logspace")
    _check_layout(layout, "logspace")
    dt = _space_dtype(_out_dtype("logspace", dtype, out), start, end)
    if dt is D.bool_:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    s, e = _endpoints(start, end, dt)
    with np.errstate(all="ignore"):
        x = _space(s, e, steps, dt, fused=dt in (D.float32, D.float16, D.bfloat16, D.complex64))
        if dt.category == D.COMPLEX:
            a = np.power(np.complex128(base), x.astype(np.complex128))
        else:  # libm's pow, correctly rounded like torch's std::pow (NumPy's SIMD one is not)
            b = float(base)
            a = np.array([_pow(b, v) for v in x.astype(np.float64).tolist()], np.float64)
        a = a.astype(dt.np)
    return _out("logspace", finish(a, dt, get_device(device)), out, requires_grad)


def _pow(b: float, x: float) -> float:
    try:
        return math.pow(b, x)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan
