"""Reductions: sum, mean, ... (one family; backward formulas beside each forward)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ._core import attach, grad_on, norm_dims
from ._registry import register


def _keep_shape(in_shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if i in dims else s for i, s in enumerate(in_shape))


class SumBackward0(Node):
    """Sum over everything: broadcast the 0-d grad back (the engine does not, for 0-d)."""

    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> Tensor:
        return grad.expand(self.in_shape)


class SumBackward1(Node):
    def __init__(self, in_shape: tuple, dims: tuple, keepdim: bool) -> None:
        super().__init__()
        self.in_shape, self.dims, self.keepdim = in_shape, dims, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        if not self.keepdim:
            grad = grad.reshape(_keep_shape(self.in_shape, self.dims))
        return grad.expand(self.in_shape)


class MeanBackward0(SumBackward0):
    def backward(self, grad: Tensor) -> Tensor:
        n = int(np.prod(self.in_shape))
        return (grad / n).expand(self.in_shape)


class MeanBackward1(SumBackward1):
    def backward(self, grad: Tensor) -> Tensor:
        n = 1
        for d in self.dims:
            n *= self.in_shape[d]
        return SumBackward1.backward(self, grad / n)


def _sum_dtype(dt: D.dtype, dtype: D.dtype | None) -> D.dtype:
    if dtype is not None:
        return dtype
    return D.int64 if dt.category <= D.INT else dt


def _acc(a: Any, dt: D.dtype) -> Any:
    """Half-precision sums accumulate in float32, as torch's CPU kernels do."""
    if dt is D.float16 or dt is D.bfloat16:
        return a.astype(np.float32)
    return a


@register("sum", method=True, out=True)
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
        dtype: D.dtype | None = None) -> Tensor:
    """Sum of elements (over `dim` if given); integer and bool inputs sum to int64."""
    a = input._data
    odt = _sum_dtype(input.dtype, dtype)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        if keepdim:
            r = np.sum(_acc(a, odt), axis=None, dtype=odt.np if odt.category != D.FLOAT else None,
                       keepdims=True)
        else:
            r = _acc(a, odt).sum(dtype=odt.np if odt.category != D.FLOAT or odt is not input.dtype
                                 else None)
        out = make(np.asarray(r, dtype=odt.np) if type(a) is np.ndarray else r.astype(odt.np),
                   odt, input.device)
        if grad_on(input):
            attach(SumBackward0(a.shape) if not keepdim else
                   SumBackward1(a.shape, tuple(range(a.ndim)), True), (input,), (out,))
        return out
    dims = norm_dims(dim, a.ndim)
    r = _acc(a, odt).sum(axis=dims, keepdims=keepdim,
                         dtype=odt.np if odt.category != D.FLOAT else None)
    out = make(r.astype(odt.np, copy=False) if hasattr(r, "astype") else np.asarray(r, odt.np),
               odt, input.device)
    if grad_on(input):
        attach(SumBackward1(a.shape, dims, keepdim), (input,), (out,))
    return out


@register("mean", method=True, out=True)
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    """Arithmetic mean; floating or complex inputs only (torch raises for integers)."""
    odt = dtype or input.dtype
    if odt.category < D.FLOAT:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {_tn(input.dtype)}")
    a = input._data
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.mean(_acc(a, odt), keepdims=keepdim)
        out = make(np.asarray(r).astype(odt.np, copy=False) if type(a) is np.ndarray
                   else r.astype(odt.np), odt, input.device)
        if grad_on(input):
            attach(MeanBackward0(a.shape) if not keepdim else
                   MeanBackward1(a.shape, tuple(range(a.ndim)), True), (input,), (out,))
        return out
    dims = norm_dims(dim, a.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.mean(_acc(a, odt), axis=dims, keepdims=keepdim)
    out = make(np.asarray(r).astype(odt.np, copy=False), odt, input.device)
    if grad_on(input):
        attach(MeanBackward1(a.shape, dims, keepdim), (input,), (out,))
    return out


def _tn(dt: D.dtype) -> str:
    from ._core import _tname

    return _tname(dt)
