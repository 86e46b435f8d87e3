"""Tensor.__getitem__/__setitem__ (basic keys give views, advanced keys copies) and index_put."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make, make_view
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import add_at, as_array, as_strided, xp_of
from ._core import _tname, attach, check_inplace, grad_on, no_grad_ctx, rebase_history, write_result
from ._index_key import _adv_key, _array_item, _parse
from ._index_util import _data_dependent, _first_oob, _grad_key, is_array, scalar_value
from ._registry import register, register_method
from .masked import where_single  # noqa: F401 - re-exported: tests import it from here
from .views import SelectBackward0, SliceBackward0, _named, _ScatterNode

UnsqueezeBackward0 = _named("UnsqueezeBackward0", _ScatterNode)
AliasBackward0 = _named("AliasBackward0", _ScatterNode)
_BASIC_NODE = {"select": SelectBackward0, "slice": SliceBackward0,
               "unsqueeze": UnsqueezeBackward0, None: AliasBackward0}


# --------------------------------------------------------------------- basic indexing (views)
def _unsqueeze_strides(a: Any, basic: tuple) -> tuple:
    """Byte strides torch gives the result of `basic`: NumPy gives new size-1 dims stride 0,
    torch gives them size * stride of the dim they were inserted before (1 at the end)."""
    shape, st = list(a.shape), list(a.strides)
    d = 0
    for c in basic:
        if c is None:
            st.insert(d, shape[d] * st[d] if d < len(shape) else a.itemsize)
            shape.insert(d, 1)
            d += 1
        elif type(c) is int:
            del shape[d], st[d]
        else:
            r = range(*c.indices(shape[d]))
            shape[d], st[d] = len(r), st[d] * r.step
            d += 1
    return tuple(st)


def _basic_view(self: Tensor, basic: tuple, last: Any) -> Tensor:
    a = self._data
    v = a[basic + (Ellipsis,)]  # the Ellipsis keeps a 0-d result a view
    if None in basic:  # NumPy and CuPy give new size-1 dims stride 0; torch does not
        want = _unsqueeze_strides(a, basic)
        if type(v) is np.ndarray:
            w = a[tuple(c for c in basic if c is not None) + (Ellipsis,)].view()
            w.shape = v.shape  # NumPy's reshape strides usually are torch's; cheap to try
            v = w if w.strides == want else as_strided(v, v.shape, want, v.flags.writeable)
        elif v.strides != want:
            v = as_strided(v, v.shape, want)
    out = make_view(v, self)
    if self._requires_grad and _gm.enabled:
        attach(_BASIC_NODE[last](a.shape, lambda g: _basic_view(g, basic, last)), (self,),
               (out,))
    return out


# --------------------------------------------------------------------- advanced indexing
def _index_error(a: Any, key: tuple, err: Any, bounds: bool = True) -> Any:
    """torch's exception for a key NumPy rejected on array `a` (err itself if none applies).
    bounds=False: torch skips the range check when nothing is read (an empty array)."""
    dim = k = 0
    indexed_zero = False
    for e in key:
        if not is_array(e):
            dim += 1
            continue
        if e.dtype == bool:
            for j in range(e.ndim):
                if dim + j >= a.ndim or e.shape[j] != a.shape[dim + j]:
                    return IndexError(f"The shape of the mask {list(e.shape)} at index {j} does "
                                      f"not match the shape of the indexed tensor "
                                      f"{list(a.shape)} at index {dim + j}")
            indexed_zero = indexed_zero or 0 in e.shape
            dim += e.ndim
            k += e.ndim
            continue
        indexed_zero = indexed_zero or a.shape[dim] == 0
        dim += 1
    if indexed_zero:  # torch: no valid index exists unless the index shape is empty too
        try:
            if 0 not in _index_shape(key):
                return IndexError("index is out of bounds for dimension with size 0")
        except IndexError as err:
            return err
    oob = _oob_error(a, key) if bounds else None
    if oob is not None:
        return oob
    try:
        _index_result_shape(a.shape, key)
    except IndexError as e:
        return e
    return err


def _oob_error(a: Any, key: tuple) -> IndexError | None:
    """torch's error for the first integer index array with an out-of-range value."""
    dim = k = 0
    for e in key:
        if not is_array(e):
            dim += 1
            continue
        if e.dtype == bool:
            dim += e.ndim
            k += e.ndim
            continue
        size = a.shape[dim]
        bad = _first_oob(e, -size, size) if size else None
        if bad is not None:
            return IndexError(f"index {bad} is out of bounds for dimension {k} with size {size}")
        dim += 1
        k += 1
    return None


