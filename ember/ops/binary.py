"""Binary math: pow, float_power, remainder, fmod, atan2, maximum/minimum, fmax/fmin, hypot,
copysign, xlogy, logaddexp(2), ldexp, nextafter, heaviside, gcd, lcm."""

from __future__ import annotations

import cmath
import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import as_array, is_dev
from ._core import _tname, attach, binary_args, grad_on, make_inplace
from ._registry import register, register_method
from .creation import zeros_like

try:  # NumPy 2 keeps the error state in a context variable; np.errstate rebuilds it per entry
    from numpy._core.umath import _extobj_contextvar as _ERRSTATE
    from numpy._core.umath import _make_extobj

    _IGNORE = _make_extobj(all="ignore")

    def quiet() -> Any:
        """Silence NumPy's floating-point warnings (torch returns inf/nan silently) at the cost
        of a context-variable set; pass the token to loud() to restore."""
        return _ERRSTATE.set(_IGNORE)

    loud = _ERRSTATE.reset
except ImportError:  # pragma: no cover - other NumPy versions
    def quiet() -> Any:
        return np.seterr(all="ignore")

    def loud(token: Any) -> None:
        np.seterr(**token)


# ------------------------------------------------------------------ helpers shared by the family
def mk(r: Any, dt: D.dtype, dev: Any) -> Tensor:
    """Wrap a ufunc result in dtype `dt` (NumPy returns scalars for 0-d operands)."""
    if isinstance(r, np.generic):
        r = as_array(r, dtype=dt.np)
    elif r.dtype != dt.np:
        if dt is D.float16:  # float32 results beyond float16's range become inf, silently
            tok = quiet()
            try:
                r = r.astype(dt.np)
            finally:
                loud(tok)
        else:
            r = r.astype(dt.np)
    return make(r, dt, dev)


def any_(m: Any) -> bool:
    """Whether a mask has a True element: m.any() (np.any is a slow Python wrapper)."""
    return bool(m) if isinstance(m, (bool, np.bool_)) else bool(m.any())


def up(a: Any, dt: D.dtype) -> Any:
    """Half precision computes in float32, as torch's CPU kernels do."""
    return a.astype(np.float32) if dt is D.float16 or dt is D.bfloat16 else a


def need_tensor(name: str, v: Any, arg: str = "other", pos: int = 2) -> None:
    if not isinstance(v, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(v).__name__}")


def need_tensors(name: str, a: Any, b: Any, arg: str = "other") -> None:
    need_tensor(name, a, "input", 1)
    need_tensor(name, b, arg, 2)


def not_impl(kernel: str, dt: D.dtype) -> None:
    raise NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def broadcast_error(err: ValueError, a: Any, b: Any) -> Exception:
    """torch's RuntimeError for operands whose shapes do not broadcast (else `err` itself)."""
    sa, sb = np.shape(a._data if isinstance(a, Tensor) else a), \
        np.shape(b._data if isinstance(b, Tensor) else b)
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(f"The size of tensor a ({pa[i]}) must match the size of tensor b "
                                f"({pb[i]}) at non-singleton dimension {i}")
    return err


def float_binary_args(name: str, a: Any, b: Any) -> tuple:
    """binary_args for ops whose integer and bool results promote to the default float dtype;
    Python scalars then convert straight to float (no integer wrap-around)."""
    x, y, dt, dev = binary_args(name, a, b)
    if dt.category < D.FLOAT:
        return binary_args(name, a, b, D.get_default_dtype())
    return x, y, dt, dev


def _conj(t: Tensor) -> Tensor:
    return t.conj() if t.dtype.category == D.COMPLEX else t


