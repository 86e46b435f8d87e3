"""CPU backend: NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

xp = np
name = "cpu"


def asarray(data: Any, dtype: Any = None) -> np.ndarray:
    return np.asarray(data, dtype=dtype)


def from_host(arr: np.ndarray, index: int | None = None) -> np.ndarray:
    return arr


def data_ptr(arr: np.ndarray) -> int:
    return arr.__array_interface__["data"][0]
