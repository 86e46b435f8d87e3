"""Indexing: Tensor.__getitem__/__setitem__ with torch's semantics (basic keys give views,
advanced keys copies), index_put, masked_fill/scatter/select, nonzero, take/put, and the
dim-wise family: gather, scatter(_add/_reduce), index_select/add/copy/fill, take_along_dim."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make, make_view
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ._core import (
    _tname,
    attach,
    check_inplace,
    grad_on,
    no_grad_ctx,
    norm_dim,
    rebase_history,
    write_result,
)
from ._registry import register, register_method
from .views import SelectBackward0, SliceBackward0, _named, _ScatterNode

UnsqueezeBackward0 = _named("UnsqueezeBackward0", _ScatterNode)
AliasBackward0 = _named("AliasBackward0", _ScatterNode)
_FULL = slice(None)
_BASIC_NODE = {"select": SelectBackward0, "slice": SliceBackward0,
               "unsqueeze": UnsqueezeBackward0, None: AliasBackward0}

# --------------------------------------------------------------------- scalar conversion
_CNAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
          "int32": "int", "int64": "long int", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_OVNAME = dict(_CNAME, uint8="uint8_t", int8="int8_t", int16="int16_t", int64="int64_t")
_LIMITS: dict = {}


def _limits(dt: D.dtype) -> tuple:
    lim = _LIMITS.get(dt)
    if lim is None:
        if dt.category == D.INT:
            info = np.iinfo(dt.np)
            lim = _LIMITS[dt] = (int(info.min), int(info.max))
        else:
            info = D.finfo(dt)
            lim = _LIMITS[dt] = (info.min, info.max)
    return lim


def scalar_value(v: Any, dt: D.dtype) -> Any:
    """A Python scalar as a NumPy scalar of `dt`, raising torch's overflow error."""
    if isinstance(v, np.generic):
        v = v.item()
    cat = dt.category
    if cat == D.BOOL:
        return np.bool_(bool(v))
    if cat == D.COMPLEX:
        return dt.np.type(v)
    if isinstance(v, complex):
        if v.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {_OVNAME[dt.name]} without "
                               "overflow")
        v = v.real
    lo, hi = _limits(dt)
    if cat == D.INT:
        if isinstance(v, float):
            if not (lo <= v <= hi):  # also catches nan and inf
                raise RuntimeError(f"value cannot be converted to type {_OVNAME[dt.name]} "
                                   "without overflow")
            return dt.np.type(int(v))
        v = int(v)
        if v > hi or (v < lo and not (dt is D.uint8 and -v <= hi)):
            raise RuntimeError(f"value cannot be converted to type {_OVNAME[dt.name]} without "
                               "overflow")
        return np.array(v).astype(dt.np)[()] if v < 0 and dt is D.uint8 else dt.np.type(v)
    v = float(v)
    if math.isfinite(v) and not (lo <= v <= hi):
        raise RuntimeError(f"value cannot be converted to type {_OVNAME[dt.name]} without "
                           "overflow")
    return dt.np.type(v)


