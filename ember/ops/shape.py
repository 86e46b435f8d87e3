"""Joining and rearranging tensors: the cat/stack family, block_diag, atleast_1d/2d/3d, tril/triu,
flip/roll/rot90."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import xp_of
from ._core import attach, check_same_device, grad_on, make_inplace, norm_dim
from ._registry import register, register_method
from .views import reshape, unsqueeze

_FULL = slice(None)


# ------------------------------------------------------------------ helpers
def _tensor_list(tensors: Any, name: str) -> list:
    """torch's argument check for a `tensors` sequence."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def _promote_all(tensors: Sequence) -> D.dtype:
    dt = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype is not dt:
            dt = D._PROMOTE[(dt, t.dtype)]
    return dt


def _arrays(tensors: Sequence, dt: D.dtype) -> list:
    return [t._data if t.dtype is dt else t._data.astype(dt.np) for t in tensors]


def _check_devices(name: str, tensors: Sequence) -> None:
    d0 = tensors[0].device
    for t in tensors[1:]:
        if t.device != d0:
            check_same_device(name, tensors[0], t)


def _int_list(x: Any, name: str, arg: str, pos: int) -> list:
    """A tuple-of-ints argument; torch rejects a bare int where its signature says int[]."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be tuple of ints, not "
                        "int")
    return [int(v) for v in x]


# ------------------------------------------------------------------ cat / stack
class CatBackward0(Node):
    def __init__(self, dim: int, sizes: list) -> None:
        super().__init__()
        self.dim, self.sizes = dim, sizes  # None for the skipped legacy (0,) inputs

    def backward(self, grad: Tensor) -> tuple:
        out, off = [], 0
        for s in self.sizes:
            if s is None:  # a skipped legacy (0,) input: its gradient is empty too
                out.append(_zeros0(grad))
                continue
            out.append(grad.narrow(self.dim, off, s))
            off += s
        return tuple(out)


def _zeros0(like: Tensor) -> Tensor:
    return make(np.zeros((0,), like.dtype.np), like.dtype, like.device)


@register("cat", out=True)
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along an existing dim; 1-d empty tensors are skipped as torch does."""
    if type(tensors) is list or type(tensors) is tuple:
        fast = _cat_fast(tensors, dim)
        if fast is not None:
            return fast
    ts = _tensor_list(tensors, "cat")
    if not ts:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    dt = _promote_all(ts)
    for i, t in enumerate(ts):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    keep = [t for t in ts if t._data.shape != (0,)]
    if len(ts) > 1:
        _check_devices("cat", ts)
    if not keep:
        norm_dim(dim, 1)
        a = ts[0]._data
        out = make(a.astype(dt.np) if a.dtype != dt.np else a.copy(), dt, ts[0].device)
        if grad_on(*ts):
            attach(CatBackward0(0, [None] * len(ts)), ts, (out,))
        return out
    ref = keep[0]._data
    nd = ref.ndim
    d = norm_dim(dim, nd)
    for i, t in enumerate(ts):
        s = t._data.shape
        if s == (0,):
            continue
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{len(s)}")
        for ax in range(nd):
            if ax != d and s[ax] != ref.shape[ax]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[ax]} but got size {s[ax]} for tensor number {i} in the list.")
    arrs = _arrays(keep, dt)
    r = np.concatenate(arrs, axis=d) if len(arrs) > 1 else arrs[0].copy()
    out = make(r, dt, ts[0].device)
    if grad_on(*ts):
        sizes = [None if t._data.shape == (0,) else t._data.shape[d] for t in ts]
        attach(CatBackward0(d, sizes), ts, (out,))
    return out


def _cat_fast(ts: Sequence, dim: int) -> Tensor | None:
    """cat of same-dtype, same-device, same-rank tensors (the legacy (0,) skip cannot change
    the result then); None sends the call to the full path and its torch error messages."""
    if not ts or not isinstance(ts[0], Tensor):
        return None
    t0 = ts[0]
    dt, dev, nd = t0.dtype, t0.device, t0._data.ndim
    arrs = []
    for t in ts:
        if not isinstance(t, Tensor) or t.dtype is not dt or t.device != dev:
            return None
        a = t._data
        if a.ndim != nd:
            return None
        arrs.append(a)
    if not nd:
        return None
    d = norm_dim(dim, nd)
    try:
        r = np.concatenate(arrs, axis=d)
    except ValueError:
        return None
    out = make(r, dt, dev)
    if grad_on(*ts):
        attach(CatBackward0(d, [a.shape[d] for a in arrs]), ts, (out,))
    return out


@register("concat", out=True)
def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of cat."""
    return cat(tensors, dim)


@register("concatenate", out=True)
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """torch.concatenate: cat with NumPy's argument name."""
    return cat(tensors, axis)


class StackBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> tuple:
        return tuple(grad.select(self.dim, i) for i in range(grad.shape[self.dim]))


