"""cross_entropy (fused log_softmax + nll, one backward) and nll_loss, with torch's weight,
ignore_index, reduction, label_smoothing, probability targets and K-dim inputs (N, C, d1, ...).

Both losses are written as loss_i = -sum_c q_ic * logp_ic with a coefficient matrix q fixed by the
target, weights and smoothing; cross_entropy's gradient is then gs_i * (p_ic * sum_c q_ic - q_ic)
with p = softmax(input), and nll_loss's is -gs_i * q_ic. Class dims other than the last are moved
to the end once (a copy) so every kernel works on (M, C) rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import as_array, contig, xp_of
from ...ops._core import _tname, attach
from ...ops._registry import register
from ._softmax import row_sums, softmax_array
from ._util import F32, HALF, legacy_reduction, not_impl, not_tensor, out, reduction_enum, up

__all__ = ["cross_entropy", "nll_loss"]


# ------------------------------------------------------------------ layout and checks
class _Layout:
    """How an input (N, C, d1, ...) / (N, C) / (C,) maps to (M, C) rows and back."""

    def __init__(self, shape: tuple) -> None:
        self.shape = shape
        self.unbatched = len(shape) == 1
        self.c = shape[0] if self.unbatched else shape[1]
        self.kdim = len(shape) > 2

    def rows(self, a: Any) -> Any:
        if self.unbatched:
            return a.reshape(1, -1)
        if self.kdim:
            return np.moveaxis(a, 1, -1).reshape(-1, self.c)
        return a

    def back(self, g2: Any) -> Any:
        if self.unbatched:
            return g2.reshape(self.shape)
        if self.kdim:
            s = self.shape
            return np.moveaxis(g2.reshape((s[0],) + s[2:] + (s[1],)), -1, 1)
        return g2

    def rows_t(self, t: Tensor) -> Tensor:
        if self.unbatched:
            return t.reshape(1, -1)
        if self.kdim:
            return t.movedim(1, -1).reshape(-1, self.c)
        return t

    def back_t(self, g2: Tensor) -> Tensor:
        if self.unbatched:
            return g2.reshape(self.shape)
        if self.kdim:
            s = self.shape
            return g2.reshape((s[0],) + s[2:] + (s[1],)).movedim(-1, 1)
        return g2


def _check_input(name: str, input: Any, kernel: str) -> tuple:
    if not isinstance(input, Tensor):
        raise not_tensor(name, "input", input)
    dt = input.dtype
    if dt not in (D.float32, D.float64) and dt not in HALF:
        raise not_impl(kernel, dt)
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    return up(input._data), dt


def _check_class_target(input: Tensor, target: Any) -> Any:
    """The target as an int64 array shaped like the loss rows (torch's nll_loss_nd checks)."""
    if not isinstance(target, Tensor):
        raise not_tensor("nll_loss", "target", target, 2)
    s, ts = tuple(input.shape), tuple(target.shape)
    if len(s) != 1 and (not ts or s[0] != ts[0]):
        raise ValueError(f"Expected input batch_size ({s[0]}) to match target batch_size "
                         f"({ts[0] if ts else 0}).")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_tname(target.dtype)}")
    if len(s) <= 2:
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if len(s) == 1 and target.numel() != 1:
            raise RuntimeError(f"size mismatch (got input: {list(s)}, target: {list(ts)})")
    elif ts[1:] != s[2:]:
        raise RuntimeError(f"Expected target size {[s[0]] + list(s[2:])}, got {list(ts)}")
    return target._data.reshape(-1).astype(np.int64, copy=False)


def _check_weight(weight: Any, c: int, dt: D.dtype) -> Any:
    if weight is None:
        return None
    if weight.dim() != 1 or weight.numel() != c:
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if weight.dtype is not dt:
        raise RuntimeError(f"expected scalar type {_tname(dt)} but found {_tname(weight.dtype)}")
    return up(weight._data)


def _class_coeffs(t: Any, c: int, w: Any, ignore_index: int) -> tuple:
    """(valid mask, safe target indices, weight of each row's target (0 where ignored))."""
    valid = t != ignore_index
    tt = np.where(valid, t, 0)
    bad = valid & ((tt < 0) | (tt >= c))
    if bad.any():
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    wt = (w[tt] if w is not None else xp_of(t).ones(len(t), np.float64)) * valid
    return valid, tt, wt


def _reduce(loss: Any, red: int, denom: Any, shape: tuple) -> Any:
    if red == 0:
        return loss.reshape(shape)
    s = loss.sum()
    return as_array(s / denom if red == 1 else s)


def _grad_rows(grad: Any, red: int, denom: Any, m: int) -> Any:
    """The upstream gradient of each row's loss (a (m,) array or a scalar)."""
    g = up(grad._data)
    if red == 0:
        return g.reshape(m)
    return g.reshape(()) / denom if red == 1 else g.reshape(())


