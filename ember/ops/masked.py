"""Mask and flat-index ops: masked_fill/scatter/select, nonzero, argwhere, take, put."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import add_at
from ._core import _tname, attach, grad_on
from ._index_util import _CNAME, _data_dependent, _first_oob, _inplace, _int_index, _value_of
from ._registry import register, register_method


# --------------------------------------------------------------------- masked ops
def _check_mask(mask: Any, name: str) -> Any:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask.dtype is not D.bool_:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{_CNAME[mask.dtype.name]}")
    return mask._data


def _bshape(mask: Any, a: Any) -> tuple:
    if mask.shape == a.shape:
        return a.shape
    from .broadcast import _broadcast_shape

    return _broadcast_shape([mask.shape, a.shape])


class MaskedFillBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved_tensors
        return masked_fill(grad, mask, 0), None


class MaskedFillBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved_tensors
        need_self, _, need_val = (e[0] is not None for e in self.next_functions)
        gs = masked_fill(grad, mask, 0) if need_self else None
        gv = None
        if need_val:
            inv = make(~mask._data, D.bool_, mask.device)
            gv = masked_fill(grad, inv, 0).sum()  # type: ignore[attr-defined]
        return gs, None, gv


@register("masked_fill", method=True)
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """input with value where mask is True (mask broadcasts; value a scalar or 0-d tensor)."""
    m = _check_mask(mask, "masked_fill_")
    v = _value_of(value, input.dtype, "masked_fill_")
    a = input._data
    if m.shape != a.shape:
        _bshape(m, a)
    out = make(np.where(m, v, a), input.dtype, input.device)
    if grad_on(input, value):
        if isinstance(value, Tensor):
            node: Node = MaskedFillBackward1()
            node.save(mask)
            attach(node, (input, None, value), (out,))
        else:
            node = MaskedFillBackward0()
            node.save(mask)
            attach(node, (input, None), (out,))
    return out


def _masked_fill_direct(self: Tensor, mask: Tensor, value: Any) -> None:
    m = _check_mask(mask, "masked_fill_")
    v = _value_of(value, self.dtype, "masked_fill_")
    a = self._data
    if m.shape != a.shape:
        shape = _bshape(m, a)
        if shape != a.shape:
            raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
        np.copyto(a, v, where=m)
    else:
        np.putmask(a, m, v)


_masked_fill_ = _inplace("masked_fill", masked_fill, _masked_fill_direct)
register_method("masked_fill_", _masked_fill_)


class MaskedScatterBackward0(Node):
    def __init__(self, src_shape: tuple) -> None:
        super().__init__()
        self.src_shape = src_shape

    def backward(self, grad: Tensor) -> tuple:
        (mask,) = self.saved_tensors
        need_self, _, need_src = (e[0] is not None for e in self.next_functions)
        gs = masked_fill(grad, mask, 0) if need_self else None
        gsrc = None
        if need_src:
            from .creation import zeros
            from .shape import cat

            sel = masked_select(grad, mask)
            n = int(np.prod(self.src_shape))
            pad = zeros((n - sel.shape[0],), dtype=grad.dtype, device=grad.device)
            gsrc = cat([sel, pad]).reshape(self.src_shape)  # type: ignore[attr-defined]
        return gs, None, gsrc


def _masked_scatter_check(input: Tensor, mask: Tensor, source: Tensor) -> tuple:
    m = _check_mask(mask, "masked_scatter_")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' must be Tensor, not "
                        f"{type(source).__name__}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_tname(input.dtype)} and {_tname(source.dtype)}")
    return m, _bshape(m, input._data)


def _scatter_masked(out: Any, m: Any, source: Tensor) -> None:
    mb = np.broadcast_to(m, out.shape)
    n = int(np.count_nonzero(mb))
    src = source._data.reshape(-1)
    if src.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[mb] = src[:n]


@register("masked_scatter", method=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """input with the positions where mask is True filled, in order, from source's elements."""
    m, shape = _masked_scatter_check(input, mask, source)
    out_a = np.broadcast_to(input._data, shape).copy()
    _scatter_masked(out_a, m, source)
    out = make(out_a, input.dtype, input.device)
    if grad_on(input, source):
        node = MaskedScatterBackward0(tuple(source._data.shape))
        node.save(mask)
        attach(node, (input, None, source), (out,))
    return out


def _masked_scatter_direct(self: Tensor, mask: Tensor, source: Tensor) -> None:
    m, shape = _masked_scatter_check(self, mask, source)
    if shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(shape)}")
    _scatter_masked(self._data, m, source)


register_method("masked_scatter_", _inplace("masked_scatter", masked_scatter,
                                            _masked_scatter_direct))


class MaskedSelectBackward0(Node):
    def __init__(self, shape: tuple) -> None:
        super().__init__()
        self.shape = shape

    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros

        (mask,) = self.saved_tensors
        z = zeros(self.shape, dtype=grad.dtype, device=grad.device)
        return masked_scatter(z, mask, grad), None


