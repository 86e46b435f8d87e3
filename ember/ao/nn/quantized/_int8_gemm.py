"""The int8 GEMM and requantization every quantized Linear/Conv goes through (fbgemm numerics).

One entry point, `int8_linear`, computes the exact int32 accumulator
sum_k (x[m,k] - x_zp) * (w[n,k] - w_zp[n]) that fbgemm computes for uint8 activations and
int8 weights. It runs ember._native's C kernel (int32 dot products of the stored int8 values)
when that is available; otherwise, and as the tests' oracle, `int8_linear_np` runs on float32
BLAS: every partial sum is an integer, and float32 holds integers exactly up to 2**24, so K is
cut into chunks whose worst-case sum stays within that bound (any order of accumulation inside
BLAS is then exact); chunk results are added in int32.
"""

from __future__ import annotations

import numpy as np

from .... import _native

__all__ = ["int8_linear", "int8_linear_np", "row_sum", "row_l1", "requantize", "dequantize_acc",
           "choose_qparams_dynamic", "quantize_dynamic_input"]

_EXACT_F32 = 1 << 24
_DEQUANT_BLOCK = 1 << 15  # float64 elements per block: 256 KiB, inside L2


def _weight_as_float(w_q: np.ndarray, w_zp: np.ndarray | int) -> np.ndarray:
    if np.ndim(w_zp) == 0 and int(w_zp) == 0:  # type: ignore[arg-type]
        return w_q.astype(np.float32)
    zp = np.asarray(w_zp, dtype=np.float32).reshape(-1, 1)
    return np.subtract(w_q, zp, dtype=np.float32)


def int8_linear(x_q: np.ndarray, x_zp: int, w_q: np.ndarray, w_zp: np.ndarray | int = 0,
                w_row_l1: np.ndarray | None = None,
                w_row_sum: np.ndarray | None = None) -> np.ndarray:
    """Exact int32 (M, N) = (x_q - x_zp) @ (w_q - w_zp).T for x_q uint8 (M, K), w_q int8 (N, K).

    w_zp is a scalar or one zero point per output row; w_row_l1 is row_l1(w_q, w_zp) (used by
    the NumPy path only), w_row_sum is row_sum(w_q) (used by the native kernel only). Native
    when available, else int8_linear_np.
    """
    m, k = x_q.shape
    n = w_q.shape[0]
    if k == 0 or m == 0 or n == 0:
        return np.zeros((m, n), dtype=np.int32)
    acc = _native.u8s8_gemm(x_q, x_zp, w_q, w_zp, w_row_sum)
    if acc is not None:
        return acc
    return int8_linear_np(x_q, x_zp, w_q, w_zp, w_row_l1)