# ------------------------------------------------------------------ the class-index kernel
class NllLossBackward0(Node):
    """Backward of the fused cross_entropy (when ce) or of nll_loss."""

    def __init__(self, ce: bool, layout: _Layout, red: int, denom: Any, logp: Any,
                 coeffs: tuple, eps: float, w: Any) -> None:
        super().__init__()
        self.ce, self.layout, self.red, self.denom, self.logp = ce, layout, red, denom, logp
        self.coeffs, self.eps, self.w = coeffs, eps, w

    def _q_dense(self, m: int, c: int, dt: Any) -> Any:
        """The coefficient matrix q (m, c), for the create_graph path."""
        valid, tt, wt = self.coeffs
        xp = xp_of(tt)
        q = xp.zeros((m, c), dt)
        q[xp.arange(m), tt] = (1 - self.eps) * wt
        if self.eps:
            wc = self.w if self.w is not None else xp.ones(c, dt)
            q += np.outer(valid, wc * (self.eps / c))
        return q

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        lay = self.layout
        valid, tt, wt = self.coeffs
        if _gm.enabled:
            return self._graph_backward(grad, x)
        m, c = self.logp.shape
        xp = xp_of(self.logp)
        gs = _grad_rows(grad, self.red, self.denom, m)
        if self.ce:
            g2 = np.exp(self.logp)
            big_q = wt * (1 - self.eps)
            if self.eps:
                wsum = self.w.sum() if self.w is not None else c
                big_q = big_q + valid * (self.eps / c * wsum)
            g2 *= (gs * big_q)[:, None] if np.ndim(gs) else (big_q * gs)[:, None]
        else:
            g2 = xp.zeros((m, c), self.logp.dtype)
        g2[xp.arange(m), tt] -= gs * (1 - self.eps) * wt
        if self.eps:
            wc = self.w if self.w is not None else xp.ones(c, g2.dtype)
            g2 -= np.outer(gs * valid, wc * (self.eps / c))
        return out(contig(lay.back(g2)), x.dtype, x.device)

    def _graph_backward(self, grad: Tensor, x: Tensor) -> Tensor:
        lay = self.layout
        m, c = self.logp.shape
        x2 = lay.rows_t(x if x.dtype not in HALF else x.float())
        q = make(self._q_dense(m, c, self.logp.dtype), D.float32 if self.logp.dtype == F32
                 else D.float64, x.device)
        gt = grad.float() if grad.dtype in HALF else grad
        gs = gt.reshape(m, 1) if self.red == 0 else (gt / float(self.denom) if self.red == 1
                                                     else gt)
        if self.ce:
            p = x2.softmax(1)
            g2 = gs * (p * q.sum(1, keepdim=True) - q)
        else:
            g2 = -(gs * q)
        return lay.back_t(g2).to(x.dtype)


