"""Slice-wise ops at indices along a dim: index_select, index_add, index_copy, index_fill."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ._core import _tname, attach, grad_on, norm_dim
from ._index_util import (
    _FULL,
    _IDX_DTYPES,
    _as1d,
    _check_dim_index,
    _first_oob,
    _idx_tensor,
    _inplace,
    _scatter_into,
    _value_of,
)
from ._registry import register, register_method
from .views import _named


# --------------------------------------------------------------------- index_select / add / ...
class IndexSelectBackward0(Node):
    def __init__(self, in_shape: tuple, dim: int) -> None:
        super().__init__()
        self.in_shape, self.dim = in_shape, dim

    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros

        (index,) = self.saved_tensors
        z = zeros(self.in_shape, dtype=grad.dtype, device=grad.device)
        return index_add(z, self.dim, index, grad), None, None


@register("index_select", method=True, out=True)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of input along dim at the positions in index (a 1-d or 0-d tensor)."""
    idx = _idx_tensor(index, "index_select", "index_select(): Expected dtype int32 or int64 "
                      "for index")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    a = input._data
    d = norm_dim(dim, a.ndim)
    i1 = idx.reshape(-1)
    if a.ndim == 0:
        if i1.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                               f"{i1.size} value(s)")
        if i1[0] != 0:
            raise IndexError("index out of range in self")
        r = a.copy()
    else:
        if _first_oob(i1, 0, a.shape[d]) is not None:
            raise IndexError("index out of range in self")
        r = np.take(a, i1, axis=d)
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        node = IndexSelectBackward0(a.shape, d)
        node.save(index)
        attach(node, (input, None, None), (out,))
    return out


def _index_add_check(self: Tensor, dim: int, index: Tensor, source: Tensor) -> tuple:
    idx = _idx_tensor(index, "index_add", "")  if isinstance(index, Tensor) and \
        index.dtype in _IDX_DTYPES else None
    if idx is None:
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{_tname(index.dtype) if isinstance(index, Tensor) else index}")
    if idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{idx.ndim} with type: {_tname(index.dtype)} and size: "
                         f"{list(idx.shape)}")
    a = self._data
    d = norm_dim(dim, a.ndim)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_add_(): self ({_tname(self.dtype)}) and source "
                           f"({_tname(source.dtype)}) must have the same scalar type")
    s = source._data
    n_src = s.shape[d] if s.ndim else 1
    if idx.size != n_src:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    if s.ndim != a.ndim or any(i != d and a.shape[i] != s.shape[i] for i in range(a.ndim)):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(a.shape)} source.shape "
                           f"= {list(s.shape)}")
    i1 = idx.reshape(-1)
    _check_dim_index(i1, _as1d(a).shape[d], d)
    return d, (_FULL,) * d + (i1,), _as1d(s)


def _alpha_vals(vals: Any, alpha: Any, dt: D.dtype) -> Any:
    if alpha == 1:
        return vals
    if dt.category <= D.INT:
        alpha = int(alpha)
    return (vals * alpha).astype(vals.dtype, copy=False)


class IndexAddBackward0(Node):
    def __init__(self, dim: int, alpha: Any, src_shape: tuple) -> None:
        super().__init__()
        self.dim, self.alpha, self.src_shape = dim, alpha, src_shape

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        gsrc = None
        if self.next_functions[2][0] is not None:
            gsrc = index_select(grad, self.dim, index)
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
            gsrc = gsrc.reshape(self.src_shape)  # type: ignore[attr-defined]
        return grad, None, gsrc


@register("index_add", method=True, out=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: Any = 1) -> Tensor:
    """A copy of input with alpha * source's slices added at index along dim (repeats add)."""
    d, key, vals = _index_add_check(input, dim, index, source)
    out_a = input._data.copy()
    _scatter_into(out_a, key, _alpha_vals(vals, alpha, input.dtype), "add")
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, source):
        node = IndexAddBackward0(d, alpha, tuple(source._data.shape))
        node.save(index)
        attach(node, (input, None, source), (out,))
    return out


