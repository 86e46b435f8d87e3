"""Gradient clipping, as torch.nn.utils.clip_grad (foreach= is accepted and ignored)."""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._device import CPU
from ..._tensor import Tensor, make
from ...autograd.grad_mode import no_grad
from ...backends import is_writeable

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]

_TensorOrTensors = Tensor | Iterable[Tensor]


def _no_grad(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with no_grad():
            return func(*args, **kwargs)

    return wrapper


def _fn(name: str) -> Callable:
    from ...ops import FUNCTIONS

    return FUNCTIONS[name]


def _fast_dtype(tensors: list) -> D.dtype | None:
    """The shared dtype when every tensor is a float32/float64 CPU tensor, else None."""
    dt = tensors[0].dtype
    if dt is not D.float32 and dt is not D.float64:
        return None
    for t in tensors:
        if t.dtype is not dt or t.device.type != "cpu":
            return None
    return dt


def _vector_norm(t: Tensor, p: float) -> Tensor:
    """linalg.vector_norm(t, p) of the flattened tensor, in t's dtype."""
    a = t.abs()
    if p == float("inf"):
        return a.amax() if a.numel() else a.sum()
    if p == float("-inf"):
        return a.amin()
    if p == 0:
        return (a != 0).sum().to(t.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return (a * a).sum().sqrt()
    return (a ** p).sum() ** (1.0 / p)


@_no_grad
def get_total_norm(tensors: _TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of the norms of `tensors` (as if they were concatenated into one vector)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _fn("tensor")(0.0)
    dt = _fast_dtype(tensors)
    if dt is not None and norm_type == 2.0:  # the common case: one BLAS dot per tensor
        sq = dt.np.type(0)
        with np.errstate(all="ignore"):
            for g in tensors:
                a = g._data.ravel()
                sq += np.vdot(a, a)
        total = make(np.sqrt(np.asarray(sq, dt.np)), dt, CPU)
    else:
        first_device = tensors[0].device
        norms = [_vector_norm(g, norm_type) for g in tensors]
        total = _vector_norm(_fn("stack")([n.to(first_device) for n in norms]), norm_type)
    if error_if_nonfinite and bool(total.isnan() | total.isinf()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return total


@_no_grad
def clip_grads_with_norm_(parameters: _TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    dt = _fast_dtype(grads)
    if dt is not None and total_norm.dtype is dt and total_norm.device.type == "cpu":
        with np.errstate(all="ignore"):  # inf/nan norms scale to nan silently, as torch
            c = np.minimum(dt.np.type(max_norm) / (total_norm._data + dt.np.type(1e-6)),
                           dt.np.type(1.0))
            for g in grads:
                a = g._data
                if is_writeable(a):
                    np.multiply(a, c, out=a)
                    g._bump_version()
                else:
                    g.mul_(make(np.asarray(c), dt, CPU))
        return
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.device))


@_no_grad
def clip_grad_norm_(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Clip the gradients' total norm to max_norm in place; returns the total norm before."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: _TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_no_grad
def clip_grad_value_(parameters: _TensorOrTensors, clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient to [-clip_value, clip_value] in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p.grad
        if g is not None:
            g.clamp_(min=-clip_value, max=clip_value)
