"""What tensor(), as_tensor() and asarray() read from their data: the dtype torch infers from
nested Python sequences, scalars, arrays and tensors, and torch's checked conversion of Python
numbers into a dtype (its overflow errors). Private helpers of ops/creation.py."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor

# --------------------------------------------------------------------- value checks
_C_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
            "int32": "int", "int64": "int64_t", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _overflows(a: np.ndarray, dt: D.dtype) -> bool:
    """torch's checked conversion of Python numbers into dtype `dt` (values in `a`)."""
    if dt is D.bool_ or a.size == 0:
        return False
    k = a.dtype.kind
    if k == "c":
        if dt.category != D.COMPLEX:
            if np.any(a.imag != 0):
                return True
            a, k = a.real, "f"
        else:
            return _overflows(a.real, dt.to_real()) or _overflows(a.imag, dt.to_real())
    if dt.category == D.INT:
        info = np.iinfo(dt.np)
        if k == "f":  # floats must lie in [min, max] (before truncation)
            with np.errstate(invalid="ignore"):
                return bool(not np.all(np.isfinite(a)) or np.any(a < int(info.min)) or
                            np.any(a > int(info.max)))
        lo = -int(info.max) if not dt.is_signed else int(info.min)  # unsigned: -x wraps
        return bool(np.any(a < lo) or np.any(a > int(info.max)))
    if dt.category in (D.FLOAT, D.COMPLEX) and k in "fiu":
        big = float(D.finfo(dt).max)
        with np.errstate(invalid="ignore"):
            fin = np.isfinite(a) if k == "f" else True
            return bool(np.any(fin & (np.abs(a.astype(np.float64)) > big)))
    return False


def _cast_checked(a: np.ndarray, dt: D.dtype, cname: bool = False) -> np.ndarray:
    if a.dtype == dt.np:
        return a
    if _overflows(a, dt):
        name = _C_NAMES[dt.name] if cname else dt.name
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    if a.dtype.kind == "c" and dt.category != D.COMPLEX:
        a = a.real
    if dt.category == D.INT and a.dtype.kind == "i" and not dt.is_signed:
        a = a.astype(np.int64)  # negative values wrap (two's complement)
    return a.astype(dt.np)


# --------------------------------------------------------------------- tensor(): inference
_PY_SCALARS = (bool, int, float, complex)
_PY_SET = frozenset(_PY_SCALARS)


def _py_dtype(tp: type) -> D.dtype:
    if tp is bool:
        return D.bool_
    if tp is int:
        return D.int64
    if tp is float:
        return D.get_default_dtype()
    return D.default_complex()


def _is_seq(x: Any) -> bool:
    if isinstance(x, (list, tuple, range)):
        return True
    if isinstance(x, (str, bytes, dict, Tensor, np.ndarray, np.generic)):
        return False
    return hasattr(x, "__len__") and hasattr(x, "__getitem__")


def _leaf_dtype(x: Any) -> D.dtype:
    tp = type(x)
    if tp in _PY_SET:
        return _py_dtype(tp)
    if isinstance(x, np.generic):
        return D.from_numpy_dtype(x.dtype)
    if isinstance(x, Tensor):  # a tensor inside a list is read as a scalar, as torch does
        if x._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x.dtype
    if isinstance(x, np.ndarray):  # torch reads arrays in lists as sequences
        raise TypeError("len() of unsized object")
    for base in (bool, int, float, complex):  # subclasses (IntEnum...) count as their base
        if isinstance(x, base):
            return _py_dtype(base)
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _shape_of(x: Any) -> list:
    """The shape torch reads from nested data: lengths along the first elements."""
    shape: list = []
    while True:
        if isinstance(x, np.ndarray):
            shape.extend(x.shape)
            return shape
        if isinstance(x, Tensor):  # nested tensors are scalars (one element) to torch
            return shape
        if isinstance(x, (str, bytes)) and shape:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if not _is_seq(x):
            return shape
        n = len(x)
        shape.append(n)
        if n == 0:
            return shape
        x = x[0]


def _scan(x: Any, shape: list, dim: int, dts: set, has_tensor: list) -> None:
    """Check that `x` (at depth `dim`) has shape[dim:], collecting leaf dtypes into dts."""
    if dim == len(shape):
        if _is_seq(x) or (isinstance(x, np.ndarray) and x.ndim):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        if isinstance(x, Tensor):
            has_tensor[0] = True
        dts.add(_leaf_dtype(x))
        return
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            raise TypeError("len() of unsized object")
        if tuple(x.shape) != tuple(shape[dim:]):
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                             f"(got {x.shape[0]})")
        dts.add(D.from_numpy_dtype(x.dtype))
        return
    if not _is_seq(x):
        raise TypeError("not a sequence")
    n = len(x)
    if n != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {n})")
    if dim == len(shape) - 1:
        types = set(map(type, x))
        if types <= _PY_SET:
            dts.update(_py_dtype(t) for t in types)
            return
    for v in x:
        _scan(v, shape, dim + 1, dts, has_tensor)


def _to_host(data: Any) -> Any:
    if isinstance(data, Tensor):
        if data.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        a = data._host().reshape(())
        return a.astype(np.float32) if data.dtype is D.bfloat16 else a
    if _is_seq(data):
        return [_to_host(d) for d in data]
    return data


def _natural(dt: D.dtype) -> Any:
    """The NumPy dtype Python values of dtype category `dt` are first read into."""
    return (np.bool_, np.int64, np.float64, np.complex128)[dt.category]


def _from_data(data: Any) -> tuple:
    """(host array, inferred dtype) for nested Python data, as torch.tensor reads it."""
    if hasattr(data, "__array__") and not isinstance(data, (Tensor, np.generic, list, tuple)):
        a = np.array(data, order="C")
        return a, D.from_numpy_dtype(a.dtype)
    shape = _shape_of(data)
    dts: set = set()
    has_tensor = [False]
    _scan(data, shape, 0, dts, has_tensor)
    if not dts:
        inferred = D.get_default_dtype()
    else:
        it = iter(dts)
        inferred = next(it)
        for d in it:
            inferred = D.promote_types(inferred, d)
    if has_tensor[0]:
        data = _to_host(data)
    nat = _natural(inferred)
    if inferred is D.bfloat16 or inferred is D.float16:
        nat = np.float64
    try:
        a = np.array(data, dtype=nat)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if a.shape != tuple(shape):  # what NumPy read differs from the nesting torch reads
        raise ValueError(f"expected a tensor of shape {tuple(shape)}, got {a.shape}")
    return a, inferred


def _host_copy_of_tensor(data: Tensor) -> np.ndarray:
    if data.device.type == "meta":
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    return np.array(data._host(), order="C")
def _shares_numpy(data: Any) -> bool:
    return isinstance(data, np.ndarray) and not any(s < 0 for s in data.strides) and \
        data.dtype.isnative and data.dtype in D._FROM_NP