def _index_add_direct(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
                      alpha: Any = 1) -> None:
    _, key, vals = _index_add_check(self, dim, index, source)
    _scatter_into(self._data, key, _alpha_vals(vals, alpha, self.dtype), "add")


register_method("index_add_", _inplace("index_add", index_add, _index_add_direct))


def _index_copy_check(self: Tensor, dim: int, index: Tensor, source: Tensor) -> tuple:
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_tname(index.dtype) if isinstance(index, Tensor) else index}")
    idx = index._data
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    a = self._data
    d = norm_dim(dim, a.ndim)
    if not isinstance(source, Tensor):
        raise TypeError(f"index_copy(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {_tname(self.dtype)} and (source) {_tname(source.dtype)}")
    s = source._data
    if s.ndim != a.ndim and s.ndim and a.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({s.ndim}), "
                         f"destination dimensionality ({a.ndim})")
    n_src = s.shape[d] if s.ndim else 1
    if idx.size != n_src:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                         f"source.size(dim) ({n_src})")
    for i in range(min(a.ndim, s.ndim)):
        if i != d and a.shape[i] != s.shape[i]:
            j = i if i < d else i - 1
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {a.shape[i]} at dimension {j} "
                               f"and source slice shape: {s.shape[i]} at dimension {j}.")
    i1 = idx.reshape(-1)
    _check_dim_index(i1, _as1d(a).shape[d], d, IndexError, "index_copy_(): ")
    return d, (_FULL,) * d + (i1,), _as1d(s)


class IndexCopyBackward0(Node):
    def __init__(self, dim: int, src_shape: tuple) -> None:
        super().__init__()
        self.dim, self.src_shape = dim, src_shape

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        need_self, _, need_src = (e[0] is not None for e in self.next_functions)
        gs = index_fill(grad, self.dim, index, 0) if need_self else None
        gsrc = index_select(grad, self.dim, index).reshape(self.src_shape) if need_src else None
        return gs, None, gsrc


@register("index_copy", method=True, out=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's slices written at index along dim."""
    d, key, vals = _index_copy_check(input, dim, index, source)
    out_a = input._data.copy()
    _as1d(out_a)[key] = vals
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, source):
        node = IndexCopyBackward0(d, tuple(source._data.shape))
        node.save(index)
        attach(node, (input, None, source), (out,))
    return out


def _index_copy_direct(self: Tensor, dim: int, index: Tensor, source: Tensor) -> None:
    _, key, vals = _index_copy_check(self, dim, index, source)
    _as1d(self._data)[key] = vals


register_method("index_copy_", _inplace("index_copy", index_copy, _index_copy_direct))


def _index_fill_check(self: Tensor, dim: int, index: Tensor, value: Any) -> tuple:
    if not isinstance(index, Tensor) or index.dtype is not D.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    idx = index._data
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    a = self._data
    d = norm_dim(dim, a.ndim)
    v = _value_of(value, self.dtype, "index_fill_")
    i1 = idx.reshape(-1)
    _check_dim_index(i1, _as1d(a).shape[d], d, IndexError, negative=True)
    return d, (_FULL,) * d + (i1,), v


class IndexFillBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        gs = index_fill(grad, self.dim, index, 0)
        if len(self.next_functions) == 2:
            return gs, None
        return gs, None, (grad - gs).sum()  # type: ignore[attr-defined]


IndexFillBackward1 = _named("IndexFillBackward1", IndexFillBackward0)


@register("index_fill", method=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of input with the slices at index along dim set to value (scalar or 0-d)."""
    d, key, v = _index_fill_check(input, dim, index, value)
    out_a = input._data.copy()
    _as1d(out_a)[key] = v
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, value):
        if isinstance(value, Tensor):
            node: Node = IndexFillBackward1(d)
            node.save(index)
            attach(node, (input, None, value), (out,))
        else:
            node = IndexFillBackward0(d)
            node.save(index)
            attach(node, (input, None), (out,))
    return out


def _index_fill_direct(self: Tensor, dim: int, index: Tensor, value: Any) -> None:
    _, key, v = _index_fill_check(self, dim, index, value)
    _as1d(self._data)[key] = v


register_method("index_fill_", _inplace("index_fill", index_fill, _index_fill_direct))
