"""Cumulative ops: cumsum, cumprod (and their in-place forms), cummax, cummin."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import accumulate, xp_of
from ._core import attach, grad_on, make_inplace, norm_dim
from ._reduce import (
    SelectBackward,
    check_grad_dtype,
    const,
    cum,
    isnan,
    mask0,
    named,
    no_complex,
    ordered,
    rcumsum,
    select0,
    select_result,
    structseq,
    sum_args,
)
from ._registry import register, register_method

_cummax_t, _cummin_t = structseq("cummax"), structseq("cummin")


def _leave_one_out_scan(x: Tensor, d: int) -> Tensor:
    """cumprod along d of x with x_i replaced by 1, for each i along a new leading dim.
    O(n^2) memory, but a polynomial in x: exact to any derivative order."""
    n, nd = x._data.shape[d], x._data.ndim
    shape = (n,) + x._data.shape
    lead = [1] * (nd + 1)
    lead[0], lead[d + 1] = n, n
    eye = np.broadcast_to(np.eye(n, dtype=np.bool_).reshape(lead), shape)
    y = mask0(x.unsqueeze(0).expand(shape), ~eye) + const(eye, x.dtype, x.device)
    return cumprod(y, d + 1)


class CumsumBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        return rcumsum(grad, self.dim)


def _scan_args(input: Tensor, dim: int, dtype: D.dtype | None) -> tuple:
    a, odt = sum_args(input, dtype)
    return a, odt, norm_dim(dim, a.ndim)


@register("cumsum", method=True, out=True)
def cumsum(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Cumulative sum along dim; ints and bool accumulate in int64."""
    a, odt, d = _scan_args(input, dim, dtype)
    out = make(cum(np.cumsum, a, d, odt) if a.ndim else a.astype(odt.np), odt, input.device)
    if grad_on(input):
        check_grad_dtype(odt)
        attach(CumsumBackward0(d), (input,), (out,))
    return out


class CumprodBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        x, out = self.saved_tensors
        d = self.dim
        if x.dtype is not out.dtype:
            x = x.to(out.dtype)
        xa = x._data
        if not xa.ndim:
            return grad
        zero = xa == 0
        if not zero.any():
            return rcumsum(grad * out, d) / x
        if _gm.enabled:  # building a graph: use the twice-differentiable O(n^2) form
            n = xa.shape[d]
            lead = [1] * (xa.ndim + 1)
            lead[0], lead[d + 1] = n, n
            upper = np.triu(np.ones((n, n), np.bool_)).reshape(lead)  # j >= i
            terms = _leave_one_out_scan(x, d) * grad
            return mask0(terms, np.broadcast_to(upper, terms.shape)).sum(d + 1).movedim(0, d)
        nz = np.cumsum(zero, axis=d)
        before = nz == 0
        first = zero & (nz == 1)
        safe = mask0(x, before) + const(~before, x.dtype, x.device)
        part = mask0(rcumsum(grad * out, d) / safe, before)
        # at the first zero of a slice: sum_j>=k g_j prod_{l<=j, l!=k} x_l, i.e. the reverse
        # cumsum of g * cumprod(x with that zero replaced by 1)
        y = mask0(x, ~first) + const(first, x.dtype, x.device)
        return part + mask0(rcumsum(grad * cumprod(y, d), d), first)


@register("cumprod", method=True, out=True)
def cumprod(input: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
    """Cumulative product along dim; exact gradients also where the input has zeros."""
    a, odt, d = _scan_args(input, dim, dtype)
    out = make(cum(np.cumprod, a, d, odt) if a.ndim else a.astype(odt.np), odt, input.device)
    if grad_on(input):
        check_grad_dtype(odt)
        node = CumprodBackward0(d)
        node.save(input)
        attach(node, (input,), (out,))
        node.save_outputs(out)
    return out


def _scan_inplace(fn: Any, name: str) -> Any:
    base = make_inplace(fn, name)

    def inplace(self: Tensor, dim: int, *, dtype: D.dtype | None = None) -> Tensor:
        if dtype is not None and dtype is not self.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {self.dtype.name} and "
                               f"output tensor dtype {dtype.name} should match")
        if self.dtype is D.bool_:
            raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
        return base(self, dim)

    inplace.__doc__ = f"In-place {name} (the result keeps self's dtype)."
    return inplace


register_method("cumsum_", _scan_inplace(cumsum, "cumsum"))
register_method("cumprod_", _scan_inplace(cumprod, "cumprod"))

CummaxBackward0 = named("CummaxBackward0", SelectBackward)
CumminBackward0 = named("CumminBackward0", SelectBackward)


def _cumext(name: str, input: Tensor, dim: int) -> Any:
    is_max = name == "cummax"
    no_complex(name, input, name + "_cpu")
    a = input._data
    d = norm_dim(dim, a.ndim)
    rtype = _cummax_t if is_max else _cummin_t
    node_cls = CummaxBackward0 if is_max else CumminBackward0
    if not a.ndim:
        return select0(input, node_cls, rtype)
    o = ordered(a)
    vals = accumulate(np.maximum if is_max else np.minimum, o, d)
    # the running extreme's index: the last place where the element equals it (ties and NaNs
    # move the index forward, as in torch)
    hit = (o == vals) | isnan(o)
    pos = xp_of(a).arange(a.shape[d]).reshape((-1,) + (1,) * (a.ndim - d - 1))
    idx = accumulate(np.maximum, np.where(hit, pos, 0), d)
    return select_result(name, node_cls, input, np.take_along_axis(a, idx, d), idx, d, True,
                         rtype, unique=False)


@register("cummax", method=True, out=True)
def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum along dim and its index, as ember.return_types.cummax."""
    return _cumext("cummax", input, dim)


@register("cummin", method=True, out=True)
def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum along dim and its index, as ember.return_types.cummin."""
    return _cumext("cummin", input, dim)
