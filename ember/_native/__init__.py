"""Ember's native kernels: C loops where NumPy is not enough (exact int8 GEMM, fused GELU).

The library is compiled from kernels.c with the system C compiler the first time a kernel is
called (never at `import ember`) and cached under the C++ extensions' build root
(TORCH_EXTENSIONS_DIR or ~/.cache/ember_extensions), keyed by the source, the flags, the
compiler's version and the CPU (it is built with -march=native); another process loads the
cached file without building. Without a compiler, or when the build fails, every kernel
reports itself unavailable and callers keep their NumPy path (a warning says why when
EMBER_DEBUG is set). EMBER_NATIVE=0 disables the native kernels.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sysconfig
import threading
import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._parallel import run_halves

__all__ = [
    "available",
    "disabled",
    "u8s8_gemm",
    "quantize_u8",
    "dequantize_acc",
    "dynamic_linear",
    "gelu_f32",
    "gelu_backward_f32",
]

_ABI = 1  # ember_native_abi() of the kernels.c this module is written against
_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels.c")
_BASE_FLAGS = [
    "-O3",
    "-fPIC",
    "-shared",
    "-fno-math-errno",
    "-ffp-contract=off",
    "-fvisibility=hidden",
]
# -march=native first (AVX-512 VNNI dot products where the CPU has them); a compiler that
# rejects it still gets a portable build
_FLAG_SETS: tuple[list[str], ...] = (["-march=native"], [])
_MAX_K = 65536  # kernels.c's EMBER_MAX_K: int32 dot products of u8 x s8 cannot overflow below
_lock = threading.Lock()
_state: list[Any] = []  # [CDLL or None] once resolved
# Multiply-accumulates above which a dynamic Linear splits its rows over two threads: the
# worker handoff costs ~40-70 us, which a 2**22-MAC half repays.
_SPLIT_MACS = 1 << 22
# id(w_q) -> (weakref to w_q, w_zp, w_sum, int32 zero points, their stride, pointers): a packed
# weight's checks and pointers, computed once (they are most of a batch-1 call's overhead).
# An entry leaves when its weight array dies, before the id can be reused.
_weights: dict[int, tuple] = {}


def available() -> bool:
    """Whether the native kernels are enabled and built (builds them on the first call)."""
    return _lib() is not None


@contextmanager
def disabled() -> Iterator[None]:
    """Run the NumPy paths inside the block (benchmarks and tests compare the two); not
    thread-safe: other threads see the kernels disabled too."""
    lib = _lib()
    _state[:] = [None]
    try:
        yield
    finally:
        _state[:] = [lib]


def _lib() -> Any:
    if _state:
        return _state[0]
    with _lock:
        if not _state:
            _state.append(_load())
    return _state[0]


def _load() -> Any:
    if os.environ.get("EMBER_NATIVE", "1").strip() == "0":
        return None
    try:
        return _bind(ctypes.CDLL(_build()))
    except Exception as e:  # no compiler, a failed build, an unloadable file: keep NumPy
        if os.environ.get("EMBER_DEBUG"):
            warnings.warn(
                f"ember._native: native kernels unavailable, using NumPy ({e})",
                RuntimeWarning,
                stacklevel=3,
            )
        return None


def _compiler() -> str:
    cc = os.environ.get("CC") or (sysconfig.get_config_var("CC") or "").split(" ")[0]
    return cc if cc and shutil.which(cc) else "cc"


def _cpu_id() -> str:
    """What -march=native depends on: the CPU model and feature flags."""
    try:
        with open("/proc/cpuinfo") as fh:
            lines = [
                ln
                for ln in fh.read().splitlines()
                if ln.startswith(("model name", "flags", "Features", "CPU part"))
            ]
        return "\n".join(dict.fromkeys(lines))
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def _build() -> str:
    """Path of the built library: from the cache, else compiled now under a file lock."""
    from ..utils.cpp_extension._build import _compiler_version, build_lock, default_build_root

    cc = _compiler()
    version = _compiler_version(cc)
    with open(_SOURCE, "rb") as fh:
        source = hashlib.sha256(fh.read()).hexdigest()
    build_dir = os.path.join(default_build_root(), "ember_native")
    os.makedirs(build_dir, exist_ok=True)
    errors = []
    for extra in _FLAG_SETS:
        flags = _BASE_FLAGS + extra
        inputs = {
            "source": source,
            "flags": flags,
            "compiler": f"{cc}: {version}",
            "cpu": _cpu_id() if extra else platform.machine(),
            "abi": _ABI,
        }
        key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]
        lib = os.path.join(build_dir, f"ember_native.{key}.so")
        if os.path.exists(lib):
            return lib
        with build_lock(build_dir):
            if os.path.exists(lib):  # built by the process we waited for
                return lib
            tmp = f"{lib}.tmp{os.getpid()}"
            p = subprocess.run(
                [cc, *flags, _SOURCE, "-o", tmp],
                capture_output=True,
                text=True,
                env=dict(os.environ, LC_ALL="C"),
            )
            if p.returncode == 0:
                os.replace(tmp, lib)
                return lib
            errors.append(f"{cc} {' '.join(flags)}: {p.stderr.strip()[-2000:]}")
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise RuntimeError("building kernels.c failed:\n" + "\n".join(errors))


def _bind(lib: Any) -> Any:
    i64, i32, ptr = ctypes.c_int64, ctypes.c_int32, ctypes.c_void_p
    if lib.ember_native_abi() != _ABI:
        raise RuntimeError("the cached library does not match kernels.c")
    lib.ember_u8s8_gemm.argtypes = [
        i64,
        i64,
        i64,
        ptr,
        i64,
        i32,
        ptr,
        i64,
        ptr,
        i64,
        ptr,
        ptr,
        i64,
        i64,
        i64,
    ]
    lib.ember_quantize_u8.argtypes = [i64, ptr, ctypes.c_float, i32, ptr]
    lib.ember_dequantize_acc.argtypes = [i64, i64, ptr, ptr, ptr, ptr]
    lib.ember_dynamic_linear.argtypes = [i64, i64, i64, ptr, ctypes.c_float, i32, ptr, ptr, i64]
    lib.ember_dynamic_linear.argtypes += [ptr, ptr, ptr, ptr]
    lib.ember_gelu_f32.argtypes = [i64, ptr, ptr, ptr, ptr, ptr, ctypes.c_float]
    lib.ember_gelu_backward_f32.argtypes = [i64, ptr, ptr, ptr, ptr]
    for f in (
        lib.ember_u8s8_gemm,
        lib.ember_quantize_u8,
        lib.ember_dequantize_acc,
        lib.ember_dynamic_linear,
        lib.ember_gelu_f32,
        lib.ember_gelu_backward_f32,
    ):
        f.restype = ctypes.c_int
    return lib


def _rows(a: np.ndarray) -> np.ndarray:
    """a with unit stride along its last axis and non-negative row stride (a copy if not)."""
    if a.strides[1] != a.itemsize or a.strides[0] < a.shape[1] * a.itemsize:
        return np.ascontiguousarray(a)
    return a


def u8s8_gemm(
    x_q: np.ndarray,
    x_zp: int,
    w_q: np.ndarray,
    w_zp: np.ndarray | int,
    w_sum: np.ndarray | None = None,
) -> np.ndarray | None:
    """Exact int32 (x_q - x_zp) @ (w_q - w_zp).T for uint8 (M, K) x and int8 (N, K) w, or None
    when the native kernel is unavailable or does not cover the inputs (the caller then uses
    NumPy). w_zp is a scalar or one zero point per row of w; w_sum, optional, is w_q's int32
    row sums (w_q.sum(1)), saving a pass over the weight."""
    lib = _lib()
    if lib is None or x_q.dtype != np.uint8 or w_q.dtype != np.int8:
        return None
    if x_q.ndim != 2 or w_q.ndim != 2 or x_q.shape[1] != w_q.shape[1]:
        return None
    (m, k), n = x_q.shape, w_q.shape[0]
    if m == 0 or n == 0 or k == 0 or k > _MAX_K or not 0 <= int(x_zp) <= 255:
        return None
    zp = np.ascontiguousarray(w_zp, dtype=np.int32).reshape(-1)
    if zp.size not in (1, n):
        return None
    x, w = _rows(x_q), _rows(w_q)
    if w_sum is not None and (
        w_sum.dtype != np.int32 or w_sum.shape != (n,) or not w_sum.flags.c_contiguous
    ):
        w_sum = None
    out = np.empty((m, n), dtype=np.int32)
    args = (
        m,
        n,
        k,
        x.ctypes.data,
        x.strides[0],
        int(x_zp),
        w.ctypes.data,
        w.strides[0],
        zp.ctypes.data,
        int(zp.size > 1),
        None if w_sum is None else w_sum.ctypes.data,
        out.ctypes.data,
        n,
    )
    # one thread: splitting N over the machine's second core measured no faster
    rc = lib.ember_u8s8_gemm(*args, 0, n)
    if rc != 0:
        raise RuntimeError(f"ember._native: u8s8_gemm rejected x {x_q.shape} w {w_q.shape}")
    return out


def quantize_u8(x: np.ndarray, inv_scale: np.float32, zp: int) -> np.ndarray | None:
    """clamp(rint(x * inv_scale) + zp, 0, 255) as uint8 for C-contiguous float32 x (float32
    arithmetic, half to even), or None when the kernel is unavailable or x does not fit."""
    lib = _lib()
    if lib is None or x.dtype != np.float32 or not x.flags.c_contiguous or not 0 <= zp <= 255:
        return None
    q = np.empty(x.shape, dtype=np.uint8)
    if lib.ember_quantize_u8(x.size, x.ctypes.data, float(inv_scale), zp, q.ctypes.data) != 0:
        return None
    return q


def dequantize_acc(
    acc: np.ndarray, scale: np.ndarray, bias: np.ndarray | None
) -> np.ndarray | None:
    """float32(acc * scale + bias) per column, computed in float64 (int32 (M, N) acc, float64
    (N,) scale, float32 (N,) bias or None), or None when the kernel is unavailable."""
    lib = _lib()
    if lib is None or acc.dtype != np.int32 or acc.ndim != 2 or not acc.flags.c_contiguous:
        return None
    m, n = acc.shape
    if scale.shape != (n,) or scale.dtype != np.float64 or not scale.flags.c_contiguous:
        return None
    if bias is not None and (
        bias.shape != (n,) or bias.dtype != np.float32 or not bias.flags.c_contiguous
    ):
        return None
    y = np.empty((m, n), dtype=np.float32)
    b = None if bias is None else bias.ctypes.data
    if lib.ember_dequantize_acc(m, n, acc.ctypes.data, scale.ctypes.data, b, y.ctypes.data):
        return None
    return y


def dynamic_linear(
    x: np.ndarray,
    inv_scale: np.float32,
    x_zp: int,
    w_q: np.ndarray,
    w_zp: np.ndarray | int,
    w_sum: np.ndarray,
    scale: np.ndarray,
    bias: np.ndarray | None,
) -> np.ndarray | None:
    """quantize_u8, u8s8_gemm and dequantize_acc in one call (one crossing into C instead of
    three: batch-1 calls are dominated by the calls' overhead); None when not covered."""
    lib = _lib()
    if lib is None or x.dtype != np.float32 or x.ndim != 2 or not x.flags.c_contiguous:
        return None
    (m, k), n = x.shape, w_q.shape[0]
    if m == 0 or n == 0 or k == 0 or k > _MAX_K or not 0 <= x_zp <= 255:
        return None
    ok = [(scale, np.float64)] + ([] if bias is None else [(bias, np.float32)])
    if any(a.shape != (n,) or a.dtype != t or not a.flags.c_contiguous for a, t in ok):
        return None
    w = _weight_args(w_q, w_zp, w_sum)
    if w is None or w_q.shape[1] != k:
        return None
    y = np.empty((m, n), dtype=np.float32)
    b = None if bias is None else bias.ctypes.data
    xp, yp, inv = x.ctypes.data, y.ctypes.data, float(inv_scale)
    if m < 32 or m * n * k < _SPLIT_MACS:
        args = (xp, inv, x_zp, *w, scale.ctypes.data, b, yp)
        return y if lib.ember_dynamic_linear(m, n, k, *args) == 0 else None
    # Large batches: half the rows on the worker thread (ctypes releases the GIL; the
    # quantization parameters were chosen over the whole batch before, so halves agree).
    rcs: list[int] = []

    def part(lo: int, hi: int) -> None:
        rcs.append(lib.ember_dynamic_linear(hi - lo, n, k, xp + lo * k * 4, inv, x_zp, *w,
                                            scale.ctypes.data, b, yp + lo * n * 4))

    run_halves(part, m)
    return y if rcs and not any(rcs) else None


def _weight_args(w_q: np.ndarray, w_zp: Any, w_sum: np.ndarray) -> tuple | None:
    """(w pointer, zero points pointer, their stride, row sums pointer), or None when the
    weight does not fit the kernel; cached per weight array (see _weights)."""
    e = _weights.get(id(w_q))
    if e is not None and e[0]() is w_q and e[1] is w_zp and e[2] is w_sum:
        return e[4]
    n = w_q.shape[0]
    if w_q.dtype != np.int8 or w_q.ndim != 2 or not w_q.flags.c_contiguous:
        return None
    if w_sum.dtype != np.int32 or w_sum.shape != (n,) or not w_sum.flags.c_contiguous:
        return None
    zp = np.ascontiguousarray(w_zp, dtype=np.int32).reshape(-1)
    if zp.size not in (1, n):
        return None
    args = (w_q.ctypes.data, zp.ctypes.data, int(zp.size > 1), w_sum.ctypes.data)
    key = id(w_q)
    ref = weakref.ref(w_q, lambda _r: _weights.pop(key, None))
    # zp is kept alive with the entry: the kernel reads it through the cached pointer
    _weights[key] = (ref, w_zp, w_sum, zp, args)
    return args


def _f32_1d(*arrays: np.ndarray) -> bool:
    return all(a.dtype == np.float32 and a.ndim == 1 and a.flags.c_contiguous for a in arrays)


def gelu_f32(
    x: np.ndarray, y: np.ndarray, aux: np.ndarray, p: np.ndarray, q: np.ndarray, clip: float
) -> bool:
    """y = x * Phi(x), aux = Phi(x) for contiguous 1-d float32 arrays with Phi's rational
    coefficients p (7) and q (5); False (nothing written) when the kernel is unavailable."""
    lib = _lib()
    if lib is None or not _f32_1d(x, y, aux, p, q) or p.size != 7 or q.size != 5:
        return False
    if not x.size == y.size == aux.size:
        raise ValueError(f"gelu_f32: sizes differ: {x.size}, {y.size}, {aux.size}")
    rc = lib.ember_gelu_f32(
        x.size,
        x.ctypes.data,
        y.ctypes.data,
        aux.ctypes.data,
        p.ctypes.data,
        q.ctypes.data,
        float(clip),
    )
    return rc == 0


def gelu_backward_f32(x: np.ndarray, g: np.ndarray, aux: np.ndarray, gx: np.ndarray) -> bool:
    """gx = g * (aux + x phi(x)) for contiguous 1-d float32 arrays; False when unavailable."""
    lib = _lib()
    if lib is None or not _f32_1d(x, g, aux, gx):
        return False
    if not x.size == g.size == aux.size == gx.size:
        raise ValueError(f"gelu_backward_f32: sizes differ: {x.size}, {g.size}, {aux.size}")
    rc = lib.ember_gelu_backward_f32(
        x.size, x.ctypes.data, g.ctypes.data, aux.ctypes.data, gx.ctypes.data
    )
    return rc == 0
