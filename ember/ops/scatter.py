"""Gather/scatter along a dim: gather, scatter, scatter_add, scatter_reduce, take_along_dim."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import add_at, as_array, sparse_indices, xp_of
from ._core import _tname, attach, grad_on, norm_dim
from ._index_util import (
    _FULL,
    _as1d,
    _check_dim_index,
    _grad_key,
    _idx_tensor,
    _inplace,
    _scatter_into,
    scalar_value,
)
from ._registry import register, register_method
from .masked import masked_fill


# --------------------------------------------------------------------- helpers
def _ne(n: int) -> int:
    return n if n else 1


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """g padded with zeros at the end of each dim up to `shape` (differentiable)."""
    if tuple(g.shape) == tuple(shape):
        return g
    from .creation import zeros
    from .shape import cat

    for i, n in enumerate(shape):
        have = g.shape[i]
        if have < n:
            zs = tuple(g.shape[:i]) + (n - have,) + tuple(g.shape[i + 1:])
            g = cat([g, zeros(zs, dtype=g.dtype, device=g.device)], i)
    return g


# --------------------------------------------------------------------- gather
class GatherBackward0(Node):
    def __init__(self, in_shape: tuple, dim: int) -> None:
        super().__init__()
        self.in_shape, self.dim = in_shape, dim

    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros

        (index,) = self.saved_tensors
        z = zeros(self.in_shape, dtype=grad.dtype, device=grad.device)
        return scatter_add(z, self.dim, index, grad)


@register("gather", method=True, out=True)
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] (for dim 0): values picked along dim by index."""
    idx = _idx_tensor(index, "gather", "gather(): Expected dtype int32/int64 for index")
    a = input._data
    if _ne(a.ndim) != _ne(idx.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    d = norm_dim(dim, a.ndim)
    a1, i1 = _as1d(a), _as1d(idx)
    for i in range(a1.ndim):
        if i != d and i1.shape[i] > a1.shape[i]:
            raise RuntimeError(f"Size does not match at dimension {i} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(a.shape)} "
                               f"apart from dimension {d}")
    size = a1.shape[d]
    if i1.size and (type(i1) is not np.ndarray or i1.min() < 0):  # NumPy wraps negative
        # indices, CuPy wraps all out-of-range ones: check first
        _check_dim_index(i1, size, d)
    sub = a1 if i1.shape == a1.shape[:d] + i1.shape[d:d + 1] + a1.shape[d + 1:] else \
        a1[tuple(_FULL if i == d else slice(0, n) for i, n in enumerate(i1.shape))]
    try:
        r = np.take_along_axis(sub, i1, axis=d).reshape(idx.shape)
    except IndexError:
        _check_dim_index(i1, size, d)
        raise
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        node = GatherBackward0(a.shape, d)
        node.save(index)
        attach(node, (input,), (out,))
    return out


# --------------------------------------------------------------------- scatter
def _scatter_args(self: Tensor, dim: int, index: Tensor, src: Tensor | None) -> tuple:
    """Validate a scatter; return (dim, grid key over the 1-d-or-more array, src values)."""
    idx = _idx_tensor(index, "scatter", "scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not self.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    a = self._data
    d = norm_dim(dim, a.ndim)
    if _ne(idx.ndim) != _ne(a.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and _ne(src._data.ndim) != _ne(idx.ndim):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    a1, i1 = _as1d(a), _as1d(idx)
    s1 = _as1d(src._data) if src is not None else None
    if i1.size:
        big = any(i != d and n > a1.shape[i] for i, n in enumerate(i1.shape))
        if s1 is not None and (big or any(n > s1.shape[i] for i, n in enumerate(i1.shape))):
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(a.shape)} apart from dimension {d} and to be no larger "
                               f"size than src {list(src.shape)}")  # type: ignore[union-attr]
        if big:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(a.shape)} apart from dimension {d}")
        _check_dim_index(i1, a1.shape[d], d)
    key = sparse_indices(i1.shape, xp_of(i1))
    key[d] = i1
    vals = s1[tuple(slice(0, n) for n in i1.shape)] if s1 is not None else None
    return d, tuple(key), vals


class ScatterBackward0(Node):
    def __init__(self, dim: int, src_shape: tuple) -> None:
        super().__init__()
        self.dim, self.src_shape = dim, src_shape

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        need_self, _, need_src = (e[0] is not None for e in self.next_functions)
        gs = scatter(grad, self.dim, index, 0) if need_self else None
        gsrc = _pad_to(gather(grad, self.dim, index), self.src_shape) if need_src else None
        return gs, None, gsrc