class NotImplementedBackward(Node):
    """grad_fn of ops whose derivative torch does not implement: backward raises."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def name(self) -> str:
        return "NotImplemented"

    def backward(self, *grads: Any) -> Any:
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")


class WhereBackward0(Node):
    def __init__(self, cond: Any) -> None:
        super().__init__()
        self.cond = cond

    def backward(self, grad: Tensor) -> tuple:
        need = self.next_functions
        return (where_(self.cond, grad, 0.0) if need[0][0] is not None else None,
                where_(self.cond, 0.0, grad) if need[1][0] is not None else None)


def where_(cond: Any, x: Any, y: Any) -> Tensor:
    """Differentiable select with a constant mask (an array): masks inside backward formulas."""
    xa, ya, dt, dev = binary_args("where", x, y)
    out = mk(np.where(cond, xa, ya), dt, dev)
    if grad_on(x, y):
        attach(WhereBackward0(cond), (x, y), (out,))
    return out


def _log(t: Tensor, dt: D.dtype) -> Tensor:
    """log(t) in dtype `dt` (unary family's op, so it is differentiable)."""
    return (t if t.dtype is dt else t.to(dt)).log()


def _scalar_log(s: Any, as_complex: bool) -> Any:
    if as_complex or isinstance(s, complex):
        return complex(-math.inf, 0) if s == 0 else cmath.log(s)
    return math.log(s) if s > 0 else (-math.inf if s == 0 else math.nan)


# ------------------------------------------------------------------ pow, float_power
class PowBackward0(Node):
    def __init__(self, exponent: Any) -> None:
        super().__init__()
        self.exponent = exponent

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        e = self.exponent
        if e == 0:
            return zeros_like(grad)
        return grad * _conj(pow(x, e - 1) * e)


class PowBackward1(Node):
    def backward(self, grad: Tensor) -> tuple:
        x, e, out = self.saved_tensors
        need = self.next_functions
        ga = gb = None
        if need[0][0] is not None:
            ga = where_(e._data == 0, 0.0, grad * _conj(pow(x, e - 1) * e))
        if need[1][0] is not None:
            ed = e._data
            pos = (ed.real >= 0) & (ed.imag == 0) if np.iscomplexobj(ed) else ed >= 0
            gb = grad * _conj(where_((x._data == 0) & pos, 0.0, out * _log(x, out.dtype)))
        return ga, gb


class PowBackward2(Node):
    def __init__(self, base: Any) -> None:
        super().__init__()
        self.base = base

    def backward(self, grad: Tensor) -> Tensor:
        saved = self.saved_tensors
        out = saved[-1]
        r = out * _scalar_log(self.base, out.dtype.category == D.COMPLEX)
        if self.base == 0:
            ed = saved[0]._data
            pos = (ed.real >= 0) & (ed.imag == 0) if np.iscomplexobj(ed) else ed >= 0
            r = where_(pos, 0.0, r)
        return grad * _conj(r)


_INT_C = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "long"}


def _int_pow(x: Any, y: Any, dt: D.dtype) -> Any:
    """Integer power; negative tensor exponents give torch's 1, +-1 or 0 instead of raising."""
    if dt.is_signed and any_(y < 0):
        neg = y < 0
        r = np.power(x, np.where(neg, 0, y).astype(dt.np))
        alt = np.where(x == 1, 1, np.where(x == -1, np.where(y & 1, -1, 1), 0))
        return np.where(neg, alt, r)
    return np.power(x, y)


