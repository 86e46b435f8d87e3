"""Unary ops beside the math library: abs/sign, rounding, square, relu, predicates (isnan...),
ops with arguments (logit, round, nan_to_num) and the complex parts (real, imag, conj, angle),
on unary.py's table machinery."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make, make_view
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import xp_of
from ._core import attach, check_inplace, make_inplace
from ._out import write_out
from ._registry import FUNCTIONS, METHODS, register, register_method
from .pointwise import where
from .unary import (
    BOOL,
    COMPLEX,
    FLOAT,
    INTS,
    SAME,
    SAVE_OUT,
    as_array,
    cj,
    make_plan,
    mask_of,
    no_complex,
    not_impl,
    prepare,
    reject,
    type_error,
    ufunc_ip,
    unary_op,
    zero_node,
    zeros_of,
)


# ------------------------------------------------------------------ sign, abs, rounding
class AbsBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * self.saved_tensors[0].sgn()


abs = unary_op("abs", np.abs, AbsBackward0, kind=SAME, real_out=True, aliases=("absolute",),
               bad=reject("abs", (D.bool_,)), fast_ip=ufunc_ip(np.abs),
               ip_bad={dt: RuntimeError("In-place abs is not supported for complex tensors.")
                       for dt in COMPLEX},
               doc="Absolute value (the modulus, as a real tensor, for complex input).")


def _sign(a: Any) -> Any:
    if a.dtype == np.bool_:
        return a.copy()
    if a.dtype.kind == "u":
        return (a > 0).astype(a.dtype)
    # (x > 0) - (x < 0): 0 for nan and -0.0, as torch
    r = np.greater(a, 0).astype(a.dtype)
    r -= a < 0
    return r


SignBackward0 = zero_node("SignBackward0")
sign = unary_op("sign", _sign, SignBackward0, kind=SAME, save=0,
                bad={dt: NotImplementedError("Unlike NumPy, torch.sign is not intended to support "
                                             "complex numbers. Please use torch.sgn instead.")
                     for dt in COMPLEX}, ns_inplace=False,
                doc="-1, 0 or 1 by the sign of input (0 for nan).")


def _sgn(a: Any) -> Any:
    if a.dtype.kind != "c":
        return _sign(a)
    m = np.abs(a)
    r = a / m
    r[m == 0] = 0
    return r


class SgnBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        if x.dtype not in COMPLEX:
            return zeros_of(grad)
        s = x.sgn()
        # d(z/|z|): (g - sgn^2 conj(g)) / (2|z|), 0 at z = 0
        g = (grad - s * s * grad.conj()) / (x.abs() * 2)
        return where(mask_of(x._data == 0, x), 0, g)


sgn = unary_op("sgn", _sgn, SgnBackward0, kind=SAME, ns_inplace=False,
               doc="sign for real input; input / |input| (0 at 0) for complex input.")


def _signbit(a: Any) -> Any:
    return np.signbit(a) if a.dtype.kind == "f" or a.dtype.kind == "V" else a < 0


_signbit_impl = unary_op("signbit", _signbit, None, kind=BOOL, publish=False,
                         bad={dt: NotImplementedError("signbit is not implemented for complex "
                                                      "tensors.") for dt in COMPLEX},
                         doc="True where the sign bit is set (negative numbers and -0.0).")


def _no_int(fn: Callable) -> Callable:
    """Rounding of integers is a copy."""
    return lambda a: fn(a) if a.dtype.kind in "fV" else a.copy()


def _rounding(name: str, uf: Any, alias: tuple = ()) -> Callable:
    bad = {D.bool_: not_impl(f"{name}_cpu", D.bool_)}
    bad.update({dt: NotImplementedError(f"{name} is not supported for complex inputs")
                for dt in COMPLEX})
    node = zero_node(name.capitalize() + "Backward0")
    return unary_op(name, _no_int(uf), node, kind=SAME, save=0, bad=bad, aliases=alias,
                    fast_ip=ufunc_ip(uf), doc=f"Elementwise {name}.")


floor = _rounding("floor", np.floor)
ceil = _rounding("ceil", np.ceil)
trunc = _rounding("trunc", np.trunc, ("fix",))


class FracBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad


def _frac(a: Any) -> Any:
    return a - np.trunc(a)


frac = unary_op("frac", _frac, FracBackward0, kind=SAME, save=0,
                bad=reject("frac", INTS + COMPLEX), doc="input - trunc(input).")


class PowBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0] * 2)


square = unary_op("square", np.square, PowBackward0, kind=SAME,
                  special={D.bool_: (D.int64, np.dtype(np.int64), False)},
                  doc="input * input (bool promotes to int64, as pow(input, 2)).")


class ReluBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return where(mask_of(r._data > 0, r), grad, 0)


def _relu(a: Any) -> Any:
    # NumPy's two-sided clip is vectorised, its maximum is not (4x slower on large arrays)
    return np.clip(a, 0, np.inf) if a.dtype.kind == "f" and a.size >= 1024 else np.maximum(a, 0)


def _relu_ip(a: Any) -> Any:
    return np.clip(a, 0, np.inf, out=a) if a.size >= 1024 else np.maximum(a, 0, out=a)


_RELU_BAD = {D.bool_: RuntimeError("Boolean inputs not supported for relu")}
_RELU_BAD.update({dt: NotImplementedError("clamp is not supported for complex types")
                  for dt in COMPLEX})
relu = unary_op("relu", _relu, ReluBackward0, kind=SAME, save=SAVE_OUT,
                bad=_RELU_BAD, out=False, fast_ip=_relu_ip, doc="max(input, 0).")


# ------------------------------------------------------------------ predicates
def _all(value: bool) -> Callable:
    return lambda a: xp_of(a).full(a.shape, value, dtype=np.bool_)


def _float_only(uf: Any, other: bool) -> Callable:
    """uf on floating/complex arrays; `other` everywhere for integer/bool arrays."""
    const = _all(other)
    return lambda a: uf(a) if a.dtype.kind in "fcV" else const(a)


isnan = unary_op("isnan", _float_only(np.isnan, False), None, kind=BOOL, inplace=False, out=False,
                 doc="True where input is nan.")
isinf = unary_op("isinf", _float_only(np.isinf, False), None, kind=BOOL, inplace=False, out=False,
                 doc="True where input is +-inf.")
isfinite = unary_op("isfinite", _float_only(np.isfinite, True), None, kind=BOOL, inplace=False,
                    out=False, doc="True where input is neither inf nor nan.")
_isposinf_impl = unary_op("isposinf", _float_only(np.isposinf, False), None, kind=BOOL,
                          publish=False,
                          bad={dt: RuntimeError("isposinf does not support complex inputs.")
                               for dt in COMPLEX}, doc="True where input is +inf.")
_isneginf_impl = unary_op("isneginf", _float_only(np.isneginf, False), None, kind=BOOL,
                          publish=False,
                          bad={dt: RuntimeError("isneginf does not support complex inputs.")
                               for dt in COMPLEX}, doc="True where input is -inf.")


def _bool_out(name: str, impl: Callable) -> Callable:
    """Ops whose out= must be a bool tensor (torch raises rather than cast)."""

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        res = impl(input)
        if out is None:
            return res
        if isinstance(out, Tensor) and out.dtype is not D.bool_:
            raise RuntimeError(f"{name} does not support non-boolean outputs.")
        return write_out(name, res, out)

    fn.__doc__ = impl.__doc__
    return register(name, method=True)(fn)


signbit = _bool_out("signbit", _signbit_impl)
isposinf = _bool_out("isposinf", _isposinf_impl)
isneginf = _bool_out("isneginf", _isneginf_impl)


# ------------------------------------------------------------------ logit(eps=)
class LogitBackward0(Node):
    def __init__(self, eps: float | None) -> None:
        super().__init__()
        self.eps = eps

    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        a, eps = x._data, self.eps
        # outside [eps, 1 - eps] the clamped forward is flat; outside [0, 1] logit is undefined
        lo, hi, fill = (0, 1, math.nan) if eps is None else (eps, 1 - eps, 0)
        return where(mask_of((a < lo) | (a > hi), x), fill, grad / (x * (1 - x)))


_LOGIT_BAD = no_complex("logit")
_LOGIT_PLAN = make_plan(FLOAT, False, _LOGIT_BAD, {})


def _logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given."""
    a, odt, cout = prepare("logit", input, _LOGIT_PLAN, _LOGIT_BAD)
    if eps is not None:
        lo = a.dtype.type(eps)
        hi = a.dtype.type(1) - lo  # in the math dtype, as torch
        # torch's order: x < lo -> lo, elif x > hi -> hi (differs from clip when eps > 0.5)
        a = np.clip(a, lo, hi) if lo <= hi else np.where(a < lo, lo, np.where(a > hi, hi, a))
    r = as_array(np.log(a / (1 - a)))
    res = make(r.astype(odt.np) if cout else r, odt, input.device)
    if _gm.enabled and input._requires_grad:
        node = LogitBackward0(eps)
        attach(node, (input,), (res,))
        node.save(input)
    return res


