"""Tensor's conversions to Python and NumPy values (item, tolist, numpy, __array__, dlpack,
__bool__/__float__/__int__/__index__, iteration): a mixin of ember.Tensor, kept apart so
_tensor.py holds the tensor's structure."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _dtype as D
from .autograd.grad_mode import state as _grad_state


class PythonConversions:
    """Methods of ember.Tensor that hand its values to Python, NumPy and DLPack consumers."""

    __slots__ = ()
    _data: Any
    dtype: D.dtype
    device: Any
    _requires_grad: bool

    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        if self.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        v = self._host().reshape(()).item()
        if self.dtype is D.bfloat16:
            return float(v)
        return v

    def tolist(self) -> Any:
        if self.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        a = self._host()
        if self.dtype is D.bfloat16:
            a = a.astype(np.float32)
        return a.tolist()

    def _host(self) -> np.ndarray:
        a = self._data
        return a if type(a) is np.ndarray else a.get()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (a copy only for non-CPU with force=True)."""
        if self.device.type != "cpu":
            if not force:
                raise TypeError(f"can't convert {self.device.type} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._host().copy()
        if self._requires_grad and _grad_state.enabled and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.numpy(force=True) if self.device.type != "cpu" else self._data
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a.copy() if copy else a

    def __dlpack__(self, stream: Any = None, **kwargs: Any) -> Any:
        return self._data.__dlpack__(**({"stream": stream} if stream is not None else {}))

    def __dlpack_device__(self) -> Any:
        return self._data.__dlpack_device__()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def _scalar(self, kind: str) -> Any:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if kind != "complex" and self.dtype.category == D.COMPLEX:
            raise RuntimeError(f"value cannot be converted to type {kind} without overflow")
        return self.item()

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int64_t"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __index__(self) -> int:
        if self.dtype.category > D.INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())


    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))  # type: ignore[attr-defined]

    def __reversed__(self) -> Any:
        return iter(self.flip(0).unbind(0))  # type: ignore[attr-defined]

    def __contains__(self, element: Any) -> bool:
        from ._tensor import Tensor

        if not isinstance(element, (Tensor, int, float, bool, complex)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you "
                               f"passed in a {type(element)}.")
        return bool((self == element).any().item())  # type: ignore[attr-defined]
