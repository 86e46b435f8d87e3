"""Adaptive pooling: adaptive_avg_pool1d/2d (two small matrix products, torch's window formula
start = floor(i*n/m), end = ceil((i+1)*n/m)) and adaptive_max_pool1d/2d (a max over row windows,
then over the rows; torch's flat per-plane indices). Re-exported by pooling.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.graph import Node
from ...backends import like, xp_of
from ...ops._core import attach, grad_on
from ...ops._registry import register
from .pooling import AdaptiveMaxPool2DBackward0, _as4, _back, _cdt, _shape

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


def _ranges(n_in: int, n_out: int) -> tuple:
    i = np.arange(n_out, dtype=np.int64)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _avg_matrix(n_in: int, n_out: int, dtype: Any) -> np.ndarray:
    """(n_out, n_in): row o averages torch's window [floor(o*n/m), ceil((o+1)*n/m))."""
    start, end = _ranges(n_in, n_out)
    cols = np.arange(n_in)
    m = (cols >= start[:, None]) & (cols < end[:, None])
    return (m / (end - start)[:, None]).astype(dtype)


def _out_size(output_size: Any, hw: tuple, op: str, nd: int = 2) -> tuple:
    if isinstance(output_size, (int, np.integer)):
        o = (int(output_size),) * nd
    else:
        o = tuple(output_size)
        if len(o) != nd:
            raise RuntimeError(f"{op}: output_size must be {nd}")
    o = tuple(hw[i] if v is None else int(v) for i, v in enumerate(o))
    if any(v < 0 for v in o):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{', '.join(map(str, o))}}}")
    return o


def _adaptive_check(input: Any, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    shp = input._data.shape
    if len(shp) not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got {list(shp)}")
    for i in range(len(shp) - 2, len(shp)):
        if shp[i] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(shp)} with dimension {i} "
                               "being empty")
    if input.dtype.category != D.FLOAT:
        raise NotImplementedError(f"\"{op}\" not implemented for "
                                  f"'{D._SCALAR_NAMES[input.dtype.name]}'")


class AdaptiveAvgPool2DBackwardBackward0(Node):
    def __init__(self, out: tuple) -> None:
        super().__init__()
        self.out = out

    def backward(self, gg: Tensor) -> Tensor:
        return _adaptive_avg(gg, self.out)


class AdaptiveAvgPool2DBackward0(Node):
    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> Tensor:
        dt = grad.dtype
        g = grad._data.astype(_cdt(dt), copy=False)
        h, w = self.in_shape[-2:]
        ah, aw = (like(g, _avg_matrix(h, g.shape[-2], g.dtype)),
                  like(g, _avg_matrix(w, g.shape[-1], g.dtype)))
        res = make(_back(np.matmul(ah.T, np.matmul(g, aw)), dt), dt, grad.device)
        if grad_on(grad):
            attach(AdaptiveAvgPool2DBackwardBackward0(tuple(g.shape[-2:])), (grad,), (res,))
        return res


def _adaptive_avg(input: Tensor, out: tuple) -> Tensor:
    if out == (1, 1):
        return input.mean((-1, -2), keepdim=True)  # what torch runs (MeanBackward1)
    dt = input.dtype
    x = input._data.astype(_cdt(dt), copy=False)
    h, w = x.shape[-2:]
    ah, aw = like(x, _avg_matrix(h, out[0], x.dtype)), like(x, _avg_matrix(w, out[1], x.dtype))
    res = make(_back(np.matmul(ah, np.matmul(x, aw.T)), dt), dt, input.device)
    if grad_on(input):
        attach(AdaptiveAvgPool2DBackward0(tuple(x.shape)), (input,), (res,))
    return res


