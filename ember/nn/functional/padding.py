"""nn.functional pad: constant (any number of dims, negative pads crop), reflect, replicate and
circular (the last 1-3 dims of a batched or unbatched input), with torch's checks.

The non-constant modes gather with one index array per padded dim; their backward sums the
gradient back with one one-hot matrix product per padded dim (BLAS), written with ember ops when
create_graph=True so double backward works. constant's backward is the opposite constant pad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import contig, like, xp_of
from ...ops._core import attach
from ...ops._registry import FUNCTIONS, register
from ._util import not_tensor, out, publish, up

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")


# ------------------------------------------------------------------ constant
class ConstantPadNdBackward0(Node):
    def __init__(self, pad: tuple) -> None:
        super().__init__()
        self.pad = pad

    def backward(self, grad: Tensor) -> Tensor:
        return _constant_pad(grad, tuple(-p for p in self.pad), 0)


def _constant_pad(input: Tensor, pad: tuple, value: Any) -> Tensor:
    a = input._data
    nd = a.ndim
    k = len(pad) // 2
    out_shape = list(a.shape)
    src, dst = [slice(None)] * nd, [slice(None)] * nd
    for i in range(k):
        d = nd - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = a.shape[d]
        m = n + lo + hi
        if m < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        out_shape[d] = m
        src[d] = slice(max(-lo, 0), n - max(-hi, 0))
        dst[d] = slice(max(lo, 0), m - max(hi, 0))
    dt = input.dtype
    fill = 0 if value is None else value
    if dt.category < D.FLOAT and dt is not D.bool_:
        fill = int(fill)
    r = xp_of(a).full(out_shape, fill, dtype=dt.np)
    if all(s.start < s.stop for s in src if isinstance(s.start, int)):
        r[tuple(dst)] = a[tuple(src)]
    res = make(r, dt, input.device)
    if _gm.enabled and input._requires_grad:
        attach(ConstantPadNdBackward0(tuple(pad)), (input,), (res,))
    return res


# ------------------------------------------------------------------ reflect, replicate, circular
def _index_map(mode: str, n: int, lo: int, hi: int, dim: int, shape: tuple) -> Any:
    i = np.arange(-lo, n + hi)
    if mode == "reflect":
        if lo >= n or hi >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                               f"{dim} of input {list(shape)}")
        i = np.abs(i)
        return np.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        if n == 0:
            raise RuntimeError(f"input tensor must have non-zero size in dimension {dim}")
        return np.clip(i, 0, n - 1)
    if lo > n or hi > n:
        raise RuntimeError("Padding value causes wrapping around more than once.")
    # torch crops first (negative pads), then wraps within what is left
    region = np.arange(max(-lo, 0), n - max(-hi, 0))
    j = np.arange(-max(lo, 0), len(region) + max(hi, 0))
    return region[np.mod(j, len(region))] if len(region) else region[:0]


class _PadBackward(Node):
    def __init__(self, maps: list, in_shape: tuple) -> None:
        super().__init__()
        self.maps, self.in_shape = maps, in_shape  # maps: (dim, index array) per padded dim

    def backward(self, grad: Tensor) -> Tensor:
        g = grad if _gm.enabled else up(grad._data)
        for d, idx in self.maps:
            n = self.in_shape[d]
            p = np.zeros((len(idx), n), g.dtype if not _gm.enabled else grad.dtype.np)
            p[np.arange(len(idx)), idx] = 1
            if _gm.enabled:
                pt = make(p, grad.dtype, grad.device)
                g = FUNCTIONS["tensordot"](g, pt, dims=([d], [0])).movedim(-1, d)
            else:
                g = np.moveaxis(np.tensordot(g, like(g, p), axes=([d], [0])), -1, d)
        return g if _gm.enabled else out(contig(g), grad.dtype, grad.device)


_PAD_NODES = {(mode, k): type(name, (_PadBackward,), {})
              for mode, base in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad"))
              for k in (1, 2, 3) for name in [f"{base}{k}DBackward0"]}
_PAD_NODES.update({("circular", k): type("CopySlices", (_PadBackward,), {}) for k in (1, 2, 3)})


def _nonconstant_pad(input: Tensor, pad: tuple, mode: str) -> Tensor:
    nd = input.dim()
    k = len(pad) // 2
    if not ((k == 1 and nd in (2, 3)) or (k == 2 and nd in (3, 4)) or (k == 3 and nd in (4, 5))):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {nd}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if input.dtype is D.bool_ or input.dtype.category < D.FLOAT and mode == "reflect":
        from ._util import not_impl

        raise not_impl(f"{'reflection' if mode == 'reflect' else mode}_pad{k}d", input.dtype)
    shape = tuple(input.shape)
    a = input._data
    maps = []
    for i in range(k):
        d = nd - 1 - i
        idx = _index_map(mode, shape[d], pad[2 * i], pad[2 * i + 1], d, shape)
        maps.append((d, idx))
        a = np.take(a, like(a, idx), axis=d)
    res = make(contig(a), input.dtype, input.device)
    if _gm.enabled and input._requires_grad:
        attach(_PAD_NODES[(mode, k)](maps, shape), (input,), (res,))
    return res


@register("pad", namespace="nn.functional")
def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims; pad = (last_left, last_right, second_last_left, ...)."""
    if not isinstance(input, Tensor):
        raise not_tensor("pad", "input", input)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * input.dim():
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.dim()}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return _constant_pad(input, pad, value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    return _nonconstant_pad(input, pad, mode)


@register("constant_pad_nd")
def _constant_pad_nd(input: Tensor, pad: Any, value: float = 0) -> Tensor:
    """torch.constant_pad_nd."""
    return _constant_pad(input, tuple(int(p) for p in pad), value)


publish("constant_pad_nd")
