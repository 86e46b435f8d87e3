"""CUDA backend: CuPy, imported on first use."""

from __future__ import annotations

from typing import Any

name = "cuda"
xp: Any = None
_error: str | None = None


def _load() -> bool:
    global xp, _error
    if xp is not None:
        return True
    if _error is not None:
        return False
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            _error = "CuPy is installed but no CUDA GPU is visible"
            return False
        xp = cupy
        return True
    except Exception as e:  # ImportError, or a CUDA driver error from CuPy
        _error = f"CuPy could not be used ({type(e).__name__}: {e})"
        return False


def is_available() -> bool:
    return _load()


def device_count() -> int:
    return xp.cuda.runtime.getDeviceCount() if _load() else 0


def current_device() -> int:
    return xp.cuda.runtime.getDevice() if _load() else 0


def require() -> None:
    if not _load():
        raise RuntimeError(
            f"CUDA is not available: {_error}. Ember runs CUDA tensors on CuPy: install a "
            "CuPy wheel matching your CUDA driver (e.g. `pip install cupy-cuda12x`) on a "
            "machine with an NVIDIA GPU, or keep tensors on 'cpu'."
        )


def from_host(arr: Any, index: int | None = None) -> Any:
    require()
    with xp.cuda.Device(index or 0):
        return xp.asarray(arr)


def asarray(data: Any, dtype: Any = None) -> Any:
    require()
    return xp.asarray(data, dtype=dtype)


def data_ptr(arr: Any) -> int:
    return int(arr.data.ptr)
