"""Binary math, part 2: atan2, hypot, copysign, maximum/minimum, fmax/fmin, nextafter,
heaviside, gcd, lcm (imported by binary.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.graph import Node
from ._core import attach, binary_args, grad_on, make_inplace
from ._registry import register
from .binary import (
    NotImplementedBackward,
    any_,
    broadcast_error,
    float_args,
    float_binary_args,
    mk,
    need_tensor,
    need_tensors,
    not_impl,
    up,
    where_,
)
from .creation import zeros_like


class Atan2Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        denom = a * a + b * b
        recip = where_(denom._data == 0, 0.0, 1 / denom)  # torch's gradient at (0, 0) is 0
        return grad * b * recip, grad * -a * recip


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise arctan(input / other) in the correct quadrant; integers promote to float."""
    x, y, dt, dev = float_args("atan2", input, other)
    if dt.category == D.COMPLEX:
        not_impl("atan2_cpu", dt)
    try:
        r = np.arctan2(up(x, dt), up(y, dt))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = Atan2Backward0()
        node.save(input, other)
        attach(node, (input, other), (out,))
    return out


register("atan2", method=True, out=True, inplace=make_inplace(atan2, "atan2"),
         aliases=("arctan2",))(atan2)


class HypotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b, out = self.saved_tensors
        return grad * a / out, grad * b / out


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input**2 + other**2) without overflow; floating dtypes only."""
    need_tensors("hypot", input, other)
    x, y, dt, dev = binary_args("hypot", input, other)
    if dt.category != D.FLOAT:
        not_impl("hypot_cpu", dt)
    try:
        r = np.hypot(up(x, dt), up(y, dt))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = HypotBackward0()
        node.save(input, other)
        node.save_outputs(out)
        attach(node, (input, other), (out,))
    return out


register("hypot", method=True, out=True, inplace=make_inplace(hypot, "hypot"))(hypot)


class CopysignBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor | tuple:
        saved = self.saved_tensors
        a, out = saved[0], saved[-1]
        ga = grad * where_(a._data == 0, 0.0, out / a)
        if len(self.next_functions) == 1:
            return ga
        return ga, (zeros_like(grad) if self.next_functions[1][0] is not None else None)


CopysignBackward1 = type("CopysignBackward1", (CopysignBackward0,), {})


def copysign(input: Tensor, other: Any) -> Tensor:
    """|input| with the sign of other; integers promote to float."""
    need_tensor("copysign", input, "input", 1)
    x, y, dt, dev = float_binary_args("copysign", input, other)
    if dt.category == D.COMPLEX:
        not_impl("copysign_cpu", dt)
    try:
        r = np.copysign(up(x, dt), up(y, dt))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        tensor_other = isinstance(other, Tensor)
        node = CopysignBackward0() if tensor_other else CopysignBackward1()
        node.save(input)
        node.save_outputs(out)
        attach(node, (input, other) if tensor_other else (input,), (out,))
    return out


register("copysign", method=True, out=True, inplace=make_inplace(copysign, "copysign"))(copysign)


# ------------------------------------------------------------------ max/min, selection-like ops
class _SelectBackward(Node):
    """Gradient of an op whose output picks one input per element."""

    def masks(self, a: Any, b: Any) -> tuple:
        """(a loses, b loses, tie or None): losers get no gradient, ties half of it."""
        raise NotImplementedError

    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        with np.errstate(invalid="ignore"):
            lose_a, lose_b, tie = self.masks(a._data, b._data)
        g = where_(tie, grad / 2, grad) if tie is not None and any_(tie) else grad
        need = self.next_functions
        return (where_(lose_a, 0.0, g) if need[0][0] is not None else None,
                where_(lose_b, 0.0, g) if need[1][0] is not None else None)


class MaximumBackward0(_SelectBackward):
    def masks(self, a: Any, b: Any) -> tuple:  # nan loses nowhere: both get the gradient
        return a < b, a > b, a == b


class MinimumBackward0(_SelectBackward):
    def masks(self, a: Any, b: Any) -> tuple:
        return a > b, a < b, a == b


class FmaxBackward0(_SelectBackward):
    def masks(self, a: Any, b: Any) -> tuple:
        keep_a = (a >= b) | np.isnan(b)
        return ~keep_a, keep_a, None


class FminBackward0(_SelectBackward):
    def masks(self, a: Any, b: Any) -> tuple:
        keep_a = (a <= b) | np.isnan(b)
        return ~keep_a, keep_a, None


def _minmax(name: str, ufunc: Any, node_cls: type, input: Tensor, other: Tensor) -> Tensor:
    need_tensors(name, input, other)
    x, y, dt, dev = binary_args(name, input, other)
    if dt.category == D.COMPLEX:
        raise RuntimeError(f"{name} not implemented for complex tensors.")
    try:
        if dt is D.bfloat16:  # ml_dtypes warns on nan where float32 does not
            with np.errstate(invalid="ignore"):
                r = ufunc(x, y)
        else:
            r = ufunc(x, y)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = node_cls()
        node.save(input, other)
        attach(node, (input, other), (out,))
    return out


@register("maximum", method=True, out=True)
def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max; nan propagates."""
    return _minmax("maximum", np.maximum, MaximumBackward0, input, other)


