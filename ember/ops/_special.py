"""Vectorised special functions NumPy lacks: erf, erfc, erfinv, lgamma, digamma, trigamma, i1.

Pure array kernels (no tensors, no autograd): each takes a float32 or float64 array and
returns an array of the same dtype, computed in that dtype (i0 and i1 in float64; arrays of
at most 64 elements through the stdlib's scalar math.erf/erfc/lgamma). erf/erfc are Chebyshev
interpolants of math.erf/math.erfc built once at import (relative error ~1e-14 in float64, a
few ulp in float32); erfinv refines a closed-form guess by Halley steps on them. The gamma
family shifts the argument up and sums the Stirling / asymptotic series, reflecting below 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.polynomial import chebyshev as _C
from numpy.polynomial import polynomial as _P

_SQRT_PI = math.sqrt(math.pi)
_2_SQRT_PI = 2.0 / _SQRT_PI


class _Interp:
    """A polynomial interpolant of a smooth scalar function f on [lo, hi].

    Chebyshev interpolation at import; float64 evaluates the series by Clenshaw's recurrence
    (or by Horner's rule in powers of (x - centre) when `mono64`, for well-conditioned
    pieces), float32 by Horner's rule on the interpolant truncated to degree `deg32`.
    """

    def __init__(self, f: Callable[[float], float], lo: float, hi: float, deg: int,
                 deg32: int, mono64: bool = False) -> None:
        self.mid, self.scale = (lo + hi) / 2, 2.0 / (hi - lo)
        fv = np.vectorize(f, otypes=[float])
        ch = _C.Chebyshev.interpolate(fv, deg, domain=[lo, hi])
        self.c64 = [float(v) for v in ch.coef]
        self.m64 = self._powers(ch, lo, hi) if mono64 else None
        self.m32 = [np.float32(v) for v in
                    self._powers(_C.Chebyshev.interpolate(fv, deg32, domain=[lo, hi]), lo, hi)]

    def _powers(self, ch: Any, lo: float, hi: float) -> list:
        mono = ch.convert(kind=_P.Polynomial, domain=[lo, hi], window=[lo, hi])
        return [float(v) for v in mono(_P.Polynomial([self.mid, 1.0])).coef]

    def __call__(self, x: Any) -> Any:
        c = self.m32 if x.dtype == np.float32 else self.m64
        if c is not None:
            s = x - x.dtype.type(self.mid)
            r = s * c[-1]
            r += c[-2]
            for ck in c[-3::-1]:
                r *= s
                r += ck
            return r
        c = self.c64
        y = x - self.mid
        y *= self.scale
        # Clenshaw: b_k = 2y b_(k+1) - b_(k+2) + c_k, in three reused buffers
        y2 = y + y
        b1 = np.full_like(y, c[-1])
        b2 = np.zeros_like(y)
        t = np.empty_like(y)
        for ck in c[-2:0:-1]:
            np.multiply(y2, b1, out=t)
            t -= b2
            t += ck
            b1, b2, t = t, b1, b2
        np.multiply(y, b1, out=t)
        t -= b2
        t += c[0]
        return t


def _erf_small(t: float) -> float:  # erf(sqrt t) / sqrt t on [0, 1]
    return _2_SQRT_PI if t == 0 else math.erf(math.sqrt(t)) / math.sqrt(t)


def _erfcx(a: float) -> float:  # exp(a^2) erfc(a) on [1, 4]
    return math.erfc(a) * math.exp(a * a)


def _erfc_tail(u: float) -> float:  # a exp(a^2) erfc(a) with a = 1/sqrt(u), u in [0, 1/16]
    a = 1.0 / math.sqrt(u) if u else math.inf
    if a < 26.0:
        return math.erfc(a) * math.exp(a * a) * a
    s, term = 0.0, 1.0  # asymptotic series: converges to double precision for a >= 26
    for k in range(8):
        s += term
        term *= -(2 * k + 1) * u / 2
    return s / _SQRT_PI


_ERF_P = _Interp(_erf_small, 0.0, 1.0, 14, 8, mono64=True)
_ERFC_Q = _Interp(_erfcx, 1.0, 4.0, 26, 13)
_ERFC_R = _Interp(_erfc_tail, 0.0, 1.0 / 16, 14, 7)


def _exp_neg_sq(a: Any, exact: bool = True) -> Any:
    """exp(-a*a) for 0 <= a <= 30; `exact` avoids the rounding error of a*a (a = hi + lo with
    hi*hi exact), which matters for erfc's relative accuracy but not for erf's."""
    if not exact:
        r = a * a
        np.negative(r, out=r)
        return np.exp(r, out=r)
    k = np.float32(256) if a.dtype == np.float32 else 4096.0
    hi = np.floor(a * k)
    hi /= k
    lo = a - hi
    lo *= a + hi
    r = np.exp(-(hi * hi))
    r *= np.exp(-lo)
    return r


def _erf_parts(x: Any, tail: bool, exact: bool = True) -> tuple:
    """(|x|, |x| < 1 as 0/1, erf(|x|) valid where |x| < 1, erfc(|x|) valid where |x| >= 1).

    Both pieces are computed on the whole array and blended arithmetically: cheaper than
    gathering by mask or np.where on a random condition. The tail beyond |x| = 4 is patched
    in only where present (and only when asked: float32 erf is exactly 1 there).
    """
    a = np.abs(x)
    a1 = np.minimum(a, 1)  # the small piece stays finite where unused (blends multiply by 0)
    small = _ERF_P(a1 * a1)
    small *= a1
    b = np.clip(a, 1, 4)
    q = _exp_neg_sq(b, exact)
    q *= _ERFC_Q(b)
    if tail:
        far = a > 4
        if far.any():
            idx = np.flatnonzero(far)
            af = a.reshape(-1)[idx]
            qf = q.reshape(-1)
            qf[idx] = _exp_neg_sq(np.minimum(af, 30)) / af * _ERFC_R(1 / (af * af))
    lt1 = (a < 1).astype(a.dtype)
    return a, lt1, small, q


def _blend(m: Any, yes: Any, no: Any) -> Any:
    """yes where m == 1, no where m == 0 (m a 0/1 float mask; yes, no finite where unused).

    Exact (yes * 1 + no * 0), unlike no + m * (yes - no), and unlike np.where it does not
    slow down on a random condition.
    """
    r = yes * m
    m = 1 - m
    m *= no
    r += m
    return r


_SMALL = 64  # below this many elements the stdlib's scalar functions are faster (and exact)


def _by_element(f: Callable[[float], float], x: Any) -> Any:
    return np.array([f(v) for v in x.ravel().tolist()], dtype=x.dtype).reshape(x.shape)


def _lgamma1(v: float) -> float:
    try:
        return math.lgamma(v)
    except ValueError:  # the poles 0, -1, -2, ... and -inf
        return math.inf


def erf(x: Any) -> Any:
    if x.size <= _SMALL and type(x) is np.ndarray:
        return _by_element(math.erf, x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f32 = x.dtype == np.float32
        a, lt1, small, q = _erf_parts(x, not f32, not f32)
        return np.copysign(_blend(lt1, small, 1 - q), x)


def erfc(x: Any) -> Any:
    if x.size <= _SMALL and type(x) is np.ndarray:
        return _by_element(math.erfc, x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a, lt1, small, q = _erf_parts(x, True)
        neg = (x < 0).astype(x.dtype)
        # erfc(-a) = 2 - erfc(a)
        q2 = 2 - 2 * q
        q2 *= neg
        q2 += q
        return _blend(lt1, 1 - np.copysign(small, x), q2)


def erfinv(y: Any) -> Any:
    """Inverse of erf: Winitzki's closed form, then two Halley steps on erf (or erfc near 1)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _erfinv(y)


