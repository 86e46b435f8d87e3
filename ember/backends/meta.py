"""Meta backend: shapes, dtypes and strides, no data.

A meta tensor holds a zero-strided NumPy "ghost" of its shape (one element of memory), so view
ops work unchanged. Compute ops run on the ghost (their result is a real array of the output's
size, labelled meta); strides report the contiguous layout, also for views (torch reports the
view's strides).
"""

from __future__ import annotations

from typing import Any

import numpy as np

xp = np
name = "meta"


def ghost(shape: tuple, np_dtype: Any) -> np.ndarray:
    """An array of `shape` backed by a single element.

    It is writeable so that in-place ops pass their checks (torch allows them on meta
    tensors); a write touches one element, and ops skip the data work for meta anyway.
    """
    base = np.zeros((), dtype=np_dtype)
    return np.lib.stride_tricks.as_strided(base, shape=tuple(shape), strides=(0,) * len(shape),
                                           writeable=True)


def from_host(arr: np.ndarray, index: int | None = None) -> np.ndarray:
    return ghost(arr.shape, arr.dtype)


def asarray(data: Any, dtype: Any = None) -> np.ndarray:
    a = np.asarray(data, dtype=dtype)
    return ghost(a.shape, a.dtype)


def data_ptr(arr: np.ndarray) -> int:
    return 0
