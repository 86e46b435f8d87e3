"""Pointwise ops of several operands: where, clamp/clip, clamp_min, clamp_max, lerp, addcmul,
addcdiv (forward and backward side by side)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import xp_of
from ._core import (
    _scalar_result,
    _tname,
    attach,
    binary_args,
    check_inplace,
    check_same_device,
    make_inplace,
    result_type,
    scalar_to_array,
)
from ._registry import FUNCTIONS, METHODS, register, register_method

_NUMBER = (int, float, bool, complex)
_HALF = (D.float16, D.bfloat16)
_UINT: dict[int, np.dtype[np.unsignedinteger]] = {
    1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}
_CTYPE = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
          "int32": "int", "int64": "int64_t", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


# ------------------------------------------------------------------ helpers
# (lo, hi) for integer and floating dtypes (the only ones _check_scalar looks up), else None
_RANGE: dict[D.dtype, Any] = {
    dt: ((int(np.iinfo(dt.np).min), int(np.iinfo(dt.np).max)) if dt.category == D.INT
         else (-float(ml_dtypes.finfo(dt.np).max), float(ml_dtypes.finfo(dt.np).max))
         if dt.category == D.FLOAT else None) for dt in D.ALL}


def _check_scalar(v: Any, dt: D.dtype, floats: bool) -> None:
    """torch's check when a Python number becomes a value of dtype dt (RuntimeError on overflow).

    Integer targets are always checked; floating ones only when `floats` (ops that convert to
    the tensor's own type rather than to float32 math).
    """
    t = type(v)
    cat = dt.category
    if t is float and (cat >= D.COMPLEX or (cat == D.FLOAT and not floats)):
        return
    if t is int and not -(1 << 63) <= v < (1 << 64):
        raise OverflowError("int too big to convert")
    bad = False
    if t is complex and cat < D.COMPLEX:
        bad = v.imag != 0 or floats
    elif (cat == D.INT or (floats and cat == D.FLOAT)) and t is not bool:
        lo, hi = _RANGE[dt]
        fv = v.real if t is complex else v
        if fv != fv or abs(fv) == float("inf"):
            bad = cat == D.INT  # nan and inf are fine for floating types
        else:
            bad = not lo <= fv <= hi
    if bad:
        raise RuntimeError(f"value cannot be converted to type {_CTYPE[dt.name]} without "
                           "overflow")


def _size_error(shapes: list) -> RuntimeError:
    """torch's broadcast error for the first incompatible pair of shapes."""
    acc: tuple = ()
    for s in shapes:
        try:
            acc = np.broadcast_shapes(acc, s)
            continue
        except ValueError:
            pass
        for i in range(1, min(len(acc), len(s)) + 1):
            a, b = acc[-i], s[-i]
            if a != b and a != 1 and b != 1:
                return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                                    f"({b}) at non-singleton dimension {max(len(acc), len(s)) - i}")
    return RuntimeError(f"shapes {shapes} cannot be broadcast together")


def select(c: Any, x: Any, y: Any, dt: Any) -> Any:
    """np.where(c, x, y) in NumPy dtype dt (x, y: arrays or numbers of that dtype).

    np.where branches per element and is slow on a random condition (~4 ns an element); on CPU
    the same selection by bit masks, y ^ ((x ^ y) & -c), is exact and ~10x faster.
    """
    u = _UINT.get(dt.itemsize)
    if c.size < 1024 or u is None or type(c) is not np.ndarray:  # few branches: np.where
        r = np.where(c, x, y)
        return r if r.dtype == dt else r.astype(dt)
    m = c.view(np.uint8).astype(u)
    np.negative(m, out=m)  # 1 -> all bits set
    xi = np.asarray(x, dt).view(u)
    yi = np.asarray(y, dt).view(u)
    shape = np.broadcast_shapes(m.shape, xi.shape, yi.shape)
    r = np.bitwise_xor(xi, yi, out=np.empty(shape, u))
    r &= m
    r ^= yi
    return r.view(dt)


