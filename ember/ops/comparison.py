"""Comparisons: eq, ne, lt, le, gt, ge (+ aliases and operators), equal, isclose, allclose,
isin. Operands are promoted to their common dtype before comparing, as in torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ._core import _tname, attach, binary_args, grad_on, make_inplace
from ._registry import register, register_method
from .binary import broadcast_error, mk, need_tensor, need_tensors, not_impl
from .creation import zeros_like

_OPERAND = (Tensor, int, float, complex, np.generic)  # bool is an int


class _CmpBackward(Node):
    """Only reached through the in-place variants (x.eq_(y) keeps x in the graph): zero grads."""

    def backward(self, grad: Tensor) -> tuple:
        return tuple(zeros_like(grad) if nf[0] is not None else None
                     for nf in self.next_functions)


def _comparison(name: str, ufunc: Any, ordered: bool) -> Callable:
    def cmp(input: Tensor, other: Any) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({type(input).__name__}, {type(other).__name__}), but expected "
                            "(Tensor input, Tensor or Number other)")
        x, y, dt, dev = binary_args(name, input, other)
        if ordered and dt.category == D.COMPLEX:
            not_impl(name + "_cpu", dt)
        try:
            return mk(ufunc(x, y), D.bool_, dev)
        except ValueError as err:
            raise broadcast_error(err, input, other) from None

    cmp.__name__ = name
    cmp.__doc__ = f"Elementwise input {_SYMBOL[name]} other, as a bool tensor."
    nodes = (type(f"{name.capitalize()}Backward0", (_CmpBackward,), {}),
             type(f"{name.capitalize()}Backward1", (_CmpBackward,), {}))

    def tracked(input: Tensor, other: Any) -> Tensor:
        out = cmp(input, other)
        if grad_on(input, other) and input.dtype.category >= D.FLOAT:
            # the result is written into input's (float) memory: give it that dtype to record
            out = make(out._data.astype(input.dtype.np), input.dtype, input.device)
            tensor_other = isinstance(other, Tensor)
            attach(nodes[tensor_other](), (input, other) if tensor_other else (input,), (out,))
        return out

    inplace = make_inplace(tracked, name)
    aliases = _ALIASES[name]
    register(name, method=True, out=True, inplace=inplace, aliases=aliases)(cmp)

    def dunder(self: Tensor, other: Any) -> Any:
        # anything else (None, str, list) is NotImplemented: Python then answers == / != itself
        if isinstance(other, _OPERAND):
            return cmp(self, other)
        return NotImplemented

    register_method(f"__{name}__", dunder)
    return cmp


_SYMBOL = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
_ALIASES = {"eq": (), "ne": ("not_equal",), "lt": ("less",), "le": ("less_equal",),
            "gt": ("greater",), "ge": ("greater_equal",)}

eq = _comparison("eq", np.equal, False)
ne = _comparison("ne", np.not_equal, False)
lt = _comparison("lt", np.less, True)
le = _comparison("le", np.less_equal, True)
gt = _comparison("gt", np.greater, True)
ge = _comparison("ge", np.greater_equal, True)


@register("equal", method=True, differentiable=False)
def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and equal elements (compared after promotion)."""
    need_tensors("equal", input, other)
    if input._data.shape != other._data.shape:
        return False
    x, y, _, _ = binary_args("equal", input, other)
    return bool(np.array_equal(x, y))


def _check_isclose(input: Tensor, other: Tensor, rtol: float, atol: float) -> None:
    need_tensors("isclose", input, other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_tname(input.dtype)} did not match {_tname(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")


def _close(input: Tensor, other: Tensor, rtol: float, atol: float, equal_nan: bool) -> Any:
    x, y = input._data, other._data
    inexact = input.dtype.category >= D.FLOAT
    try:
        close = x == y
        if equal_nan and inexact:
            close |= np.isnan(x) & np.isnan(y)
        if rtol == 0 and atol == 0:  # exact: no false positives from the float casts below
            return close
        if not inexact:  # torch measures integer (and bool) errors in the default dtype
            f = D.get_default_dtype().np
            x, y = x.astype(f), y.astype(f)
        with np.errstate(all="ignore"):
            # the tolerances are cast to the operands' dtype and the allowed error computed
            # in it, like torch (bfloat16 would otherwise widen to float64)
            allowed = np.abs(x.dtype.type(rtol) * y)
            allowed = allowed.dtype.type(atol) + allowed
            actual = np.abs(x - y)
            close |= np.isfinite(actual) & (actual <= allowed)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    return close


@register("isclose", method=True, differentiable=False)
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """|input - other| <= atol + rtol * |other| (or equal), elementwise; same dtypes required.

    Integer and bool inputs are compared exactly when rtol == atol == 0, otherwise (as in torch
    2.13) their errors are measured in the default float dtype.
    """
    _check_isclose(input, other, rtol, atol)
    return mk(_close(input, other, rtol, atol, equal_nan), D.bool_, input.device)


@register("allclose", method=True, differentiable=False)
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """isclose(...).all() as a Python bool."""
    _check_isclose(input, other, rtol, atol)
    return bool(np.all(_close(input, other, rtol, atol, equal_nan)))


@register("isin", out=True, differentiable=False)
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Tensor:
    """Whether each element of `elements` occurs in `test_elements` (bool, elements' shape)."""
    for v in (elements, test_elements):
        if (v.dtype is D.bool_) if isinstance(v, Tensor) else isinstance(v, (bool, np.bool_)):
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    if not isinstance(elements, Tensor):
        need_tensor("isin", test_elements, "test_elements")
    x, y, dt, dev = binary_args("isin", elements, test_elements)
    if dt.category == D.COMPLEX:
        raise RuntimeError(f"Unsupported input type encountered for isin(): {_tname(dt)}")
    if dev.type == "cuda":  # CuPy's isin takes arrays only
        from ..backends import cuda

        x, y = cuda.xp.asarray(x), cuda.xp.asarray(y)
    r = np.isin(x, y, assume_unique=assume_unique, invert=invert)
    return mk(r, D.bool_, dev)
