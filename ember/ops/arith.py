"""Binary arithmetic: add, sub, mul, div (with rounding modes), neg, and their operators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import as_array, like
from ._core import (
    attach,
    binary_args,
    check_cast,
    check_inplace,
    grad_on,
    make_inplace,
    scalar_to_array,
)
from ._registry import register, register_method
from .binary import NotImplementedBackward, any_, broadcast_error, loud, mk, quiet
from .creation import zeros_like


# ------------------------------------------------------------------ backward nodes
class AddBackward0(Node):
    def __init__(self, alpha: Any) -> None:
        super().__init__()
        self.alpha = alpha

    def backward(self, grad: Tensor) -> tuple:
        return grad, (grad if self.alpha == 1 else grad * self.alpha)


class AddScalarBackward(Node):
    """x + scalar (either order): torch names it AddBackward0 with edges (x, None)."""

    def name(self) -> str:
        return "AddBackward0"

    def backward(self, grad: Tensor) -> tuple:
        return grad, None


class SubBackward0(Node):
    def __init__(self, alpha: Any) -> None:
        super().__init__()
        self.alpha = alpha

    def backward(self, grad: Tensor) -> tuple:
        return grad, (-grad if self.alpha == 1 else grad * -self.alpha)


class RsubBackward0(Node):
    """rsub(input, other, alpha) = other - alpha * input."""

    def __init__(self, alpha: Any) -> None:
        super().__init__()
        self.alpha = alpha

    def backward(self, grad: Tensor) -> tuple:
        return (-grad if self.alpha == 1 else grad * -self.alpha), grad


class RsubBackward1(Node):
    """scalar - alpha * x: one edge, to x."""

    def __init__(self, alpha: Any = 1) -> None:
        super().__init__()
        self.alpha = alpha

    def backward(self, grad: Tensor) -> Tensor:
        return -grad if self.alpha == 1 else grad * -self.alpha


class MulBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        need = self.next_functions
        dt = grad.dtype
        if not _gm.enabled and (dt is D.float32 or dt is D.float64) and \
                grad._data.__class__ is np.ndarray:
            # no graph to build: multiply the arrays directly (real dtypes need no conj)
            g = grad._data
            return (make(g * _in(b, dt), dt, grad.device) if need[0][0] is not None else None,
                    make(g * _in(a, dt), dt, grad.device) if need[1][0] is not None else None)
        ga = grad * (b.conj() if b.is_complex() else b) if need[0][0] is not None else None
        gb = grad * (a.conj() if a.is_complex() else a) if need[1][0] is not None else None
        return ga, gb


_nd = np.ndarray


def _in(t: Tensor, dt: D.dtype) -> Any:
    return t._data if t.dtype is dt else t._data.astype(dt.np)


class MulScalarBackward(Node):
    """x * scalar (either order): torch names it MulBackward0 with edges (x, None)."""

    def __init__(self, scalar: Any) -> None:
        super().__init__()
        self.scalar = scalar

    def name(self) -> str:
        return "MulBackward0"

    def backward(self, grad: Tensor) -> tuple:
        s = self.scalar.conjugate() if isinstance(self.scalar, complex) else self.scalar
        return grad * s, None


class DivBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        need = self.next_functions
        ga = grad / b if need[0][0] is not None else None
        gb = -grad * a / (b * b) if need[1][0] is not None else None
        return ga, gb


class DivScalarBackward(Node):
    """x / scalar: torch names it DivBackward0 with edges (x, None)."""

    def __init__(self, scalar: Any) -> None:
        super().__init__()
        self.scalar = scalar

    def name(self) -> str:
        return "DivBackward0"

    def backward(self, grad: Tensor) -> tuple:
        return grad / self.scalar, None


class RdivBackward(Node):
    """d(s / b)/db = -s / b^2."""

    def __init__(self, scalar: Any) -> None:
        super().__init__()
        self.scalar = scalar

    def name(self) -> str:
        return "DivBackward0"

    def backward(self, grad: Tensor) -> tuple:
        (b,) = self.saved_tensors
        return -grad * self.scalar / (b * b), None


class NegBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return -grad


class _ZeroGrad(Node):
    """Ops that are piecewise constant (floor division, rounding) have zero gradient."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def name(self) -> str:
        return self._name

    def backward(self, grad: Tensor) -> tuple:
        z = zeros_like(grad)  # not grad * 0: an inf gradient must still give 0
        return tuple(z for _ in self.next_functions)