@register("masked_select", method=True, out=True)
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where mask is True, as a 1-d tensor (both broadcast)."""
    if not isinstance(mask, Tensor) or mask.dtype is not D.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    m, a = mask._data, input._data
    shape = _bshape(m, a)
    if input.device.type == "meta":
        _data_dependent("masked_select")
    if m.shape == a.shape:
        r = a[m]
    else:
        r = np.broadcast_to(a, shape)[np.broadcast_to(m, shape)]
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        node = MaskedSelectBackward0(shape)
        node.save(mask)
        attach(node, (input, None), (out,))
    return out


# --------------------------------------------------------------------- nonzero / where(cond)

@register("nonzero", method=True, out=True, differentiable=False)
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    a = input._data
    dev = input.device
    if dev.type == "meta":
        _data_dependent("nonzero")
    if as_tuple:
        if a.ndim == 0:
            return (make(np.zeros(1 if a.item() else 0, np.int64), D.int64, dev),)
        return tuple(make(i.astype(np.int64, copy=False), D.int64, dev) for i in np.nonzero(a))
    return make(np.argwhere(a).astype(np.int64, copy=False), D.int64, dev)


@register("argwhere", method=True, differentiable=False)
def argwhere(input: Tensor) -> Tensor:
    """nonzero(input) as an (n, ndim) tensor."""
    return nonzero(input)


def where_single(condition: Tensor) -> tuple:
    """torch.where(condition): nonzero(condition, as_tuple=True)."""
    return nonzero(condition, as_tuple=True)


# --------------------------------------------------------------------- take / put
class TakeBackward0(Node):
    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros

        (index,) = self.saved_tensors
        z = zeros(self.in_shape, dtype=grad.dtype, device=grad.device)
        return put(z, index, grad, accumulate=True), None


def _flat_index(idx: Any, n: int, name: str) -> Any:
    if idx.size and n == 0:
        raise IndexError(f"{name}(): tried to take from an empty tensor" if name == "take" else
                         "put_(): Tried to put elements into an empty tensor")
    bad = _first_oob(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx


@register("take", method=True, out=True)
def take(input: Tensor, index: Tensor) -> Tensor:
    """input treated as 1-d, indexed by index (negative indices count from the end)."""
    idx = _int_index(index, "take")
    if index.dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_tname(index.dtype)}")
    a = input._data
    idx = _flat_index(idx, a.size, "take")
    out = make(a.reshape(-1)[idx.reshape(-1)].reshape(idx.shape), input.dtype, input.device)
    if grad_on(input):
        node = TakeBackward0(a.shape)
        node.save(index)
        attach(node, (input, None), (out,))
    return out


class PutBackward0(Node):
    def __init__(self, accumulate: bool, src_shape: tuple) -> None:
        super().__init__()
        self.accumulate, self.src_shape = accumulate, src_shape

    def backward(self, grad: Tensor) -> tuple:
        (index,) = self.saved_tensors
        need_self, _, need_src = (e[0] is not None for e in self.next_functions)
        gs = gsrc = None
        if need_self:
            if self.accumulate:
                gs = grad
            else:
                from .creation import zeros

                gs = put(grad, index, zeros(self.src_shape, dtype=grad.dtype,
                                            device=grad.device))
        if need_src:
            gsrc = take(grad, index).reshape(self.src_shape)  # type: ignore[attr-defined]
        return gs, None, gsrc


def _put_check(self: Tensor, index: Tensor, source: Tensor) -> Any:
    idx = _int_index(index, "put_")
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_tname(index.dtype)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"put_(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_tname(self.dtype)} and source.dtype = "
                           f"{_tname(source.dtype)}")
    if source._data.size != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source._data.size}, index.numel() = "
                         f"{idx.size}")
    return _flat_index(idx, self._data.size, "put_").reshape(-1)


def _put_into(a: Any, idx: Any, source: Tensor, accumulate: bool) -> None:
    if a.ndim == 0:
        a = a.reshape(1)
    ix = np.unravel_index(idx, a.shape) if a.ndim != 1 else (idx,)
    v = source._data.reshape(-1)
    if accumulate:
        add_at(a, ix, v)
    else:
        a[ix] = v


@register("put", method=True)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of input with its flattened positions `index` set to (or += with accumulate)
    source's elements."""
    idx = _put_check(input, index, source)
    a = input._data.copy()
    _put_into(a, idx, source, accumulate)
    out = make(a, input.dtype, input.device)
    if grad_on(input, source):
        node = PutBackward0(accumulate, tuple(source._data.shape))
        node.save(index)
        attach(node, (input, None, source), (out,))
    return out


def _put_direct(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> None:
    _put_into(self._data, _put_check(self, index, source), source, accumulate)


register_method("put_", _inplace("put", put, _put_direct))