class ScatterBackward1(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        return scatter(grad, self.dim, index, 0), None


class _NotImplementedBackward(Node):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def name(self) -> str:
        return "NotImplemented"

    def backward(self, *grads: Any) -> tuple:
        raise NotImplementedError(f"the derivative for '{self.what}' is not implemented.")


def _check_scatter_reduce(reduce: str | None, src: Any) -> None:
    if reduce is None:
        return
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if src is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                      "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                      "instead for more reduction options.", UserWarning, stacklevel=4)


@register("scatter", method=True, out=True)
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of input with src's values (or `value`) written at index along dim;
    reduce='add'/'multiply' combines instead of overwriting."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    _check_scatter_reduce(reduce, src)
    d, key, vals = _scatter_args(input, dim, index, src)
    if src is None:
        vals = scalar_value(value, input.dtype)
    out_a = input._data.copy()
    _scatter_into(out_a, key, vals, reduce)
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, src):
        if reduce is not None:
            attach(_NotImplementedBackward("scatter with reduce"), (input, None, src), (out,))
            return out
        node: Node = ScatterBackward0(d, tuple(src._data.shape)) if src is not None else \
            ScatterBackward1(d)
        node.save(index)
        attach(node, (input, None, src) if src is not None else (input, None), (out,))
    return out


def _scatter_direct(self: Tensor, dim: int, index: Tensor, src: Any = None, *,
                    value: Any = None, reduce: str | None = None) -> None:
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter_() missing required argument 'src' or 'value'")
    _check_scatter_reduce(reduce, src)
    d, key, vals = _scatter_args(self, dim, index, src)
    _scatter_into(self._data, key, vals if src is not None else
                  scalar_value(value, self.dtype), reduce)


register_method("scatter_", _inplace("scatter", scatter, _scatter_direct))


# --------------------------------------------------------------------- scatter_add
class ScatterAddBackward0(Node):
    def __init__(self, dim: int, src_shape: tuple) -> None:
        super().__init__()
        self.dim, self.src_shape = dim, src_shape

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        need_src = self.next_functions[2][0] is not None
        gsrc = _pad_to(gather(grad, self.dim, index), self.src_shape) if need_src else None
        return grad, None, gsrc


def _src_arg(src: Any, name: str) -> Tensor:
    if not isinstance(src, Tensor):
        raise TypeError(f"{name}(): argument 'src' must be Tensor, not {type(src).__name__}")
    return src


@register("scatter_add", method=True, out=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src's values added at index along dim (repeats accumulate)."""
    d, key, vals = _scatter_args(input, dim, index, _src_arg(src, "scatter_add"))
    out_a = input._data.copy()
    _scatter_into(out_a, key, vals, "add")
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, src):
        node = ScatterAddBackward0(d, tuple(src._data.shape))
        node.save(index)
        attach(node, (input, None, src), (out,))
    return out


def _scatter_add_direct(self: Tensor, dim: int, index: Tensor, src: Tensor) -> None:
    _, key, vals = _scatter_args(self, dim, index, _src_arg(src, "scatter_add_"))
    _scatter_into(self._data, key, vals, "add")


register_method("scatter_add_", _inplace("scatter_add", scatter_add, _scatter_add_direct))


# --------------------------------------------------------------------- scatter_reduce
_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _reduce_identity(reduce: str, npdt: Any) -> Any:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if npdt.kind in "iu":
        info = np.iinfo(npdt)
        return info.min if reduce == "amax" else info.max
    return -np.inf if reduce == "amax" else np.inf


def _scatter_reduce_np(a: Any, key: tuple, vals: Any, reduce: str, include_self: bool) -> Any:
    out = a.copy()
    o1 = _as1d(out)
    if not include_self:
        o1[key] = _reduce_identity(reduce, o1.dtype)
    _scatter_into(out, key, vals, reduce)
    if reduce == "mean":
        cnt = xp_of(o1).full(o1.shape, 1 if include_self else 0, np.int64)
        add_at(cnt, key, 1)
        cnt[cnt == 0] = 1
        o1[...] = np.floor_divide(o1, cnt) if o1.dtype.kind in "iub" else \
            (o1 / cnt).astype(o1.dtype)
    return out