def _value_of(value: Any, dt: D.dtype, name: str) -> Any:
    """A fill value (scalar or 0-d tensor) as a NumPy scalar of dt."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"{name} only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        return scalar_value(value._data.item(), dt)
    return scalar_value(value, dt)


# --------------------------------------------------------------------- bounds checks
def _first_oob(idx: Any, lo: int, hi: int) -> int | None:
    """The first index outside [lo, hi), or None."""
    if idx.size == 0:
        return None
    if idx.min() >= lo and idx.max() < hi:
        return None
    return int(idx[(idx < lo) | (idx >= hi)].flat[0])


def _check_dim_index(idx: Any, size: int, d: int, exc: type = RuntimeError, prefix: str = "",
                     negative: bool = False) -> None:
    bad = _first_oob(idx, -size if negative else 0, size)
    if bad is not None:
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


def _int_index(index: Any, name: str, what: str = "index") -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(index).__name__}")
    return index._data


# --------------------------------------------------------------------- key parsing
def _seq_as_tuple(key: list) -> bool:
    """torch's legacy rule: a short list holding slices/None/Ellipsis/tensors/sequences is a
    tuple of indices, not an index tensor."""
    if len(key) >= 32:
        return False
    for k in key:
        if isinstance(k, (Tensor, list, tuple, slice, np.ndarray)) or k is None or k is Ellipsis:
            return True
    return False


_BAD_INDEX = "tensors used as indices must be long, int, byte or bool tensors"


def _array_item(arr: Any) -> Any:
    """An index array: ('m', bool mask) | ('i', int array) | int (0-d) | bool (0-d mask)."""
    k = arr.dtype.kind
    if k == "b":
        return bool(arr) if arr.ndim == 0 else ("m", arr)
    if arr.dtype == np.uint8:  # a legacy byte mask: kind "mu" remembers it for index_put_
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=6)
        return bool(arr) if arr.ndim == 0 else ("mu", arr.astype(bool))
    if arr.dtype == np.int64 or arr.dtype == np.int32:
        return int(arr) if arr.ndim == 0 else ("i", arr)
    raise IndexError(_BAD_INDEX)


def _convert_item(it: Any) -> Any:
    t = type(it)
    if t is int or t is slice or it is None or it is Ellipsis:
        return it
    if t is bool or t is np.bool_:
        return bool(it)
    if isinstance(it, Tensor):
        return _array_item(it._host())
    if isinstance(it, np.integer):
        return int(it)
    if isinstance(it, np.ndarray):
        return _array_item(it)
    if isinstance(it, (list, tuple)):
        arr = np.array(it)
        if arr.size == 0:
            return ("i", np.zeros(arr.shape, np.int64))
        if arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
        elif arr.dtype.kind != "b":
            raise IndexError(_BAD_INDEX)
        return _array_item(arr) if arr.ndim else ("i", arr.reshape(1))
    if isinstance(it, str):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    if hasattr(it, "__index__") and not isinstance(it, float):
        return int(it.__index__())
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {t.__name__})")


def _parse(a: Any, key: Any) -> tuple:
    """Split a key into (basic, adv, last, identity).

    basic: a NumPy key of ints/slices/None over the tensor's dims, giving a view;
    adv: None, or entries over the view's dims: _FULL, ('i', ints) or ('m', mask);
    last: the kind of the last basic step (names the backward node, as torch's order does);
    identity: basic is the whole tensor unchanged.
    """
    if type(key) is tuple:
        items = key
    elif type(key) is list and _seq_as_tuple(key):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated "
                      "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. "
                      "In pytorch 2.9 this will be interpreted as tensor index, "
                      "x[torch.tensor(seq)], which will result either in an error or a "
                      "different result", UserWarning, stacklevel=4)
        items = tuple(key)
    else:
        items = (key,)
    conv = []
    for it in items:  # a loop, not a comprehension: warnings' stacklevel counts frames
        conv.append(_convert_item(it))
    nd = a.ndim
    specified = 0
    for c in conv:
        tc = type(c)
        if tc is int or tc is slice:
            specified += 1
        elif tc is tuple:
            specified += 1 if c[0] == "i" else c[1].ndim
    if specified > nd:
        if nd == 0 and any(type(c) is int for c in conv):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    shape = a.shape
    basic: list = []
    adv: list = []
    has_adv = False
    identity = True
    last = None
    dim = 0
    for c in conv:
        tc = type(c)
        if tc is int:
            size = shape[dim]
            if c < -size or c >= size:
                raise IndexError(f"index {c} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            basic.append(c)
            dim += 1
            last, identity = "select", False
        elif tc is slice:
            if c.step is not None:
                step = c.step.__index__()
                if step == 0:
                    raise ValueError("slice step cannot be zero")
                if step < 0:
                    raise ValueError("step must be greater than zero")
            basic.append(c)
            adv.append(_FULL)
            dim += 1
            last = "slice"
            if c != _FULL:
                identity = False
        elif c is None:
            basic.append(None)
            adv.append(_FULL)
            last, identity = "unsqueeze", False
        elif c is Ellipsis:
            n = min(nd - specified, nd - dim)
            basic.extend([_FULL] * n)
            adv.extend([_FULL] * n)
            dim += n
        elif tc is bool:  # unsqueeze, then pick the new dim whole (True) or empty (False)
            basic.append(None)
            adv.append(("i", np.zeros(1 if c else 0, np.int64)))
            last, identity, has_adv = "unsqueeze", False, True
        else:
            kind, arr = c
            n = 1 if kind == "i" else arr.ndim
            basic.extend([_FULL] * n)
            adv.append(c)
            dim += n
            has_adv = True
    return tuple(basic), (adv if has_adv else None), last, identity


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
    if None in basic and type(v) is np.ndarray:
        want = _unsqueeze_strides(a, basic)
        w = a[tuple(c for c in basic if c is not None) + (Ellipsis,)].view()
        w.shape = v.shape  # NumPy's reshape strides usually are torch's; cheap to try
        v = w if w.strides == want else np.lib.stride_tricks.as_strided(
            v, v.shape, want, writeable=v.flags.writeable)
    out = make_view(v, self)
    if self._requires_grad and _gm.enabled:
        attach(_BASIC_NODE[last](a.shape, lambda g: _basic_view(g, basic, last)), (self,),
               (out,))
    return out


# --------------------------------------------------------------------- advanced indexing
def _adv_key(adv: list) -> tuple:
    """(key, mask_pos) for advanced entries: key is the NumPy key (slices, int arrays, bool
    masks); mask_pos is the key position of the only mask when the other entries are full
    slices (torch's masked_fill dispatch), -2 if that mask was uint8 (rejected there), else -1.

    Nothing is validated here: NumPy checks every index before it reads or writes, and on its
    error _index_error() rebuilds torch's message."""
    key = []
    n_mask = n_int = 0
    mask_pos = -1
    for e in adv:
        if e is _FULL:
            key.append(_FULL)
            continue
        kind, arr = e
        if kind == "i":
            n_int += 1
        else:
            mask_pos = len(key) if kind == "m" else -2
            n_mask += 1
        key.append(arr)
    while key and key[-1] is _FULL:
        key.pop()
    return tuple(key), (mask_pos if n_mask == 1 and n_int == 0 else -1)


def _index_error(a: Any, key: tuple, err: Any, bounds: bool = True) -> Any:
    """torch's exception for a key NumPy rejected on array `a` (err itself if none applies).
    bounds=False: torch skips the range check when nothing is read (an empty array)."""
    dim = k = 0
    indexed_zero = False
    for e in key:
        if not isinstance(e, np.ndarray):
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
        except IndexError as e:
            return e
    dim = k = 0
    for e in key:
        if not isinstance(e, np.ndarray):
            dim += 1
            continue
        if e.dtype == bool:
            dim += e.ndim
            k += e.ndim
            continue
        size = a.shape[dim]
        bad = _first_oob(e, -size, size) if bounds and size else None
        if bad is not None:
            return IndexError(f"index {bad} is out of bounds for dimension {k} with size {size}")
        dim += 1
        k += 1
    try:
        _index_result_shape(a.shape, key)
    except IndexError as e:
        return e
    return err


def _shape_mismatch(key: tuple) -> IndexError:
    shapes = []
    for e in key:
        if isinstance(e, np.ndarray):
            if e.dtype == bool:
                shapes += [[int(e.sum())]] * e.ndim
            else:
                shapes.append(list(e.shape))
    return IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                      f"shapes {', '.join(str(s) for s in shapes)}")


def _grad_key(key: tuple) -> tuple:
    """A key safe to keep for backward: masks as nonzero() arrays (np.add.at needs ints),
    index arrays copied (a later in-place edit of the index must not change the gradient)."""
    out: list = []
    for e in key:
        if isinstance(e, np.ndarray):
            if e.dtype == bool:
                out.extend(np.nonzero(e))
            else:
                out.append(e.copy())
        else:
            out.append(e)
    return tuple(out)


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
    if t.device.type == "meta" and any(isinstance(e, np.ndarray) and e.dtype == bool
                                       for e in key):
        _data_dependent("indexing with a boolean mask")
    if not a.size:  # NumPy checks what torch does not (bounds) and skips what it does (masks)
        _check_empty(a, key)
        r = np.empty(_index_result_shape(a.shape, key), a.dtype)
    else:
        try:
            r = a[key]
        except (IndexError, ValueError) as e:
            raise _index_error(a, key, e) from None
    if isinstance(r, np.generic):  # NumPy gives a scalar when every index is 0-d
        r = np.asarray(r)
    out = make(r, t.dtype, t.device)
    if t._requires_grad and _gm.enabled:
        attach(IndexBackward0(a.shape, _grad_key(key)), (t,), (out,))
    return out


def _index_shape(key: tuple) -> tuple:
    """The broadcast shape of the index arrays (masks count as their nonzero() vectors)."""
    shapes = []
    for e in key:
        if isinstance(e, np.ndarray):
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
        n = (e.ndim if e.dtype == bool else 1) if isinstance(e, np.ndarray) else 0
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
    try:
        if not accumulate:
            a[key] = v
            return
        for e in key:  # nonzero() of a mask of the wrong shape would still be in bounds
            if isinstance(e, np.ndarray) and e.dtype == bool:
                _check_empty(a, key, True)
                break
        if a.dtype == np.bool_:
            tmp = a.astype(np.int64)
            np.add.at(tmp, _grad_key(key), v)
            a[...] = tmp.astype(bool)
        else:
            np.add.at(a, _grad_key(key), v)
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
        val = make(np.asarray(scalar_value(value, self.dtype)), self.dtype, self.device)
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
            c = ("i", np.asarray(c))
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


# --------------------------------------------------------------------- in-place helper
def _inplace(name: str, functional: Callable, direct: Callable) -> Callable:
    """Tensor.<name>_: `direct` writes into self's array when nothing needs recording;
    otherwise the functional form runs on a clone and the history is rebased (make_inplace)."""

    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self, name + "_")
        if _gm.enabled and (self._requires_grad or grad_on(*args, *kwargs.values())):
            res = functional(self.clone(), *args, **kwargs)  # type: ignore[attr-defined]
            with no_grad_ctx():
                write_result(self, res, name + "_")
            rebase_history(self, res)
            return self
        direct(self, *args, **kwargs)
        self._bump_version()
        return self

    inplace.__name__ = name + "_"
    inplace.__doc__ = f"In-place version of {name}."
    return inplace


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
    from .shape import _broadcast_shape

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
def _data_dependent(what: str) -> None:
    raise NotImplementedError(f"{what} has an output shape that depends on the data, which meta "
                              "tensors do not have")


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
        np.add.at(a, ix, v)
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


