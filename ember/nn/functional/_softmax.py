"""softmax, log_softmax and softmin: one fused NumPy forward and one backward formula each.

Rows along the last dimension take a fast path: one shift by the tensor's global maximum (a
single vectorised reduction instead of a slow per-row one), row sums by one BLAS product, and an
exact per-row-max recomputation for the rows where the global shift could underflow (rows far
below the maximum, or a non-finite maximum). Also published as ember.softmax / ember.log_softmax
and the Tensor methods, as torch has them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...ops._core import attach, norm_dim
from ...ops._registry import register
from ._util import F32, float_in, not_tensor, out, publish, up

__all__ = ["softmax", "log_softmax", "softmin"]

_ONES: dict = {}


def _ones(n: int, dt: Any) -> Any:
    key = (n, dt)
    o = _ONES.get(key)
    if o is None:
        o = _ONES[key] = np.ones(n, dt)
    return o


def row_sums(a2: Any) -> Any:
    """Sums of the rows of a 2-d float array (one BLAS matrix-vector product)."""
    if type(a2) is not np.ndarray:
        return a2.sum(axis=1)
    return a2 @ _ones(a2.shape[1], a2.dtype)


def _rows_exact(a2: Any, log: bool) -> Any:
    m = a2.max(axis=1, keepdims=True)
    z = a2 - m
    if log:
        s = np.exp(z).sum(axis=1, keepdims=True)
        z -= np.log(s)
        return z
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _rows_small(a2: Any, log: bool) -> Any:
    """Small arrays: the exact per-row shift in the fewest NumPy calls (ufunc methods directly,
    skipping ndarray.max/sum's Python wrappers)."""
    if type(a2) is not np.ndarray:  # CuPy's ufuncs have no maximum.reduce
        return _rows_exact(a2, log)
    z = a2 - np.maximum.reduce(a2, axis=1, keepdims=True)
    if log:
        z -= np.log(np.add.reduce(np.exp(z), axis=1, keepdims=True))
        return z
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=1, keepdims=True)
    return z


def _rows(a2: Any, log: bool) -> Any:
    """(log-)softmax of each row of a 2-d float32/float64 array (a new array)."""
    if a2.size <= 2048:
        return _rows_small(a2, log)
    top = a2.max()
    if not np.isfinite(top):
        return _rows_exact(a2, log)
    z = a2 - top
    e = np.exp(z) if log else np.exp(z, out=z)
    s = row_sums(e)
    bad = s < (1e-30 if a2.dtype == F32 else 1e-280)
    if log:
        z -= np.log(s)[:, None]
    else:
        z *= np.reciprocal(s)[:, None]
    if bad.any():  # rows whose own maximum is far below the global one: shift them exactly
        z[bad] = _rows_exact(a2[bad], log)
    return z


def softmax_array(a: Any, axis: int, log: bool = False) -> Any:
    """(log-)softmax of a float32/float64 array along axis (a new array)."""
    if a.ndim == 0:
        return softmax_array(a.reshape(1), 0, log).reshape(())
    if a.size == 0:
        return np.empty_like(a)
    if axis == a.ndim - 1:
        n = a.shape[-1]
        return _rows(a.reshape(-1, n), log).reshape(a.shape)
    m = a.max(axis=axis, keepdims=True)
    z = a - m
    if log:
        z -= np.log(np.exp(z).sum(axis=axis, keepdims=True))
        return z
    np.exp(z, out=z)
    z /= z.sum(axis=axis, keepdims=True)
    return z


def _sum_keep(a: Any, axis: int) -> Any:
    """a summed along axis, keeping it (BLAS for the last axis)."""
    if axis == a.ndim - 1 and a.ndim:
        n = a.shape[-1]
        return row_sums(a.reshape(-1, n)).reshape(a.shape[:-1] + (1,))
    return a.sum(axis=axis, keepdims=True)


class SoftmaxBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        (y,) = self.saved_tensors
        if _gm.enabled:
            return (grad - (grad * y).sum(self.dim, keepdim=True)) * y
        ya, g = up(y._data), up(grad._data)
        if ya.ndim == 0:
            return out(np.zeros_like(g), grad.dtype, grad.device)
        gx = g - _sum_keep(g * ya, self.dim)
        gx *= ya
        return out(gx, grad.dtype, grad.device)


class LogSoftmaxBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        (y,) = self.saved_tensors
        if _gm.enabled:
            return grad - y.exp() * grad.sum(self.dim, keepdim=True)
        ya, g = up(y._data), up(grad._data)
        if ya.ndim == 0:
            return out(np.zeros_like(g), grad.dtype, grad.device)
        p = np.exp(ya)
        p *= _sum_keep(g, self.dim)
        return out(np.subtract(g, p, out=p), grad.dtype, grad.device)


def _impl(name: str, input: Any, dim: Any, dtype: Any, log: bool) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor(name, "input", input)
    if dtype is not None:
        input = input.to(dtype)
    a = input._data
    nd = a.ndim
    d = norm_dim(dim, nd)
    dt = input.dtype
    if dt is not D.float32 and dt is not D.float64:  # the kernel name only for the error
        kernel = f"{name}_lastdim_kernel_impl" if d >= nd - 1 else f"{name}_kernel_impl"
        a, dt = float_in(name, kernel, input)
    res = out(softmax_array(a, d, log), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = LogSoftmaxBackward0(d) if log else SoftmaxBackward0(d)
        attach(node, (input,), (res,))
        node.save_outputs(res)
    return res


def _implicit_dim(name: str, ndim: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


@register("softmax", namespace="nn.functional")
def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (fused, numerically stable)."""
    if dim is None:
        dim = _implicit_dim("softmax", input.dim())
    return _impl("softmax", input, dim, dtype, False)


@register("log_softmax", namespace="nn.functional")
def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along dim (fused, numerically stable)."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.dim())
    return _impl("log_softmax", input, dim, dtype, True)


@register("softmin", namespace="nn.functional")
def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """softmax(-x) along dim."""
    if dim is None:
        dim = _implicit_dim("softmin", input.dim())
    return _impl("softmax", -input, dim, dtype, False)


@register("softmax", method=True)
def _softmax_top(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """torch.softmax / Tensor.softmax."""
    return _impl("softmax", input, dim, dtype, False)


@register("log_softmax", method=True)
def _log_softmax_top(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """torch.log_softmax / Tensor.log_softmax."""
    return _impl("log_softmax", input, dim, dtype, True)


publish("softmax", "log_softmax", method=True)