def _class_loss(name: str, input: Tensor, target: Tensor, weight: Any, ignore_index: int,
                red: int, eps: float, ce: bool) -> Tensor:
    kernel = "log_softmax_lastdim_kernel_impl" if ce else "nll_loss_out_frame"
    a, dt = _check_input(name, input, kernel)
    t = _check_class_target(input, target)
    lay = _Layout(tuple(input.shape))
    w = _check_weight(weight, lay.c, dt)
    if weight is not None and weight._requires_grad and _gm.enabled:
        fn = "nll_loss2d_forward" if input.dim() == 4 else "nll_loss_forward"
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'weight'. This input cannot have requires_grad True.")
    x2 = lay.rows(a)
    m, c = x2.shape
    logp = softmax_array(x2, 1, log=True) if ce else x2
    valid, tt, wt = _class_coeffs(t, c, w, ignore_index)
    wt = wt.astype(x2.dtype, copy=False)
    loss = -(logp[xp_of(logp).arange(m), tt] * wt)
    if eps:
        smooth = -(logp @ w) if w is not None else -row_sums(logp)
        loss = loss * (1 - eps) + (smooth * valid) * (eps / c)
    denom = wt.sum()
    res = out(_reduce(loss, red, denom, tuple(target.shape)), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = NllLossBackward0(ce, lay, red, denom, logp, (valid, tt, wt), eps, w)
        if input.dim() > 2 and not ce:
            node.__class__ = NllLoss2DBackward0
        attach(node, (input,), (res,))
        node.save(input)
    return res


class NllLoss2DBackward0(NllLossBackward0):
    pass


# ------------------------------------------------------------------ probability targets
class _ProbTargetBackward(Node):
    """Backward of cross_entropy with class probabilities: input and target gradients."""

    def __init__(self, layout: _Layout, red: int, denom: float, logp: Any, eps: float,
                 w: Any) -> None:
        super().__init__()
        self.layout, self.red, self.denom, self.logp, self.eps, self.w = \
            layout, red, denom, logp, eps, w

    def name(self) -> str:
        return {0: "SumBackward1", 1: "DivBackward0", 2: "NegBackward0"}[self.red]

    def backward(self, grad: Tensor) -> tuple:
        x, target = self.saved_tensors
        lay, nf = self.layout, self.next_functions
        c = lay.c
        if _gm.enabled:
            x2 = lay.rows_t(x if x.dtype not in HALF else x.float())
            t2 = lay.rows_t(target if target.dtype not in HALF else target.float())
            if self.eps:
                t2 = t2 * (1 - self.eps) + self.eps / c
            wt = make(self.w, D.float32 if self.w.dtype == F32 else D.float64, x.device) \
                if self.w is not None else None
            q = t2 * wt if wt is not None else t2
            gt = grad.float() if grad.dtype in HALF else grad
            m = x2.shape[0]
            gs = gt.reshape(m, 1) if self.red == 0 else (gt / self.denom if self.red == 1
                                                         else gt)
            lsm = x2.log_softmax(1)
            gx = lay.back_t(gs * (lsm.exp() * q.sum(1, keepdim=True) - q)).to(x.dtype) \
                if nf[0][0] is not None else None
            gtt = None
            if nf[1][0] is not None:
                d = -(lsm * wt) if wt is not None else -lsm
                gtt = lay.back_t(gs * d * (1 - self.eps)).to(target.dtype)
            return gx, gtt
        logp = self.logp
        m = logp.shape[0]
        gs = _grad_rows(grad, self.red, self.denom, m)
        gs = gs[:, None] if np.ndim(gs) else gs
        gx = gtt = None
        if nf[0][0] is not None:
            t2 = lay.rows(up(target._data))
            if self.eps:
                t2 = t2 * (1 - self.eps) + self.eps / c
            q = t2 * self.w if self.w is not None else t2
            g2 = np.exp(logp)
            g2 *= row_sums(contig(q))[:, None]
            g2 -= q
            g2 *= gs
            gx = out(contig(lay.back(g2)), x.dtype, x.device)
        if nf[1][0] is not None:
            d = -(logp * self.w) if self.w is not None else -logp
            d *= gs * (1 - self.eps)
            gtt = out(contig(lay.back(d)), target.dtype, target.device)
        return gx, gtt


def _prob_loss(input: Tensor, target: Tensor, weight: Any, red: int, eps: float) -> Tensor:
    a, dt = _check_input("cross_entropy", input, "log_softmax_lastdim_kernel_impl")
    if target.dtype.category != D.FLOAT:
        raise RuntimeError(f"Expected floating point type for target with class probabilities, "
                           f"got {_tname(target.dtype)}")
    if eps > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {eps}")
    eps = max(float(eps), 0.0)  # torch smooths only for positive values
    lay = _Layout(tuple(input.shape))
    c = lay.c
    if weight is not None:
        if weight.dim() != 1 or weight.numel() != c:
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                               f"{c} classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
    w = up(weight._data).astype(a.dtype) if weight is not None else None
    logp = softmax_array(lay.rows(a), 1, log=True)
    t2 = lay.rows(up(target._data)).astype(a.dtype, copy=False)
    if eps:
        t2 = t2 * (1 - eps) + eps / c
    q = t2 * w if w is not None else t2
    loss = -np.einsum("ij,ij->i", contig(q), logp)
    m = logp.shape[0]
    shape = (input.shape[0],) + tuple(input.shape[2:]) if not lay.unbatched else ()
    denom = float(m) if m else np.nan
    res = out(_reduce(loss, red, denom, shape), dt, input.device)
    if _gm.enabled and (input._requires_grad or target._requires_grad):
        node = _ProbTargetBackward(lay, red, denom, logp, eps, w)
        attach(node, (input, target), (res,))
        node.save(input, target)
    return res


# ------------------------------------------------------------------ public functions
@register("cross_entropy", namespace="nn.functional")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """log_softmax + nll_loss in one fused forward and one backward (class indices, or class
    probabilities when target has input's shape)."""
    red = reduction_enum(legacy_reduction(size_average, reduce, reduction))
    if not isinstance(input, Tensor):
        raise not_tensor("cross_entropy", "input", input)
    if not isinstance(target, Tensor):
        raise not_tensor("cross_entropy", "target", target, 2)
    if tuple(input.shape) == tuple(target.shape):
        if target.dtype.category != D.FLOAT:
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {_tname(target.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _prob_loss(input, target, weight, red, label_smoothing)
    eps = 0.0
    if label_smoothing > 0.0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing}")
        eps = float(label_smoothing)
    return _class_loss("cross_entropy", input, target, weight, ignore_index, red, eps, True)


@register("nll_loss", namespace="nn.functional")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """-input[target] (weighted), averaged over the weights of the non-ignored targets."""
    red = reduction_enum(legacy_reduction(size_average, reduce, reduction))
    return _class_loss("nll_loss", input, target, weight, ignore_index, red, 0.0, False)
