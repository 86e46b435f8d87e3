"""Broadcasting and grids: broadcast_tensors, broadcast_shapes, meshgrid, cartesian_prod."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Size, Tensor
from ._registry import register
from .shape import _tensor_list, stack
from .views import expand, reshape


# ------------------------------------------------------------------ broadcasting
def _broadcast_shape(shapes: Sequence[tuple]) -> tuple:
    """Common shape of tensors, with torch's tensor-broadcast error message."""
    out: list = []
    for s in shapes:
        if len(s) > len(out):
            out = [1] * (len(s) - len(out)) + out
        off = len(out) - len(s)
        for i, n in enumerate(s):
            cur = out[off + i]
            if n == cur or n == 1:
                continue
            if cur == 1:
                out[off + i] = n
            else:
                raise RuntimeError(f"The size of tensor a ({cur}) must match the size of tensor b "
                                   f"({n}) at non-singleton dimension {off + i}")
    return tuple(out)


@register("broadcast_tensors", differentiable=True)
def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Expand every tensor to their common shape (views; inputs of that shape returned as is)."""
    shape = _broadcast_shape([t._data.shape for t in tensors])
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


@register("broadcast_shapes", differentiable=False)
def broadcast_shapes(*shapes: Any) -> Size:
    """The shape tensors of the given shapes broadcast to."""
    shs = [(s,) if isinstance(s, (int, np.integer)) else s for s in shapes if s is not None]
    if not shs:
        return Size(())
    for s in shs:
        if not isinstance(s, (tuple, list)):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list "
                               f"of ints, got {s}")
    common: list[int | np.integer] = [1] * max(len(s) for s in shs)
    for k, s in enumerate(shs):
        for i in range(-1, -1 - len(s), -1):
            n = s[i]
            if n == common[i]:
                continue
            if common[i] == 1:
                if n < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = n
            if n != 1 and common[i] != n:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {i}! "
                                   f"Mismatching argument at index {k} had {s}; but expected "
                                   f"shape should be broadcastable to {common}")
    return Size(common)


@register("meshgrid", differentiable=True)
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple:
    """Coordinate grids of 0-d/1-d tensors (expanded views); warns when indexing is omitted."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=3)
        indexing = "ij"
    ts = _tensor_list(list(tensors), "meshgrid")
    if not ts:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in ts[1:]:
        if t.dtype is not ts[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != ts[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    for t in ts:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t._data.size for t in ts)
    n = len(ts)
    out = []
    for i, t in enumerate(ts):
        view = (1,) * i + (-1,) + (1,) * (n - i - 1)
        out.append(expand(reshape(t, view), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


# ------------------------------------------------------------------ cartesian_prod
@register("cartesian_prod")
def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All combinations of the elements of 1-d tensors, one per row (input itself for one)."""
    ts = _tensor_list(list(tensors), "cartesian_prod")
    for t in ts:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)
