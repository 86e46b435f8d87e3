"""nn.functional losses: mse_loss, l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy,
binary_cross_entropy_with_logits, kl_div; cross_entropy and nll_loss live in _cross_entropy.py.

mse / smooth_l1 / huber / binary_cross_entropy(_with_logits) are fused: one NumPy forward over the
broadcast operands and one backward node (torch's names) whose formula is written once against a
math namespace (NumPy arrays, or ember ops when create_graph=True). l1_loss, kl_div and the
weighted variants are composed of ember ops, as torch composes them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import as_array
from ...ops._core import _tname, attach, result_type
from ...ops._linalg_util import _broadcast
from ...ops._registry import FUNCTIONS, register
from ._cross_entropy import cross_entropy, nll_loss
from ._util import legacy_reduction, not_impl, not_tensor, out, publish, reduction_enum, up
from .activation import EM, NP

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]


def _size_warning(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape!r}) that is different to the input "
                      f"size ({input.shape!r}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=4)


def _operands(name: str, input: Any, target: Any, kernel: str, promote: bool = True) -> tuple:
    """(input array, target array, result dtype, broadcast shape), computed in float32+."""
    if not isinstance(input, Tensor):
        raise not_tensor(name, "input", input)
    if not isinstance(target, Tensor):
        raise not_tensor(name, "target", target, 2)
    dt = result_type(input, target) if promote else input.dtype
    if dt.category != D.FLOAT:
        raise not_impl(kernel, dt)
    shape = _broadcast(tuple(input.shape), tuple(target.shape))
    x = input._data if input.dtype is dt else input._data.astype(dt.np)
    t = target._data if target.dtype is dt else target._data.astype(dt.np)
    return up(x), up(t), dt, shape


def _reduce_np(loss: Any, red: int) -> Any:
    if red == 0:
        return loss
    return as_array(loss.mean() if red == 1 else loss.sum())


def _scale_np(grad: Tensor, red: int, n: int) -> Any:
    g = up(grad._data)
    return g / n if red == 1 else g


def _scale_em(grad: Tensor, red: int, n: int) -> Tensor:
    return grad / n if red == 1 else grad


class _PairLoss(Node):
    """Backward of reduce(f(x, t)): dx(m, x, t, *params) is d f / d x; d f / d t = -d f / d x
    unless the subclass overrides dt."""

    def __init__(self, red: int, n: int, params: tuple, extra: tuple = ()) -> None:
        super().__init__()
        self.red, self.n, self.params, self.extra = red, n, params, extra

    @staticmethod
    def dx(m: Any, x: Any, t: Any, *params: Any) -> Any:
        raise NotImplementedError

    def dt(self, m: Any, x: Any, t: Any, ddx: Any, *params: Any) -> Any:
        return -ddx

    def backward(self, grad: Tensor) -> tuple:
        x, t = self.saved_tensors[:2]
        nf = self.next_functions
        dt = x.dtype if x.dtype is t.dtype else result_type(x, t)
        m: Any
        if _gm.enabled:
            m = EM
            xa, ta = x.to(dt), t.to(dt)
            gs = _scale_em(grad, self.red, self.n)
        else:
            m = NP
            xa, ta = up(x._data.astype(dt.np, copy=False)), up(t._data.astype(dt.np, copy=False))
            gs = _scale_np(grad, self.red, self.n)
        extra = [e if _gm.enabled or e is None else up(e._data)
                 for e in self.saved_tensors[2:]]
        ddx = self.dx(m, xa, ta, *self.params, *extra)
        gx = gs * ddx if nf[0][0] is not None else None
        gt = gs * self.dt(m, xa, ta, ddx, *self.params, *extra) if nf[1][0] is not None else None
        if not _gm.enabled:
            gx = out(as_array(gx), x.dtype, x.device) if gx is not None else None
            gt = out(as_array(gt), t.dtype, t.device) if gt is not None else None
        return gx, gt


def _pair_loss(node_cls: type, input: Tensor, target: Tensor, loss: Any, dt: D.dtype, red: int,
               params: tuple, extra: tuple = ()) -> Tensor:
    res = out(_reduce_np(loss, red), dt, input.device)
    if _gm.enabled and (input._requires_grad or target._requires_grad):
        node = node_cls(red, loss.size, params)
        attach(node, (input, target), (res,))
        node.save(input, target, *extra)
    return res


# ------------------------------------------------------------------ mse, l1, smooth l1, huber
class MseLossBackward0(_PairLoss):
    @staticmethod
    def dx(m: Any, x: Any, t: Any) -> Any:
        return (x - t) * 2


@register("mse_loss", namespace="nn.functional")
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """(input - target)^2, reduced (fused; weight= composes ember ops, as torch does)."""
    _size_warning(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(input, target, weight, reduction, lambda d: d.pow(2), "sum")
    red = reduction_enum(reduction)
    x, t, dt, _ = _operands("mse_loss", input, target, "mse_cpu")
    d = x - t
    d *= d
    return _pair_loss(MseLossBackward0, input, target, d, dt, red, ())


def _weighted(input: Tensor, target: Tensor, weight: Tensor, reduction: str, f: Any,
              mean_by: str) -> Tensor:
    """torch's weighted mse/l1/huber: composed of ember ops; mean divides by weight.sum() (mse,
    l1) or by the element count (huber)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    ei, et = FUNCTIONS["broadcast_tensors"](input, target)
    loss = f(ei - et) * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_by == "sum" else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     f"'sum'.")


