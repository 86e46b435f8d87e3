"""Tensor.new_empty/new_zeros/new_ones/new_full/new_tensor/new_empty_strided: factories whose
dtype and device default to the tensor's own (methods only, as in torch)."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from .._tensor import Tensor
from . import creation as C
from ._registry import register


def _size(name: str, size: tuple) -> Any:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    for s in size:
        if not isinstance(s, int) and not (isinstance(s, Tensor) and s.dim() == 0):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
    return size


def _opts(self: Tensor, dtype: D.dtype | None, device: Any) -> dict:
    return {"dtype": self.dtype if dtype is None else dtype,
            "device": self.device if device is None else device}


@register("new_empty", function=False, method=True, differentiable=False)
def new_empty(self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None,
              requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Uninitialised tensor of `size` with self's dtype and device unless given."""
    return C.empty(_size("new_empty", size), requires_grad=requires_grad,
                   **_opts(self, dtype, device))


@register("new_zeros", function=False, method=True, differentiable=False)
def new_zeros(self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None,
              requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Zeros of `size` with self's dtype and device unless given."""
    return C.zeros(_size("new_zeros", size), requires_grad=requires_grad,
                   **_opts(self, dtype, device))


@register("new_ones", function=False, method=True, differentiable=False)
def new_ones(self: Tensor, *size: Any, dtype: D.dtype | None = None, device: Any = None,
             requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """Ones of `size` with self's dtype and device unless given."""
    return C.ones(_size("new_ones", size), requires_grad=requires_grad,
                  **_opts(self, dtype, device))


@register("new_full", function=False, method=True, differentiable=False)
def new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: D.dtype | None = None,
             device: Any = None, requires_grad: bool = False, layout: Any = None,
             pin_memory: bool = False) -> Tensor:
    """`size` filled with fill_value, in self's dtype (not the value's) unless given."""
    return C.full(tuple(size), fill_value, requires_grad=requires_grad,
                  **_opts(self, dtype, device))


@register("new_empty_strided", function=False, method=True, differentiable=False)
def new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: D.dtype | None = None,
                      device: Any = None, requires_grad: bool = False, layout: Any = None,
                      pin_memory: bool = False) -> Tensor:
    """empty_strided with self's dtype and device unless given."""
    return C.empty_strided(size, stride, requires_grad=requires_grad,
                           **_opts(self, dtype, device))


@register("new_tensor", function=False, method=True, differentiable=False)
def new_tensor(self: Tensor, data: Any, *, dtype: D.dtype | None = None, device: Any = None,
               requires_grad: bool = False, layout: Any = None,
               pin_memory: bool = False) -> Tensor:
    """A copy of data (like ember.tensor) in self's dtype and device unless given."""
    return C.tensor(data, requires_grad=requires_grad, **_opts(self, dtype, device))
