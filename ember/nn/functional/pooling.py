"""Pooling: max_pool1d/2d (with torch's flat per-plane indices), avg_pool1d/2d, adaptive average
and max pooling; interpolate, upsample and pixel_shuffle are re-exported from upsampling.py.

Every kernel is 2-d over (N, C, H, W) arrays; 1-d pooling runs on an unsqueezed height of 1, as
torch does (so its grad_fn is SqueezeBackward1). Fixed windows are reduced by a loop over kernel
offsets on strided views; adaptive average pooling is two small matrix products. Each backward
is an op with its own backward, so double backward works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.graph import Node
from ...backends import as_array, contig, like, xp_of
from ...ops._core import attach, grad_on
from ...ops._registry import register
from .upsampling import __all__ as _up_all
from .upsampling import (
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", *_up_all]
_ = (interpolate, pixel_shuffle, pixel_unshuffle, upsample, upsample_bilinear,
     upsample_nearest)

_HALF = (D.float16, D.bfloat16)


def _cdt(dt: D.dtype) -> Any:
    return np.float32 if dt in _HALF else dt.np


def _back(a: np.ndarray, dt: D.dtype) -> np.ndarray:
    return a if a.dtype == dt.np else a.astype(dt.np)


# ------------------------------------------------------------------ argument parsing
def _pair(v: Any, name: str, what: str, op: str, default: Any = None) -> tuple:
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0 and default is not None):
        return default
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) in (1, 2) and \
            all(isinstance(e, (int, np.integer)) for e in v):
        return (int(v[0]), int(v[-1]))
    raise RuntimeError(f"{op}: {name} must {what}")


def _pool_out(n: int, k: int, p: int, s: int, d: int, ceil: bool) -> int:
    """torch's pooling_output_shape."""
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


def _shape(t: Tensor) -> list:
    return list(t._data.shape)


def _as4(t: Tensor, cdt: Any) -> np.ndarray:
    a = t._data
    if a.dtype != cdt:
        a = a.astype(cdt)
    return a if a.ndim == 4 else a[None]


def _check_input(input: Any, op: str, nd: int) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    shp = input._data.shape
    if len(shp) not in (nd + 1, nd + 2):
        if len(shp) < nd + 1 and op.startswith("avg"):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(len(shp), 1)}, {max(len(shp), 1) - 1}], but got -3)")
        if nd == 1:
            raise RuntimeError(f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                               f"batch size for input, but got:{list(shp)}")
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if any(s == 0 for s in shp[len(shp) - nd - 1:]):
        raise RuntimeError(f"Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(shp)}")
    if input.dtype is D.bool_ or input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"{op}\" not implemented for "
                                  f"'{D._SCALAR_NAMES[input.dtype.name]}'")


def _windows(xp: np.ndarray, k: tuple, st: tuple, dl: tuple, out: tuple):  # noqa: ANN202
    """(i, j, view): the strided view of every kernel offset over the output grid."""
    ho, wo = out
    for i in range(k[0]):
        r = slice(i * dl[0], i * dl[0] + st[0] * (ho - 1) + 1, st[0])
        for j in range(k[1]):
            yield i, j, xp[:, :, r, j * dl[1]:j * dl[1] + st[1] * (wo - 1) + 1:st[1]]


def _pshape(hw: tuple, pad: tuple, k: tuple, st: tuple, dl: tuple, out: tuple) -> tuple:
    """Height and width of the padded plane: the input after `pad`, and every window."""
    return tuple(max(hw[i] + pad[i], (out[i] - 1) * st[i] + dl[i] * (k[i] - 1) + 1)
                 for i in (0, 1))


def _padded(x: np.ndarray, pad: tuple, k: tuple, st: tuple, dl: tuple, out: tuple,
            fill: Any) -> np.ndarray:
    """x padded by `pad` before and far enough after for every window (ceil_mode)."""
    n, c, h, w = x.shape
    hp, wp = _pshape((h, w), pad, k, st, dl, out)
    if not pad[0] and not pad[1] and hp == h and wp == w:
        return x
    xp = xp_of(x).full((n, c, hp, wp), fill, x.dtype)
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    return xp