class ScatterReduceBackward0(Node):
    def __init__(self, dim: int, reduce: str, include_self: bool, key: tuple,
                 src_shape: tuple) -> None:
        super().__init__()
        self.dim, self.reduce, self.include_self = dim, reduce, include_self
        self.key, self.src_shape = key, src_shape

    def backward(self, grad: Tensor) -> tuple:
        index, x, src, result = self.saved_tensors
        d, red, key = self.dim, self.reduce, self.key
        dt, dev = grad.dtype, grad.device

        def const(arr: Any) -> Tensor:
            return make(as_array(arr).astype(dt.np), dt, dev)

        src_sub = _as1d(src._data)[tuple(slice(0, n) for n in _as1d(index._data).shape)]
        src_sub = src_sub.reshape(index._data.shape)
        if red == "sum":
            gs, gsrc = grad, gather(grad, d, index)
        elif red == "mean":
            cnt = xp_of(x._data).full(_as1d(x._data).shape, 1 if self.include_self else 0,
                                     np.int64)
            add_at(cnt, key, 1)
            cnt[cnt == 0] = 1
            n = const(cnt.reshape(x._data.shape))
            gs, gsrc = grad / n, gather(grad, d, index) / gather(n, d, index)
        elif red in ("amax", "amin"):
            r = result._data
            value = np.take_along_axis(_as1d(r), _as1d(index._data), d).reshape(src_sub.shape)
            self_is = (x._data == r).astype(dt.np)
            src_is = (src_sub == value).astype(dt.np)
            n = self_is.copy()
            _scatter_into(n, key, _as1d(src_is), "add")
            gdist = grad / const(n)
            gs, gsrc = gdist * const(self_is), gather(gdist, d, index) * const(src_is)
        else:
            if _gm.enabled:
                raise NotImplementedError("scatter_reduce(): double backward with reduce='prod' "
                                          "is not implemented")
            xs, inc = x._data, self.include_self
            ms = np.where(xs == 0, xp_of(xs).ones((), xs.dtype), xs)
            msr = _scatter_reduce_np(ms, key, _as1d(src_sub), "prod", inc)
            gs = grad * const(msr / ms)
            zero = src_sub == 0
            nz = xp_of(xs).zeros(_as1d(xs).shape, np.int64)
            add_at(nz, key, _as1d(zero).astype(np.int64))
            nz = np.take_along_axis(nz, _as1d(index._data), d).reshape(zero.shape)
            single = zero & (nz == 1)
            msrc = np.where(single, xp_of(xs).ones((), xs.dtype), src_sub)
            msrcr = _scatter_reduce_np(xs, key, _as1d(msrc), "prod", inc)
            ga = gather(grad * const(msrcr), d, index)
            gb = gather(grad * result, d, index) / const(np.where(zero, 1, src_sub))
            st = make(single, D.bool_, dev)
            gsrc = masked_fill(ga, make(~single, D.bool_, dev), 0) + masked_fill(gb, st, 0)
        if not self.include_self:
            gs = scatter(gs, d, index, 0)
        return gs, None, _pad_to(gsrc, self.src_shape)


@register("scatter_reduce", method=True, out=True)
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce src's values into a copy of input at index along dim: sum, prod, mean, amax,
    amin (with or without input's own values)."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d, key, vals = _scatter_args(input, dim, index, _src_arg(src, "scatter_reduce"))
    out = make(_scatter_reduce_np(input._data, key, vals, reduce, include_self), input.dtype,
               input.device)
    if grad_on(input, src):
        node = ScatterReduceBackward0(d, reduce, include_self, _grad_key(key),
                                      tuple(src._data.shape))
        node.save(index, input, src)
        node.save_outputs(out)
        attach(node, (input, None, src), (out,))
    return out


def _scatter_reduce_direct(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                           include_self: bool = True) -> None:
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    _, key, vals = _scatter_args(self, dim, index, _src_arg(src, "scatter_reduce_"))
    self._data[...] = _scatter_reduce_np(self._data, key, vals, reduce, include_self)


register_method("scatter_reduce_", _inplace("scatter_reduce", scatter_reduce,
                                            _scatter_reduce_direct))


# --------------------------------------------------------------------- take_along_dim
@register("take_along_dim", method=True, out=True)
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """gather after broadcasting input and indices (flattened input when dim is None).

    Out-of-range indices raise (torch reads out of bounds there)."""
    if not isinstance(indices, Tensor) or indices.dtype is not D.int64:
        got = _tname(indices.dtype) if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{got}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))  # type: ignore[attr-defined]
    a, i = input._data, indices._data
    d = norm_dim(dim, a.ndim)
    if a.ndim != i.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {a.ndim} dimensions for input, and "
                           f"{i.ndim} dimensions for indices")
    from .broadcast import _broadcast_shape
    from .views import expand

    sizes = list(a.shape)
    if a.ndim:
        sizes[d] = i.shape[d]
    b = _broadcast_shape([tuple(sizes), i.shape])
    if b != i.shape:
        indices = expand(indices, b)
    in_sizes = list(b)
    if a.ndim:
        in_sizes[d] = a.shape[d]
    if tuple(in_sizes) != a.shape:
        input = expand(input, tuple(in_sizes))
    return gather(input, d, indices)