logit = register("logit", method=True, out=True, inplace=make_inplace(_logit, "logit"))(_logit)
FUNCTIONS["logit_"] = METHODS["logit_"]


# ------------------------------------------------------------------ round(decimals=)
_ROUND_BAD = reject("round", (D.bool_,) + COMPLEX)


class RoundBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return zeros_of(grad)


class RoundBackward1(RoundBackward0):
    """round with decimals."""


def _round(input: Tensor, *, decimals: int | None = None) -> Tensor:
    """Round half to even; with decimals, at that many digits (negative: left of the point).

    decimals defaults to 0; as in torch, integer tensors round only when it is not given.
    """
    if not isinstance(input, Tensor):
        raise type_error("round", input)
    dt = input.dtype
    if dt in _ROUND_BAD or (dt in INTS and decimals is not None):
        raise not_impl("round_cpu", dt)
    a = input._data
    if dt in INTS:
        r = a.copy()
    else:
        half = dt.itemsize == 2
        x = a.astype(np.float32) if half else a
        if not decimals:
            r = np.rint(x)
        else:
            p = x.dtype.type(10.0 ** builtins.abs(decimals))
            r = np.rint(x * p) / p if decimals > 0 else np.rint(x / p) * p
        if half:
            r = r.astype(dt.np)
    res = make(as_array(r), dt, input.device)
    if _gm.enabled and input._requires_grad:
        attach(RoundBackward0() if decimals is None else RoundBackward1(), (input,), (res,))
    return res


