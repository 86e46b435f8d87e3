"""Elementwise unary math: exp/log/trig, sigmoid, rounding, predicates, special functions.

Table-driven: `unary_op(name, forward, Node, ...)` publishes one op (function, method, in-place
method, out=); each op's NumPy forward, result-dtype rule and backward node sit together.
Half-precision inputs compute in float32 and round once, as torch's CPU kernels do.
abs/sign, rounding, predicates and complex parts are in unary_misc.py, on the same machinery.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from . import _special as S
from ._core import _tname, attach, check_inplace, make_inplace
from ._registry import FUNCTIONS, METHODS, register
from .pointwise import where

FLOAT, SAME, BOOL = 0, 1, 2   # result dtype of integer inputs: default float / unchanged / bool
SAVE_IN, SAVE_OUT = 1, 2              # what a node saves: the input or the output
F32 = np.dtype(np.float32)
HALF = (D.float16, D.bfloat16)
COMPLEX = (D.complex64, D.complex128)
INTS = (D.bool_, D.uint8, D.int8, D.int16, D.int32, D.int64)


def make_plan(kind: int, real_out: bool, reject: dict, special: dict) -> dict:
    """dtype -> (result dtype or None = default float, cast input to, cast result back)."""
    plan: dict = {}
    for dt in D.ALL:
        if dt in reject:
            continue
        if dt in special:
            plan[dt] = special[dt]
        elif kind == BOOL:
            plan[dt] = (D.bool_, None, False)
        elif kind == FLOAT and dt.category < D.FLOAT:
            plan[dt] = (None, None, False)
        elif dt in HALF:
            plan[dt] = (dt, F32, True)
        elif real_out and dt in COMPLEX:
            plan[dt] = (dt.to_real(), None, False)
        else:
            plan[dt] = (dt, None, False)
    return plan


def type_error(name: str, x: Any) -> TypeError:
    return TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                     f"{type(x).__name__}")


def not_impl(kernel: str, dt: D.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def reject(name: str, dtypes: tuple, exc: type = NotImplementedError,
           msg: str | None = None) -> dict:
    """dtype -> the exception torch raises for it (by default its 'not implemented' message)."""
    return {dt: (exc(msg) if msg else not_impl(f"{name}_cpu", dt)) for dt in dtypes}


def prepare(name: str, input: Any, plan: dict, bad: dict) -> tuple:
    """For hand-written ops: (input array in the compute dtype, result dtype, cast back?)."""
    try:
        odt, cin, cout = plan[input.dtype]
    except (KeyError, AttributeError):
        if not isinstance(input, Tensor):
            raise type_error(name, input) from None
        raise bad[input.dtype] from None
    a = input._data
    if odt is None:
        odt = D._state["default"]
        cout = odt in HALF
        cin = F32 if cout else odt.np
    return (a.astype(cin) if cin is not None else a), odt, cout


def as_array(r: Any) -> Any:
    """NumPy returns scalars for 0-d operands; a tensor holds an array."""
    return np.asarray(r) if isinstance(r, np.generic) else r


def _record(node_cls: type, save: int, input: Tensor, out: Tensor) -> None:
    node = node_cls()
    attach(node, (input,), (out,))
    if save == SAVE_IN:
        node.save(input)
    elif save == SAVE_OUT:
        node.save_outputs(out)


def unary_op(name: str, fwd: Callable, node: type | None = None, *, kind: int = FLOAT,
           save: int = SAVE_IN, bad: dict | None = None, special: dict | None = None,
           real_out: bool = False, aliases: tuple = (), inplace: bool = True, out: bool = True,
           fast_ip: Callable | None = None, ns_inplace: bool = True, ip_bad: dict | None = None,
           publish: bool = True, doc: str = "") -> Callable:
    """Publish an elementwise op computing fwd(array) (see the module docstring).

    bad: dtype -> exception for unsupported inputs; special: dtype -> plan entry overriding the
    kind's rule; ip_bad: dtype -> exception for the in-place variant only; fast_ip(array)
    computes in place for the no-graph float32/float64 case.
    """
    bad = bad or {}
    plan = make_plan(kind, real_out, bad, special or {})

    def impl(input: Tensor) -> Tensor:
        try:
            odt, cin, cout = plan[input.dtype]
        except (KeyError, AttributeError):
            if not isinstance(input, Tensor):
                raise type_error(name, input) from None
            raise bad[input.dtype] from None
        a = input._data
        if odt is None:  # integer input of a float op: the current default dtype
            odt = D._state["default"]
            cout = odt in HALF
            cin = F32 if cout else odt.np
        if cin is not None:
            a = a.astype(cin)
        nd0 = not a.ndim  # ufuncs return NumPy scalars for 0-d arrays: compute in 1-d
        r = fwd(a.reshape(1) if nd0 else a)
        if cout:
            r = r.astype(odt.np)
        res = make(r.reshape(()) if nd0 else r, odt, input.device)
        if node is not None and _gm.enabled and input._requires_grad:
            _record(node, save, input, res)
        return res

    impl.__doc__ = doc or f"Elementwise {name}."
    impl.__name__ = name
    if not publish:
        return impl
    ip = None
    if inplace:
        ip = make_inplace(impl, name)
        if fast_ip is not None:
            ip = _fast_inplace(name, fast_ip, ip)
        if ip_bad:
            ip = _guarded(ip, ip_bad)
    fn = register(name, method=True, out=out, inplace=ip, aliases=aliases)(impl)
    if inplace and ns_inplace:  # torch.exp_(x) and friends exist too
        for n in (name,) + aliases:
            if n not in _NO_NS_INPLACE:
                FUNCTIONS[n + "_"] = METHODS[n + "_"]
    return fn


_NATIVE = (D.float32, D.float64)
_NO_NS_INPLACE = {"absolute"}  # Tensor.absolute_ exists, torch.absolute_ does not


def _fast_inplace(name: str, fwd_ip: Callable, slow: Callable) -> Callable:
    """x.op_(): compute into x's memory when no graph is recorded and no cast is needed."""

    def inplace(self: Tensor) -> Tensor:
        if self.dtype not in _NATIVE or (_gm.enabled and self._requires_grad):
            return slow(self)
        check_inplace(self, name + "_")
        fwd_ip(self._data)
        self._bump_version()
        return self

    inplace.__doc__ = f"In-place version of {name}."
    return inplace