# ------------------------------------------------------------------ helpers
def _check_alpha(name: str, dt: D.dtype, alpha: Any) -> None:
    """torch's alpha rules (checked even when alpha == 1, e.g. alpha=1.0 for integers)."""
    if isinstance(alpha, (bool, np.bool_)) and dt is not D.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if dt.category <= D.INT and not isinstance(alpha, (int, np.integer, np.bool_)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    if dt.category != D.COMPLEX and isinstance(alpha, (complex, np.complexfloating)):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")


def _alpha(y: Any, alpha: Any, dt: D.dtype) -> Any:
    """alpha * y in dtype dt (integer alphas wrap, as torch casts them to dt)."""
    with np.errstate(over="ignore"):
        return y * scalar_to_array(alpha, dt)


def _is_bool(v: Any) -> bool:
    return v.dtype is D.bool_ if isinstance(v, Tensor) else isinstance(v, (bool, np.bool_))


def _sub_check(a: Any, b: Any) -> None:
    """torch refuses subtraction with any bool operand (a Python bool counts as one)."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if ba or bb:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


@register("add", method=True, out=True, inplace=None)
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input + alpha * other, with torch's type promotion."""
    if input.__class__ is Tensor and other.__class__ is Tensor and input.dtype is other.dtype \
            and input.device is other.device:  # the common case, without the call
        x, y, dt, dev = input._data, other._data, input.dtype, input.device
    else:
        x, y, dt, dev = binary_args("add", input, other)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha("add", dt, alpha)
        if alpha != 1:
            y = _alpha(y, alpha, dt)
    try:
        r = np.logical_or(x, y) if dt is D.bool_ else x + y
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    # the common result (an array already in dt) skips mk()'s checks
    out = make(r, dt, dev) if r.__class__ is _nd and r.dtype is dt.np else mk(r, dt, dev)
    if _gm.enabled and ((isinstance(input, Tensor) and input._requires_grad) or
                        (isinstance(other, Tensor) and other._requires_grad)):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            attach(AddBackward0(alpha), (input, other), (out,))
        else:
            attach(AddScalarBackward(), (input if isinstance(input, Tensor) else other, None),
                   (out,))
    return out


@register("sub", method=True, out=True, aliases=("subtract",))
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """input - alpha * other."""
    _sub_check(input, other)
    if input.__class__ is Tensor and other.__class__ is Tensor and input.dtype is other.dtype \
            and input.device is other.device:  # the common case, without the call
        x, y, dt, dev = input._data, other._data, input.dtype, input.device
    else:
        x, y, dt, dev = binary_args("sub", input, other)
    if alpha.__class__ is not int or alpha != 1:
        _check_alpha("sub", dt, alpha)
        if alpha != 1:
            y = _alpha(y, alpha, dt)
    try:
        r = x - y
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    # the common result (an array already in dt) skips mk()'s checks
    out = make(r, dt, dev) if r.__class__ is _nd and r.dtype is dt.np else mk(r, dt, dev)
    if grad_on(input, other):
        if isinstance(input, Tensor):
            attach(SubBackward0(alpha), (input, other), (out,))
        else:
            attach(RsubBackward1(alpha), (other,), (out,))
    return out


@register("rsub", method=True)
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    """other - alpha * input."""
    out = sub(other, input, alpha=alpha)
    if out.grad_fn is not None and isinstance(other, Tensor):
        attach(RsubBackward0(alpha), (input, other), (out,))
    return out


@register("mul", method=True, out=True, aliases=("multiply",))
def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product."""
    if input.__class__ is Tensor and other.__class__ is Tensor and input.dtype is other.dtype \
            and input.device is other.device:  # the common case, without the call
        x, y, dt, dev = input._data, other._data, input.dtype, input.device
    else:
        x, y, dt, dev = binary_args("mul", input, other)
    try:
        r = np.logical_and(x, y) if dt is D.bool_ else x * y
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    # the common result (an array already in dt) skips mk()'s checks
    out = make(r, dt, dev) if r.__class__ is _nd and r.dtype is dt.np else mk(r, dt, dev)
    if _gm.enabled and ((isinstance(input, Tensor) and input._requires_grad) or
                        (isinstance(other, Tensor) and other._requires_grad)):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            node = MulBackward0()
            node.save(input, other)
            attach(node, (input, other), (out,))
        elif isinstance(input, Tensor):
            attach(MulScalarBackward(other), (input, None), (out,))
        else:
            attach(MulScalarBackward(input), (other, None), (out,))
    return out


@register("div", method=True, out=True, aliases=("divide",))
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division (ints promote to the default float), or 'trunc' / 'floor' rounding."""
    if rounding_mode is None:
        x, y, dt, dev = binary_args("div", input, other)
        if dt.category < D.FLOAT:  # again, so that scalars convert to float without wrapping
            x, y, dt, dev = binary_args("div", input, other, D.get_default_dtype())
        tok = quiet()
        try:
            r = np.true_divide(x, y)
        except ValueError as err:
            raise broadcast_error(err, input, other) from None
        finally:
            loud(tok)
        # the common result (an array already in dt) skips mk()'s checks
        out = make(r, dt, dev) if r.__class__ is _nd and r.dtype is dt.np else mk(r, dt, dev)
        if grad_on(input, other):
            if isinstance(input, Tensor) and isinstance(other, Tensor):
                node: Node = DivBackward0()
                node.save(input, other)
                attach(node, (input, other), (out,))
            elif isinstance(input, Tensor):
                attach(DivScalarBackward(other), (input, None), (out,))
            else:
                node = RdivBackward(input)
                node.save(other)
                attach(node, (other, None), (out,))
        return out
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    x, y, dt, dev = binary_args("div", input, other)
    try:
        np.broadcast_shapes(np.shape(x), np.shape(y))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    if dt.category <= D.INT:
        if any_(y == 0):
            if dev.type != "meta":
                raise RuntimeError("ZeroDivisionError")
            y = np.ones_like(y)  # meta tensors hold no values: only the shape matters
        if rounding_mode == "floor":
            r = np.floor_divide(x, y)
        else:
            q = np.floor_divide(x, y)
            r = np.where((q < 0) & (q * y != x), q + 1, q)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.true_divide(x, y)
            r = np.floor(r) if rounding_mode == "floor" else np.trunc(r)
            if rounding_mode == "floor":
                # torch computes floor((x - fmod(x, y)) / y) to avoid rounding artefacts
                m = np.fmod(x, y)
                q = (x - m) / y
                adj = (m != 0) & ((y < 0) != (m < 0))
                q = np.where(adj, q - 1, q)
                fq = np.floor(q)
                fq = np.where(q - fq > 0.5, fq + 1, fq)
                r = np.where(like(r, as_array(y) == 0), r,
                             np.where(q == 0, np.copysign(0, x / y), fq))
    # the common result (an array already in dt) skips mk()'s checks
    out = make(r, dt, dev) if r.__class__ is _nd and r.dtype is dt.np else mk(r, dt, dev)
    if grad_on(input, other):  # torch wraps a scalar divisor too: always div.Tensor_mode
        attach(_ZeroGrad("DivBackward2"), (input, other), (out,))
    return out


@register("true_divide", method=True, out=True)
def true_divide(input: Any, other: Any) -> Tensor:
    return div(input, other)


@register("floor_divide", method=True, out=True)
def floor_divide(input: Any, other: Any) -> Tensor:
    """Division rounded toward negative infinity (torch >= 1.13 semantics)."""
    out = div(input, other, rounding_mode="floor")
    if out.grad_fn is not None:  # unlike div(rounding_mode='floor'), torch has no derivative
        attach(NotImplementedBackward("floor_divide"),
               (input, other) if isinstance(other, Tensor) else (input,), (out,))
    return out


@register("neg", method=True, out=True, aliases=("negative",))
def neg(input: Tensor) -> Tensor:
    """-input (not defined for bool tensors, as in torch)."""
    if input.dtype is D.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    out = mk(np.negative(input._data), input.dtype, input.device)
    if grad_on(input):
        attach(NegBackward0(), (input,), (out,))
    return out


# ------------------------------------------------------------------ fast in-place variants
def _fast_inplace(name: str, ufunc: Any, fallback: Callable) -> Callable:
    """self.<op>_(other): write through the ufunc's out= when nothing needs recording."""
    slow = make_inplace(fallback, name)

    def inplace(self: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        if name == "sub":
            _sub_check(self, other)
        if _gm.enabled and (self._requires_grad or
                            (isinstance(other, Tensor) and other._requires_grad)):
            return slow(self, other, alpha=alpha) if alpha.__class__ is not int or \
                alpha != 1 else slow(self, other)
        check_inplace(self, name + "_")
        x, y, dt, _ = binary_args(name + "_", self, other)
        check_cast(dt, self.dtype)
        if alpha.__class__ is not int or alpha != 1:
            _check_alpha(name, dt, alpha)
            if alpha != 1:
                y = _alpha(y, alpha, dt)
        if self.device.type == "meta":
            np.broadcast_shapes(np.shape(y), self._data.shape)
        else:
            try:
                ufunc(x, y, out=self._data, casting="unsafe")
            except ValueError as err:
                try:
                    shape = list(np.broadcast_shapes(np.shape(x), np.shape(y)))
                except ValueError:
                    raise broadcast_error(err, self, other) from None
                raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                   f"broadcast shape {shape}") from None
        self._bump_version()
        return self

    inplace.__name__ = name + "_"
    return inplace


def _add_ufunc(x: Any, y: Any, out: Any, casting: str) -> Any:
    if out.dtype == np.bool_:
        return np.logical_or(x, y, out=out, casting=casting)
    return np.add(x, y, out=out, casting=casting)


def _mul_ufunc(x: Any, y: Any, out: Any, casting: str) -> Any:
    if out.dtype == np.bool_:
        return np.logical_and(x, y, out=out, casting=casting)
    return np.multiply(x, y, out=out, casting=casting)


def _sub_inplace_fallback(self: Tensor, other: Any, alpha: Any = 1) -> Tensor:
    return sub(self, other, alpha=alpha)


_add_ = _fast_inplace("add", _add_ufunc, lambda s, o, alpha=1: add(s, o, alpha=alpha))
_sub_ = _fast_inplace("sub", np.subtract, _sub_inplace_fallback)
_mul_raw = _fast_inplace("mul", _mul_ufunc, lambda s, o: mul(s, o))
_div_raw = make_inplace(lambda s, o, rounding_mode=None: div(s, o, rounding_mode=rounding_mode),
                        "div")


def _mul_(self: Tensor, other: Any) -> Tensor:
    return _mul_raw(self, other)


def _div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    if self.dtype.category < D.FLOAT and rounding_mode is None:
        check_cast(D.float32, self.dtype)  # true division of integers gives a float
    return _div_raw(self, other, rounding_mode=rounding_mode)


for _n, _f in (("add_", _add_), ("sub_", _sub_), ("subtract_", _sub_), ("mul_", _mul_),
               ("multiply_", _mul_), ("div_", _div_), ("divide_", _div_),
               ("true_divide_", _div_),
               ("floor_divide_", make_inplace(floor_divide, "floor_divide")),
               ("neg_", make_inplace(neg, "neg")), ("negative_", make_inplace(neg, "neg"))):
    register_method(_n, _f)

# ------------------------------------------------------------------ operators
# Operators call the implementations directly: their own dispatch already ran the override check.
_add, _sub, _mul = add.__wrapped__, sub.__wrapped__, mul.__wrapped__  # type: ignore[attr-defined]
_div, _fdiv = div.__wrapped__, floor_divide.__wrapped__  # type: ignore[attr-defined]
_ifdiv = make_inplace(_fdiv, "floor_divide")
register_method("__add__", _add)
register_method("__radd__", lambda self, other: _add(other, self))
register_method("__iadd__", lambda self, other: _add_(self, other))
register_method("__sub__", _sub)
register_method("__rsub__", lambda self, other: _sub(other, self))
register_method("__isub__", lambda self, other: _sub_(self, other))
register_method("__mul__", _mul)
register_method("__rmul__", lambda self, other: _mul(other, self))
register_method("__imul__", lambda self, other: _mul_(self, other))
register_method("__truediv__", _div)
register_method("__rtruediv__", lambda self, other: _div(other, self))
register_method("__itruediv__", lambda self, other: _div_(self, other))
register_method("__floordiv__", lambda self, other: _fdiv(self, other))
register_method("__rfloordiv__", lambda self, other: _fdiv(other, self))
register_method("__ifloordiv__", lambda self, other: _ifdiv(self, other))
register_method("__neg__", lambda self: neg.__wrapped__(self))  # type: ignore[attr-defined]
register_method("__pos__", lambda self: self)