# ------------------------------------------------------------------ max pooling
def _first_valid(o: int, s: int, p: int, d: int) -> np.ndarray:
    start = np.arange(o) * s - p
    neg = start < 0
    start[neg] += (-start[neg] + d - 1) // d * d
    return start


def _max_pool_arrays(x: np.ndarray, k: tuple, st: tuple, pad: tuple, dl: tuple, out: tuple,
                     need_idx: bool) -> tuple:
    """(values, flat per-plane indices or None), scanning windows as torch's CPU kernel does."""
    lo = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xp = _padded(x, pad, k, st, dl, out, lo)
    best: Any = None
    for _, _, v in _windows(xp, k, st, dl, out):
        if best is None:
            best = v.copy()
        else:
            np.maximum(best, v, out=best)  # NaN propagates, as in torch
    if not need_idx:
        return best, None
    w = x.shape[3]
    base = (np.arange(out[0]) * st[0] - pad[0])[:, None] * w + \
        (np.arange(out[1]) * st[1] - pad[1])[None, :]
    first = _first_valid(out[0], st[0], pad[0], dl[0])[:, None] * w + \
        _first_valid(out[1], st[1], pad[1], dl[1])[None, :]
    base, first, dev = like(best, base), like(best, first), xp_of(best)
    idx = dev.empty(best.shape, np.int64)
    if x.dtype.kind == "f" and np.isnan(best).any():  # torch keeps the last NaN: scan forward
        idx[...] = first
        cur = dev.full(best.shape, lo, x.dtype)
        for i, j, v in _windows(xp, k, st, dl, out):
            upd = (v > cur) | np.isnan(v)
            np.copyto(cur, v, where=upd)
            np.copyto(idx, base + (i * dl[0] * w + j * dl[1]), where=upd)
        return best, idx
    # the first position holding the maximum: scan the offsets backwards, keep the offset number
    wins = list(_windows(xp, k, st, dl, out))
    wt = np.int8 if len(wins) < 128 else np.int32
    which = dev.full(best.shape, len(wins) - 1, wt)
    for t in range(len(wins) - 2, -1, -1):  # branch-free select: masked writes are slow
        which -= (which - wt(t)) * (wins[t][2] == best)
    offs = like(best, np.array([i * dl[0] * w + j * dl[1] for i, j, _ in wins], np.int64))
    np.add(np.take(offs, which), base, out=idx)
    # a window of -inf (or of the integer minimum) only: its first valid position
    low = as_array(best == lo)
    if low.any():
        np.copyto(idx, np.broadcast_to(first, idx.shape), where=low)
    return best, idx


def _scatter_idx(g: np.ndarray, idx: np.ndarray, in_hw: tuple, unique: bool) -> np.ndarray:
    """grad_input[plane, idx] += grad, as one bincount (or a plain write if idx are unique)."""
    n, c = g.shape[:2]
    m, hw = n * c, in_hw[0] * in_hw[1]
    per = g.shape[2] * g.shape[3]
    xp = xp_of(g)
    flat = (xp.arange(m, dtype=np.int64)[:, None] * hw + idx.reshape(m, per)).ravel()
    if unique:
        gi = xp.zeros(m * hw, g.dtype)
        gi[flat] = g.ravel()
    else:
        gi = np.bincount(flat, weights=g.ravel(), minlength=m * hw).astype(g.dtype, copy=False)
    return gi.reshape(n, c, *in_hw)


class _IndexBackward(Node):
    """Shared by the max-pool backward nodes: scatter the gradient to the argmax positions."""

    _bb: type = Node

    def __init__(self, idx: np.ndarray, in_shape: tuple, unique: bool) -> None:
        super().__init__()
        self.idx, self.in_shape, self.unique = idx, in_shape, unique

    def backward(self, grad: Tensor, *_: Any) -> Tensor:
        self.saved_tensors  # noqa: B018 - the version check of the saved input
        return _index_backward(grad, self.idx, self.in_shape, self.unique, self._bb)