def _pow_scalar(input: Tensor, e: Any) -> Tensor:
    if isinstance(e, np.generic):
        e = e.item()
    x, s, dt, dev = binary_args("pow", input, e)
    if dt is D.bool_:
        r = x.copy() if e else np.ones_like(x)
    elif dt.category == D.INT:
        if e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        info = np.iinfo(dt.np)
        if not info.min <= e <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_INT_C[dt.name]} without "
                               "overflow")
        r = np.power(x, s)
    else:
        tok = quiet()
        try:  # ndarray ** scalar takes NumPy's fast paths (sqrt, reciprocal)
            r = np.square(x) if e == 2 and dt.category == D.FLOAT and dt is not D.float16 \
                and dt is not D.bfloat16 else up(x, dt) ** e
        finally:
            loud(tok)
    out = mk(r, dt, dev)
    if grad_on(input):
        node = PowBackward0(e)
        node.save(input)
        attach(node, (input,), (out,))
    return out


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent; either may be a Python number (not both)."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return _pow_scalar(input, exponent)
    if not isinstance(exponent, Tensor):
        raise TypeError(f"pow() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(exponent).__name__})")
    x, y, dt, dev = binary_args("pow", input, exponent)
    if dt is D.bool_:
        not_impl("pow", dt)
    tok = quiet()
    try:
        if dt.category == D.INT:
            r = _int_pow(x, y, dt)
        elif dt.category == D.FLOAT:
            r = np.power(up(x, dt), up(y, dt))
        else:  # torch's complex kernel is exp(y * log(x)): same special values (0 ** 0 is nan)
            r = np.exp(y * np.log(as_array(x, dt.np)))
    except ValueError as err:
        raise broadcast_error(err, input, exponent) from None
    finally:
        loud(tok)
    out = mk(r, dt, dev)
    if grad_on(input, exponent):
        if isinstance(input, Tensor):
            node: Node = PowBackward1()
            node.save(input, exponent)
            node.save_outputs(out)
            attach(node, (input, exponent), (out,))
        else:
            node = PowBackward2(input)
            if input == 0:
                node.save(exponent)
            node.save_outputs(out)
            attach(node, (exponent,), (out,))
    return out


register("pow", method=True, out=True, inplace=make_inplace(pow, "pow"))(pow)
register_method("__pow__", lambda self, other: pow(self, other))
register_method("__rpow__", lambda self, other: pow(other, self))
register_method("__ipow__", make_inplace(pow, "pow"))


def _float_power_dtype(input: Any, exponent: Any) -> D.dtype:
    for v in (input, exponent):
        if (v.dtype.category == D.COMPLEX) if isinstance(v, Tensor) else isinstance(v, complex):
            return D.complex128
    return D.float64


def float_power(input: Any, exponent: Any) -> Tensor:
    """pow computed in float64 (complex128 when either operand is complex)."""
    dt = _float_power_dtype(input, exponent)
    cast = complex if dt is D.complex128 else float
    a = input.to(dt) if isinstance(input, Tensor) else cast(input)
    b = exponent.to(dt) if isinstance(exponent, Tensor) else cast(exponent)
    return pow(a, b)


_float_power_slow = make_inplace(float_power, "float_power")


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    dt = _float_power_dtype(self, exponent)
    if self.dtype is not dt:
        raise RuntimeError(f"the base given to float_power_ has dtype {_tname(self.dtype)} but "
                           f"the operation's result requires dtype {_tname(dt)}")
    return _float_power_slow(self, exponent)


register("float_power", method=True, out=True, inplace=_float_power_)(float_power)


# ------------------------------------------------------------------ remainder, fmod
class _ModBackward(Node):
    """d/dother of input - q * other is -q, with q the rounded quotient (floor or trunc)."""

    mode = "floor"

    def backward(self, grad: Tensor) -> Tensor | tuple:
        if len(self.next_functions) == 1:
            return grad
        a, b = self.saved_tensors
        gb = None
        if self.next_functions[1][0] is not None:
            gb = -grad * a.div(b, rounding_mode=self.mode)
        return grad, gb


RemainderBackward0 = type("RemainderBackward0", (_ModBackward,), {})
RemainderBackward1 = type("RemainderBackward1", (_ModBackward,), {})
FmodBackward0 = type("FmodBackward0", (_ModBackward,), {"mode": "trunc"})
FmodBackward1 = type("FmodBackward1", (_ModBackward,), {"mode": "trunc"})