def as_array(r: Any) -> Any:
    """NumPy returns scalars for 0-d operands; a tensor holds an array."""
    return np.asarray(r) if isinstance(r, np.generic) else r


def _tensor_arg(name: str, arg: str, pos: int, v: Any) -> None:
    if not isinstance(v, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(v).__name__}")


# ------------------------------------------------------------------ where
class WhereBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        cond = self.saved_tensors[0]
        need = self.next_functions
        gx = where(cond, grad, 0) if need[1][0] is not None else None
        gy = where(cond, 0, grad) if need[2][0] is not None else None
        return None, gx, gy


_MISSING: Any = object()


def _check_cond(cond: Any) -> Any:
    if not isinstance(cond, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{type(cond).__name__}")
    c = cond._data
    if cond.dtype is D.bool_:
        return c
    if cond.dtype is D.uint8:
        warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and "
                      "will be removed in a future version of PyTorch. Use a boolean condition "
                      "instead.", UserWarning, stacklevel=4)
        return c != 0
    raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                       f"dtype {_tname(cond.dtype)}")


def _where_operand(v: Any, arg: str, pos: int) -> Any:
    if isinstance(v, Tensor):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if type(v) in _NUMBER:
        return v
    raise TypeError(f"where(): argument '{arg}' (position {pos}) must be Tensor or Number, not "
                    f"{type(v).__name__}")


@register("where", out=True)
def where(condition: Tensor, input: Any = _MISSING, other: Any = _MISSING) -> Any:
    """input where condition else other (Python numbers allowed for either, promoted as torch).

    where(condition) alone is nonzero(condition, as_tuple=True).
    """
    if input is _MISSING and other is _MISSING:
        nz = FUNCTIONS.get("nonzero")
        if nz is None:
            raise NotImplementedError("where(condition) needs nonzero(), which ember lacks")
        return nz(condition, as_tuple=True)
    if input is _MISSING or other is _MISSING:
        raise TypeError("where() missing required argument 'other'")
    c = condition._data if type(condition) is Tensor and condition.dtype is D.bool_ else \
        _check_cond(condition)
    ti, to = isinstance(input, Tensor), isinstance(other, Tensor)
    if ti or to:
        if not ti:
            input = _where_operand(input, "input", 2)
        if not to:
            other = _where_operand(other, "other", 3)
        x, y, dt, dev = binary_args("where", input, other)
        if condition.device is not dev and condition.device != dev and c.ndim:
            check_same_device("where", condition, input if ti else other)
        if not (ti and to):
            _check_scalar(other if ti else input, dt, False)
    else:
        input = _where_operand(input, "input", 2)
        other = _where_operand(other, "other", 3)
        dt, dev = result_type(input, other), condition.device
        _check_scalar(input, dt, False)
        _check_scalar(other, dt, False)
        x, y = scalar_to_array(input, dt), scalar_to_array(other, dt)
    try:
        r = select(c, x, y, dt.np)
    except ValueError:
        raise _size_error([np.shape(c), np.shape(x), np.shape(y)]) from None
    out = make(r, dt, dev)
    if _gm.enabled and ((ti and input._requires_grad) or (to and other._requires_grad)):
        node = WhereBackward0()
        attach(node, (condition, input, other), (out,))
        node.save(condition)
    return out


register_method("where", lambda self, condition, other: where(condition, self, other))


# ------------------------------------------------------------------ clamp
def _clamp_masks(x: Any, lo: Any, hi: Any) -> tuple:
    """(x, lo, hi) gradient masks as torch: x inside [lo, hi] incl. the bounds; lo where x is
    below it (and lo < hi); hi where x is above it (or hi < lo)."""
    if lo is None:
        return x <= hi, None, x > hi
    if hi is None:
        return x >= lo, x < lo, None
    return (x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo)


