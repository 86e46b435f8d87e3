"""Thread settings: set_num_threads binds the real BLAS/OpenMP pools through threadpoolctl.

Ember's ops run on the calling thread; their parallelism is that of the BLAS (and any OpenMP
runtime) NumPy and ember's native kernels load, so `set_num_threads(n)` limits those pools
process-wide (the limit stays active until the next call). Pools loaded after the call are
limited by `reapply()`, which loaders of native code call. There is no inter-op pool: the
inter-op count is recorded and reported, as torch's API expects, and used by nothing.
"""

from __future__ import annotations

import operator
import os
from typing import Any

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads"]

_state: dict[str, Any] = {"threads": None, "default": None, "interop": None,
                          "interop_set": False, "limiter": None, "controller": None}


def _controller(refresh: bool = False) -> Any:
    from threadpoolctl import ThreadpoolController

    c = _state["controller"]
    if c is None or refresh:
        c = _state["controller"] = ThreadpoolController()
    return c


def _check_int(name: str, n: Any) -> int:
    try:
        v = operator.index(n)
    except TypeError:
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}") from None
    if v <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return v


def _blas_threads() -> int:
    """Threads the BLAS pools use now (the largest), or the CPU count without one."""
    info = _controller().info()
    counts = [p["num_threads"] for p in info if p.get("user_api") == "blas"]
    counts = counts or [p["num_threads"] for p in info]
    return max(counts) if counts else (os.cpu_count() or 1)


def set_num_threads(int: int) -> None:  # noqa: A002 - torch's parameter name
    """Limit the BLAS and OpenMP thread pools (intra-op parallelism) to `int` threads."""
    n = _check_int("set_num_threads", int)
    if _state["default"] is None:
        _state["default"] = _blas_threads()
    _state["limiter"] = _controller(refresh=True).limit(limits=n)
    _state["threads"] = n


def reapply() -> None:
    """Apply the current set_num_threads limit to pools loaded since it was set."""
    n = _state["threads"]
    if n is not None:
        _state["limiter"] = _controller(refresh=True).limit(limits=n)


def get_num_threads() -> int:
    """The intra-op thread count: the set_num_threads value, else what BLAS uses."""
    n = _state["threads"]
    if n is not None:
        return n
    d = _state["default"]
    if d is None:
        d = _state["default"] = _blas_threads()
    return d


def set_num_interop_threads(int: int) -> None:  # noqa: A002 - torch's parameter name
    """Record the inter-op thread count (once, as torch allows); ember has no inter-op pool."""
    n = _check_int("set_num_interop_threads", int)
    if _state["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _state["interop"], _state["interop_set"] = n, True


def get_num_interop_threads() -> int:
    """The inter-op thread count (default: the intra-op default)."""
    n = _state["interop"]
    if n is None:
        if _state["default"] is None:
            _state["default"] = _blas_threads()
        return _state["default"]
    return n