def _mod(name: str, input: Any, other: Any, floor: bool) -> Tensor:
    x, y, dt, dev = binary_args(name, input, other)
    if dt.category in (D.BOOL, D.COMPLEX):
        not_impl(name + "_cpu", dt)
    try:
        if dt.category == D.INT:
            if any_(y == 0):
                if dev.type != "meta":
                    raise RuntimeError("ZeroDivisionError")
                y = np.ones_like(y)  # meta tensors hold no values: only the shape matters
            r = np.remainder(x, y) if floor else np.fmod(x, y)
        else:
            x, y = up(x, dt), up(y, dt)
            tok = quiet()
            try:
                if floor:
                    # NumPy's Python modulus is torch's except that an exact zero takes the
                    # divisor's sign; torch keeps fmod's (the dividend's)
                    r = np.remainder(x, y)
                    zero = r == 0
                    if any_(zero):
                        r = np.where(zero, np.copysign(r, x), r)
                    if is_dev(r):  # CuPy's x % inf is nan; NumPy's (and torch's) is x or inf
                        big = np.isinf(y) & np.isfinite(x)
                        if any_(big):
                            r = np.where(big, np.where((x == 0) | ((x < 0) == (y < 0)), x, y), r)
                else:
                    r = np.fmod(x, y)
            finally:
                loud(tok)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    out = mk(r, dt, dev)
    if grad_on(input, other):
        if not isinstance(input, Tensor):
            attach(NotImplementedBackward(name), (other,), (out,))
        elif isinstance(other, Tensor):
            node = (RemainderBackward1 if floor else FmodBackward1)()
            node.save(input, other)
            attach(node, (input, other), (out,))
        else:
            attach((RemainderBackward0 if floor else FmodBackward0)(), (input,), (out,))
    return out


def remainder(input: Any, other: Any) -> Tensor:
    """Python's modulus: the result has the sign of the divisor."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        need_tensor("remainder", other)
    return _mod("remainder", input, other, True)


def fmod(input: Tensor, other: Any) -> Tensor:
    """C's fmod: the result has the sign of the dividend."""
    need_tensor("fmod", input, "input", 1)
    return _mod("fmod", input, other, False)


register("remainder", method=True, out=True, inplace=make_inplace(remainder, "remainder"))(
    remainder)
register("fmod", method=True, out=True, inplace=make_inplace(fmod, "fmod"))(fmod)
register_method("__mod__", lambda self, other: remainder(self, other))
register_method("__rmod__", lambda self, other: remainder(other, self))
register_method("__imod__", make_inplace(remainder, "remainder"))


# ------------------------------------------------------------------ two-tensor float ops
def float_args(name: str, input: Any, other: Any, arg: str = "other") -> tuple:
    need_tensors(name, input, other, arg)
    return float_binary_args(name, input, other)


class XlogyBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        need = self.next_functions
        ga = where_((a._data == 0) & (b._data <= 0), 0.0, xlogy(grad, b)) \
            if need[0][0] is not None else None
        gb = grad * a / b if need[1][0] is not None else None
        return ga, gb


class XlogyBackward1(Node):
    """xlogy(Number self, Tensor other)."""

    def __init__(self, s: Any) -> None:
        super().__init__()
        self.s = s

    def backward(self, grad: Tensor) -> Tensor:
        (b,) = self.saved_tensors
        return grad * self.s / b


class XlogyBackward2(Node):
    """xlogy(Tensor self, Number other)."""

    def __init__(self, s: Any) -> None:
        super().__init__()
        self.s = s

    def backward(self, grad: Tensor) -> Tensor:
        (a,) = self.saved_tensors
        return where_((a._data == 0) & (self.s <= 0), 0.0, xlogy(grad, self.s))


