"""Helpers shared by the indexing files: scalar values, bounds checks, in-place wrapper, kernels."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import state as _gm
from ..backends import is_dev, ufunc_at
from ._core import check_inplace, grad_on, no_grad_ctx, rebase_history, write_result

_FULL = slice(None)


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
        info: np.iinfo | D.finfo
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
def is_array(e: Any) -> bool:
    """An index array of either backend (not a scalar, slice, None or Ellipsis)."""
    return isinstance(e, np.ndarray) or is_dev(e)


def _first_oob(idx: Any, lo: int, hi: int) -> int | None:
    """The first index outside [lo, hi), or None."""
    if idx.size == 0:
        return None
    if idx.min() >= lo and idx.max() < hi:
        return None
    return int(idx[(idx < lo) | (idx >= hi)].ravel()[0])


def _check_dim_index(idx: Any, size: int, d: int, exc: type = RuntimeError, prefix: str = "",
                     negative: bool = False) -> None:
    bad = _first_oob(idx, -size if negative else 0, size)
    if bad is not None:
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


def _int_index(index: Any, name: str, what: str = "index") -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(index).__name__}")
    return index._data


# --------------------------------------------------------------------- data-dependent shapes
def _data_dependent(what: str) -> None:
    raise NotImplementedError(f"{what} has an output shape that depends on the data, which meta "
                              "tensors do not have")


# --------------------------------------------------------------------- keys kept for backward
def _grad_key(key: tuple) -> tuple:
    """A key safe to keep for backward: masks as nonzero() arrays (np.add.at needs ints),
    index arrays copied (a later in-place edit of the index must not change the gradient)."""
    out: list = []
    for e in key:
        if is_array(e):
            if e.dtype == bool:
                out.extend(np.nonzero(e))
            else:
                out.append(e.copy())
        else:
            out.append(e)
    return tuple(out)


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


# --------------------------------------------------------------------- dim-wise helpers
_IDX_DTYPES = (D.int64, D.int32)


def _as1d(a: Any) -> Any:
    return a.reshape(1) if a.ndim == 0 else a


def _idx_tensor(index: Any, name: str, msg: str, allowed: tuple = _IDX_DTYPES,
                exc: type = RuntimeError) -> Any:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index.dtype not in allowed:
        raise exc(msg)
    return index._data


_UFUNC_AT = {"add": np.add, "sum": np.add, "mean": np.add, "multiply": np.multiply,
             "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _scatter_into(out: Any, key: tuple, vals: Any, reduce: str | None) -> None:
    o1 = _as1d(out)
    if reduce is None:
        o1[key] = vals
        return
    work = o1.astype(np.float32) if o1.dtype == D.bfloat16.np else o1
    ufunc_at(_UFUNC_AT[reduce], work, key, vals)
    if work is not o1:
        o1[...] = work