def _check_bounds(a: Any, key: tuple) -> None:
    """Raise for out-of-range indices of a device array (CuPy wraps them silently)."""
    err = _oob_error(a, key)
    if err is not None:
        raise err


def _shape_mismatch(key: tuple) -> IndexError:
    shapes = []
    for e in key:
        if is_array(e):
            if e.dtype == bool:
                shapes += [[int(e.sum())]] * e.ndim
            else:
                shapes.append(list(e.shape))
    return IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                      f"shapes {', '.join(str(s) for s in shapes)}")


class IndexBackward0(Node):
    def __init__(self, in_shape: tuple, key: tuple) -> None:
        super().__init__()
        self.in_shape, self.key = in_shape, key

    def backward(self, grad: Tensor) -> Tensor:
        from .creation import zeros

        z = zeros(self.in_shape, dtype=grad.dtype, device=grad.device)
        return _index_put_fn(z, self.key, grad, True)


def _index_get(t: Tensor, key: tuple) -> Tensor:
    """t[key] for a NumPy advanced key; differentiable (IndexBackward0)."""
    a = t._data
    if t.device.type == "meta" and any(is_array(e) and e.dtype == bool
                                       for e in key):
        _data_dependent("indexing with a boolean mask")
    if not a.size:  # NumPy checks what torch does not (bounds) and skips what it does (masks)
        _check_empty(a, key)
        r = xp_of(a).empty(_index_result_shape(a.shape, key), a.dtype)
    else:
        if type(a) is not np.ndarray:  # CuPy wraps out-of-range indices instead of raising
            _check_bounds(a, key)
        try:
            r = a[key]
        except (IndexError, ValueError) as e:
            raise _index_error(a, key, e) from None
    if isinstance(r, np.generic):  # NumPy gives a scalar when every index is 0-d
        r = as_array(r)
    out = make(r, t.dtype, t.device)
    if t._requires_grad and _gm.enabled:
        attach(IndexBackward0(a.shape, _grad_key(key)), (t,), (out,))
    return out


def _index_shape(key: tuple) -> tuple:
    """The broadcast shape of the index arrays (masks count as their nonzero() vectors)."""
    shapes = []
    for e in key:
        if is_array(e):
            shapes += [(int(e.sum()),)] * e.ndim if e.dtype == bool else [e.shape]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise _shape_mismatch(key) from None


def _index_result_shape(shape: tuple, key: tuple) -> tuple:
    """Shape of a[key] for an advanced key, without computing it (NumPy's placement rule)."""
    b = _index_shape(key)
    pos, dims, dim = [], [], 0
    for i, e in enumerate(key):
        n = (e.ndim if e.dtype == bool else 1) if is_array(e) else 0
        if n:
            pos.append(i)
            dims.append((dim, dim + n))
        dim += n or 1
    lo, hi = dims[0][0], dims[-1][1]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return tuple(shape[:lo]) + b + tuple(shape[hi:])
    kept = [s for i, s in enumerate(shape) if not any(a <= i < z for a, z in dims)]
    return b + tuple(kept)


def _check_empty(a: Any, key: tuple, bounds: bool = False) -> None:
    err = _index_error(a, key, None, bounds)
    if err is not None:
        raise err


def _write(a: Any, key: tuple, v: Any, accumulate: bool) -> None:
    if not a.size:
        _check_empty(a, key)
        return
    if type(a) is not np.ndarray:  # CuPy wraps out-of-range indices instead of raising
        _check_bounds(a, key)
    try:
        if not accumulate:
            a[key] = v
            return
        for e in key:  # nonzero() of a mask of the wrong shape would still be in bounds
            if is_array(e) and e.dtype == bool:
                _check_empty(a, key, True)
                break
        if a.dtype == np.bool_:
            tmp = a.astype(np.int64)
            add_at(tmp, _grad_key(key), v)
            a[...] = tmp.astype(bool)
        else:
            add_at(a, _grad_key(key), v)
    except (IndexError, ValueError) as e:
        raise _index_error(a, key, e) from None