def _guarded(ip: Callable, ip_bad: dict) -> Callable:
    def inplace(self: Tensor) -> Tensor:
        if self.dtype in ip_bad:
            raise ip_bad[self.dtype]
        return ip(self)

    inplace.__doc__ = ip.__doc__
    return inplace


def ufunc_ip(uf: Any) -> Callable:
    return lambda a: uf(a, out=a)


def cj(t: Tensor) -> Tensor:
    """conj for complex tensors; real tensors unchanged (backward formulas of complex ops)."""
    return t.conj() if t.dtype in COMPLEX else t


def zeros_of(grad: Tensor) -> Tensor:
    return make(np.zeros_like(grad._data), grad.dtype, grad.device)


def mask_of(a: Any, like: Tensor) -> Tensor:
    """A constant bool tensor (no graph) from a NumPy mask, on like's device."""
    return make(a, D.bool_, like.device)


class _NoHigherOrder(Node):
    """grad_fn of a helper used inside a backward formula whose own derivative is missing."""

    what: str  # the helper's name, set by _helper

    def backward(self, grad: Tensor) -> Tensor:
        raise NotImplementedError(f"ember: {self.what} is not implemented (a higher-order "
                                  "derivative was requested through it)")


def _helper(kernel: Callable, what: str) -> Callable:
    """A differentiable-once op from an array kernel (trigamma for digamma's backward, ...)."""

    def fn(x: Tensor) -> Tensor:
        half = x.dtype in HALF
        a = x._data.astype(F32) if half else x._data
        r = kernel(a.reshape(-1)).reshape(a.shape)
        out = make(r.astype(x.dtype.np) if half else r, x.dtype, x.device)
        if _gm.enabled and x._requires_grad:
            node = _NoHigherOrder()
            node.what = what
            attach(node, (x,), (out,))
        return out

    return fn


class _ZeroGrad(Node):
    """Piecewise-constant ops (floor, sign, ...): zero gradient, as torch returns."""

    def backward(self, grad: Tensor) -> Tensor:
        return zeros_of(grad)


def zero_node(name: str) -> type:
    return type(name, (_ZeroGrad,), {"__slots__": ()})


def no_complex(name: str, kernel: str | None = None) -> dict:
    return {dt: not_impl(kernel or f"{name}_cpu", dt) for dt in COMPLEX}


# ------------------------------------------------------------------ exponentials and logs
_LN2, _LN10 = math.log(2.0), math.log(10.0)


class ExpBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0])