@register("stack", out=True)
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim (with type promotion)."""
    ts = _tensor_list(tensors, "stack")
    if not ts:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = ts[0]._data.shape
    dt0, dev0 = ts[0].dtype, ts[0].device
    if all(t.dtype is dt0 and t.device == dev0 for t in ts):
        d = norm_dim(dim, len(s0) + 1)
        key = (_FULL,) * d + (None,)  # a new axis as a view; concatenate does the copy
        try:
            out = make(np.concatenate([t._data[key] for t in ts], axis=d), dt0, dev0)
        except ValueError:
            out = None  # the checks below name the mismatch
        if out is not None:
            if grad_on(*ts):
                attach(StackBackward0(d), ts, (out,))
            return out
    d = norm_dim(dim, len(s0) + 1)
    for i, t in enumerate(ts):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} "
                               f"at entry 0 and {list(t.shape)} at entry {i}")
    if len(ts) > 1:
        _check_devices("stack", ts)
    dt = _promote_all(ts)
    out = make(np.stack(_arrays(ts, dt), axis=d), dt, ts[0].device)
    if grad_on(*ts):
        attach(StackBackward0(d), ts, (out,))
    return out


def _nonempty(tensors: Any, name: str) -> list:
    ts = _tensor_list(tensors, name)
    if not ts:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return ts


@register("hstack", out=True)
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate column-wise (dim 1, or dim 0 for 1-d inputs)."""
    ts = atleast_1d(_nonempty(tensors, "hstack"))
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1)


@register("vstack", out=True)
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate row-wise after making every input at least 2-d."""
    return cat(atleast_2d(_nonempty(tensors, "vstack")), 0)


@register("row_stack", out=True)
def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Alias of vstack."""
    return vstack(tensors)


@register("dstack", out=True)
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate depth-wise (dim 2) after making every input at least 3-d."""
    return cat(atleast_3d(_nonempty(tensors, "dstack")), 2)


@register("column_stack", out=True)
def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack as columns: 0-d and 1-d inputs become (n, 1) columns."""
    ts = _nonempty(tensors, "column_stack")
    return cat([reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in ts], 1)


# ------------------------------------------------------------------ tril / triu
def _tri_mask(a: Any, diagonal: int, lower: bool) -> Any:
    r, c = a.shape[-2:]
    xp = xp_of(a)
    m = xp.tri(r, c, diagonal, dtype=bool)
    return m if lower else ~xp.tri(r, c, diagonal - 1, dtype=bool)


class TrilBackward0(Node):
    def __init__(self, diagonal: int) -> None:
        super().__init__()
        self.diagonal = diagonal

    def backward(self, grad: Tensor) -> Tensor:
        return tril(grad, self.diagonal)


class TriuBackward0(TrilBackward0):
    def backward(self, grad: Tensor) -> Tensor:
        return triu(grad, self.diagonal)


def _tri(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 "
                           "dimensions")
    diagonal = int(diagonal)
    r = np.where(_tri_mask(a, diagonal, lower), a, xp_of(a).zeros((), a.dtype))
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        attach((TrilBackward0 if lower else TriuBackward0)(diagonal), (input,), (out,))
    return out


def _tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(input, diagonal, True)


def _triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return _tri(input, diagonal, False)


@register("tril", method=True, out=True, inplace=make_inplace(_tril, "tril"))
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two dims (elements above `diagonal` set to zero)."""
    return _tri(input, diagonal, True)


@register("triu", method=True, out=True, inplace=make_inplace(_triu, "triu"))
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two dims (elements below `diagonal` set to zero)."""
    return _tri(input, diagonal, False)


# ------------------------------------------------------------------ flip / roll / rot90
class FlipBackward0(Node):
    def __init__(self, dims: tuple) -> None:
        super().__init__()
        self.dims = dims

    def backward(self, grad: Tensor) -> Tensor:
        return flip(grad, self.dims)


def _flip_dims(dims: list, nd: int) -> tuple:
    out = []
    for d in dims:
        w = norm_dim(d, nd)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(out)


def _flip(input: Tensor, dims: tuple) -> Tensor:
    a = input._data
    if a.ndim == 0 or not dims:
        r = a.copy()
    else:
        r = np.flip(a, dims).copy()  # a copy, as torch: no negative-stride views
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        attach(FlipBackward0(dims), (input,), (out,))
    return out


@register("flip")
def flip(input: Tensor, dims: Sequence[int]) -> Tensor:
    """Reverse the order of elements along `dims` (a copy)."""
    return _flip(input, _flip_dims(_int_list(dims, "flip", "dims", 2), input._data.ndim))


def _flip_method(self: Tensor, *dims: Any) -> Tensor:
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return _flip(self, _flip_dims([int(d) for d in dims], self._data.ndim))


register_method("flip", _flip_method)


@register("fliplr", method=True)
def fliplr(input: Tensor) -> Tensor:
    """Flip dim 1 (left/right); needs at least 2 dims."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _flip(input, (1,))


@register("flipud", method=True)
def flipud(input: Tensor) -> Tensor:
    """Flip dim 0 (up/down); needs at least 1 dim."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _flip(input, (0,))