class IndexPutBackward0(Node):
    def __init__(self, key: tuple, accumulate: bool) -> None:
        super().__init__()
        self.key, self.accumulate = key, accumulate

    def backward(self, grad: Tensor) -> tuple:
        need_self, need_vals = (e[0] is not None for e in self.next_functions)
        gs = gv = None
        if need_self:
            if self.accumulate:
                gs = grad
            else:
                from .creation import zeros

                gs = _index_put_fn(grad, self.key, zeros((), dtype=grad.dtype,
                                                         device=grad.device), False)
        if need_vals:
            gv = _index_get(grad, self.key)
        return gs, gv


def _index_put_fn(t: Tensor, key: tuple, values: Tensor, accumulate: bool) -> Tensor:
    """Out-of-place index_put on a checked key; differentiable."""
    a = t._data.copy()
    v = values._data if values.dtype is t.dtype else values._data.astype(t.dtype.np)
    _write(a, key, v, accumulate)
    out = make(a, t.dtype, t.device)
    if grad_on(t, values):
        attach(IndexPutBackward0(_grad_key(key), accumulate), (t, values), (out,))
    return out


def _put_values(dt: D.dtype, a: Any, key: tuple, mask_pos: int, values: Tensor,
                accumulate: bool) -> Any:
    """index_put_'s checks of the values (dtype, shape) against array `a` of dtype `dt`;
    returns what to write."""
    v = values._data
    if not accumulate and mask_pos != -1 and v.size == 1:  # torch's masked_fill dispatch
        if mask_pos == -2:
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                               "unsigned char")
        return scalar_value(v.item(), dt)
    if values.dtype is not dt:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_tname(dt)} for the destination and {_tname(values.dtype)} for "
                           "the source.")
    if v.ndim:
        _check_empty(a, key)  # mask shapes and index broadcasting come first in torch
        rshape = _index_result_shape(a.shape, key)
        vshape = v.shape
        if len(vshape) > len(rshape) or any(
                x != 1 and x != y for x, y in zip(vshape[::-1], rshape[::-1], strict=False)):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be "
                               f"broadcast to indexing result of shape {list(rshape)}")
    return v


def _index_put_inplace(target: Tensor, key: tuple, mask_pos: int, values: Tensor,
                       accumulate: bool) -> Tensor:
    check_inplace(target, "index_put_")
    v = _put_values(target.dtype, target._data, key, mask_pos, values, accumulate)
    if _gm.enabled and (target._requires_grad or values._requires_grad):
        res = _index_put_fn(target.clone(), key, values, accumulate)  # type: ignore[attr-defined]
        with no_grad_ctx():
            write_result(target, res, "index_put_")
        rebase_history(target, res)
        return target
    if target.device.type != "meta":
        _write(target._data, key, v, accumulate)
    target._bump_version()
    return target


# --------------------------------------------------------------------- __getitem__/__setitem__
def _getitem(self: Tensor, key: Any) -> Tensor:
    """self[key]: a view for ints/slices/None/Ellipsis, a copy with advanced indices."""
    tk = type(key)
    if tk is int:  # the hot paths: x[i] and x[index_tensor]
        a = self._data
        if a.ndim:
            size = a.shape[0]
            if -size <= key < size:
                return _basic_view(self, (key,), "select")
    elif tk is slice and key.step is None and self._data.ndim:
        return _basic_view(self, (key,), "slice")
    elif tk is Tensor and key.dtype is D.int64 and key._data.ndim and self._data.ndim:
        return _index_get(self, (key._data,))
    basic, adv, last, identity = _parse(self._data, key)
    if adv is None:
        return _basic_view(self, basic, last)
    v = self if identity else _basic_view(self, basic, last)
    return _index_get(v, _adv_key(adv)[0])


