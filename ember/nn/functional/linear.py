"""nn.functional linear (one fused BLAS node) and bilinear; re-exports dropout, embedding,
one_hot, pad, cosine_similarity and pairwise_distance, which live in _dropout.py, sparse.py,
padding.py and distance.py.

linear folds the batch dims of input into the rows of one GEMM (x @ W.T + b) and records one node
that computes the input, weight and bias gradients with two GEMMs and one GEMV. The node carries
the name of the node torch puts on top of its (unfused) graph: AddmmBackward0 / MmBackward0 for
2-d inputs, ViewBackward0 / UnsafeViewBackward0 for batched inputs, ViewBackward0 /
SqueezeBackward4 for 1-d inputs; its edges lead straight to input, weight and bias.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...ops._core import attach
from ...ops._registry import FUNCTIONS, register
from ._dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from ._util import HALF, not_tensor, publish
from .distance import cosine_similarity, pairwise_distance
from .padding import pad
from .sparse import embedding, embedding_bag, one_hot

__all__ = ["linear", "bilinear", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "alpha_dropout", "feature_alpha_dropout", "embedding", "embedding_bag", "one_hot",
           "pad", "cosine_similarity", "pairwise_distance"]

_F32 = np.dtype(np.float32)
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_TN = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
       "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
       "bool": "Bool"}


class _LinearBackward(Node):
    """Gradients of y = x @ W.T + b for x (..., in), W (out, in), b (out,) (or b None)."""

    def __init__(self, in_shape: tuple, n_out: int) -> None:
        super().__init__()
        self.in_shape, self.n_in, self.n_out = in_shape, in_shape[-1], n_out

    def backward(self, grad: Tensor) -> tuple:
        x, w = self.saved_tensors
        nf = self.next_functions
        n_in, n_out = self.n_in, self.n_out
        if _gm.enabled:
            g2 = grad.reshape(-1, n_out)
            gx = g2.mm(w).reshape(self.in_shape) if nf[0][0] is not None else None
            gw = g2.t().mm(x.reshape(-1, n_in)) if nf[1][0] is not None else None
            gb = g2.sum(0) if len(nf) > 2 and nf[2][0] is not None else None
            return (gx, gw, gb) if len(nf) > 2 else (gx, gw)
        dt = grad.dtype
        half = dt in HALF
        g2 = grad._data.reshape(-1, n_out)
        if half:
            g2 = g2.astype(_F32)
        gx = gw = gb = None
        if nf[0][0] is not None:
            wa = w._data.astype(_F32) if half else w._data
            r = np.dot(g2, wa).reshape(self.in_shape)
            gx = make(r.astype(dt.np) if half else r, dt, grad.device)
        if nf[1][0] is not None:
            xa = x._data.reshape(-1, n_in)
            r = np.dot(g2.T, xa.astype(_F32) if half else xa)
            gw = make(r.astype(dt.np) if half else r, dt, grad.device)
        if len(nf) > 2 and nf[2][0] is not None:
            if type(g2) is not np.ndarray:
                r = g2.sum(axis=0)
            else:
                r = np.dot(_ones(g2.shape[0], g2.dtype), g2) if g2.shape[0] else \
                    np.zeros(n_out, g2.dtype)
            gb = make(r.astype(dt.np) if half else r, dt, grad.device)
        return (gx, gw, gb) if len(nf) > 2 else (gx, gw)


_ONES: dict = {}


def _ones(n: int, dt: Any) -> Any:
    o = _ONES.get((n, dt))
    if o is None:
        o = _ONES[(n, dt)] = np.ones(n, dt)
    return o


_NODE_NAMES = {(2, True): "AddmmBackward0", (2, False): "MmBackward0",
               (1, True): "ViewBackward0", (1, False): "SqueezeBackward4",
               (3, True): "ViewBackward0", (3, False): "UnsafeViewBackward0"}
_NODES = {k: type(v, (_LinearBackward,), {}) for k, v in _NODE_NAMES.items()}


def _linear_fallback(input: Tensor, weight: Tensor, bias: Any) -> Tensor:
    """Uncommon shapes (1-d weight, bias of another shape): matmul + add, as torch composes."""
    r = FUNCTIONS["matmul"](input, weight.t())
    return r + bias if bias is not None else r


def _linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    try:
        a, w = input._data, weight._data
    except AttributeError:
        raise not_tensor("linear", "input" if not isinstance(input, Tensor) else "weight",
                         weight if isinstance(input, Tensor) else input,
                         2 if isinstance(input, Tensor) else 1) from None
    dt = input.dtype
    if a.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{a.ndim}D and {w.ndim}D")
    if w.ndim != 2 or (bias is not None and tuple(bias._data.shape) != (w.shape[0],)):
        return _linear_fallback(input, weight, bias)
    if weight.dtype is not dt:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_CNAME[dt.name]} != {_CNAME[weight.dtype.name]}")
    if bias is not None and bias.dtype is not dt:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                           f"{_TN[bias.dtype.name]} and {_TN[dt.name]}")
    n_out, n_in = w.shape
    if a.shape[-1] != n_in:
        rows = int(np.prod(a.shape[:-1])) if a.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} "
                           f"and {n_in}x{n_out})")
    if input.device != weight.device:
        from ...ops._core import check_same_device

        check_same_device("linear", input, weight)
    x2 = a.reshape(-1, n_in)
    if dt is D.float32 or dt is D.float64:
        r = np.dot(x2, w.T)
        if bias is not None:
            r += bias._data
    elif dt in HALF:
        r = np.dot(x2.astype(_F32), w.T.astype(_F32))
        if bias is not None:
            r += bias._data.astype(_F32)
        r = r.astype(dt.np)
    else:
        if dt is D.bool_ or dt.category == D.COMPLEX:
            return _linear_fallback(input, weight, bias)
        r = np.dot(x2, w.T)
        if bias is not None:
            r += bias._data
    res = make(r.reshape(a.shape[:-1] + (n_out,)), dt, input.device)
    if _gm.enabled and (input._requires_grad or weight._requires_grad
                        or (bias is not None and bias._requires_grad)):
        node = _NODES[(min(a.ndim, 3), bias is not None)](tuple(a.shape), n_out)
        if bias is not None:
            attach(node, (input, weight, bias), (res,))
        else:
            attach(node, (input, weight), (res,))
        node.save(input if weight._requires_grad else None,
                  weight if input._requires_grad else None)
    return res


linear = register("linear", namespace="nn.functional")(_linear)
linear.__doc__ = "input @ weight.T + bias in one GEMM; one backward node for all three."


@register("bilinear", namespace="nn.functional")
def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """y_k = input1 @ weight[k] @ input2 + bias_k (composed of ember ops: one einsum)."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and "
                           f"{input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, got {weight.dim()}D")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {weight.shape[2]}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0] if bias.dim() else 0} but expected "
                           f"{weight.shape[0]}")
    y = FUNCTIONS["einsum"]("...i,kij,...j->...k", input1, weight, input2)
    return y + bias if bias is not None else y


register("bilinear")(bilinear.__wrapped__)
publish("bilinear")
