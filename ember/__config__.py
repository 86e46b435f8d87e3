"""torch.__config__: how this Ember is built (show) and its real thread pools (parallel_info).

Nothing here imports CuPy: CUDA is reported from the installed package's metadata, and from
the backend only when CUDA is already in use.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

__all__ = ["show", "parallel_info"]

# the call that reads each library's thread count, by threadpoolctl's internal_api
_GETTER = {"openblas": "openblas_get_num_threads()", "mkl": "mkl_get_max_threads()",
           "blis": "bli_thread_get_num_threads()", "flexiblas": "flexiblas_get_num_threads()",
           "openmp": "omp_get_max_threads()"}
_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS")


def _pools() -> list[dict]:
    from threadpoolctl import threadpool_info

    return threadpool_info()


def _pool_title(p: dict) -> str:
    api = p.get("internal_api", "?")
    name = {"openblas": "OpenBLAS", "mkl": "Intel(R) oneAPI Math Kernel Library",
            "blis": "BLIS", "flexiblas": "FlexiBLAS", "openmp": "OpenMP"}.get(api, api)
    details = [f"{k}={p[k]}" for k in ("user_api", "internal_api", "threading_layer",
                                       "architecture", "prefix") if p.get(k)]
    ver = p.get("version")
    return f"{name}{' ' + str(ver) if ver else ''} ({', '.join(details)})"


def _dist_version(name: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _cupy_line() -> str:
    from .backends import cuda as _cuda

    if _cuda.xp is not None:
        n = _cuda.device_count()
        return f"CuPy {_cuda.xp.__version__} in use, {n} CUDA device{'s' if n != 1 else ''}"
    if _cuda._error is not None:
        return f"unavailable ({_cuda._error})"
    for dist in ("cupy", "cupy-cuda12x", "cupy-cuda11x", "cupy-cuda13x", "cupy-rocm-6-0"):
        v = _dist_version(dist)
        if v is not None:
            return f"{dist} {v} installed (not yet initialised; ember.cuda.is_available() " \
                   "checks for a GPU)"
    import importlib.util

    if importlib.util.find_spec("cupy") is not None:
        return "CuPy installed (not yet initialised)"
    return "CuPy not installed: CUDA tensors are unavailable (pip install cupy-cuda12x)"


def show() -> str:
    """A description of this Ember: versions, the BLAS NumPy uses, optional backends."""
    import numpy as np

    from . import __version__

    lines = ["Ember built with:",
             f"  - Ember {__version__} (Python over NumPy; no compiled core)",
             f"  - Python {platform.python_version()} ({platform.python_implementation()}, "
             f"{sys.platform}, {platform.machine()})",
             f"  - NumPy {np.__version__}"]
    mld = _dist_version("ml_dtypes")
    lines.append(f"  - ml_dtypes {mld}" if mld else "  - ml_dtypes (version unknown)")
    blas = [p for p in _pools() if p.get("user_api") == "blas"]
    if blas:
        for p in blas:
            lines.append(f"  - BLAS: {_pool_title(p)}")
            lines.append(f"      filepath={p.get('filepath')}")
            lines.append(f"      num_threads={p.get('num_threads')}")
    else:
        lines.append("  - BLAS: none found by threadpoolctl (NumPy's own loops)")
    omp = [p for p in _pools() if p.get("user_api") == "openmp"]
    for p in omp:
        lines.append(f"  - OpenMP: {_pool_title(p)}, filepath={p.get('filepath')}")
    lines.append("  - LAPACK: through numpy.linalg (the BLAS above)")
    lines.append(f"  - threadpoolctl {_dist_version('threadpoolctl') or '(version unknown)'}")
    lines.append(f"  - CUDA: {_cupy_line()}")
    lines.append(f"  - Build settings: EMBER_VERSION={__version__}, NUMPY_VERSION="
                 f"{np.__version__}, USE_CUDA={'CuPy' if _cuda_in_use() else 'optional'}, "
                 "USE_OPENMP=from loaded libraries, USE_MKL="
                 f"{'ON' if any(p.get('internal_api') == 'mkl' for p in blas) else 'OFF'}")
    return "\n".join(lines) + "\n"


def _cuda_in_use() -> bool:
    from .backends import cuda as _cuda

    return _cuda.xp is not None


def parallel_info() -> str:
    """The thread settings and the real thread pools, laid out as torch prints them."""
    from ._threads import get_num_interop_threads, get_num_threads

    lines = ["ATen/Parallel:",
             f"\tat::get_num_threads() : {get_num_threads()}",
             f"\tat::get_num_interop_threads() : {get_num_interop_threads()}"]
    pools: list[Any] = _pools()
    for p in pools:
        lines.append(_pool_title(p))
        getter = _GETTER.get(p.get("internal_api", ""), "num_threads")
        lines.append(f"\t{getter} : {p.get('num_threads')}")
        lines.append(f"\tfilepath : {p.get('filepath')}")
    if not pools:
        lines.append("No BLAS or OpenMP thread pool loaded (threadpoolctl found none)")
    lines.append(f"std::thread::hardware_concurrency() : {os.cpu_count()}")
    lines.append("Environment variables:")
    for k in _ENV:
        lines.append(f"\t{k} : {os.environ.get(k, '[not set]')}")
    kinds = sorted({p.get("internal_api", "?") for p in pools})
    lines.append("ATen parallel backend: none (ops run on the calling thread; parallel inside "
                 f"{', '.join(kinds) if kinds else 'no library'})")
    return "\n".join(lines) + "\n"
