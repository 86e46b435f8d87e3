"""nn.functional dropout family: dropout, dropout1d/2d/3d (channel-wise), alpha_dropout,
feature_alpha_dropout. Masks come from ember's random generator (ember.manual_seed reproduces
them; the streams differ from torch's). Kept elements are scaled by 1 / (1 - p).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import like
from ...ops._core import attach
from ...ops._registry import register
from ...ops._sampling import _np_gen
from ._util import F32, HALF, not_tensor, publish

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766


class MulBackward0(Node):
    """Backward of input * noise for a constant noise array."""

    def __init__(self, noise: Any) -> None:
        super().__init__()
        self.noise = noise

    def backward(self, grad: Tensor) -> Tensor:
        if _gm.enabled:
            return grad * make(self.noise.astype(grad.dtype.np, copy=False), grad.dtype,
                               grad.device)
        g = grad._data
        if grad.dtype in HALF:
            return make((g.astype(F32) * self.noise).astype(g.dtype), grad.dtype, grad.device)
        return make(g * self.noise, grad.dtype, grad.device)


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _noise(input: Tensor, p: float, shape: tuple) -> Any:
    """Bernoulli(1 - p) / (1 - p) in float32 (float64 for float64 inputs), shaped `shape`."""
    ct = np.float64 if input.dtype is D.float64 else np.float32
    u = _np_gen(None, input.device).random(shape, dtype=ct)
    return like(input._data, np.where(u >= p, ct(1.0 / (1.0 - p)), ct(0.0)))  # drawn on host


def _apply_noise(input: Tensor, noise: Any, inplace: bool) -> Tensor:
    if inplace:
        return input.mul_(make(noise.astype(input.dtype.np, copy=False), input.dtype,
                               input.device))
    a = input._data
    dt = input.dtype
    if dt in HALF:
        r = (a.astype(F32) * noise).astype(dt.np)
    elif dt.category == D.FLOAT or dt.category == D.COMPLEX:
        r = a * noise.astype(a.dtype, copy=False) if dt is not D.float32 else a * noise
    else:  # integer inputs: torch computes the product in the input dtype
        r = (a * noise).astype(dt.np)
    res = make(r, dt, input.device)
    if _gm.enabled and input._requires_grad:
        attach(MulBackward0(noise), (input,), (res,))
    return res


def _zero(input: Tensor, inplace: bool) -> Tensor:
    """p == 1: input * 0 (nan stays nan, as in torch)."""
    return input.mul_(0) if inplace else input * make(np.zeros((), input.dtype.np), input.dtype,
                                                      input.device)


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool,
                  feature: bool = False, alpha: bool = False) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("dropout", "input", input)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        return _zero(input, inplace)
    shape = tuple(input.shape)
    nshape = shape[:2] + (1,) * (len(shape) - 2) if feature else shape
    if feature and len(shape) < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"{len(shape)}")
    if not alpha:
        return _apply_noise(input, _noise(input, p, nshape), inplace)
    keep = _noise(input, p, nshape) * (1.0 - p)  # 0/1
    a = 1.0 / np.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    nt = make((keep * a).astype(input.dtype.np), input.dtype, input.device)
    bt = make(b.astype(input.dtype.np), input.dtype, input.device)
    return input.mul_(nt).add_(bt) if inplace else input * nt + bt


@register("dropout", namespace="nn.functional")
def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only;
    otherwise input itself)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace)


def _channel_dropout(name: str, input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    _check_p(p)
    if batched:
        return _dropout_impl(input, p, training, inplace, feature=True)
    x = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    r = _dropout_impl(x, p, training, inplace, feature=True)
    return r.squeeze_(0) if inplace else r.squeeze(0)


@register("dropout1d", namespace="nn.functional")
def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) / (C, L) inputs with probability p."""
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs "
                           "with 1 spatial dimension, a channel dimension, and an optional batch "
                           "dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout("dropout1d", input, p, training, inplace, nd == 3)


@register("dropout2d", namespace="nn.functional")
def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs with probability p (3-d inputs are read as
    (N, C, L), as torch does, with its warning)."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout2d "
                      "exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      "or 4D inputs).", UserWarning, stacklevel=3)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change in "
                      "a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", UserWarning,
                      stacklevel=3)
    return _dropout_impl(input, p, training, inplace, feature=True)


@register("dropout3d", namespace="nn.functional")
def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W) inputs with probability p."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and "
                      "will result in an error in a future release. To retain the behavior and "
                      "silence this warning, please use dropout instead. Note that dropout3d "
                      "exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D "
                      "or 5D inputs).", UserWarning, stacklevel=3)
    return _channel_dropout("dropout3d", input, p, training, inplace, nd == 5)


@register("alpha_dropout", namespace="nn.functional")
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance (dropped values set to the SELU
    saturation, then an affine correction)."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, alpha=True)


@register("feature_alpha_dropout", namespace="nn.functional")
def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels."""
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


@register("dropout")
def _dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout."""
    return _dropout_impl(input, p, train, False)


@register("alpha_dropout")
def _alpha_dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.alpha_dropout."""
    return _dropout_impl(input, p, train, False, alpha=True)


@register("feature_alpha_dropout")
def _feature_alpha_dropout_top(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_alpha_dropout."""
    return _dropout_impl(input, p, train, False, feature=True, alpha=True)


publish("dropout", "alpha_dropout", "feature_alpha_dropout")