round = register("round", method=True, out=True, inplace=make_inplace(_round, "round"))(_round)
FUNCTIONS["round_"] = METHODS["round_"]


# ------------------------------------------------------------------ nan_to_num
class NanToNumBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return where(mask_of(np.isfinite(x._data), x), grad, 0)


def _nan_to_num(input: Tensor, nan: float | None = 0.0, posinf: float | None = None,
                neginf: float | None = None) -> Tensor:
    """nan -> `nan`, +inf -> `posinf`, -inf -> `neginf` (default: the dtype's finite extremes)."""
    if not isinstance(input, Tensor):
        raise type_error("nan_to_num", input)
    for n, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None and type(v) not in (int, float, bool) and not isinstance(v, np.number):
            raise TypeError(f"nan_to_num(): argument '{n}' must be float, not {type(v).__name__}")
    dt = input.dtype
    a = input._data
    if dt in INTS:
        r = a.copy()
    else:
        rdt = dt.to_real()
        info = D.finfo(rdt)
        vals = (0.0 if nan is None else float(nan), info.max if posinf is None else float(posinf),
                info.min if neginf is None else float(neginf))
        if dt is D.bfloat16:  # NumPy's nan_to_num does not know ml_dtypes' bfloat16
            r = np.nan_to_num(a.astype(np.float32), nan=vals[0], posinf=vals[1], neginf=vals[2])
            r = r.astype(dt.np)
        else:
            r = np.nan_to_num(a, nan=vals[0], posinf=vals[1], neginf=vals[2])
    res = make(as_array(r), dt, input.device)
    if _gm.enabled and input._requires_grad:
        if dt in COMPLEX:
            raise RuntimeError("nan_to_num does not support automatic differentiation for "
                               "outputs with complex dtype.")
        node = NanToNumBackward0()
        attach(node, (input,), (res,))
        node.save(input)
    return res


nan_to_num = register("nan_to_num", method=True, out=True,
                      inplace=make_inplace(_nan_to_num, "nan_to_num"))(_nan_to_num)
FUNCTIONS["nan_to_num_"] = METHODS["nan_to_num_"]


# ------------------------------------------------------------------ complex parts
class _RealPart(Node):
    """torch names it SelectBackward0 (real() is view_as_real(x).select(-1, 0) there)."""

    def name(self) -> str:
        return "SelectBackward0"

    def backward(self, grad: Tensor) -> Tensor:
        return grad  # the engine casts it to the input's complex dtype: grad + 0j


class _ImagPart(_RealPart):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * 1j


def _part(input: Tensor, imag: bool) -> Tensor:
    a = input._data
    out = make_view(a.imag if imag else a.real, input, input.dtype.to_real())
    if _gm.enabled and input._requires_grad:
        attach(_ImagPart() if imag else _RealPart(), (input,), (out,))
    return out


