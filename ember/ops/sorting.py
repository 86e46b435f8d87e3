"""Sorting and searching: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize.

Sorts are always stable (ties keep their input order, NaN sorts as the largest value), which is
what torch's CPU sort does; topk/kthvalue pick among ties by that order too.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import as_array, like, xp_of
from ._core import attach, grad_on, norm_dim, result_type
from ._reduce import SelectBackward, isnan, named, ordered, select_result, structseq, tn, wrap
from ._registry import register

_sort_t, _topk_t, _kth_t = structseq("sort"), structseq("topk"), structseq("kthvalue")
SortBackward0 = named("SortBackward0", SelectBackward)
TopkBackward0 = named("TopkBackward0", SelectBackward)
KthvalueBackward0 = named("KthvalueBackward0", SelectBackward)


def _argsort_np(a: Any, d: int, descending: bool) -> Any:
    """Stable argsort along d; descending keeps ties in input order and puts NaN first."""
    o = ordered(a)
    if not descending:
        return np.argsort(o, axis=d, kind="stable")
    if o.dtype.kind in "biu":  # ~x reverses the order of any integer type without overflow
        return np.argsort(~o, axis=d, kind="stable")
    if not np.isnan(o).any():
        return np.argsort(-o, axis=d, kind="stable")
    rev = np.argsort(np.flip(o, d), axis=d, kind="stable")
    return (o.shape[d] - 1) - np.flip(rev, d)


def _no_complex(name: str, input: Tensor) -> None:
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError(f"{name} does not support complex dtypes on CPU")


def _first(idx: Any, d: int, k: int) -> Any:
    return idx[(slice(None),) * d + (slice(0, k),)]


@register("sort", method=True, out=True)
def sort(input: Tensor, dim: int = -1, descending: bool = False, *,
         stable: bool | None = False) -> Any:
    """(values, indices) sorted along dim; always stable."""
    _no_complex("Sort", input)
    a = input._data
    d = norm_dim(dim, a.ndim)
    if not a.ndim:
        return select_result("sort", SortBackward0, input, a.copy(), np.zeros((), np.int64), 0,
                             True, _sort_t)
    idx = _argsort_np(a, d, descending)
    return select_result("sort", SortBackward0, input, np.take_along_axis(a, idx, d), idx, d,
                         True, _sort_t)


@register("argsort", method=True, differentiable=False)
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *,
            stable: bool | None = False) -> Tensor:
    """Indices that sort input along dim (stable)."""
    _no_complex("Sort", input)
    a = input._data
    d = norm_dim(dim, a.ndim)
    if not a.ndim:
        return make(np.zeros((), np.int64), D.int64, input.device)
    return wrap(_argsort_np(a, d, descending), D.int64, input.device)


@register("msort", method=True, out=True)
def msort(input: Tensor) -> Tensor:
    """Values sorted along dim 0."""
    return sort(input, 0).values


@register("topk", method=True, out=True)
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The k largest (or smallest) along dim as (values, indices); always sorted."""
    _no_complex("topk", input)
    if input.dtype is D.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    a = input._data
    d = norm_dim(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k out of range (k={k}, dimension {d} of "
                           f"size {n})")
    if not a.ndim:
        return select_result("topk", TopkBackward0, input, a.copy(), np.zeros((), np.int64), 0,
                             True, _topk_t)
    idx = _first(_argsort_np(a, d, largest), d, k)
    return select_result("topk", TopkBackward0, input, np.take_along_axis(a, idx, d), idx, d,
                         True, _topk_t)


@register("kthvalue", method=True, out=True)
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest element along dim (k from 1) as (values, indices)."""
    if input.dtype is D.bool_ or input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"kthvalue_cpu\" not implemented for '{tn(input.dtype)}'")
    a = input._data
    d = norm_dim(dim, a.ndim)
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    n = a.shape[d] if a.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if not a.ndim:
        return select_result("kthvalue", KthvalueBackward0, input, a.copy(),
                             np.zeros((), np.int64), 0, True, _kth_t)
    idx = _first(_argsort_np(a, d, False), d, k)[(slice(None),) * d + (slice(k - 1, k),)]
    return select_result("kthvalue", KthvalueBackward0, input, np.take_along_axis(a, idx, d),
                         idx, d, keepdim, _kth_t)


# ------------------------------------------------------------------ unique
class _NoDerivative(Node):
    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def backward(self, grad: Tensor) -> Any:
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


Unique2Backward0 = named("Unique2Backward0", _NoDerivative)
UniqueDimBackward0 = named("UniqueDimBackward0", _NoDerivative)
UniqueConsecutiveBackward0 = named("UniqueConsecutiveBackward0", _NoDerivative)


def _unique_np(a: Any, d: int | None, sort_rows: bool) -> tuple:
    """(values, inverse, counts) of the elements (d None) or the slices along d."""
    if d is None:
        rows = a.reshape(-1, 1)
    else:
        rest = a.shape[:d] + a.shape[d + 1:]
        rows = np.moveaxis(a, d, 0).reshape(a.shape[d], int(np.prod(rest)))
    n = rows.shape[0]
    key = ordered(rows)
    xp = xp_of(a)
    if not sort_rows or n == 0:
        order = xp.arange(n)
    elif key.shape[1] == 1:
        order = np.argsort(key[:, 0], kind="stable")
    else:
        order = np.lexsort(key.T[::-1])  # first column is the primary key
    s = key[order]
    new = xp.ones(n, np.bool_)
    new[1:] = np.any(s[1:] != s[:-1], axis=1)  # NaN != NaN: NaNs stay distinct, as in torch
    starts = np.flatnonzero(new)
    inverse = xp.empty(n, np.int64)
    inverse[order] = np.cumsum(new) - 1
    counts = np.diff(np.append(starts, n)).astype(np.int64)
    vals = rows[order[starts]]
    if d is None:
        return vals.reshape(-1), inverse.reshape(a.shape), counts
    return np.moveaxis(vals.reshape((len(starts),) + rest), 0, d), inverse, counts


def _unique(name: str, input: Tensor, sort_rows: bool, return_inverse: bool,
            return_counts: bool, dim: int | None) -> Any:
    a = input._data
    d = None
    if dim is not None:
        if not a.ndim:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = norm_dim(dim, a.ndim)
        if a.size == 0 and any(s == 0 for i, s in enumerate(a.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                               f"{name} cannot be applied")
    vals, inv, cnt = _unique_np(a, d, sort_rows)
    out = make(vals, input.dtype, input.device)
    if grad_on(input):
        node = (UniqueConsecutiveBackward0 if name == "unique_consecutive" else
                Unique2Backward0 if d is None else UniqueDimBackward0)(
            "unique_consecutive" if name == "unique_consecutive" else
            "_unique2" if d is None else "unique_dim")
        attach(node, (input,), (out,))
    res = [out]
    if return_inverse:
        res.append(make(inv, D.int64, input.device))
    if return_counts:
        res.append(make(cnt, D.int64, input.device))
    return out if len(res) == 1 else tuple(res)


@register("unique", method=True)
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """Distinct elements (or slices along dim), always sorted, as torch's CPU kernel."""
    return _unique("unique", input, True, return_inverse, return_counts, dim)


@register("unique_consecutive", method=True)
def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None) -> Any:
    """Collapse runs of equal consecutive elements (or slices along dim)."""
    return _unique("unique_consecutive", input, False, return_inverse, return_counts, dim)