class RollBackward0(Node):
    def __init__(self, shifts: list, dims: list) -> None:
        super().__init__()
        self.shifts, self.dims = shifts, dims

    def backward(self, grad: Tensor) -> Tensor:
        return roll(grad, [-s for s in self.shifts], self.dims or None)


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (int, np.integer)):
        return [int(x)]
    return [int(v) for v in x]


@register("roll", method=True)
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements along dims; with no dims, along the flattened tensor."""
    sh, ds = _as_list(shifts), _as_list(dims)
    a = input._data
    if not sh:
        raise RuntimeError("`shifts` required")
    if not ds and len(sh) == 1:
        r = np.roll(a, sh[0]) if a.ndim else a.copy()
    else:
        if len(sh) != len(ds):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:"
                               f"{len(ds)}")
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {ds[0]} but tensor has no dimensions")
        ds = [norm_dim(d, a.ndim) for d in ds]
        r = np.roll(a, sh, axis=ds)
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        attach(RollBackward0(sh, ds), (input,), (out,))
    return out


class Rot90Backward0(Node):
    def __init__(self, k: int, dims: tuple) -> None:
        super().__init__()
        self.k, self.dims = k, dims

    def backward(self, grad: Tensor) -> Tensor:
        return rot90(grad, -self.k, self.dims)


@register("rot90", method=True)
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of `dims` (from the first towards the second)."""
    dims = _int_list(dims, "rot90", "dims", 3)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d = (norm_dim(dims[0], nd), norm_dim(dims[1], nd))
    if d[0] == d[1]:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    k = int(k)
    out = make(np.rot90(input._data, k % 4, axes=d).copy(), input.dtype, input.device)
    if grad_on(input):
        attach(Rot90Backward0(k, d), (input,), (out,))
    return out


# ------------------------------------------------------------------ atleast_nd
def _atleast(tensors: tuple, fn: Any) -> Any:
    if len(tensors) == 1:
        t = tensors[0]
        if isinstance(t, Tensor):
            return fn(t)
        return tuple(fn(x) for x in t)
    return tuple(fn(x) for x in tensors)


def _al1(t: Tensor) -> Tensor:
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _al2(t: Tensor) -> Tensor:
    nd = t._data.ndim
    return reshape(t, (1, 1)) if nd == 0 else unsqueeze(t, 0) if nd == 1 else t


def _al3(t: Tensor) -> Tensor:
    nd = t._data.ndim
    if nd == 0:
        return reshape(t, (1, 1, 1))
    if nd == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if nd == 2 else t


@register("atleast_1d")
def atleast_1d(*tensors: Any) -> Any:
    """Views with at least one dim (a tuple when several tensors or a sequence are given)."""
    return _atleast(tensors, _al1)


@register("atleast_2d")
def atleast_2d(*tensors: Any) -> Any:
    """Views with at least two dims (1-d inputs become rows)."""
    return _atleast(tensors, _al2)


@register("atleast_3d")
def atleast_3d(*tensors: Any) -> Any:
    """Views with at least three dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(tensors, _al3)


# ------------------------------------------------------------------ block_diag
class BlockDiagBackward0(Node):
    def __init__(self, blocks: list) -> None:
        super().__init__()
        self.blocks = blocks  # (row, col, shape2d, input shape) per input

    def backward(self, grad: Tensor) -> tuple:
        out = []
        for r, c, (h, w), shape in self.blocks:
            out.append(grad.narrow(0, r, h).narrow(1, c, w).reshape(shape))
        return tuple(out)


@register("block_diag")
def block_diag(*tensors: Tensor) -> Tensor:
    """Block-diagonal matrix of 0-d, 1-d (a row) and 2-d inputs."""
    ts = _tensor_list(list(tensors), "block_diag")
    if not ts:
        dt0 = D.get_default_dtype()
        return make(np.zeros((1, 0), dt0.np), dt0, CPU)
    for i, t in enumerate(ts):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t._data.ndim} dimensions")
    if len(ts) > 1:
        _check_devices("block_diag", ts)
    dt = _promote_all(ts)
    shapes2 = []
    for t in ts:
        s = t._data.shape
        shapes2.append((1, 1) if len(s) == 0 else (1, s[0]) if len(s) == 1 else s)
    rows = sum(s[0] for s in shapes2)
    cols = sum(s[1] for s in shapes2)
    res = xp_of(ts[0]._data).zeros((rows, cols), dt.np)
    r = c = 0
    blocks = []
    for t, (h, w) in zip(ts, shapes2, strict=True):
        res[r:r + h, c:c + w] = t._data.reshape(h, w)
        blocks.append((r, c, (h, w), tuple(t._data.shape)))
        r, c = r + h, c + w
    out = make(res, dt, ts[0].device)
    if grad_on(*ts):
        attach(BlockDiagBackward0(blocks), ts, (out,))
    return out