@register("real")
def real(input: Tensor) -> Tensor:
    """The real part: a view for complex input, input itself otherwise."""
    if not isinstance(input, Tensor):
        raise type_error("real", input)
    return _part(input, False) if input.dtype in COMPLEX else input


@register("imag")
def imag(input: Tensor) -> Tensor:
    """The imaginary part, a view; complex input only (as torch)."""
    if not isinstance(input, Tensor):
        raise type_error("imag", input)
    if input.dtype not in COMPLEX:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _part(input, True)


def _set_part(get: Callable) -> Callable:
    def setter(self: Tensor, value: Any) -> None:
        get(self).copy_(value if isinstance(value, Tensor) else
                        make(np.asarray(value), D.scalar_dtype(value), self.device))

    return setter


Tensor.real = property(lambda self: real(self), _set_part(real))  # type: ignore[attr-defined]
Tensor.imag = property(lambda self: imag(self), _set_part(imag))  # type: ignore[attr-defined]


class ConjBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad.conj()


class ConjPhysicalBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad.conj_physical()


def _conj(input: Tensor, node: type) -> Tensor:
    if not isinstance(input, Tensor):
        raise type_error("conj", input)
    if input.dtype not in COMPLEX:
        return input
    out = make(as_array(np.conj(input._data)), input.dtype, input.device)
    if _gm.enabled and input._requires_grad:
        attach(node(), (input,), (out,))
    return out


@register("conj", method=True)
def conj(input: Tensor) -> Tensor:
    """Complex conjugate; input itself for real dtypes.

    Differs from torch: the result is a copy, not a lazy view with the conjugate bit
    (NumPy has no such view), so writes to it do not reach input; is_conj() is always False.
    """
    return _conj(input, ConjBackward0)


def _conj_physical(input: Tensor) -> Tensor:
    """Complex conjugate, materialised; input itself for real dtypes."""
    return _conj(input, ConjPhysicalBackward0)


_conj_physical_slow = make_inplace(_conj_physical, "conj_physical")


def _conj_physical_(self: Tensor) -> Tensor:
    if self.dtype not in COMPLEX:
        return self
    if _gm.enabled and self._requires_grad:
        return _conj_physical_slow(self)
    check_inplace(self, "conj_physical_")
    np.conj(self._data, out=self._data)
    self._bump_version()
    return self


conj_physical = register("conj_physical", method=True, out=True,
                         inplace=_conj_physical_)(_conj_physical)
FUNCTIONS["conj_physical_"] = METHODS["conj_physical_"]


@register("resolve_conj", method=True, differentiable=False)
def resolve_conj(input: Tensor) -> Tensor:
    """input itself: ember's conj is never lazy."""
    return input


@register("resolve_neg", method=True, differentiable=False)
def resolve_neg(input: Tensor) -> Tensor:
    """input itself: ember has no lazy negation."""
    return input


@register("is_conj", method=True, differentiable=False)
def is_conj(input: Tensor) -> bool:
    """Always False: ember's conj is never lazy."""
    return False


@register("is_neg", method=True, differentiable=False)
def is_neg(input: Tensor) -> bool:
    return False


class AngleBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        if x.dtype not in COMPLEX:
            return zeros_of(grad)
        m = x.abs()
        # d angle: i z / |z|^2 per unit of grad; 0 at z = 0
        return where(mask_of(x._data == 0, x), 0, grad * x / (m * m) * 1j)


def _angle(a: Any) -> Any:
    if a.dtype.kind == "c":
        return np.angle(a)
    # pi for negatives, 0 otherwise (also -0.0), nan for nan
    r = (a < 0) * a.dtype.type(math.pi)
    nan = np.isnan(a)
    if nan.any():
        r[nan] = np.nan
    return r


angle = unary_op("angle", _angle, AngleBackward0, real_out=True, inplace=False,
                 doc="Argument of complex input; pi for negative reals, else 0.")


@register("positive", method=True)
def positive(input: Tensor) -> Tensor:
    """input itself (not defined for bool tensors, as in torch)."""
    if not isinstance(input, Tensor):
        raise type_error("positive", input)
    if input.dtype is D.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _isreal(a: Any) -> Any:
    return a.imag == 0 if a.dtype.kind == "c" else xp_of(a).ones(a.shape, dtype=np.bool_)


isreal = unary_op("isreal", _isreal, None, kind=BOOL, inplace=False, out=False,
                  doc="True where the imaginary part is 0 (everywhere for real dtypes).")

register_method("__abs__", lambda self: abs(self))