# ------------------------------------------------------------------ searching
def _sorted_shape_error(s: Any, v: Any) -> RuntimeError:
    return RuntimeError(
        "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
        "dimensions of boundaries tensor and input value tensor must match, but we got "
        f"boundaries tensor {list(s.shape)} and input value tensor {list(np.shape(v))}")


@register("searchsorted", out=True, differentiable=False)
def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Tensor | None = None
                 ) -> Tensor:
    """Insertion points of input in the innermost dim of sorted_sequence; NaN goes last."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, "
                               "got side of left while right was True")
        right = side == "right"
    is_t = isinstance(input, Tensor)
    dt = result_type(sorted_sequence, input)
    s = ordered(sorted_sequence._data.astype(dt.np, copy=False))
    v = ordered(input._data.astype(dt.np, copy=False) if is_t else
                like(s, as_array(input, dt.np)))
    if sorter is not None:
        s = np.take_along_axis(s, sorter._data, -1)
    if s.ndim == 0 or (s.ndim > 1 and (not is_t or s.shape[:-1] != v.shape[:-1])):
        raise _sorted_shape_error(s, v)
    how: Literal["left", "right"] = "right" if right else "left"
    if s.ndim == 1:
        r = np.searchsorted(s, v, how)
    else:
        s2, v2 = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
        r = np.stack([np.searchsorted(s2[i], v2[i], how) for i in range(len(s2))]).reshape(
            v.shape)
    r = np.where(isnan(v), s.shape[-1], r)  # torch's binary search puts NaN past the end
    return wrap(r, D.int32 if out_int32 else D.int64, sorted_sequence.device)


@register("bucketize", out=True, differentiable=False)
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """Index of the bucket (between 1-D boundaries) each element of input falls into."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got "
                           f"dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
