"""Logical ops (any dtype in, bool out) and bitwise ops (integers and bool only), with the
operators & | ^ ~ << >> and their reflected and in-place forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ._core import binary_args, check_cast, make_inplace, result_type
from ._registry import register, register_method
from .binary import any_, broadcast_error, mk, need_tensor, need_tensors, not_impl

_OPERAND = (Tensor, int, float, complex, np.generic)  # bool is an int


def _logical(name: str, ufunc: Any) -> Callable:
    def op(input: Tensor, other: Tensor) -> Tensor:
        need_tensors(name, input, other)
        # promotion keeps zero and nonzero apart, so comparing promoted values is exact
        x, y, dt, dev = binary_args(name, input, other)
        if dt.category == D.COMPLEX and dev.type == "cuda":  # CuPy's logical ufuncs: no complex
            x, y = x != 0, y != 0
        try:
            return mk(ufunc(x, y), D.bool_, dev)
        except ValueError as err:
            raise broadcast_error(err, input, other) from None

    op.__name__ = name
    op.__doc__ = f"Elementwise {name[8:].upper()} of the truth values (nonzero) of both inputs."
    register(name, method=True, out=True, inplace=make_inplace(op, name))(op)
    return op


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT of the truth value (nonzero) of input, as bool."""
    need_tensor("logical_not", input, "input", 1)
    x = input._data
    if x.dtype.kind == "c" and type(x) is not np.ndarray:  # CuPy's logical_not: no complex
        return mk(x == 0, D.bool_, input.device)
    return mk(np.logical_not(x if x.dtype.kind in "biufc" else x.astype(np.float32)), D.bool_,
              input.device)


register("logical_not", method=True, out=True, inplace=make_inplace(logical_not, "logical_not"))(
    logical_not)


def _checked_inplace(fn: Callable, name: str) -> Callable:
    """In-place binary op that first checks the result dtype fits self, as torch does."""
    slow = make_inplace(fn, name)

    def inplace(self: Tensor, other: Any) -> Tensor:
        check_cast(result_type(self, other), self.dtype)
        return slow(self, other)

    inplace.__name__ = name + "_"
    return inplace


def _reflect(fn: Callable, reverse: bool) -> Callable:
    """An operator method: unsupported operand types give NotImplemented (Python's TypeError)."""
    if reverse:
        def method(self: Tensor, other: Any) -> Any:
            return fn(other, self) if isinstance(other, _OPERAND) else NotImplemented
    else:
        def method(self: Tensor, other: Any) -> Any:
            return fn(self, other) if isinstance(other, _OPERAND) else NotImplemented
    return method


def _operators(dunder: str, fn: Callable, inplace: Callable) -> None:
    register_method(f"__{dunder}__", _reflect(fn, False))
    register_method(f"__r{dunder}__", _reflect(fn, True))
    register_method(f"__i{dunder}__", _reflect(inplace, False))


def _bitwise(name: str, ufunc: Any, dunder: str) -> Callable:
    def op(input: Any, other: Any) -> Tensor:
        x, y, dt, dev = binary_args(name, input, other)
        if dt.category > D.INT:
            not_impl(name + "_cpu", dt)
        try:
            return mk(ufunc(x, y), dt, dev)
        except ValueError as err:
            raise broadcast_error(err, input, other) from None

    op.__name__ = name
    op.__doc__ = f"Elementwise {name[8:].upper()} of the bits (logical for bool); integers only."
    inplace = _checked_inplace(op, name)
    register(name, method=True, out=True, inplace=inplace)(op)
    _operators(dunder, op, inplace)
    return op


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, "and")
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, "or")
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, "xor")


def bitwise_not(input: Tensor) -> Tensor:
    """~input: bit inversion for integers, logical NOT for bool."""
    need_tensor("bitwise_not", input, "input", 1)
    dt = input.dtype
    if dt is D.bool_:
        return mk(np.logical_not(input._data), dt, input.device)
    if dt.category != D.INT:
        not_impl("bitwise_not_cpu", dt)
    return mk(np.invert(input._data), dt, input.device)


def _invert(self: Tensor) -> Tensor:
    if self.dtype.category > D.INT:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


register("bitwise_not", method=True, out=True, inplace=make_inplace(bitwise_not, "bitwise_not"))(
    bitwise_not)
register_method("__invert__", _invert)


def _shift(name: str, kernel: str, left: bool, dunder: str) -> Callable:
    def op(input: Any, other: Any) -> Tensor:
        x, y, dt, dev = binary_args(name, input, other)
        if dt.category != D.INT:
            not_impl(kernel, dt)
        bits = 8 * dt.itemsize
        # torch's rule for shifts outside [0, bits): 0, or the sign fill for a signed >>
        top = bits if left or not dt.is_signed else bits - 1
        shift = np.left_shift if left else np.right_shift
        try:
            if isinstance(other, Tensor):
                bad = (y < 0) | (y >= top)
                if any_(bad):
                    fill = x >> (bits - 1) if not left and dt.is_signed else 0
                    r = np.where(bad, fill, shift(x, np.where(bad, 0, y)))
                else:
                    r = shift(x, y)
            elif 0 <= int(y) < top:
                r = shift(x, y)
            else:
                r = x >> (bits - 1) if not left and dt.is_signed else np.zeros_like(x)
        except ValueError as err:
            raise broadcast_error(err, input, other) from None
        return mk(r, dt, dev)

    op.__name__ = name
    op.__doc__ = f"Shift the bits of input {'left' if left else 'right'} by other; integers only."
    inplace = _checked_inplace(op, name)
    register(name, method=True, out=True, inplace=inplace)(op)
    _operators(dunder, op, inplace)
    return op


bitwise_left_shift = _shift("bitwise_left_shift", "lshift_cpu", True, "lshift")
bitwise_right_shift = _shift("bitwise_right_shift", "rshift_cpu", False, "rshift")