exp = unary_op("exp", np.exp, ExpBackward0, save=SAVE_OUT, fast_ip=ufunc_ip(np.exp),
               doc="e ** input; integer inputs promote to the default float dtype.")


class Exp2Backward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0] * _LN2)


exp2 = unary_op("exp2", np.exp2, Exp2Backward0, save=SAVE_OUT, doc="2 ** input.")


class Expm1Backward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0] + 1)


expm1 = unary_op("expm1", np.expm1, Expm1Backward0, save=SAVE_OUT,
                 doc="exp(input) - 1, accurate near 0.")


class LogBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad / cj(self.saved_tensors[0])


log = unary_op("log", np.log, LogBackward0, fast_ip=ufunc_ip(np.log), doc="Natural logarithm.")


class Log2Backward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad / cj(self.saved_tensors[0] * _LN2)


log2 = unary_op("log2", np.log2, Log2Backward0, doc="Base-2 logarithm.")


class Log10Backward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad / cj(self.saved_tensors[0] * _LN10)


log10 = unary_op("log10", np.log10, Log10Backward0, doc="Base-10 logarithm.")


class Log1PBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad / cj(self.saved_tensors[0] + 1)


log1p = unary_op("log1p", np.log1p, Log1PBackward0, doc="log(1 + input), accurate near 0.")


class SqrtBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad / cj(self.saved_tensors[0] * 2)


sqrt = unary_op("sqrt", np.sqrt, SqrtBackward0, save=SAVE_OUT, fast_ip=ufunc_ip(np.sqrt),
                doc="Square root.")


def _rsqrt(a: Any) -> Any:
    r = np.sqrt(a)
    return np.divide(1, r, out=r)


class RsqrtBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * cj(r * r * r * -0.5)


rsqrt = unary_op("rsqrt", _rsqrt, RsqrtBackward0, save=SAVE_OUT,
                 fast_ip=lambda a: np.divide(1, np.sqrt(a, out=a), out=a),
                 doc="1 / sqrt(input).")


def _reciprocal(a: Any) -> Any:
    return np.divide(1, a)


class ReciprocalBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * cj(r * r * -1)


reciprocal = unary_op("reciprocal", _reciprocal, ReciprocalBackward0, save=SAVE_OUT,
                      fast_ip=lambda a: np.divide(1, a, out=a), doc="1 / input.")


# ------------------------------------------------------------------ trigonometric, hyperbolic
class SinBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0].cos())


sin = unary_op("sin", np.sin, SinBackward0, fast_ip=ufunc_ip(np.sin), doc="Sine.")


class CosBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(-self.saved_tensors[0].sin())


cos = unary_op("cos", np.cos, CosBackward0, fast_ip=ufunc_ip(np.cos), doc="Cosine.")


class TanBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * cj(r * r + 1)


tan = unary_op("tan", np.tan, TanBackward0, save=SAVE_OUT, doc="Tangent.")


class AsinBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad * cj((1 - x * x).rsqrt())


asin = unary_op("asin", np.arcsin, AsinBackward0, aliases=("arcsin",), doc="Arcsine.")


class AcosBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad * cj(-(1 - x * x).rsqrt())


acos = unary_op("acos", np.arccos, AcosBackward0, aliases=("arccos",), doc="Arccosine.")


class AtanBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad / cj(x * x + 1)


atan = unary_op("atan", np.arctan, AtanBackward0, aliases=("arctan",), doc="Arctangent.")


class SinhBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0].cosh())


sinh = unary_op("sinh", np.sinh, SinhBackward0, doc="Hyperbolic sine.")


class CoshBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * cj(self.saved_tensors[0].sinh())


cosh = unary_op("cosh", np.cosh, CoshBackward0, doc="Hyperbolic cosine.")


class TanhBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * cj(1 - r * r)


tanh = unary_op("tanh", np.tanh, TanhBackward0, save=SAVE_OUT, fast_ip=ufunc_ip(np.tanh),
                doc="Hyperbolic tangent.")


class AsinhBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad * cj((x * x + 1).rsqrt())


asinh = unary_op("asinh", np.arcsinh, AsinhBackward0, aliases=("arcsinh",),
                 doc="Inverse hyperbolic sine.")


class AcoshBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        if x.dtype in COMPLEX:  # the principal branch: 1 / (sqrt(x - 1) sqrt(x + 1))
            return grad * ((x - 1).sqrt() * (x + 1).sqrt()).reciprocal().conj()
        return grad * (x * x - 1).rsqrt()


