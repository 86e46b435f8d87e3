"""Meta backend: shapes, dtypes and strides, no data.

A meta tensor holds a zero-strided NumPy "ghost" of its shape (one element of memory), so view
ops work unchanged. Compute ops run on the ghost and the result is ghosted again, which costs
one transient allocation of the output's size; strides report the contiguous layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

xp = np
name = "meta"


def ghost(shape: tuple, np_dtype: Any) -> np.ndarray:
    """A read-only array of `shape` backed by a single element."""
    base = np.zeros((), dtype=np_dtype)
    return np.lib.stride_tricks.as_strided(base, shape=shape, strides=(0,) * len(shape),
                                           writeable=False)


def from_host(arr: np.ndarray, index: int | None = None) -> np.ndarray:
    return ghost(arr.shape, arr.dtype)


def asarray(data: Any, dtype: Any = None) -> np.ndarray:
    a = np.asarray(data, dtype=dtype)
    return ghost(a.shape, a.dtype)


def data_ptr(arr: np.ndarray) -> int:
    return 0