def _erfinv(y: Any) -> Any:
    a = np.abs(y)
    one = a.dtype.type(1)
    ka = 0.147
    w = -np.log((one - a) * (one + a))
    t = a.dtype.type(2 / (math.pi * ka)) - w / 2
    x = np.sqrt(np.sqrt(t * t + w / a.dtype.type(ka)) - t)
    near1 = a > 0.5
    c = one - a  # exact for a > 0.5
    for _ in range(2):
        # residual erf(x) - a; through erfc where erf(x) is close to 1
        _, lt1, small, q = _erf_parts(x, True)
        r = np.where(near1, c - _blend(lt1, one - small, q), _blend(lt1, small, one - q) - a)
        dx = r / (a.dtype.type(_2_SQRT_PI) * np.exp(-x * x))
        x = x - dx / (one + x * dx)
    x = np.where(a == 1, np.inf, x)
    x = np.where(a > 1, np.nan, x)
    return np.copysign(x, y).astype(y.dtype, copy=False)


# ------------------------------------------------------------------ gamma family
_SHIFT = 8.0  # shift arguments to >= 8, where the asymptotic series below reach 1e-16


def _sin_pi_frac(x: Any) -> Any:
    """x - round(x), so that sin/tan(pi * x) keep their precision (and are 0 at integers)."""
    return x - np.round(x)


def _shift(x: Any) -> tuple:
    """For x >= 0: (m, z) with m = 1.0 where x < _SHIFT (else 0.0) and z = x + _SHIFT * m.

    Every small argument is shifted by the same amount, so the recurrences below are plain
    arithmetic with m as a multiplier rather than masked (slow) NumPy operations.
    """
    m = (x < _SHIFT).astype(x.dtype)
    return m, x + _SHIFT * m