acosh = unary_op("acosh", np.arccosh, AcoshBackward0, aliases=("arccosh",),
                 doc="Inverse hyperbolic cosine.")


class AtanhBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad / cj(1 - x * x)


atanh = unary_op("atanh", np.arctanh, AtanhBackward0, aliases=("arctanh",),
                 doc="Inverse hyperbolic tangent.")


def _sigmoid_ip(a: Any) -> Any:
    # 1 / (1 + exp(-x)): exp overflows to inf for very negative x and gives 0, as torch does
    np.negative(a, out=a)
    return _sigmoid_rest(a)


def _sigmoid_rest(a: Any) -> Any:
    np.exp(a, out=a)
    a += 1
    return np.divide(1, a, out=a)


class SigmoidBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * cj((1 - r) * r)


sigmoid = unary_op("sigmoid", lambda a: _sigmoid_rest(np.negative(a)), SigmoidBackward0,
                   save=SAVE_OUT, fast_ip=_sigmoid_ip, doc="1 / (1 + exp(-input)).")


def _sinc(a: Any) -> Any:
    y = a * np.pi
    r = np.sin(y)
    r /= y
    zero = a == 0
    if zero.any():
        r[zero] = 1
    return r


class SincBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        px = x * math.pi
        d = (px * px.cos() - px.sin()) / (px * x)
        return where(mask_of(x._data == 0, x), 0, grad * cj(d))


sinc = unary_op("sinc", _sinc, SincBackward0, doc="sin(pi x) / (pi x), 1 at 0.")


class Deg2RadBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * (math.pi / 180)


_NO_COMPLEX_DEG = {dt: RuntimeError("deg2rad is not supported for complex tensors.")
                   for dt in COMPLEX}
deg2rad = unary_op("deg2rad", lambda a: a * (math.pi / 180), Deg2RadBackward0, save=0,
                   bad=_NO_COMPLEX_DEG, doc="Degrees to radians.")


class Rad2DegBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * (180 / math.pi)


rad2deg = unary_op("rad2deg", lambda a: a * (180 / math.pi), Rad2DegBackward0, save=0,
                   bad={dt: RuntimeError("rad2deg is not supported for complex tensors.")
                        for dt in COMPLEX}, doc="Radians to degrees.")


# ------------------------------------------------------------------ special functions
_2_SQRT_PI = 2 / math.sqrt(math.pi)


class ErfBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad * ((-x * x).exp() * _2_SQRT_PI)


erf = unary_op("erf", S.erf, ErfBackward0, bad=no_complex("erf", "erf_vml_cpu"),
               doc="Error function.")


class ErfcBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        return grad * ((-x * x).exp() * -_2_SQRT_PI)


erfc = unary_op("erfc", S.erfc, ErfcBackward0, bad=no_complex("erfc", "erfc_vml_cpu"),
                doc="Complementary error function 1 - erf(input), accurate in the tails.")


class ErfinvBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        r = self.saved_tensors[0]
        return grad * ((r * r).exp() * (math.sqrt(math.pi) / 2))


erfinv = unary_op("erfinv", S.erfinv, ErfinvBackward0, save=SAVE_OUT, ns_inplace=False,
                  bad=no_complex("erfinv", "erfinv_vml_cpu"), doc="Inverse error function.")


class LgammaBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * self.saved_tensors[0].digamma()


lgamma = unary_op("lgamma", S.lgamma, LgammaBackward0, ns_inplace=False,
                  bad=no_complex("lgamma", "lgamma_vml_cpu"),
                  doc="log |gamma(input)|; inf at the non-positive integers.")


class DigammaBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * _trigamma(self.saved_tensors[0])


digamma = unary_op("digamma", S.digamma, DigammaBackward0, ns_inplace=False,
                   bad=no_complex("digamma", "digamma"),
                   doc="Logarithmic derivative of gamma; -inf at 0, nan at negative integers.")


_trigamma = _helper(S.trigamma, "the derivative of polygamma(1, x) (second derivative of "
                    "digamma)")


class I0Backward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad * _i1(self.saved_tensors[0])


_i1 = _helper(S.i1, "the derivative of i1 (second derivative of i0)")


i0 = unary_op("i0", S.i0, I0Backward0, bad=no_complex("i0", "i0_vml_cpu"),
              doc="Modified Bessel function of the first kind, order 0.")


from . import unary_misc  # noqa: E402, F401  (abs/sign, rounding, predicates, complex parts)