class _IndexBackwardBackward(Node):
    def __init__(self, idx: np.ndarray, out_shape: tuple) -> None:
        super().__init__()
        self.idx, self.out_shape = idx, out_shape

    def backward(self, gg: Tensor) -> Tensor:
        n = self.idx.shape[0] * self.idx.shape[1] if self.idx.ndim == 4 else self.idx.shape[0]
        it = make(self.idx.reshape(n, -1), D.int64, gg.device)
        return gg.reshape(n, -1).gather(1, it).reshape(self.out_shape)


class MaxPool2DWithIndicesBackwardBackward0(_IndexBackwardBackward):
    pass


class AdaptiveMaxPool2DBackwardBackward0(_IndexBackwardBackward):
    pass


class MaxPool2DWithIndicesBackward0(_IndexBackward):
    _bb = MaxPool2DWithIndicesBackwardBackward0


class AdaptiveMaxPool2DBackward0(_IndexBackward):
    _bb = AdaptiveMaxPool2DBackwardBackward0


def _index_backward(grad: Tensor, idx: np.ndarray, in_shape: tuple, unique: bool,
                    bb: type) -> Tensor:
    dt = grad.dtype
    g = grad._data.astype(_cdt(dt), copy=False)
    g4 = g if g.ndim == 4 else g[None]
    gi = _scatter_idx(g4, idx.reshape(g4.shape), in_shape[-2:], unique).reshape(in_shape)
    out = make(_back(gi, dt), dt, grad.device)
    if grad_on(grad):
        attach(bb(idx, tuple(grad.shape)), (grad,), (out,))
    return out


def _max_pool2d(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: bool, return_indices: bool, op: str = "max_pool2d") -> Any:
    k = _pair(kernel_size, "kernel_size", "either be a single int, or a tuple of two ints", op)
    st = _pair(stride, "stride", "either be omitted, a single int, or a tuple of two ints", op,
               default=k)
    pad = _pair(padding, "padding", "either be a single int, or a tuple of two ints", op)
    dl = _pair(dilation, "dilation", "be either a single int, or a tuple of two ints", op)
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: "
                           f"{k[1]}")
    if st[0] <= 0 or st[1] <= 0:
        raise RuntimeError("stride should not be zero")
    if dl[0] <= 0 or dl[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dl[0]} "
                           f"dilationW: {dl[1]}")
    _check_input(input, op, 2)
    for i in (0, 1):
        if pad[i] > ((k[i] - 1) * dl[i] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pad[i]}, kernel_size={k[i]} and dilation={dl[i]}")
    if pad[0] > k[0] // 2 or pad[1] > k[1] // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pad[1]}, padH = {pad[0]}, kW = {k[1]}, kH = {k[0]}")
    shp = input._data.shape
    h, w = shp[-2:]
    out = (_pool_out(h, k[0], pad[0], st[0], dl[0], ceil_mode),
           _pool_out(w, k[1], pad[1], st[1], dl[1], ceil_mode))
    if out[0] <= 0 or out[1] <= 0:
        raise RuntimeError(f"Given input size: ({shp[-3]}x{h}x{w}). Calculated output size: "
                           f"({shp[-3]}x{out[0]}x{out[1]}). Output size is too small")
    dt = input.dtype
    need = grad_on(input)
    vals, idx = _max_pool_arrays(_as4(input, _cdt(dt)), k, st, pad, dl, out,
                                 need or return_indices)
    oshape = shp[:-2] + out
    res = make(_back(vals, dt).reshape(oshape), dt, input.device)
    if need:
        unique = st[0] >= dl[0] * (k[0] - 1) + 1 and st[1] >= dl[1] * (k[1] - 1) + 1
        node = MaxPool2DWithIndicesBackward0(idx, tuple(shp), unique)
        node.save(input)
        attach(node, (input,), (res,))
    if return_indices:
        return res, make(idx.reshape(oshape), D.int64, input.device)
    return res