# --------------------------------------------------------------------- dim-wise family
_IDX_DTYPES = (D.int64, D.int32)


def _ne(n: int) -> int:
    return n if n else 1


def _as1d(a: Any) -> Any:
    return a.reshape(1) if a.ndim == 0 else a


def _idx_tensor(index: Any, name: str, msg: str, allowed: tuple = _IDX_DTYPES,
                exc: type = RuntimeError) -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in allowed:
        raise exc(msg)
    return index._data


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
    if i1.size and i1.min() < 0:  # NumPy would wrap negative indices
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
    key = list(np.indices(i1.shape, sparse=True))
    key[d] = i1
    vals = s1[tuple(slice(0, n) for n in i1.shape)] if s1 is not None else None
    return d, tuple(key), vals


_UFUNC_AT = {"add": np.add, "sum": np.add, "mean": np.add, "multiply": np.multiply,
             "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _scatter_into(out: Any, key: tuple, vals: Any, reduce: str | None) -> None:
    o1 = _as1d(out)
    if reduce is None:
        o1[key] = vals
        return
    work = o1.astype(np.float32) if o1.dtype == D.bfloat16.np else o1
    _UFUNC_AT[reduce].at(work, key, vals)
    if work is not o1:
        o1[...] = work


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
        cnt = np.full(o1.shape, 1 if include_self else 0, np.int64)
        np.add.at(cnt, key, 1)
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
            return make(np.asarray(arr).astype(dt.np), dt, dev)

        src_sub = _as1d(src._data)[tuple(slice(0, n) for n in _as1d(index._data).shape)]
        src_sub = src_sub.reshape(index._data.shape)
        if red == "sum":
            gs, gsrc = grad, gather(grad, d, index)
        elif red == "mean":
            cnt = np.full(_as1d(x._data).shape, 1 if self.include_self else 0, np.int64)
            np.add.at(cnt, key, 1)
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
            ms = np.where(xs == 0, np.ones((), xs.dtype), xs)
            msr = _scatter_reduce_np(ms, key, _as1d(src_sub), "prod", inc)
            gs = grad * const(msr / ms)
            zero = src_sub == 0
            nz = np.zeros(_as1d(xs).shape, np.int64)
            np.add.at(nz, key, _as1d(zero).astype(np.int64))
            nz = np.take_along_axis(nz, _as1d(index._data), d).reshape(zero.shape)
            single = zero & (nz == 1)
            msrc = np.where(single, np.ones((), xs.dtype), src_sub)
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
    from .shape import _broadcast_shape
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
