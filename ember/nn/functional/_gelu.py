"""gelu: x * Phi(x), exact (erf) or with torch's tanh approximation; one fused NumPy forward and
one backward (the forward's Phi(x) / tanh term is kept for it). float32 erf is a rational
approximation (error ~4e-7, float32 rounding level); float64 uses ember's erf. The float32 erf
form runs ember._native's C loops (the same rational function) when they are available.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _native
from ..._parallel import run_halves
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import contig
from ...ops import _special as S
from ...ops._core import attach
from ...ops._registry import register
from ._util import F32, float_in, out, up

__all__ = ["gelu"]


def _em(name: str) -> Any:
    from ...ops._registry import FUNCTIONS

    return FUNCTIONS[name]


_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_K_BETA = math.sqrt(2.0 / math.pi)
_K_KAPPA = 0.044715
# erf(z) ~ z P(z^2) / Q(z^2) on [-4, 4] (float32 accuracy; outside, erf is +-1 in float32).
# Folded for Phi(x) = 1/2 + x P'(x^2) / Q'(x^2): z = x / sqrt 2, and the 1/2 of Phi into P'.
_ERF_P = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
          -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
          -1.60960333262415e-02)  # z^12 ... z^0
_ERF_Q = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
          -7.37332916720468e-03, -1.42647390514189e-02)  # z^8 ... z^0
_PHI_P = [np.float32(c / 2.0 ** (len(_ERF_P) - 1 - i) * 0.5 * _SQRT1_2)
          for i, c in enumerate(_ERF_P)]
_PHI_Q = [np.float32(c / 2.0 ** (len(_ERF_Q) - 1 - i)) for i, c in enumerate(_ERF_Q)]
_CLIP = np.float32(4.0 * math.sqrt(2.0))
_PHI_P_ARR, _PHI_Q_ARR = np.array(_PHI_P, dtype=np.float32), np.array(_PHI_Q, dtype=np.float32)
# Long chains of NumPy passes run over blocks that stay in cache (2-8x faster than whole
# arrays when memory bandwidth is shared); 64K float32 = 256 KB per temporary.
_BLOCK = 1 << 16


def _phi32(x: Any, out: Any) -> None:
    """out = Phi(x) for a 1-d float32 block (rational erf, max error ~4e-7)."""
    xc = np.clip(x, -_CLIP, _CLIP)
    x2 = np.multiply(xc, xc)
    p = np.multiply(x2, _PHI_P[0], out=out)
    for c in _PHI_P[1:-1]:
        p += c
        p *= x2
    p += _PHI_P[-1]
    q = np.multiply(x2, _PHI_Q[0])
    for c in _PHI_Q[1:-1]:
        q += c
        q *= x2
    q += _PHI_Q[-1]
    p /= q
    p *= xc
    p += np.float32(0.5)
    np.maximum(p, np.float32(0), out=p)  # the rational tail can leave [0, 1] by an ulp
    np.minimum(p, np.float32(1), out=p)


def _blocks(n: int) -> Any:
    return (slice(i, i + _BLOCK) for i in range(0, n, _BLOCK))


def _forward(a: Any, approximate: str) -> tuple:
    """(gelu(a), aux) for a 1-d float32/float64 array; aux is Phi(a) or tanh(inner)."""
    r, aux = np.empty_like(a), np.empty_like(a)
    if approximate == "none" and a.dtype != F32:
        e = S.erf(a * _SQRT1_2)
        e += 1
        e *= 0.5
        return np.multiply(e, a, out=r), e
    blocks = list(_blocks(a.size)) if type(a) is np.ndarray else [slice(None)]  # GPU: one pass
    native = approximate == "none" and type(a) is np.ndarray and _native.available()

    def work(lo: int, hi: int) -> None:
        for s in blocks[lo:hi]:
            x, t = a[s], aux[s]
            if native and _native.gelu_f32(x, r[s], t, _PHI_P_ARR, _PHI_Q_ARR, _CLIP):
                continue
            if approximate == "none":
                _phi32(x, t)
                np.multiply(t, x, out=r[s])
                inf = np.isinf(x)
                if inf.any():  # torch's float32 kernel gives NaN at both infinities
                    r[s][inf] = np.nan
            else:
                inner = np.multiply(x, x)
                inner *= _K_KAPPA
                inner += 1
                inner *= x
                inner *= _K_BETA
                np.tanh(inner, out=t)
                o = np.add(t, 1, out=r[s])
                o *= x
                o *= 0.5

    run_halves(work, len(blocks))  # NumPy releases the GIL: the blocks use both cores
    return r, aux


def _backward(a: Any, g: Any, aux: Any, approximate: str) -> Any:
    """d gelu / d x * g for 1-d arrays (aux from the forward)."""
    gx = np.empty_like(a)
    blocks = list(_blocks(a.size)) if type(a) is np.ndarray else [slice(None)]  # GPU: one pass
    native = (approximate == "none" and type(a) is np.ndarray and type(g) is np.ndarray
              and _native.available())

    def work(lo: int, hi: int) -> None:
        for s in blocks[lo:hi]:
            x, t, o = a[s], aux[s], gx[s]
            if native and _native.gelu_backward_f32(x, g[s], t, o):
                continue
            if approximate == "none":
                np.multiply(x, x, out=o)
                o *= -0.5
                np.exp(o, out=o)
                o *= x
                o *= a.dtype.type(_INV_SQRT_2PI)  # x * phi(x)
                o += t
                o *= g[s]
            else:
                x2 = np.multiply(x, x)
                np.multiply(t, t, out=o)
                np.subtract(1, o, out=o)
                o *= x
                o *= 0.5
                x2 *= 3 * _K_KAPPA
                x2 += 1
                x2 *= _K_BETA
                o *= x2
                o += 0.5 * (1 + t)
                o *= g[s]

    run_halves(work, len(blocks))
    return gx


class GeluBackward0(Node):
    def __init__(self, approximate: str, aux: Any) -> None:
        super().__init__()
        self.approximate, self.aux = approximate, aux  # aux: Phi(x) or tanh(inner), flat

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if _gm.enabled:
            return _gelu_grad_graph(grad, x, self.approximate)
        a = contig(up(x._data)).reshape(-1)
        g = contig(up(grad._data)).reshape(-1)
        gx = _backward(a, g, self.aux, self.approximate)
        return out(gx.reshape(grad._data.shape), grad.dtype, grad.device)


def _gelu_grad_graph(g: Tensor, x: Tensor, approximate: str) -> Tensor:
    if approximate == "none":
        cdf = (_em("erf")(x * _SQRT1_2) + 1) * 0.5
        pdf = _em("exp")(x * x * -0.5) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)
    x2 = x * x
    t = _em("tanh")((x + x2 * x * _K_KAPPA) * _K_BETA)
    left_d = (t + 1) * 0.5
    right_d = x * 0.5 * (1 - t * t) * ((x2 * (3 * _K_KAPPA) + 1) * _K_BETA)
    return g * (left_d + right_d)


@register("gelu", namespace="nn.functional")
def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); approximate='tanh' uses torch's tanh formula. One fused forward and backward;
    float32 erf is a rational approximation (error ~4e-7, float32 rounding level)."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    a, dt = float_in("gelu", "GeluKernelImpl", input)
    r, aux = _forward(contig(a).reshape(-1), approximate)
    res = out(r.reshape(input._data.shape), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = GeluBackward0(approximate, aux)
        attach(node, (input,), (res,))
        node.save(input)
    return res