class ClampBackward1(Node):
    """clamp with number bounds."""

    def __init__(self, lo: Any, hi: Any) -> None:
        super().__init__()
        self.lo, self.hi = lo, hi

    def backward(self, grad: Tensor) -> Tensor:
        x = self.saved_tensors[0]
        m = _clamp_masks(x._data, self.lo, self.hi)[0]
        return where(make(m, D.bool_, x.device), grad, 0)


ClampMinBackward0 = type("ClampMinBackward0", (ClampBackward1,), {"__slots__": ()})
ClampMaxBackward0 = type("ClampMaxBackward0", (ClampBackward1,), {"__slots__": ()})


class ClampBackward0(Node):
    """clamp with tensor bounds: gradients for x, min and max."""

    def backward(self, grad: Tensor) -> tuple:
        x, lo, hi = self.saved_tensors
        masks = _clamp_masks(x._data, None if lo is None else lo._data,
                             None if hi is None else hi._data)
        need = self.next_functions
        return tuple(where(make(m, D.bool_, x.device), grad, 0)
                     if m is not None and need[i][0] is not None else None
                     for i, m in enumerate(masks))


ClampMinBackward1 = type("ClampMinBackward1", (ClampBackward0,), {"__slots__": ()})
ClampMaxBackward1 = type("ClampMaxBackward1", (ClampBackward0,), {"__slots__": ()})


def _bound_error(name: str, n: str, v: Any) -> TypeError:
    return TypeError(f"{name}(): argument '{n}' must be Number or Tensor, not {type(v).__name__}")


def _number_dtype(name: str, input: Tensor, min: Any, max: Any) -> tuple:
    """(result dtype, min, max) for number bounds, validated as torch does."""
    dt = input.dtype
    bounds = []
    for n, v in (("min", min), ("max", max)):
        if v is not None:
            if type(v) not in _NUMBER:
                if not isinstance(v, np.generic):
                    raise _bound_error(name, n, v)
                v = v.item()
            dt = _scalar_result(dt, v)
        bounds.append(v)
    if dt is D.bool_:
        raise NotImplementedError('"clamp_scalar_cpu" not implemented for \'Bool\'')
    if dt.category == D.COMPLEX:
        raise NotImplementedError("clamp is not supported for complex types")
    for v in bounds:
        if v is not None:
            _check_scalar(v, dt, True)
    return dt, bounds[0], bounds[1]


def clip_array(a: Any, lo: Any, hi: Any) -> Any:
    """min(max(a, lo), hi), nan-propagating; either bound may be None."""
    if a.dtype.kind == "f" and a.size >= 1024 and np.ndim(lo) == 0 and np.ndim(hi) == 0:
        # NumPy's two-sided clip is vectorised, its one-sided maximum/minimum are not
        return np.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    if hi is None:
        return np.maximum(a, lo)
    return np.minimum(a, hi) if lo is None else np.minimum(np.maximum(a, lo), hi)


