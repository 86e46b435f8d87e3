"""The cross product: cross and the linalg.cross kernel it calls."""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ._core import attach, norm_dim
from ._linalg_util import _broadcast, _conj, _down, _no_bool, _same_device, _save_pair, _tn, _up
from ._registry import register


class LinalgCrossBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        return (_cross(_conj(b), grad, self.dim) if nf[0][0] is not None else None,
                _cross(grad, _conj(a), self.dim) if nf[1][0] is not None else None)


def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    """linalg.cross: same ranks, broadcast, both of length 3 along dim, no promotion."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if other.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_tn(input)} but found {_tn(other)}")
    d = norm_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    _broadcast(a.shape, b.shape)
    _same_device("cross", input, other)
    dt = input.dtype
    _no_bool(dt, "cross")
    r = np.cross(_up(a, dt), _up(b, dt), axisa=d, axisb=d, axisc=d)
    out = make(_down(r, dt), dt, input.device)
    if _gm.enabled and (input._requires_grad or other._requires_grad):
        node = LinalgCrossBackward0(d)
        _save_pair(node, input, other)
        attach(node, (input, other), (out,))
    return out


@register("cross", method=True, out=True)
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product along dim (default: the first dim of size 3, with torch's warning)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=3)
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(input, other, dim)
