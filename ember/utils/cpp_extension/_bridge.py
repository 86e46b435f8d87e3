"""The Python half of Ember's C++ tensor API: what the headers in ember/include call back into.

The C++ side (ember/include/ember/tensor.h) reads an ember Tensor's NumPy array directly; it
calls here only to allocate (factories) and to run the few ops it offers, so every tensor that
C++ returns is an ordinary ember Tensor over memory NumPy owns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._device import CPU
from ..._tensor import Tensor, make

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
# Indexed by code (None where torch's numbering has a type Ember lacks), for the C++ factories.
EMBER_DTYPES = tuple(CODE_DTYPE.get(i) for i in range(16))
NP_DTYPES = tuple(d.np if d is not None else None for d in EMBER_DTYPES)
NUMPY_FACTORIES = (np.empty, np.zeros, np.ones, np.full)

__all__ = [
    "Tensor",
    "ndarray",
    "CPU",
    "make",
    "DTYPE_CODE",
    "EMBER_DTYPES",
    "NP_DTYPES",
    "NUMPY_FACTORIES",
    "default_code",
    "factory",
    "to_dtype",
    "call_op",
]


def default_code() -> int:
    """The ScalarType code of ember's default dtype (what torch::empty({2}) allocates)."""
    return DTYPE_CODE[D.get_default_dtype()]


def factory(kind: str, shape: tuple, opts: tuple, fill: Any) -> Tensor:
    """torch::empty/zeros/ones/full on meta or with requires_grad: opts = (dtype code,
    device, requires_grad). CPU tensors without grad are made by the C++ side directly."""
    import ember

    code, dev, requires_grad = opts
    dt = CODE_DTYPE[code]
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