def _clamp(name: str, input: Tensor, min: Any, max: Any, nodes: tuple) -> Tensor:
    if not isinstance(input, Tensor):
        _tensor_arg(name, "input", 1, input)
    lo_t, hi_t = isinstance(min, Tensor), isinstance(max, Tensor)
    if lo_t or hi_t:
        if (not lo_t and min is not None) or (not hi_t and max is not None):
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"(Tensor, {type(min).__name__}, {type(max).__name__}): min and max "
                            "must both be Tensors or both be Numbers")
        if input.dtype.category == D.COMPLEX or any(
                t is not None and t.dtype.category == D.COMPLEX for t in (min, max)):
            raise NotImplementedError("clamp is not supported for complex types")
        dt = result_type(input, min, max)
        for t in (min, max):
            if t is not None:
                check_same_device(name, input, t)
        lo = None if min is None else (min._data if min.dtype is dt else min._data.astype(dt.np))
        hi = None if max is None else (max._data if max.dtype is dt else max._data.astype(dt.np))
    else:
        if min is None and max is None:
            raise RuntimeError(f"torch.{name}: At least one of 'min' or 'max' must not be None")
        dt, min, max = _number_dtype(name, input, min, max)
        lo = None if min is None else scalar_to_array(min, dt)
        hi = None if max is None else scalar_to_array(max, dt)
    a = input._data if input.dtype is dt else input._data.astype(dt.np)
    try:
        r = clip_array(a, lo, hi)
    except ValueError:
        # np.shape(None) is () at runtime; the stubs accept only array-likes
        raise _size_error([np.shape(a), np.shape(lo), np.shape(hi)]) from None  # type: ignore[arg-type]
    out = make(as_array(r), dt, input.device)
    if _gm.enabled and (input._requires_grad or (lo_t and min._requires_grad) or
                        (hi_t and max._requires_grad)):
        if lo_t or hi_t:
            node: Node = nodes[1]()
            attach(node, (input, min, max), (out,))
            node.save(input, min, max)
        else:
            node = nodes[0](lo, hi)
            attach(node, (input,), (out,))
            node.save(input)
    return out


_CLAMP_NODES = (ClampBackward1, ClampBackward0)