def int8_linear_np(x_q: np.ndarray, x_zp: int, w_q: np.ndarray, w_zp: np.ndarray | int = 0,
                   w_row_l1: np.ndarray | None = None) -> np.ndarray:
    """int8_linear on NumPy's float32 BLAS (exact: see the module docstring).

    w_zp is a scalar or one zero point per output row (per-channel weights). w_row_l1, the
    sum over k of |w_q - w_zp| per row (computed once when a weight is packed), bounds every
    partial sum by max|x - x_zp| * max(w_row_l1): when that is below 2**24 one float32 GEMM
    is exact whatever K is; otherwise K is cut into chunks bounded by the worst case.
    """
    m, k = x_q.shape
    n = w_q.shape[0]
    if k == 0 or m == 0 or n == 0:
        return np.zeros((m, n), dtype=np.int32)
    xf = np.subtract(x_q, np.float32(x_zp), dtype=np.float32)
    wf = _weight_as_float(w_q, w_zp)
    x_max = max(float(xf.max()), -float(xf.min()), 1.0)
    if w_row_l1 is not None and x_max * float(w_row_l1.max(initial=0)) <= _EXACT_F32:
        return (xf @ wf.T).astype(np.int32)
    w_max = max(float(np.max(wf)), -float(np.min(wf)), 1.0) if np.ndim(w_zp) or w_zp else 128.0
    chunk = max(1, int(_EXACT_F32 // (x_max * w_max)))
    if chunk >= k:
        return (xf @ wf.T).astype(np.int32)
    acc = np.zeros((m, n), dtype=np.int32)
    for s in range(0, k, chunk):
        acc += (xf[:, s:s + chunk] @ wf[:, s:s + chunk].T).astype(np.int32)
    return acc


def row_sum(w_q: np.ndarray) -> np.ndarray:
    """sum_k w_q[n, k] per row as int32: the zero-point correction of the native kernel."""
    return np.ascontiguousarray(w_q.reshape(w_q.shape[0], -1).sum(axis=1, dtype=np.int32))


def row_l1(w_q: np.ndarray, w_zp: np.ndarray | int = 0) -> np.ndarray:
    """sum_k |w_q[n, k] - w_zp[n]| per row as float64: the bound int8_linear uses."""
    w = w_q.reshape(w_q.shape[0], -1).astype(np.int32)
    if np.ndim(w_zp) or w_zp:
        w = w - np.asarray(w_zp, dtype=np.int32).reshape(-1, 1)
    return np.abs(w).sum(axis=1, dtype=np.float64)


def requantize(acc: np.ndarray, act_times_w_scale: np.ndarray, bias: np.ndarray | None,
               out_scale: float, out_zp: int, relu: bool = False) -> np.ndarray:
    """int32 accumulator -> uint8 output as fbgemm's ReQuantizeOutput with a float bias.

    y = clamp(rint((float(acc) + bias / (sx*sw)) * (sx*sw / out_scale)) + out_zp), all float32,
    rounding half to even; ReLU clamps at the output zero point.
    """
    atws = np.asarray(act_times_w_scale, dtype=np.float32)
    mult = atws / np.float32(out_scale)
    y = acc.astype(np.float32)
    if bias is not None:
        y += np.asarray(bias, dtype=np.float32) / atws
    y *= mult
    np.rint(y, out=y)
    y += np.float32(out_zp)
    np.clip(y, out_zp if relu else 0, 255, out=y)
    return y.astype(np.uint8)


def dequantize_acc(acc: np.ndarray, act_times_w_scale: np.ndarray,
                   bias: np.ndarray | None) -> np.ndarray:
    """int32 accumulator -> float32 as fbgemm's ReQuantizeForFloat: fma(acc, sx*sw, bias).

    The product and the bias add round once (fbgemm uses a fused multiply-add), which float64
    arithmetic followed by one cast to float32 reproduces. Rows go in blocks whose float64
    temporaries stay in cache (about twice as fast on large outputs).
    """
    scale = np.asarray(act_times_w_scale, dtype=np.float32).astype(np.float64)
    b = None if bias is None else np.asarray(bias, dtype=np.float32)
    native = _native.dequantize_acc(acc, scale, b)
    if native is not None:
        return native
    m, n = acc.shape
    out = np.empty((m, n), dtype=np.float32)
    step = max(1, _DEQUANT_BLOCK // max(n, 1))
    for r in range(0, m, step):
        y = np.multiply(acc[r:r + step], scale)
        if b is not None:
            y += b
        out[r:r + step] = y
    return out


def choose_qparams_dynamic(x: np.ndarray, reduce_range: bool) -> tuple[float, int]:
    """Per-tensor uint8 (scale, zero_point) as fbgemm's ChooseQuantizationParams for one batch.

    The range is widened to contain zero; the zero point is taken from whichever end of the
    range gives the smaller error, rounded half to even and clamped.
    """
    qmin, qmax = 0, (127 if reduce_range else 255)
    lo = min(float(x.min()), 0.0) if x.size else 0.0
    hi = max(float(x.max()), 0.0) if x.size else 0.0
    # fbgemm receives float32 min/max and computes the scale in double
    lo, hi = float(np.float32(lo)), float(np.float32(hi))
    scale = (hi - lo) / (qmax - qmin)
    if float(np.float32(scale)) == 0.0 or np.isinf(np.float32(1.0) / np.float32(scale)):
        scale = 0.1
    if scale < 6.1e-5:
        # torch's SMALL_SCALE_THRESHOLD: widen the range around zero to keep 1/scale finite
        scale = 6.1e-5
        if lo == 0.0:
            hi = scale * (qmax - qmin)
        elif hi == 0.0:
            lo = -scale * (qmax - qmin)
        else:
            amplifier = 6.1e-5 / ((hi - lo) / (qmax - qmin))
            lo *= amplifier
            hi *= amplifier
    zp_min = qmin - lo / scale
    zp_max = qmax - hi / scale
    err_min = abs(qmin) + abs(lo / scale)
    err_max = abs(qmax) + abs(hi / scale)
    initial = zp_min if err_min < err_max else zp_max
    zp = int(min(max(round(initial), qmin), qmax))  # round(): half to even, as rint
    return float(np.float32(scale)), zp


def quantize_dynamic_input(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """float32 -> uint8 as fbgemm's Quantize: rint(x * float32(1/scale)) + zp, clamped."""
    inv = np.float32(1.0) / np.float32(scale)
    native = _native.quantize_u8(x, inv, zp)
    if native is not None:
        return native
    y = np.multiply(x, inv, dtype=np.float32)
    np.rint(y, out=y)
    y += np.float32(zp)
    np.clip(y, 0, 255, out=y)
    return y.astype(np.uint8)