def _strip_leading_ones(v: Tensor) -> Tensor:
    s = v._data.shape
    i = 0
    while i < len(s) and s[i] == 1:
        i += 1
    return v.view(s[i:]) if i else v  # type: ignore[attr-defined]


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    """self[key] = value, in place: copy_/fill_ into a view, or index_put_ for advanced keys."""
    if isinstance(value, Tensor):
        val = value
        rg = val._requires_grad
    elif isinstance(value, (int, float, bool, complex, np.number, np.bool_)):
        val, rg = None, False
    else:
        from .conversion import _TYPE_NAMES

        raise TypeError(f"can't assign a {_tyname(value)} to a torch."
                        f"{_TYPE_NAMES[self.dtype.name]}")
    basic, adv, last, identity = _parse(self._data, key)
    if not (_gm.enabled and (self._requires_grad or rg)) and self.device.type == "cpu" \
            and (val is None or val.device.type == "cpu"):
        _setitem_fast(self, basic, adv, identity, value, val)
        return
    target = self if identity else _basic_view(self, basic, last)
    if adv is None:
        if val is None:
            target.fill_(scalar_value(value, self.dtype).item())  # type: ignore[attr-defined]
        elif val._data.shape == target._data.shape:
            target.copy_(val)  # type: ignore[attr-defined]
        elif val._data.ndim == 0 and val.device.type == "cpu":
            target.fill_(val)  # type: ignore[attr-defined]
        else:
            target.copy_(_strip_leading_ones(val).expand(target.shape))  # type: ignore
        return
    key_np, mask_pos = _adv_key(adv)
    if val is None:
        val = make(as_array(scalar_value(value, self.dtype)), self.dtype, self.device)
    else:
        val = _strip_leading_ones(val)
    _index_put_inplace(target, key_np, mask_pos, val, False)


def _setitem_fast(self: Tensor, basic: tuple, adv: Any, identity: bool, value: Any,
                  val: Tensor | None) -> None:
    """__setitem__ when nothing is recorded: NumPy writes straight into self's memory."""
    check_inplace(self, "__setitem__")
    a = self._data
    view = a if identity else a[basic + (Ellipsis,)]
    if adv is None:
        if val is None:
            view[...] = scalar_value(value, self.dtype)
        else:
            s = val._data
            if s.shape != view.shape and s.ndim:
                i = 0
                while i < s.ndim and s.shape[i] == 1:
                    i += 1
                s = s.reshape(s.shape[i:])
                from .views import _expand_shape

                _expand_shape(s.shape, view.shape)  # torch's message when it cannot broadcast
            np.copyto(view, s, casting="unsafe")
    else:
        key, mask_pos = _adv_key(adv)
        if val is None:
            v = scalar_value(value, self.dtype)
        else:
            s = val._data
            i = 0
            while i < s.ndim and s.shape[i] == 1:
                i += 1
            v = _put_values(self.dtype, view, key, mask_pos,
                            make(s.reshape(s.shape[i:]), val.dtype, val.device) if i else val,
                            False)
        _write(view, key, v, False)
    self._bump_version()


def _tyname(v: Any) -> str:
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


register_method("__getitem__", _getitem)
register_method("__setitem__", _setitem)


# --------------------------------------------------------------------- index_put
def _tensor_indices(self: Tensor, indices: Any, name: str) -> list:
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    adv = []
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
        c = _array_item(t._host())
        if type(c) is int:
            c = ("i", as_array(c))
        elif type(c) is bool:
            raise NotImplementedError(f"{name}(): 0-d boolean index tensors are not supported")
        adv.append(c)
    nd = self._data.ndim
    if len(adv) > nd:
        raise IndexError(f"too many indices for tensor of dimension {nd} (got {len(adv)})")
    if not adv:
        raise RuntimeError(f"{name}(): indices must be a non-empty tuple of Tensors")
    return adv


def _values_arg(values: Any, name: str) -> Tensor:
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    return values


@register("index_put", method=True)
def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of input with input[indices] = values (or += with accumulate=True)."""
    values = _values_arg(values, "index_put")
    key, mask_pos = _adv_key(_tensor_indices(input, indices, "index_put"))
    v = _put_values(input.dtype, input._data, key, mask_pos, values, accumulate)
    if grad_on(input, values):
        return _index_put_fn(input, key, values, accumulate)
    a = input._data.copy()
    _write(a, key, v, accumulate)
    return make(a, input.dtype, input.device)


def _index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    values = _values_arg(values, "index_put_")
    key, mask_pos = _adv_key(_tensor_indices(self, indices, "index_put_"))
    return _index_put_inplace(self, key, mask_pos, values, accumulate)


register("index_put_", method=True)(_index_put_)