def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), 0 where input == 0 (unless other is nan); integers promote to float."""
    x, y, dt, dev = float_binary_args("xlogy", input, other)
    if dt.category == D.COMPLEX:
        not_impl("xlogy_cpu", dt)
    x, y = up(x, dt), up(y, dt)
    tok = quiet()
    try:
        r = x * np.log(y)
        zero = x == 0
        if any_(zero):  # 0 * log(y) is 0 unless y is nan
            r = np.where(zero & ~np.isnan(y), 0.0, r)
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    finally:
        loud(tok)
    out = mk(r, dt, dev)
    if grad_on(input, other):
        if isinstance(input, Tensor) and isinstance(other, Tensor):
            node: Node = XlogyBackward0()
            node.save(input, other)
            attach(node, (input, other), (out,))
        elif isinstance(input, Tensor):
            node = XlogyBackward2(other)
            node.save(input)
            attach(node, (input,), (out,))
        else:
            node = XlogyBackward1(input)
            node.save(other)
            attach(node, (other,), (out,))
    return out


register("xlogy", method=True, out=True, inplace=make_inplace(xlogy, "xlogy"))(xlogy)


class LogaddexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        return grad / (1 + (b - a).exp()), grad / (1 + (a - b).exp())


class Logaddexp2Backward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        return grad / (1 + pow(2, b - a)), grad / (1 + pow(2, a - b))


def _logaddexp_complex(x: Any, y: Any) -> Any:
    """torch's complex log(exp(x) + exp(y)), ordered by real part."""
    swap = x.real < y.real
    mx, mn = np.where(swap, y, x), np.where(swap, x, y)
    r = mx + np.log1p(np.exp(mn - mx))
    inf = ~np.isfinite(mn.real) & (mn.real == mx.real)
    if any_(inf):
        r = np.where(inf, np.where(mn.real < 0, mn, np.log(np.exp(mn) + np.exp(mx))), r)
    nan = np.isnan(mn.real) | np.isnan(mn.imag)
    return np.where(nan, complex(math.nan, math.nan), r)


def _logaddexp(name: str, input: Tensor, other: Tensor, base2: bool) -> Tensor:
    need_tensors(name, input, other)
    x, y, dt, dev = binary_args(name, input, other)
    if dt.category < D.FLOAT or (base2 and dt.category == D.COMPLEX):
        not_impl(name + "_cpu", dt)
    tok = quiet()
    try:
        if dt.category == D.COMPLEX:
            r = _logaddexp_complex(*np.broadcast_arrays(x, y))
        else:
            r = (np.logaddexp2 if base2 else np.logaddexp)(up(x, dt), up(y, dt))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    finally:
        loud(tok)
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = Logaddexp2Backward0() if base2 else LogaddexpBackward0()
        node.save(input, other)
        attach(node, (input, other), (out,))
    return out


@register("logaddexp", method=True, out=True)
def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)), computed without overflow."""
    return _logaddexp("logaddexp", input, other, False)


@register("logaddexp2", method=True, out=True)
def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2**input + 2**other), computed without overflow."""
    return _logaddexp("logaddexp2", input, other, True)


class LdexpBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b, out = self.saved_tensors
        need = self.next_functions
        ga = grad * pow(2, b if b.dtype is out.dtype else b.to(out.dtype)) \
            if need[0][0] is not None else None
        gb = grad * out * math.log(2) if need[1][0] is not None else None
        return ga, gb


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2**other; integer inputs promote to float."""
    x, y, dt, dev = float_args("ldexp", input, other)
    tok = quiet()
    try:
        r = up(x, dt) * np.exp2(up(y, dt))
    except ValueError as err:
        raise broadcast_error(err, input, other) from None
    finally:
        loud(tok)
    out = mk(r, dt, dev)
    if grad_on(input, other):
        node = LdexpBackward0()
        node.save(input, other)
        node.save_outputs(out)
        attach(node, (input, other), (out,))
    return out


register("ldexp", method=True, out=True, inplace=make_inplace(ldexp, "ldexp"))(ldexp)


from . import binary_ext  # noqa: E402, F401 - the rest of the family registers on import