@register("adaptive_avg_pool2d", namespace="nn.functional")
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive 2-d average pooling; None in output_size keeps that input size."""
    _adaptive_check(input, "adaptive_avg_pool2d")
    return _adaptive_avg(input, _out_size(output_size, input._data.shape[-2:],
                                          "adaptive_avg_pool2d"))


@register("adaptive_avg_pool1d")
def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive 1-d average pooling over (N, C, L) or (C, L)."""
    op = "adaptive_avg_pool1d"
    if isinstance(input, Tensor) and input._data.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input._data.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {op})")
    if isinstance(output_size, (tuple, list)) and len(output_size) != 1:
        raise RuntimeError(f"{op}() argument 'output_size' should contain one int (got "
                           f"{len(output_size)})")
    o = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def _adaptive_max(input: Tensor, out: tuple, return_indices: bool) -> Any:
    dt = input.dtype
    x = _as4(input, _cdt(dt))
    n, c, h, w = x.shape
    (hs, he), (ws, we) = _ranges(h, out[0]), _ranges(w, out[1])
    xp = xp_of(x)
    v1 = xp.empty((n, c, h, out[1]), x.dtype)
    a1 = xp.empty((n, c, h, out[1]), np.int64)
    for o in range(out[1]):  # first the max over each row window, then over the rows
        seg = x[..., ws[o]:we[o]]
        a1[..., o] = ws[o] + seg.argmax(-1)
        v1[..., o] = np.take_along_axis(seg, (a1[..., o] - ws[o])[..., None], -1)[..., 0]
    vals = xp.empty((n, c) + out, x.dtype)
    idx = xp.empty((n, c) + out, np.int64)
    for o in range(out[0]):
        seg = v1[:, :, hs[o]:he[o]]
        r = seg.argmax(2)
        vals[:, :, o] = np.take_along_axis(seg, r[:, :, None], 2)[:, :, 0]
        idx[:, :, o] = (hs[o] + r) * w + np.take_along_axis(a1[:, :, hs[o]:he[o]],
                                                            r[:, :, None], 2)[:, :, 0]
    oshape = input._data.shape[:-2] + out
    res = make(_back(vals, dt).reshape(oshape), dt, input.device)
    if grad_on(input):
        node = AdaptiveMaxPool2DBackward0(idx, tuple(input._data.shape), False)
        node.save(input)
        attach(node, (input,), (res,))
    if return_indices:
        return res, make(idx.reshape(oshape), D.int64, input.device)
    return res


@register("adaptive_max_pool2d", namespace="nn.functional")
def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive 2-d max pooling (indices flat per plane). Ties pick the first maximum; with NaNs
    the first NaN (torch: the last)."""
    _adaptive_check(input, "adaptive_max_pool2d")
    return _adaptive_max(input, _out_size(output_size, input._data.shape[-2:],
                                          "adaptive_max_pool2d"), return_indices)


@register("adaptive_max_pool2d_with_indices", namespace="nn.functional")
def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 2-d max pooling returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def _amp1d(input: Tensor, output_size: Any, return_indices: bool) -> Any:
    op = "adaptive_max_pool1d"
    if isinstance(input, Tensor) and input._data.ndim not in (2, 3):
        raise RuntimeError(f"{op}(): Expected 2D or 3D tensor, but got: {_shape(input)}")
    o = _out_size(output_size, (None,), op, 1)[0] if not isinstance(input, Tensor) else \
        _out_size(output_size, input._data.shape[-1:], op, 1)[0]
    r = adaptive_max_pool2d(input.unsqueeze(-2), (1, o), return_indices)
    if return_indices:
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


@register("adaptive_max_pool1d")
def _torch_adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple:
    """torch.adaptive_max_pool1d: (values, indices)."""
    return _amp1d(input, output_size, True)


@register("adaptive_max_pool1d", namespace="nn.functional")
def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive 1-d max pooling over (N, C, L) or (C, L)."""
    return _amp1d(input, output_size, return_indices)


@register("adaptive_max_pool1d_with_indices", namespace="nn.functional")
def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 1-d max pooling returning (values, indices)."""
    return _amp1d(input, output_size, True)
