"""Backends: one module per device type, each saying which array module serves it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from . import cpu, cuda, meta, quantized  # noqa: F401

_registry: dict[str, ModuleType] = {"cpu": cpu, "meta": meta}


def for_device(dev: Any) -> ModuleType:
    """The backend module for a device; importing CuPy only when CUDA is first used."""
    t = dev.type
    b = _registry.get(t)
    if b is None and t == "cuda":
        cuda.require()
        b = _registry["cuda"] = cuda
    if b is None:
        raise RuntimeError(f"no backend for device type '{t}'")
    return b


def to_numpy(arr: Any) -> np.ndarray:
    """A host NumPy array for an array of any backend."""
    if isinstance(arr, np.ndarray):
        return arr
    return arr.get()


# Helpers for the few places where NumPy and CuPy are spelled differently. Each takes the
# NumPy path first (one type test), so the CPU fast path pays nothing for the GPU.


def xp_of(a: Any) -> Any:
    """The array module (numpy or cupy) that owns array `a` (numpy for host scalars)."""
    if isinstance(a, np.ndarray):
        return np
    return cuda.xp if is_dev(a) else np


def as_array(r: Any, dtype: Any = None) -> Any:
    """np.asarray(r, dtype) for host values (a NumPy scalar becomes 0-d); a device array stays
    on its device (cast when dtype is given)."""
    if is_dev(r):
        return r if dtype is None else r.astype(dtype, copy=False)
    return np.asarray(r, dtype)


def is_dev(a: Any) -> bool:
    """True for a device (CuPy) array."""
    dev = cuda.xp
    return dev is not None and isinstance(a, dev.ndarray)


def is_writeable(a: Any) -> bool:
    """False for read-only memory or a view where several elements share one location.

    CuPy has no read-only flag: there, a broadcast (stride-0) dim over more than one element
    is what makes a write ambiguous.
    """
    if isinstance(a, np.ndarray):
        return bool(a.flags.writeable)
    # an empty array's C strides can be 0 (CuPy: 8 * 0 for shape (3, 0)); nothing is written
    return a.size == 0 or not any(st == 0 and n > 1 for n, st in zip(a.shape, a.strides))


def as_strided(a: Any, shape: tuple, strides: tuple, writeable: bool = True) -> Any:
    """A view of `a` with the given shape and byte strides (no bounds check: callers do it)."""
    if isinstance(a, np.ndarray):
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)


def _to_device(x: Any, xp: Any) -> Any:
    if isinstance(x, np.ndarray):
        return xp.asarray(x)
    if isinstance(x, tuple):
        return tuple(_to_device(v, xp) for v in x)
    if isinstance(x, list):
        return [_to_device(v, xp) for v in x]
    return x


def ufunc_at(ufunc: Any, a: Any, key: Any, values: Any) -> None:
    """`ufunc.at(a, key, values)`: unbuffered in-place accumulation at (repeated) indices."""
    if isinstance(a, np.ndarray):
        ufunc.at(a, key, values)
        return
    import cupyx  # CuPy's scatter kernels; other ufuncs round-trip through the host

    xp = xp_of(a)
    key, values = _to_device(key, xp), _to_device(values, xp)
    scatter = {
        np.add: cupyx.scatter_add,
        np.maximum: cupyx.scatter_max,
        np.minimum: cupyx.scatter_min,
    }.get(ufunc)
    # float maximum/minimum go through the host: on the GPU a float64 scatter_max came back
    # inexact (equal to no candidate), which breaks amax/amin's equality-based gradients
    ok = "ilqLQIfde" if ufunc is np.add else "ilqLQI"
    if scatter is not None and a.dtype.char in ok:
        if isinstance(values, (bool, int, float)) or values.dtype != a.dtype:
            values = xp.asarray(values, a.dtype)
        scatter(a, key, values)
        return
    host = a.get()
    ufunc.at(host, to_numpy_tree(key), to_numpy_tree(values))
    a[...] = xp.asarray(host)


def to_numpy_tree(x: Any) -> Any:
    """Host copies of every device array in a (nested tuple/list) index or value."""
    if isinstance(x, (tuple, list)):
        return type(x)(to_numpy_tree(v) for v in x)
    return x.get() if is_dev(x) else x


def add_at(a: Any, key: Any, values: Any) -> None:
    """np.add.at on either backend."""
    ufunc_at(np.add, a, key, values)


def accumulate(ufunc: Any, a: Any, axis: int) -> Any:
    """`ufunc.accumulate(a, axis)` on either backend (axis >= 0; an associative ufunc).

    CuPy accumulates only add and multiply: elsewhere a log-step (Hillis-Steele) scan, log2(n)
    device passes."""
    if isinstance(a, np.ndarray):
        return ufunc.accumulate(a, axis=axis)
    xp = xp_of(a)
    if ufunc is np.add:
        return xp.cumsum(a, axis=axis)
    if ufunc is np.multiply:
        return xp.cumprod(a, axis=axis)
    f = getattr(xp, ufunc.__name__)
    r = a.copy()
    n, k = r.shape[axis], 1
    pre = (slice(None),) * axis
    while k < n:
        r[pre + (slice(k, None),)] = f(r[pre + (slice(k, None),)], r[pre + (slice(None, n - k),)])
        k *= 2
    return r


def contig(a: Any) -> Any:
    """np.ascontiguousarray on either backend (NumPy's does not dispatch to CuPy)."""
    if isinstance(a, np.ndarray):
        return np.ascontiguousarray(a)
    return xp_of(a).ascontiguousarray(a)


def like(ref: Any, v: Any) -> Any:
    """`v` (a host array, or anything else) on the device of array `ref`."""
    if isinstance(ref, np.ndarray) or not isinstance(v, np.ndarray):
        return v
    return cuda.xp.asarray(v) if is_dev(ref) else v


def sparse_indices(shape: tuple, xp: Any = np) -> list:
    """np.indices(shape, sparse=True) in array module xp."""
    if xp is np:
        return list(np.indices(shape, sparse=True))
    nd = len(shape)
    return [
        xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(shape)
    ]


def reduceat(ufunc: Any, a: Any, starts: Any) -> Any:
    """`ufunc.reduceat(a, starts, axis=0)` for strictly increasing `starts` (add, maximum or
    minimum). CuPy has no reduceat: there, a scatter of each row into its segment."""
    if isinstance(a, np.ndarray):
        return ufunc.reduceat(a, starts, axis=0)
    xp = xp_of(a)
    starts = _to_device(starts, xp)
    mark = xp.zeros(a.shape[0], np.int64)
    mark[starts] = 1
    seg = xp.cumsum(mark) - 1  # rows before the first start belong to no segment
    shape = (len(starts),) + a.shape[1:]
    if ufunc is np.add:
        out = xp.zeros(shape, a.dtype)
    else:
        big = np.inf if a.dtype.kind in "fc" else np.iinfo(a.dtype).max
        out = xp.full(shape, -big if ufunc is np.maximum else big, a.dtype)
    if len(starts) and int(starts[0]) > 0:
        a, seg = a[int(starts[0]) :], seg[int(starts[0]) :]
    ufunc_at(ufunc, out, seg, a)
    return out
