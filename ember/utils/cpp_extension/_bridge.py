"""The Python half of Ember's C++ tensor API: what the headers in ember/include call back into.

The C++ side (ember/include/ember/tensor.h) reads an ember Tensor's NumPy array directly; it
calls here only to allocate (factories) and to run the few ops it offers, so every tensor that
C++ returns is an ordinary ember Tensor over memory NumPy owns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor

ndarray = np.ndarray

# torch's c10::ScalarType numbering, which the headers use.
DTYPE_CODE: dict[D.dtype, int] = {
    D.uint8: 0,
    D.int8: 1,
    D.int16: 2,
    D.int32: 3,
    D.int64: 4,
    D.float16: 5,
    D.float32: 6,
    D.float64: 7,
    D.complex64: 9,
    D.complex128: 10,
    D.bool_: 11,
    D.bfloat16: 15,
}
CODE_DTYPE: dict[int, D.dtype] = {v: k for k, v in DTYPE_CODE.items()}

__all__ = ["Tensor", "ndarray", "DTYPE_CODE", "factory", "to_dtype", "call_op"]


def factory(kind: str, shape: tuple, opts: tuple, fill: Any) -> Tensor:
    """torch::empty/zeros/ones/full(shape, options): opts = (dtype code or -1, device, grad)."""
    import ember

    code, dev, requires_grad = opts
    dt = CODE_DTYPE[code] if code >= 0 else D.get_default_dtype()
    kwargs = {"dtype": dt, "device": dev or "cpu"}
    if kind == "empty":
        t = ember.empty(shape, **kwargs)
    elif kind == "full":
        t = ember.full(shape, fill, **kwargs)  # type: ignore[attr-defined]
    else:
        t = getattr(ember, kind)(shape, **kwargs)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_dtype(t: Tensor, code: int) -> Tensor:
    return t.to(CODE_DTYPE[code])


def call_op(name: str, *args: Any) -> Any:
    import ember

    return getattr(ember, name)(*args)