def _pool1d(fn: Any, input: Tensor, op: str, *args: Any) -> Any:
    """A 1-d pool as torch runs it: unsqueeze a unit height, pool in 2-d, squeeze it away."""
    _check_input(input, op, 1)
    r = fn(input.unsqueeze(-2), *args)
    if isinstance(r, tuple):
        return r[0].squeeze(-2), r[1].squeeze(-2)
    return r.squeeze(-2)


def _mp1d(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
          ceil_mode: bool, return_indices: bool) -> Any:
    k1 = _one(kernel_size, "kernel_size", "max_pool1d")
    if isinstance(padding, int) and padding > k1 // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={padding} and kernel_size={k1}")
    s1 = k1 if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _one(stride, "stride", "max_pool1d")
    return _pool1d(_max_pool2d, input, "max_pool1d", (1, k1), (1, s1),
                   (0, _one(padding, "padding", "max_pool1d")),
                   (1, _one(dilation, "dilation", "max_pool1d")), ceil_mode, return_indices)


def _one(v: Any, name: str, op: str) -> int:
    if isinstance(v, (tuple, list)):
        if len(v) != 1:
            raise RuntimeError(f"{op}() {name} must be either a single int, or a tuple of one "
                               "int")
        v = v[0]
    return int(v)


@register("max_pool2d")
def _torch_max_pool2d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
                      dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """torch.max_pool2d (no indices)."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, False)


@register("max_pool2d", namespace="nn.functional")
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """2-d max pooling; return_indices gives torch's flat per-plane (h * W + w) indices."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@register("max_pool2d_with_indices", namespace="nn.functional")
def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple:
    """2-d max pooling returning (values, indices)."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@register("max_pool1d")
def _torch_max_pool1d(input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0,
                      dilation: Any = 1, ceil_mode: bool = False) -> Tensor:
    """torch.max_pool1d (no indices)."""
    return _mp1d(input, kernel_size, stride, padding, dilation, ceil_mode, False)


@register("max_pool1d", namespace="nn.functional")
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """1-d max pooling over (N, C, L) or (C, L)."""
    return _mp1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@register("max_pool1d_with_indices")
def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple:
    """1-d max pooling returning (values, indices)."""
    return _mp1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ------------------------------------------------------------------ average pooling
def _avg_divisor(o: int, n: int, k: int, s: int, p: int, include_pad: bool) -> np.ndarray:
    start = np.arange(o) * s - p
    end = np.minimum(start + k, n + p)
    size = end - start
    valid = np.minimum(end, n) - np.maximum(start, 0)
    return size if include_pad else np.maximum(valid, 0)


class AvgPool2DBackwardBackward0(Node):
    def __init__(self, args: tuple) -> None:
        super().__init__()
        self.args = args

    def backward(self, gg: Tensor) -> Tensor:
        return _avg_pool2d(gg, *self.args)


class AvgPool2DBackward0(Node):
    def __init__(self, args: tuple, in_shape: tuple) -> None:
        super().__init__()
        self.args, self.in_shape = args, in_shape

    def backward(self, grad: Tensor) -> Tensor:
        k, st, pad, ceil, include_pad, div = self.args
        dt = grad.dtype
        g = _as4(grad, _cdt(dt))
        n, c, h, w = (1,) * (4 - len(self.in_shape)) + self.in_shape
        out = g.shape[2:]
        d = like(g, _divisor(out, (h, w), k, st, pad, include_pad, div).astype(g.dtype))
        gxp = xp_of(g).zeros((n, c) + _pshape((h, w), pad, k, st, (1, 1), out), g.dtype)
        gd = g / d
        for _, _, v in _windows(gxp, k, st, (1, 1), out):
            v += gd
        gi = gxp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w].reshape(self.in_shape)
        res = make(_back(contig(gi), dt), dt, grad.device)
        if grad_on(grad):
            attach(AvgPool2DBackwardBackward0(self.args), (grad,), (res,))
        return res


def _divisor(out: tuple, hw: tuple, k: tuple, st: tuple, pad: tuple, include_pad: bool,
             div: Any) -> np.ndarray:
    if div:
        return np.full(out, div, np.int64)
    dh = _avg_divisor(out[0], hw[0], k[0], st[0], pad[0], include_pad)
    dw = _avg_divisor(out[1], hw[1], k[1], st[1], pad[1], include_pad)
    return np.maximum(dh[:, None] * dw[None, :], 1)


def _avg_pool2d(input: Tensor, k: tuple, st: tuple, pad: tuple, ceil: bool, include_pad: bool,
                div: Any) -> Tensor:
    shp = input._data.shape
    h, w = shp[-2:]
    out = (_pool_out(h, k[0], pad[0], st[0], 1, ceil), _pool_out(w, k[1], pad[1], st[1], 1, ceil))
    if out[0] <= 0 or out[1] <= 0:
        raise RuntimeError(f"Given input size: ({shp[-3]}x{h}x{w}). Calculated output size: "
                           f"({shp[-3]}x{out[0]}x{out[1]}). Output size is too small")
    dt = input.dtype
    x = _as4(input, _cdt(dt))
    xp = _padded(x, pad, k, st, (1, 1), out, 0)
    acc: Any = None
    for _, _, v in _windows(xp, k, st, (1, 1), out):
        acc = v.copy() if acc is None else np.add(acc, v, out=acc)
    d = like(acc, _divisor(out, (h, w), k, st, pad, include_pad, div))
    if acc.dtype.kind == "f":
        y = acc / d.astype(acc.dtype)
    else:  # C++ integer division truncates toward zero
        y = (np.sign(acc) * (np.abs(acc) // d)).astype(acc.dtype)
    res = make(_back(y, dt).reshape(shp[:-2] + out), dt, input.device)
    if grad_on(input):
        attach(AvgPool2DBackward0((k, st, pad, ceil, include_pad, div), tuple(shp)), (input,),
               (res,))
    return res


@register("avg_pool2d", namespace="nn.functional")
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-d average pooling (ceil_mode, count_include_pad, divisor_override as torch)."""
    op = "avg_pool2d"
    k = _pair(kernel_size, "kernel_size", "either be a single int, or a tuple of two ints", op)
    st = _pair(stride, "stride", "either be omitted, a single int, or a tuple of two ints", op,
               default=k)
    pad = _pair(padding, "padding", "either be a single int, or a tuple of two ints", op)
    if k[0] <= 0 or k[1] <= 0 or st[0] <= 0 or st[1] <= 0:
        raise RuntimeError("stride should not be zero" if k[0] > 0 and k[1] > 0 else
                           f"kernel size should be greater than zero, but got kH: {k[0]} kW: "
                           f"{k[1]}")
    _check_input(input, op, 2)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    for i in (0, 1):
        if pad[i] > k[i] // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={pad[i]}, kernel_size={k[i]} and dilation=1")
    return _avg_pool2d(input, k, st, pad, bool(ceil_mode), bool(count_include_pad),
                       divisor_override)


@register("avg_pool1d")
def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling over (N, C, L) or (C, L)."""
    op = "avg_pool1d"
    if isinstance(input, Tensor) and input._data.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input._data.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {op})")
    k1 = _one(kernel_size, "kernel_size", op)
    s1 = k1 if stride is None or (isinstance(stride, (tuple, list)) and not stride) else \
        _one(stride, "stride", op)
    return _pool1d(avg_pool2d, input, op, (1, k1), (1, s1), (0, _one(padding, "padding", op)),
                   ceil_mode, count_include_pad)


# adaptive pooling lives beside this file and builds on the helpers above (exported via __all__)
from .adaptive_pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
)