@register("l1_loss", namespace="nn.functional")
def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """|input - target|, reduced (composed of ember ops, as torch does)."""
    _size_warning(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(input, target, weight, reduction, lambda d: d.abs(), "sum")
    return _l1(input, target, reduction_enum(reduction))


def _l1(input: Tensor, target: Tensor, red: int) -> Tensor:
    ei, et = FUNCTIONS["broadcast_tensors"](input, target)
    loss = (ei - et).abs()
    return loss if red == 0 else loss.mean() if red == 1 else loss.sum()


class SmoothL1LossBackward0(_PairLoss):
    @staticmethod
    def dx(m: Any, x: Any, t: Any, beta: float) -> Any:
        d = x - t
        return m.where(d < -beta, -1.0, m.where(d > beta, 1.0, d / beta))


class HuberLossBackward0(_PairLoss):
    @staticmethod
    def dx(m: Any, x: Any, t: Any, delta: float) -> Any:
        d = x - t
        return m.where(d < -delta, -delta, m.where(d > delta, delta, d))


@register("smooth_l1_loss", namespace="nn.functional")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (fused); beta=0 is l1_loss."""
    _size_warning(input, target)
    red = reduction_enum(legacy_reduction(size_average, reduce, reduction))
    if beta == 0.0:
        return _l1(input, target, red)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, t, dt, _ = _operands("smooth_l1_loss", input, target, "smooth_l1_cpu")
    ad = np.abs(x - t)
    loss = np.where(ad < beta, ad * ad * (0.5 / beta), ad - 0.5 * beta)
    return _pair_loss(SmoothL1LossBackward0, input, target, loss, dt, red, (beta,))


@register("huber_loss", namespace="nn.functional")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2) (fused)."""
    _size_warning(input, target)
    if weight is not None:
        return _weighted(input, target, weight, reduction,
                         lambda d: huber_loss(d, FUNCTIONS["zeros_like"](d), "none", delta),
                         "count")
    red = reduction_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, t, dt, _ = _operands("huber_loss", input, target, "huber_cpu")
    ad = np.abs(x - t)
    loss = np.where(ad < delta, ad * ad * 0.5, (ad - 0.5 * delta) * delta)
    return _pair_loss(HuberLossBackward0, input, target, loss, dt, red, (delta,))


# ------------------------------------------------------------------ binary cross-entropy
_EPS12 = 1e-12


class BinaryCrossEntropyBackward0(_PairLoss):
    @staticmethod
    def dx(m: Any, x: Any, t: Any, w: Any = None) -> Any:
        denom = (1 - x) * x
        denom = denom.clamp_min(_EPS12) if m is EM else np.maximum(denom, _EPS12)
        d = (x - t) / denom
        return d * w if w is not None else d

    def dt(self, m: Any, x: Any, t: Any, ddx: Any, w: Any = None) -> Any:
        d = (m.log1p(-x) - (x.log() if m is EM else np.log(x)))
        return d * w if w is not None else d


def _not_differentiable(fn: str, arg: str, t: Any) -> None:
    if t is not None and t._requires_grad and _gm.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.")


@register("binary_cross_entropy", namespace="nn.functional")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)), logs clamped at -100 as torch does (fused)."""
    red = reduction_enum(legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the "
                         f"input size ({input.shape!r}) is deprecated. Please ensure they have "
                         f"the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_tname(target.dtype)} but expected "
                           f"{_tname(input.dtype)}")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    x, t, dt, shape = _operands("binary_cross_entropy", input, target,
                                "binary_cross_entropy", promote=False)
    if ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        weight = weight.expand(_broadcast(tuple(target.shape), tuple(weight.shape)))
        w = up(weight._data)
    loss = t * np.maximum(np.log(x), -100.0)
    loss += (1 - t) * np.maximum(np.log1p(-x), -100.0)
    loss *= -1 if w is None else -w
    return _pair_loss(BinaryCrossEntropyBackward0, input, target, loss, dt, red, (),
                      (weight,) if weight is not None else ())


class BinaryCrossEntropyWithLogitsBackward0(_PairLoss):
    @staticmethod
    def dx(m: Any, x: Any, t: Any, w: Any = None, pw: Any = None) -> Any:
        s = m.sigmoid(x)
        d = s * ((pw - 1) * t + 1) - pw * t if pw is not None else s - t
        return d * w if w is not None else d

    def dt(self, m: Any, x: Any, t: Any, ddx: Any, w: Any = None, pw: Any = None) -> Any:
        if pw is not None:
            sp = m.log1p(m.exp(-m.abs(x))) + ((-x).clamp_min(0) if m is EM else
                                              np.maximum(-x, 0))
            d = (pw - 1) * sp - x
        else:
            d = -x
        return d * w if w is not None else d


@register("binary_cross_entropy_with_logits", namespace="nn.functional")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed stably (fused)."""
    red = reduction_enum(legacy_reduction(size_average, reduce, reduction))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size "
                         f"({input.shape!r})")
    return _bce_logits(input, target, weight, pos_weight, red)


