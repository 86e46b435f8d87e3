"""Private helpers of the linear algebra op files: C++ dtype names, half-type casts, checks."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._parallel import run_halves
from .._tensor import Tensor
from .._threads import get_num_threads
from ..autograd.graph import Node
from ._core import _tname, check_same_device

_F32, _F64, _F16, _BF16, _BOOL = D.float32, D.float64, D.float16, D.bfloat16, D.bool_
_f32 = np.dtype(np.float32)

# the C++ scalar names torch prints in mm/multi_dot dtype errors
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _cn(t: Tensor) -> str:
    return _CNAME[t.dtype.name]


def _tn(t: Tensor) -> str:
    return _tname(t.dtype)


# Matrix products never promote (mixed dtypes raise, as in torch); float16/bfloat16 are computed
# in float32 and rounded once, as torch's CPU kernels accumulate in float32 (NumPy has no BLAS
# path for half types: its own float16 matmul is ~100x slower).
def _half(dt: D.dtype) -> bool:
    return dt is _F16 or dt is _BF16


def _up(a: Any, dt: D.dtype) -> Any:
    """The array in the dtype the product is computed in (float32 for half types)."""
    return a.astype(_f32) if dt is _F16 or dt is _BF16 else a


def _down(r: Any, dt: D.dtype) -> Any:
    return r.astype(dt.np) if dt is _F16 or dt is _BF16 else r


def _no_bool(dt: D.dtype, kernel: str) -> None:
    if dt is _BOOL:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _arr0(r: Any) -> Any:
    """NumPy reductions to 0-d return scalars; tensors hold arrays."""
    return np.asarray(r) if isinstance(r, np.generic) else r


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _same_device(name: str, *ts: Tensor) -> None:
    d0 = ts[0].device
    for t in ts[1:]:
        if t.device is not d0 and t.device != d0:
            check_same_device(name, ts[0], t)


def _broadcast(sa: tuple, sb: tuple) -> tuple:
    """torch's infer_size: the broadcast shape, or its error naming the first bad dim."""
    n = max(len(sa), len(sb))
    out = [0] * n
    for i in range(n - 1, -1, -1):
        ia, ib = i - n + len(sa), i - n + len(sb)
        x = sa[ia] if ia >= 0 else 1
        y = sb[ib] if ib >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out[i] = y if x == 1 else x
    return tuple(out)


def _conj(t: Tensor) -> Tensor:
    """Complex conjugate for backward formulas (no op at all for real dtypes)."""
    return t.conj() if t.dtype.category == D.COMPLEX else t


def _H(t: Tensor) -> Tensor:
    """Conjugate transpose of the last two dims."""
    return _conj(t.transpose(-2, -1))


def _save_pair(node: Node, x: Tensor, y: Tensor) -> None:
    """Save only what the gradients need (torch does too: an in-place update of a tensor that
    no formula reads must not raise at backward)."""
    node.save(x if y._requires_grad else None, y if x._requires_grad else None)


def batched_matmul(a: Any, b: Any) -> Any:
    """np.matmul over a batch of small matrices, the batch split across two threads.

    NumPy runs each small GEMM on one core (OpenBLAS only threads large ones) and releases the
    GIL: a second thread on half the batch uses the second core. Plain np.matmul for small
    work, one thread (set_num_threads(1)) or non-NumPy arrays.
    """
    if type(a) is not np.ndarray or a.ndim < 3 or b.ndim != a.ndim or \
            a.shape[-2] * a.shape[-1] * b.shape[-1] * max(a.shape[0], b.shape[0]) < 1 << 20:
        return np.matmul(a, b)
    n0 = max(a.shape[0], b.shape[0])
    if n0 < 2 or get_num_threads() < 2:
        return np.matmul(a, b)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    out = np.empty(shape, np.result_type(a, b))

    def part(lo: int, hi: int) -> None:
        np.matmul(a[lo:hi] if a.shape[0] > 1 else a, b[lo:hi] if b.shape[0] > 1 else b,
                  out=out[lo:hi])

    run_halves(part, n0)
    return out
