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