def _bce_logits(input: Tensor, target: Tensor, weight: Any, pos_weight: Any,
                red: int) -> Tensor:
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    x, t, dt, shape = _operands("binary_cross_entropy_with_logits", input, target,
                                "binary_cross_entropy_with_logits")
    sp = np.log1p(np.exp(-np.abs(x)))
    sp += np.maximum(-x, 0)  # softplus(-x) = -log sigmoid(x)
    extra = [None, None]
    pw = w = None
    if pos_weight is not None:
        pw = up(pos_weight._data)
        sp *= (pw - 1) * t + 1
        extra[1] = pos_weight
    loss = (1 - t) * x
    loss += sp
    if weight is not None:
        w = up(weight._data)
        loss = loss * w
        extra[0] = weight
    if weight is None and pos_weight is None:
        extra = []
    elif pos_weight is None:
        extra = extra[:1]
    return _pair_loss(BinaryCrossEntropyWithLogitsBackward0, input, target,
                      np.broadcast_to(loss, shape) if loss.shape != shape else loss, dt, red, (),
                      tuple(extra))


@register("binary_cross_entropy_with_logits")
def _bce_logits_top(input: Tensor, target: Tensor, weight: Tensor | None = None,
                    pos_weight: Tensor | None = None, reduction: int = 1) -> Tensor:
    """torch.binary_cross_entropy_with_logits (reduction as torch's enum: 0 none, 1 mean, 2 sum)."""
    return _bce_logits(input, target, weight, pos_weight, reduction)


# ------------------------------------------------------------------ kl_div
def _kl_div_elem(input: Tensor, target: Tensor, log_target: bool) -> Tensor:
    if log_target:
        return target.exp() * (target - input)
    return FUNCTIONS["xlogy"](target, target) - target * input


def _kl_reduce(loss: Tensor, red: int) -> Tensor:
    return loss if red == 0 else loss.mean() if red == 1 else loss.sum()


@register("kl_div", namespace="nn.functional")
def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log target - input) (input holds log-probabilities); 'batchmean' divides the sum
    by the batch size (composed of ember ops, as torch does)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=3)
    if reduction == "batchmean":
        red = reduction_enum("sum")
    else:
        red = reduction_enum(reduction)
    loss = _kl_reduce(_kl_div_elem(input, target, log_target), red)
    if reduction == "batchmean" and input.dim() != 0:
        loss = loss / input.shape[0]
    return loss


@register("kl_div")
def _kl_div_top(input: Tensor, target: Tensor, reduction: int = 1,
                log_target: bool = False) -> Tensor:
    """torch.kl_div (reduction as torch's enum)."""
    return _kl_reduce(_kl_div_elem(input, target, log_target), reduction)


publish("binary_cross_entropy_with_logits", "kl_div")
