"""Diagonal ops: trace, diag and diag_embed."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ._core import attach, grad_on, norm_dim
from ._linalg_util import _arr0, _f32, _half, _no_bool
from ._registry import register
from .views import diagonal, view_scatter


class TraceBackward0(Node):
    def __init__(self, shape: tuple) -> None:
        super().__init__()
        self.shape = shape

    def backward(self, grad: Tensor) -> Tensor:
        from .creation import eye

        return eye(*self.shape, dtype=grad.dtype, device=grad.device) * grad


@register("trace", method=True)
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-d tensor (integers sum to int64, like sum)."""
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    dt = input.dtype
    _no_bool(dt, "trace")
    odt = D.int64 if dt.category == D.INT else dt
    r = np.trace(a, dtype=_f32 if _half(dt) else odt.np)
    out = make(_arr0(r).astype(odt.np, copy=False), odt, input.device)
    if grad_on(input):
        attach(TraceBackward0(tuple(a.shape)), (input,), (out,))
    return out


class DiagEmbedBackward0(Node):
    def __init__(self, offset: int, d1: int, d2: int) -> None:
        super().__init__()
        self.offset, self.d1, self.d2 = offset, d1, d2

    def backward(self, grad: Tensor) -> Tensor:
        return diagonal(grad, self.offset, self.d1, self.d2)


class DiagonalBackward0Copy(Node):
    """torch names this node DiagonalBackward0_copy (diag of a matrix returns a copy)."""

    def __init__(self, shape: tuple, offset: int) -> None:
        super().__init__()
        self.shape, self.offset = shape, offset

    def name(self) -> str:
        return "DiagonalBackward0_copy"

    def backward(self, grad: Tensor) -> Tensor:
        k = self.offset
        return view_scatter(grad, self.shape, lambda g: diagonal(g, k), False)


@register("diag_embed", method=True)
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dim of input on the diagonal (offset) of dims dim1, dim2 of zeros."""
    a = input._data
    nd = a.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = a.shape[-1]
    n = m + abs(offset)
    rest = iter(a.shape[:-1])
    shape = tuple(n if i == d1 or i == d2 else next(rest) for i in range(nd))
    r = np.zeros_like(a, shape=shape)
    idx = np.arange(m, like=a)  # like=: the index array lives where the data does
    np.moveaxis(r, (d1, d2), (-2, -1))[..., idx + max(-offset, 0), idx + max(offset, 0)] = a
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        attach(DiagEmbedBackward0(offset, d1, d2), (input,), (out,))
    return out


@register("diag", method=True, out=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d: a matrix with input on the given diagonal; 2-d: a copy of that diagonal."""
    a = input._data
    if a.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if a.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    out = make(a.diagonal(diagonal).copy(), input.dtype, input.device)
    if grad_on(input):
        attach(DiagonalBackward0Copy(tuple(a.shape), diagonal), (input,), (out,))
    return out
