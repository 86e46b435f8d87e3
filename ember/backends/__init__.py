"""Backends: one module per device type, each saying which array module serves it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from . import cpu, meta, quantized  # noqa: F401

_registry: dict[str, ModuleType] = {"cpu": cpu, "meta": meta}


def for_device(dev: Any) -> ModuleType:
    """The backend module for a device; importing CuPy only when CUDA is first used."""
    t = dev.type
    b = _registry.get(t)
    if b is None and t == "cuda":
        from . import cuda

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
    """The array module (numpy or cupy) that owns array `a`."""
    if isinstance(a, np.ndarray):
        return np
    from . import cuda

    return cuda.xp


def is_writeable(a: Any) -> bool:
    """False for read-only memory or a view where several elements share one location.

    CuPy has no read-only flag: there, a broadcast (stride-0) dim over more than one element
    is what makes a write ambiguous.
    """
    if isinstance(a, np.ndarray):
        return bool(a.flags.writeable)
    return not any(st == 0 and n > 1 for n, st in zip(a.shape, a.strides))


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
    if scatter is not None and a.dtype.kind != "b":
        scatter(a, key, values)
        return
    host = a.get()
    ufunc.at(host, to_numpy_tree(key), to_numpy_tree(values))
    a[...] = xp.asarray(host)


def to_numpy_tree(x: Any) -> Any:
    """Host copies of every device array in a (nested tuple/list) index or value."""
    if isinstance(x, (tuple, list)):
        return type(x)(to_numpy_tree(v) for v in x)
    return x if isinstance(x, np.ndarray) or not hasattr(x, "get") else x.get()


def add_at(a: Any, key: Any, values: Any) -> None:
    """np.add.at on either backend."""
    ufunc_at(np.add, a, key, values)
