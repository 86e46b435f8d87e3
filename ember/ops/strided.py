"""as_strided and unfold: views with arbitrary (or overlapping) geometry over a tensor's
storage, each checked against the storage's bounds."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._core import norm_dim
from ._registry import register
from .views import AsStridedBackward0, UnfoldBackward0, ViewBackward0, _rg, _view_out


@register("as_strided", method=True)
def as_strided(input: Tensor, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:
    """A view with explicit size, element strides and storage offset over input's storage."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape ({len(stride)} vs "
                           f"{len(size)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    off = input.storage_offset() if storage_offset is None else int(storage_offset)
    a = input._data
    isz = a.itemsize
    if input.device.type == "meta":
        v = np.lib.stride_tricks.as_strided(a, size, (0,) * len(size))
    else:
        root = input._get_storage().root
        nbytes = root.nbytes
        need = (off + 1 + sum((s - 1) * st for s, st in zip(size, stride))) * isz \
            if all(size) else 0
        if need > nbytes or off < 0:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {off}, "
                f"and itemsize {isz} requiring a storage size of {need} are out of bounds for "
                f"storage of size {nbytes}")
        if type(a) is np.ndarray:
            v = np.ndarray(size, a.dtype, buffer=root.reshape(-1).view(np.uint8)
                           if root.flags.c_contiguous else root, offset=off * isz,
                           strides=tuple(s * isz for s in stride))
            if not root.flags.writeable:
                v.flags.writeable = False
        else:
            v = a.__class__(size, a.dtype, root.data + off * isz,
                            strides=tuple(s * isz for s in stride))
    base_off = input.storage_offset()
    in_stride = input.stride()
    in_shape = a.shape

    def vf(g: Tensor) -> Tensor:
        # a gradient shaped like input: reinterpret its geometry relative to input's
        return as_strided(g.contiguous() if g.stride() != in_stride else g, size, stride,
                          off - base_off + (g.storage_offset() if g.stride() == in_stride else 0))
    node = AsStridedBackward0(in_shape, vf, overlapping=True) if _rg(input) else None
    return _view_out(v, input, node)


@register("unfold", function=False, method=True)
def unfold(self: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Sliding windows of `size` with `step` along a dim, appended as a new last dim."""
    a = self._data
    d = norm_dim(dimension, a.ndim) if a.ndim else 0
    n = a.shape[d] if a.ndim else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if a.ndim == 0:
        return _view_out(a.reshape(1), self, ViewBackward0(a.shape) if _rg(self) else None)
    count = (n - size) // step + 1
    shape = a.shape[:d] + (count,) + a.shape[d + 1:] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1:] + (a.strides[d],)
    v = np.lib.stride_tricks.as_strided(a, shape, strides,
                                        writeable=step >= size and a.flags.writeable) \
        if type(a) is np.ndarray else a.__class__(shape, a.dtype, a.data, strides=strides)
    return _view_out(v, self, UnfoldBackward0(a.shape, lambda g: unfold(g, d, size, step),
                                              overlapping=step < size) if _rg(self) else None)
