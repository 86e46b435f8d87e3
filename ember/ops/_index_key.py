"""Indexing keys: a Python key parsed into a NumPy basic key plus advanced entries."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._index_util import _FULL


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