def _lgamma_pos(x: Any) -> Any:
    m, z = _shift(x)
    # lgamma(x) = lgamma(x + 8) - log(x (x+1) ... (x+7)) where shifted
    prod = m * x
    prod += 1 - m
    for k in range(1, int(_SHIFT)):
        f = x + (k - 1)
        f *= m
        f += 1
        prod *= f
    r = 1 / (z * z)
    s = 1 / 12 + r * (-1 / 360 + r * (1 / 1260 + r * (-1 / 1680 + r * (
        1 / 1188 + r * (-691 / 360360 + r * (1 / 156))))))
    # Stirling: (z - 1/2) log z - z + log(2 pi)/2 + sum B_2k / (2k (2k-1) z^(2k-1))
    lg = (z - 0.5) * np.log(z) - z + 0.5 * math.log(2 * math.pi) + s / z - np.log(prod)
    return lg if np.isfinite(x).all() else np.where(np.isposinf(x), np.inf, lg)


def lgamma(x: Any) -> Any:
    if x.size <= _SMALL and type(x) is np.ndarray:
        return _by_element(_lgamma1, x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = x < 0
        if not neg.any():
            return _lgamma_pos(x)
        r = _lgamma_pos(np.where(neg, 1 - x, x))
        # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
        refl = np.log(np.pi / np.abs(np.sin(np.pi * _sin_pi_frac(x)))) - r
        return np.where(neg, np.where(np.isinf(x), np.inf, refl), r)


def _recip_sum(x: Any, m: Any, power: int) -> Any:
    """sum over k < _SHIFT of m / (x + k)^power."""
    acc = np.zeros_like(x)
    for k in range(int(_SHIFT)):
        f = x + k if k else x.copy()  # x + 0 would turn -0.0 into 0.0 (digamma(-0.0) = +inf)
        if power == 2:
            f *= f
        np.divide(m, f, out=f)
        acc += f
    return acc


def _digamma_pos(x: Any) -> Any:
    m, z = _shift(x)
    r = 1 / (z * z)
    s = r * (1 / 12 + r * (-1 / 120 + r * (1 / 252 + r * (-1 / 240 + r * (
        1 / 132 + r * (-691 / 32760 + r * (1 / 12)))))))
    out = np.log(z) - 0.5 / z - s - _recip_sum(x, m, 1)
    return out if not np.isnan(x).any() else np.where(np.isnan(x), x, out)


def digamma(x: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = x < 0
        if not neg.any():
            return _digamma_pos(x)
        r = _digamma_pos(np.where(neg, 1 - x, x))
        # reflection: psi(x) = psi(1 - x) - pi / tan(pi x); poles at the negative integers
        refl = r - np.pi / np.tan(np.pi * _sin_pi_frac(x))
        return np.where(neg, np.where(x == np.round(x), np.nan, refl), r)


def _trigamma_pos(x: Any) -> Any:
    m, z = _shift(x)
    r = 1 / (z * z)
    s = r * (1 / 6 + r * (-1 / 30 + r * (1 / 42 + r * (-1 / 30 + r * (
        5 / 66 + r * (-691 / 2730 + r * (7 / 6)))))))
    return (1 + 0.5 / z + s) / z + _recip_sum(x, m, 2)


def trigamma(x: Any) -> Any:
    """polygamma(1, x)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = x < 0
        if not neg.any():
            return _trigamma_pos(x)
        r = _trigamma_pos(np.where(neg, 1 - x, x))
        # reflection: psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
        sn = np.sin(np.pi * _sin_pi_frac(x))
        return np.where(neg, (np.pi * np.pi) / (sn * sn) - r, r)


# ------------------------------------------------------------------ modified Bessel
def i0(x: Any) -> Any:
    """I0 (NumPy's); like torch, nan at +-inf."""
    with np.errstate(over="ignore", invalid="ignore"):  # np.i0 is Python: no module filter
        r = np.i0(x.astype(np.float64)).astype(x.dtype, copy=False)
    return np.where(np.isinf(x), np.nan, r) if np.isinf(x).any() else r


def i1(x: Any) -> Any:
    """I1: power series up to |x| = 30, Hankel's asymptotic expansion beyond."""
    dt = x.dtype
    x = x.astype(np.float64)
    a = np.abs(x)
    out = np.empty_like(a)
    m = a <= 30
    h = a[m] / 2
    h2 = h * h
    term = h.copy()
    s = h.copy()
    for k in range(1, 48):  # (x/2)^(2k+1) / (k! (k+1)!)
        term *= h2 / (k * (k + 1))
        s += term
    out[m] = s
    m = ~m
    with np.errstate(over="ignore", invalid="ignore"):
        xb = a[m]
        inv = 1 / (8 * xb)
        term = np.ones_like(xb)
        s = np.ones_like(xb)
        for k in range(1, 20):  # sum (-1)^k prod_j (4 - (2j-1)^2) / (k! (8x)^k)
            term *= -(4 - (2 * k - 1) ** 2) / k * inv
            s += term
        out[m] = np.exp(xb) / np.sqrt(2 * np.pi * xb) * s
    return np.copysign(out, x).astype(dt, copy=False)
