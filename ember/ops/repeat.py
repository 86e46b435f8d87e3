"""Copies that repeat elements: repeat, tile, repeat_interleave."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import to_numpy
from ._core import attach, grad_on, norm_dim
from ._registry import register
from .shape import _int_list
from .views import expand, reshape, unsqueeze


# ------------------------------------------------------------------ repeat / tile
class RepeatBackward0(Node):
    def __init__(self, in_shape: tuple, reps: tuple) -> None:
        super().__init__()
        self.in_shape, self.reps = in_shape, reps

    def backward(self, grad: Tensor) -> Tensor:
        reps = self.reps
        padded = (1,) * (len(reps) - len(self.in_shape)) + tuple(self.in_shape)
        inter: list = []
        for r, s in zip(reps, padded, strict=True):
            inter += [r, s]
        g = grad.reshape(tuple(inter))
        if reps:
            g = g.sum(dim=tuple(range(0, 2 * len(reps), 2)))
        return g.reshape(self.in_shape)


def _repeat(self: Tensor, reps: tuple) -> Tensor:
    a = self._data
    if len(reps) < a.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(reps) - a.ndim) + a.shape
    shape = [r * s for r, s in zip(reps, padded, strict=True)]
    for r in reps:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                               f"{shape}")
    out = make(np.tile(a, reps).reshape(shape), self.dtype, self.device)
    if grad_on(self):
        attach(RepeatBackward0(a.shape, reps), (self,), (out,))
    return out


@register("repeat", function=False, method=True)
def repeat(self: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor `sizes` times along each dim (a copy; torch's Tensor.repeat)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not sizes and self._data.ndim:
        raise TypeError('repeat() missing 1 required positional arguments: "repeats"')
    return _repeat(self, tuple(int(s) for s in sizes))


@register("tile", method=True)
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Repeat, with `dims` padded by leading ones to input's rank."""
    reps = _int_list(dims, "tile", "dims", 2)
    reps = [1] * (input._data.ndim - len(reps)) + reps
    return _repeat(input, tuple(reps))


# ------------------------------------------------------------------ repeat_interleave
def _repeats_of(repeats: Any) -> Any:
    if isinstance(repeats, Tensor):
        if repeats.dtype.category != D.INT or repeats.dtype is D.bool_:
            raise NotImplementedError('"repeat_interleave_cpu" not implemented for '
                                      f"'{_tn(repeats.dtype)}'")
        return repeats
    return int(repeats)


@register("repeat_interleave", method=True)
def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element `repeats` times along dim (flattened when dim is None).

    With only a 1-d integer tensor, returns indices repeated by its values (torch's form).
    """
    if repeats is None:
        r = _repeats_of(input)
        if r._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = to_numpy(r._data)  # CuPy's repeat takes no array of counts: plan on host
        if counts.size and counts.min() < 0:
            raise RuntimeError("repeats can not be negative")
        res = np.repeat(np.arange(counts.size, dtype=counts.dtype), counts)
        if output_size is not None and output_size != res.size:
            raise RuntimeError("allocated size does not match required size")
        return make(res, input.dtype, input.device)
    reps = _repeats_of(repeats)
    x = input
    if dim is None:
        x = reshape(input, (-1,))
        d = 0
    else:
        d = norm_dim(dim, input._data.ndim)
        if input._data.ndim == 0:
            x = reshape(input, (1,))
    n = x._data.shape[d]
    if isinstance(reps, Tensor):
        counts = reps._data.reshape(-1)
        if counts.size == 1:
            reps = int(counts[0])
        else:
            if reps._data.ndim != 1:
                raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
            if counts.size != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
            if counts.size and counts.min() < 0:
                raise RuntimeError("repeats can not be negative")
            idx = np.repeat(np.arange(n, dtype=np.int64), to_numpy(counts))
            if output_size is not None and output_size != idx.size:
                raise RuntimeError("allocated size does not match required size")
            from .index_dim import index_select

            return index_select(x, d, make(idx, D.int64, x.device))
    if reps < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != n * reps:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {n * reps} but got "
                           f"{output_size}")
    if not grad_on(x):
        return make(np.repeat(x._data, reps, axis=d), x.dtype, x.device)
    # torch's composite: unsqueeze + expand + clone + flatten (gradients sum the copies)
    shape = x._data.shape
    u = expand(unsqueeze(x, d + 1), shape[:d + 1] + (reps,) + shape[d + 1:])
    return reshape(u.clone(), shape[:d] + (n * reps,) + shape[d + 1:])


def _tn(dt: D.dtype) -> str:
    from ._core import _tname

    return _tname(dt)