@register("minimum", method=True, out=True)
def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min; nan propagates."""
    return _minmax("minimum", np.minimum, MinimumBackward0, input, other)


@register("fmax", method=True, out=True)
def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise max ignoring nan (nan only where both are nan)."""
    return _minmax("fmax", np.fmax, FmaxBackward0, input, other)


@register("fmin", method=True, out=True)
def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise min ignoring nan (nan only where both are nan)."""
    return _minmax("fmin", np.fmin, FminBackward0, input, other)


# ------------------------------------------------------------------ nextafter, heaviside, gcd, lcm
class NextafterBackward0(Node):
    """torch's formula: the gradient passes to input except where input == other."""

    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        need = self.next_functions
        return (where_(a._data == b._data, 0.0, grad) if need[0][0] is not None else None,
                zeros_like(grad) if need[1][0] is not None else None)


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable value after input in the direction of other."""
    need_tensors("nextafter", input, other)
    x, y, dt, dev = binary_args("nextafter", input, other)
    if dt.category != D.FLOAT:
        not_impl("nextafter_cpu", dt)
    try:
        r = np.nextafter(x, y)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = NextafterBackward0()
        node.save(input, other)
        attach(node, (input, other), (out,))
    return out


register("nextafter", method=True, out=True, inplace=make_inplace(nextafter, "nextafter"))(
    nextafter)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """values where input == 0, else (input > 0); both must have the same dtype."""
    need_tensors("heaviside", input, values, "values")
    if input.dtype.category == D.COMPLEX or values.dtype.category == D.COMPLEX:
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    x, y, dt, dev = binary_args("heaviside", input, values)
    try:
        with np.errstate(invalid="ignore"):  # nan > 0 is False (bfloat16 would warn)
            r = np.where(x == 0, y, x > 0)
    except ValueError as err:
        raise broadcast_error(err, input, values) from None
    out = mk(r, dt, dev)
    if grad_on(input, values):
        attach(NotImplementedBackward("heaviside"), (input, values), (out,))
    return out


register("heaviside", method=True, out=True, inplace=make_inplace(heaviside, "heaviside"))(
    heaviside)


def _int_op(name: str, ufunc: Any, input: Tensor, other: Tensor) -> Tensor:
    need_tensors(name, input, other)
    x, y, dt, dev = binary_args(name, input, other)
    if dt.category != D.INT:
        not_impl(name + "_cpu", dt)
    try:
        r = ufunc(x, y)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    return mk(r, dt, dev)


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor (non-negative); integer dtypes only."""
    return _int_op("gcd", np.gcd, input, other)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple (non-negative); integer dtypes only."""
    return _int_op("lcm", np.lcm, input, other)


register("gcd", method=True, out=True, inplace=make_inplace(gcd, "gcd"))(gcd)
register("lcm", method=True, out=True, inplace=make_inplace(lcm, "lcm"))(lcm)