def _clamp_impl(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """min(max(input, min), max); either bound may be None, numbers or tensors (not mixed).

    nan in input or in a bound gives nan; min > max gives max, as torch.
    """
    return _clamp("clamp", input, min, max, _CLAMP_NODES)


def _clamp_min_impl(input: Tensor, min: Any) -> Tensor:
    """max(input, min)."""
    if min is None:
        raise TypeError("clamp_min(): argument 'min' must be Number or Tensor, not NoneType")
    return _clamp("clamp_min", input, min, None, (ClampMinBackward0, ClampMinBackward1))


def _clamp_max_impl(input: Tensor, max: Any) -> Tensor:
    """min(input, max)."""
    if max is None:
        raise TypeError("clamp_max(): argument 'max' must be Number or Tensor, not NoneType")
    return _clamp("clamp_max", input, None, max, (ClampMaxBackward0, ClampMaxBackward1))


def _number_bounds(order: tuple, args: tuple, kwargs: dict) -> tuple | None:
    """(min, max) when the in-place call passes only Python numbers (or None), else None."""
    if len(args) > len(order) or not set(kwargs) <= {"min", "max"}:
        return None
    bounds = dict(zip(order, args, strict=False))
    if set(bounds) & set(kwargs):
        return None
    bounds.update(kwargs)
    lo, hi = bounds.get("min"), bounds.get("max")
    if (lo is None and hi is None) or not all(v is None or type(v) in (int, float)
                                              for v in (lo, hi)):
        return None
    return lo, hi


def _fast_clamp_inplace(name: str, fn: Callable, order: tuple) -> Callable:
    """x.clamp_(...) on float32/float64 with number bounds: clip in x's memory, no copy."""
    slow = make_inplace(fn, name)

    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        dt = self.dtype
        if (dt is D.float32 or dt is D.float64) and not (_gm.enabled and self._requires_grad):
            bounds = _number_bounds(order, args, kwargs)
            if bounds is not None:
                lo, hi = bounds
                check_inplace(self, name + "_")
                for v in bounds:
                    if v is not None:
                        _check_scalar(v, dt, True)
                a = self._data
                if a.size >= 1024:
                    np.clip(a, -np.inf if lo is None else lo, np.inf if hi is None else hi, out=a)
                else:  # np.clip's fixed cost is high for small arrays
                    if lo is not None:
                        np.maximum(a, lo, out=a)
                    if hi is not None:
                        np.minimum(a, hi, out=a)
                self._bump_version()
                return self
        return slow(self, *args, **kwargs)

    inplace.__doc__ = f"In-place version of {name}."
    return inplace


clamp = register("clamp", method=True, out=True, aliases=("clip",), inplace=_fast_clamp_inplace(
    "clamp", _clamp_impl, ("min", "max")))(_clamp_impl)
clamp_min = register("clamp_min", method=True, out=True, inplace=_fast_clamp_inplace(
    "clamp_min", _clamp_min_impl, ("min",)))(_clamp_min_impl)
clamp_max = register("clamp_max", method=True, out=True, inplace=_fast_clamp_inplace(
    "clamp_max", _clamp_max_impl, ("max",)))(_clamp_max_impl)
for _n in ("clamp_", "clip_", "clamp_min_", "clamp_max_"):
    FUNCTIONS[_n] = METHODS[_n]


# ------------------------------------------------------------------ lerp
def cj(t: Any) -> Any:
    return t.conj() if isinstance(t, Tensor) and t.dtype.category == D.COMPLEX else \
        (t.conjugate() if isinstance(t, complex) else t)


class LerpBackward0(Node):
    """lerp with a number weight."""

    def __init__(self, weight: Any) -> None:
        super().__init__()
        self.weight = weight

    def backward(self, grad: Tensor) -> tuple:
        w = cj(self.weight)
        return grad * (1 - w), grad * w


class LerpBackward1(Node):
    """lerp with a tensor weight."""

    def backward(self, grad: Tensor) -> tuple:
        x, end, w = self.saved_tensors
        need = self.next_functions
        return (grad * cj(1 - w) if need[0][0] is not None else None,
                grad * cj(w) if need[1][0] is not None else None,
                grad * cj(end - x) if need[2][0] is not None else None)


def _lerp_impl(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight * (end - input), evaluated from the nearer end as torch does."""
    _tensor_arg("lerp", "input", 1, input)
    _tensor_arg("lerp", "end", 2, end)
    dt = input.dtype
    if end.dtype is not dt:
        raise RuntimeError(f"expected dtype {_CTYPE[dt.name]} for `end` but got dtype "
                           f"{_CTYPE[end.dtype.name]}")
    wt = isinstance(weight, Tensor)
    if wt:
        if weight._data.ndim and weight.dtype is not dt:
            raise RuntimeError(f"expected dtype {_CTYPE[dt.name]} for `weight` but got dtype "
                               f"{_CTYPE[weight.dtype.name]}")
        check_same_device("lerp", input, weight)
    elif isinstance(weight, np.generic):
        weight = weight.item()
    elif type(weight) not in _NUMBER:
        raise TypeError(f"lerp(): argument 'weight' (position 3) must be Number or Tensor, not "
                        f"{type(weight).__name__}")
    if dt.category < D.FLOAT:
        raise NotImplementedError(f'"lerp_kernel_{"tensor" if wt else "scalar"}" not '
                                  f"implemented for '{_tname(dt)}'")
    check_same_device("lerp", input, end)
    if not wt:
        _check_scalar(weight, dt, False)
    cdt = np.dtype(np.float32) if dt in _HALF else dt.np
    x = input._data.astype(cdt, copy=False)
    e = end._data.astype(cdt, copy=False)
    try:
        d = e - x
        if wt:
            w = weight._data.astype(cdt, copy=False)
            r = select(np.abs(w) < 0.5, x + w * d, e - d * (1 - w), cdt)
        else:
            # weight in the math dtype, as torch; in place on the temporary d (no allocation)
            w = cdt.type(weight)
            if abs(w) < 0.5:
                d *= w
                d += x
            else:
                d *= w - 1  # e - d * (1 - w), exactly
                d += e
            r = d
    except ValueError:
        raise _size_error([x.shape, e.shape] + ([weight._data.shape] if wt else [])) from None
    out = make(as_array(r).astype(dt.np, copy=False), dt, input.device)
    if _gm.enabled and (input._requires_grad or end._requires_grad or
                        (wt and weight._requires_grad)):
        if wt:
            node: Node = LerpBackward1()
            attach(node, (input, end, weight), (out,))
            node.save(input, end, weight)
        else:
            attach(LerpBackward0(weight), (input, end), (out,))
    return out


lerp = register("lerp", method=True, out=True, inplace=make_inplace(_lerp_impl, "lerp"))(
    _lerp_impl)


# ------------------------------------------------------------------ addcmul, addcdiv
class AddcmulBackward0(Node):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def backward(self, grad: Tensor) -> tuple:
        t1, t2 = self.saved_tensors
        need, v = self.next_functions, self.value
        return (grad,
                grad * cj(t2 * v) if need[1][0] is not None else None,
                grad * cj(t1 * v) if need[2][0] is not None else None)


class AddcdivBackward0(AddcmulBackward0):
    def backward(self, grad: Tensor) -> tuple:
        t1, t2 = self.saved_tensors
        need, v = self.next_functions, self.value
        return (grad,
                grad * cj(v / t2) if need[1][0] is not None else None,
                grad * cj(-t1 * v / (t2 * t2)) if need[2][0] is not None else None)


def _addc(name: str, input: Tensor, tensor1: Tensor, tensor2: Tensor, value: Any,
          div: bool) -> Tensor:
    for i, (n, t) in enumerate((("input", input), ("tensor1", tensor1), ("tensor2", tensor2))):
        _tensor_arg(name, n, i + 1, t)
    if isinstance(value, np.generic):
        value = value.item()
    elif type(value) not in _NUMBER:
        raise TypeError(f"{name}(): argument 'value' must be Number, not {type(value).__name__}")
    if div and tensor1.dtype.category <= D.INT and tensor2.dtype.category <= D.INT:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) using PyTorch 1.5 or later or as (input + value * tensor1 // "
            "tensor2).to(input.dtype) using PyTorch 1.4 or earlier.")
    dt = result_type(input, tensor1, tensor2)
    if dt is D.bool_:
        raise NotImplementedError(f'"{name}_cpu_out" not implemented for \'Bool\'')
    check_same_device(name, input, tensor1)
    check_same_device(name, input, tensor2)
    _check_scalar(value, dt, False)
    v = int(value.real if type(value) is complex else value) if dt.category == D.INT else value
    cdt = np.dtype(np.float32) if dt in _HALF else dt.np
    x, a, b = (t._data.astype(cdt, copy=False) for t in (input, tensor1, tensor2))
    try:
        # (value * a) * b + x, as torch orders it, in one output buffer
        r = xp_of(x).empty(np.broadcast_shapes(x.shape, a.shape, b.shape), cdt)
        np.multiply(a, v, out=r)
        if div:
            r /= b
        else:
            r *= b
        r += x
    except ValueError:
        raise _size_error([x.shape, a.shape, b.shape]) from None
    out = make(as_array(r).astype(dt.np, copy=False), dt, input.device)
    if _gm.enabled and (input._requires_grad or tensor1._requires_grad or
                        tensor2._requires_grad):
        node = (AddcdivBackward0 if div else AddcmulBackward0)(value)
        attach(node, (input, tensor1, tensor2), (out,))
        node.save(tensor1, tensor2)
    return out


def _addcmul_impl(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    return _addc("addcmul", input, tensor1, tensor2, value, False)


def _addcdiv_impl(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:
    """input + value * tensor1 / tensor2 (integer tensor1 and tensor2 are refused, as torch)."""
    return _addc("addcdiv", input, tensor1, tensor2, value, True)


addcmul = register("addcmul", method=True, out=True,
                   inplace=make_inplace(_addcmul_impl, "addcmul"))(_addcmul_impl)
addcdiv = register("addcdiv", method=True, out=True,
                   inplace=make_inplace(_addcdiv_impl, "addcdiv"))(_addcdiv_impl)
