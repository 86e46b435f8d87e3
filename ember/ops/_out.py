"""`out=` semantics: cast check, resize when the shape differs, write, bump the version."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import state as _gm
from ._core import check_cast


def write_out(name: str, res: Any, out: Any) -> Any:
    if isinstance(res, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(res):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(res)} Tensors")
        return type(res)(*[write_out(name, r, o) for r, o in zip(res, out)]) \
            if hasattr(res, "_fields") else tuple(write_out(name, r, o) for r, o in zip(res, out))
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _gm.enabled and (out._requires_grad or res._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    check_cast(res.dtype, out.dtype)
    if out.device != res.device:
        raise RuntimeError(f"Expected out tensor to have device {res.device}, but got "
                           f"{out.device} instead")
    if out._data.shape != res._data.shape:
        if out._data.size:
            import warnings

            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(res.shape)}. This behavior is deprecated.", UserWarning,
                          stacklevel=3)
        xp = np if type(out._data) is np.ndarray else out._data.__class__.__module__
        new = res._data.astype(out.dtype.np, copy=True) if xp is np else res._data.astype(
            out.dtype.np)
        out._data = new
        out._storage = None
    else:
        if type(out._data) is np.ndarray:
            np.copyto(out._data, res._data, casting="unsafe")
        else:
            out._data[...] = res._data
    out._bump_version()
    return out
