"""Reductions: sum, mean, nansum, nanmean, prod, the max/min family, any/all, logsumexp.

The family continues in cumulative.py (cumsum, cummax, ...) and statistics.py (var, norm,
median, ...); shared helpers (return types, masking, gather/scatter) live in _reduce.py.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import as_array, xp_of
from ._core import attach, grad_on, norm_dim, norm_dims
from ._reduce import (
    EvenlyBackward,
    SelectBackward,
    acc,
    axes_of,
    check_grad_dtype,
    const,
    count,
    empty_error,
    even_node,
    exp_,
    gather_dim,
    isnan,
    keep_shape,
    mask0,
    named,
    no_complex,
    ordered,
    select0,
    select_result,
    structseq,
    sum_args,
    tn,
    wrap,
)
from ._reduce import return_types as return_types  # re-exported: ember.return_types
from ._registry import register
from .cumulative import cumprod
from .views import broadcast_array

_max_t, _min_t = structseq("max"), structseq("min")
_aminmax_t = structseq("aminmax", ("min", "max"))


# ------------------------------------------------------------------ sum / mean
class SumBackward0(Node):
    """Sum over everything: broadcast the 0-d grad back (the engine does not, for 0-d)."""

    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> Tensor:
        if not _gm.enabled and grad._data.__class__ is np.ndarray:
            return make(broadcast_array(grad._data, self.in_shape), grad.dtype, grad.device)
        return grad.expand(self.in_shape)


class SumBackward1(Node):
    def __init__(self, in_shape: tuple, dims: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.in_shape, self.dims, self.keepdim = in_shape, dims, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        if not _gm.enabled and grad._data.__class__ is np.ndarray:
            g = grad._data
            if not self.keepdim:
                g = g.reshape(keep_shape(self.in_shape, self.dims))
            return make(broadcast_array(g, self.in_shape), grad.dtype, grad.device)
        if not self.keepdim:
            grad = grad.reshape(keep_shape(self.in_shape, self.dims))
        return grad.expand(self.in_shape)


class MeanBackward0(SumBackward0):
    def backward(self, grad: Tensor) -> Tensor:
        return (grad / builtins.max(count(self.in_shape, None), 1)).expand(self.in_shape)


class MeanBackward1(SumBackward1):
    def backward(self, grad: Tensor) -> Tensor:
        return SumBackward1.backward(self, grad / count(self.in_shape, self.dims))


def _sum_np(a: Any, odt: D.dtype, axes: tuple | None, keepdim: bool) -> Any:
    """Sum of `a` (already in odt, or an integer/bool array when odt is int64)."""
    if odt.category == D.FLOAT and odt.itemsize == 2:
        return a.sum(axis=axes, dtype=np.float32, keepdims=keepdim)
    if odt.category == D.INT:
        return a.sum(axis=axes, dtype=odt.np, keepdims=keepdim)
    if odt is D.bool_:
        return a.any(axis=axes, keepdims=keepdim)
    return a.sum(axis=axes, keepdims=keepdim)


def _attach_sum(node_cls0: type, node_cls1: type, input: Tensor, out: Tensor,
                axes: tuple | None, keepdim: bool) -> None:
    check_grad_dtype(out.dtype)
    shape = input._data.shape
    attach(node_cls0(shape) if axes is None and not keepdim else
           node_cls1(shape, axes, keepdim), (input,), (out,))


@register("sum", method=True, out=True)
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
        dtype: D.dtype | None = None) -> Tensor:
    """Sum of elements (over `dim` if given; dim=() is all); ints and bool sum to int64."""
    dt = getattr(input, "dtype", None)
    if dim is None and dtype is None and not keepdim and (dt is D.float32 or dt is D.float64) \
            and input._data.__class__ is np.ndarray:
        # the common loss.sum(): the ufunc directly (ndarray.sum adds a Python wrapper)
        out = make(np.add.reduce(input._data, axis=None), dt, input.device)
        if _gm.enabled and input._requires_grad:
            attach(SumBackward0(input._data.shape), (input,), (out,))
        return out
    a, odt = sum_args(input, dtype)
    axes = None if dim is None else axes_of(dim, a.ndim)
    out = wrap(_sum_np(a, odt, axes, keepdim), odt, input.device)
    if grad_on(input):
        _attach_sum(SumBackward0, SumBackward1, input, out, axes, keepdim)
    return out


@register("mean", method=True, out=True)
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    """Arithmetic mean; floating or complex inputs only (torch raises for integers)."""
    odt = dtype or input.dtype
    if odt.category < D.FLOAT:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {tn(odt)}")
    a = input._data if odt is input.dtype else input._data.astype(odt.np)
    axes = None if dim is None else axes_of(dim, a.ndim)
    n = count(a.shape, axes)
    s = _sum_np(a, odt, axes, keepdim)
    out = wrap(s / n if n else s + np.nan, odt, input.device)
    if grad_on(input):
        _attach_sum(MeanBackward0, MeanBackward1, input, out, axes, keepdim)
    return out


class NansumBackward0(Node):
    def __init__(self, axes: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.axes, self.keepdim = axes, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        shape = x._data.shape
        if not self.keepdim:
            grad = grad.reshape(keep_shape(shape, self.axes))
        # a multiply (as torch): an infinite grad gives NaN at NaN inputs
        return grad.expand(shape) * const(~isnan(x._data), grad.dtype, x.device)


@register("nansum", method=True, out=True)
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: D.dtype | None = None) -> Tensor:
    """Sum treating NaN as zero; complex inputs raise, as on torch's CPU."""
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError("nansum on CPU does not support complex inputs")
    a, odt = sum_args(input, dtype)
    axes = None if dim is None else axes_of(dim, a.ndim)
    if a.dtype.kind == "f" or a.dtype == D.bfloat16.np:
        a = np.where(isnan(a), xp_of(a).zeros((), a.dtype), a)
    out = wrap(_sum_np(a, odt, axes, keepdim), odt, input.device)
    if grad_on(input):
        check_grad_dtype(odt)
        node = NansumBackward0(axes, keepdim)
        node.save(input)
        attach(node, (input,), (out,))
    return out


@register("nanmean", method=True, out=True)
def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: D.dtype | None = None) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none)."""
    if input.dtype.category < D.FLOAT:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {tn(input.dtype)}")
    a = input._data
    axes = None if dim is None else axes_of(dim, a.ndim)
    cnt = np.logical_not(isnan(a)).sum(axis=axes, keepdims=keepdim)
    s = nansum(input, dim, keepdim, dtype=dtype)
    if grad_on(input):
        from .arith import div

        return div(s, make(as_array(cnt, np.int64), D.int64, input.device))
    with np.errstate(invalid="ignore", divide="ignore"):
        return wrap(acc(s._data, s.dtype) / cnt, s.dtype, input.device)


# ------------------------------------------------------------------ prod
def _exclusive_cumprod(x: Tensor, d: int) -> Tensor:
    """prod of x_j for j < i along d (1 at i = 0), written as a polynomial in x."""
    xa = x._data
    pos = np.broadcast_to(xp_of(xa).arange(xa.shape[d]).reshape((-1,) + (1,) * (xa.ndim - d - 1)),
                          xa.shape)
    first = pos == 0
    shifted = mask0(gather_dim(x, d, np.maximum(pos - 1, 0)), ~first)
    return cumprod(shifted + const(first, x.dtype, x.device), d)


def _prod_grad(x: Tensor, out: Tensor, grad: Tensor, d: int) -> Tensor:
    """d prod(x, d) / dx * grad, with out and grad in kept-dim shape; exact with zeros."""
    xa = x._data
    zero = xa == 0
    if not zero.any():
        return grad * out / x
    if _gm.enabled:  # building a graph: the masked formula below is not twice differentiable
        n = xa.shape[d]
        pos = xp_of(xa).arange(n).reshape((-1,) + (1,) * (xa.ndim - d - 1))
        flip = np.broadcast_to(n - 1 - pos, xa.shape)
        rev = _exclusive_cumprod(gather_dim(x, d, flip, unique=True), d)
        return grad * _exclusive_cumprod(x, d) * gather_dim(rev, d, flip, unique=True)
    nz = zero.sum(axis=d, keepdims=True)
    no_zero = np.broadcast_to(nz == 0, xa.shape)
    lone = zero & (nz == 1)
    safe = mask0(x, no_zero) + const(~no_zero, x.dtype, x.device)
    part = mask0(grad * out / safe, no_zero)
    # the single zero of a slice gets the product of the others: prod with it replaced by 1
    y = mask0(x, ~lone) + const(lone, x.dtype, x.device)
    return part + mask0(grad * prod(y, d, True), lone)


class ProdBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        x, out = self.saved_tensors
        if x.dtype is not out.dtype:
            x = x.to(out.dtype)
        shape = x.shape
        flat = x.reshape(-1)
        return _prod_grad(flat, out.reshape(1), grad.reshape(1), 0).reshape(shape)


class ProdBackward1(Node):
    def __init__(self, dim: int, keepdim: bool) -> None:
        super().__init__()
        self.dim, self.keepdim = dim, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        x, out = self.saved_tensors
        if x.dtype is not out.dtype:
            x = x.to(out.dtype)
        if not x._data.ndim:
            return grad
        if not self.keepdim:
            ks = keep_shape(x._data.shape, (self.dim,))
            grad, out = grad.reshape(ks), out.reshape(ks)
        return _prod_grad(x, out, grad, self.dim)


@register("prod", method=True, out=True)
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *,
         dtype: D.dtype | None = None) -> Tensor:
    """Product of elements (over one int `dim`); ints and bool multiply in int64."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    a, odt = sum_args(input, dtype)
    axes = None if dim is None else axes_of(dim, a.ndim)
    if odt.category == D.FLOAT and odt.itemsize == 2:
        r = a.prod(axis=axes, dtype=np.float32, keepdims=keepdim)
    else:
        r = a.prod(axis=axes, dtype=odt.np if odt.category == D.INT else None, keepdims=keepdim)
    out = wrap(r, odt, input.device)
    if grad_on(input):
        check_grad_dtype(odt)
        node = ProdBackward0() if dim is None else ProdBackward1(axes[0] if axes else 0, keepdim)
        node.save(input)
        attach(node, (input,), (out,))
        node.save_outputs(out)
    return out


# ------------------------------------------------------------------ max / min family
MaxBackward1 = named("MaxBackward1", EvenlyBackward)
MinBackward1 = named("MinBackward1", EvenlyBackward)
MaxBackward0 = named("MaxBackward0", SelectBackward)
MinBackward0 = named("MinBackward0", SelectBackward)


def _minmax(name: str, input: Tensor, dim: Any, keepdim: bool, other: Any) -> Any:
    is_max = name == "max"
    if other is not None or isinstance(dim, Tensor):
        if other is None:
            other = dim
        from ._registry import FUNCTIONS

        fn = FUNCTIONS.get("maximum" if is_max else "minimum")
        if fn is None:
            raise NotImplementedError(f"{name}(input, other) needs ember.maximum/minimum, "
                                      "which is not available yet")
        return fn(input, other)
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"(Tensor, {type(dim).__name__})")
    no_complex(name, input, f"{name}_all" if dim is None else f"{name}_cpu")
    a = input._data
    if dim is None:
        empty_error(name, a, None)
        out = wrap(a.max() if is_max else a.min(), input.dtype, input.device)
        if grad_on(input):
            even_node(MaxBackward1 if is_max else MinBackward1, input, out)
        return out
    d = norm_dim(dim, a.ndim)
    if not a.ndim:
        return select0(input, MaxBackward0 if is_max else MinBackward0,
                        _max_t if is_max else _min_t)
    empty_error(name, a, (d,))
    o = ordered(a)
    idx = np.expand_dims(o.argmax(axis=d) if is_max else o.argmin(axis=d), d)
    return select_result(name, MaxBackward0 if is_max else MinBackward0, input,
                         np.take_along_axis(a, idx, d), idx, d, keepdim,
                         _max_t if is_max else _min_t)


@register("max", method=True, out=True)
def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """max(input) -> value; max(input, dim, keepdim) -> (values, indices); max(input, other)."""
    return _minmax("max", input, dim, keepdim, other)


@register("min", method=True, out=True)
def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """min(input) -> value; min(input, dim, keepdim) -> (values, indices); min(input, other)."""
    return _minmax("min", input, dim, keepdim, other)


def _amax_grad(x: Tensor, r: Tensor, grad: Tensor, axes: tuple | None, keepdim: bool) -> Tensor:
    """Split grad equally among the elements equal to the reduced value (torch's amax rule)."""
    shape = x._data.shape
    ks = keep_shape(shape, axes)
    ra = r._data.reshape(ks)
    mask = x._data == ra
    cnt = mask.sum(axis=axes, keepdims=True)
    if not keepdim:
        grad = grad.reshape(ks)
    # a multiply, not a mask: torch's formula gives NaN when the result is NaN (no ties)
    return grad / make(cnt, D.int64, x.device) * const(mask, grad.dtype, x.device)


class AmaxBackward0(Node):
    def __init__(self, axes: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.axes, self.keepdim = axes, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        x, r = self.saved_tensors
        return _amax_grad(x, r, grad, self.axes, self.keepdim)


AminBackward0 = named("AminBackward0", AmaxBackward0)


def _amaxmin(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    no_complex(name, input, name.replace("a", "", 1) + "_values_cpu")
    a = input._data
    axes = axes_of(dim, a.ndim)
    empty_error(name, a, axes)
    r = a.max(axis=axes, keepdims=keepdim) if name == "amax" else \
        a.min(axis=axes, keepdims=keepdim)
    out = wrap(r, input.dtype, input.device)
    if grad_on(input):
        node = (AmaxBackward0 if name == "amax" else AminBackward0)(axes, keepdim)
        node.save(input)
        attach(node, (input,), (out,))
        node.save_outputs(out)
    return out


@register("amax", method=True, out=True)
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over several dims (dim=() is all); the gradient is split among ties."""
    return _amaxmin("amax", input, dim, keepdim)


@register("amin", method=True, out=True)
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over several dims (dim=() is all); the gradient is split among ties."""
    return _amaxmin("amin", input, dim, keepdim)


class AminmaxBackward0(Node):
    def __init__(self, axes: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.axes, self.keepdim = axes, keepdim

    def backward(self, gmin: Tensor, gmax: Tensor) -> Tensor:
        x, rmin, rmax = self.saved_tensors
        return (_amax_grad(x, rmin, gmin, self.axes, self.keepdim) +
                _amax_grad(x, rmax, gmax, self.axes, self.keepdim))


@register("aminmax", method=True, out=True)
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """(min, max) over one dim or everything, as ember.return_types.aminmax."""
    no_complex("aminmax", input, "aminmax_cpu")
    a = input._data
    axes = None if dim is None else axes_of(dim, a.ndim)
    if axes is None and a.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    for d in axes or ():
        if a.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    lo = wrap(a.min(axis=axes, keepdims=keepdim), input.dtype, input.device)
    hi = wrap(a.max(axis=axes, keepdims=keepdim), input.dtype, input.device)
    if grad_on(input):
        node = AminmaxBackward0(axes, keepdim)
        node.save(input)
        attach(node, (input,), (lo, hi))
        node.save_outputs(lo, hi)
    return _aminmax_t(lo, hi)


def _arg(name: str, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    if input.dtype is D.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if input.dtype.category == D.COMPLEX:
        raise RuntimeError(f"{name}(): does not support complex input")
    a = ordered(input._data)
    if dim is None:
        empty_error(name, a, None, IndexError)
        r = a.argmax() if name == "argmax" else a.argmin()
        r = as_array(r, np.int64).reshape((1,) * a.ndim if keepdim else ())
    else:
        d = norm_dim(dim, a.ndim)
        if not a.ndim:
            return make(np.zeros((), np.int64), D.int64, input.device)
        empty_error(name, a, (d,))
        r = a.argmax(axis=d, keepdims=keepdim) if name == "argmax" else \
            a.argmin(axis=d, keepdims=keepdim)
    return wrap(r, D.int64, input.device)


@register("argmax", method=True, out=True, differentiable=False)
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) maximum; over the flattened tensor when dim is None."""
    return _arg("argmax", input, dim, keepdim)


@register("argmin", method=True, out=True, differentiable=False)
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) minimum; over the flattened tensor when dim is None."""
    return _arg("argmin", input, dim, keepdim)


# ------------------------------------------------------------------ any / all / count_nonzero
def _anyall(input: Tensor, dim: Any, keepdim: bool, fn: Any) -> Tensor:
    a = input._data
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        norm_dims(dim, a.ndim)
        r = a.astype(np.bool_)  # torch reduces over no dim here (unlike sum)
    else:
        r = fn(a, axis=axes_of(dim, a.ndim), keepdims=keepdim)
    if input.dtype is D.uint8:
        return wrap(r, D.uint8, input.device)
    return wrap(r, D.bool_, input.device)


@register("any", method=True, out=True, differentiable=False)
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where any element is nonzero; uint8 inputs give uint8, as in torch."""
    return _anyall(input, dim, keepdim, np.any)


@register("all", method=True, out=True, differentiable=False)
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where all elements are nonzero; uint8 inputs give uint8, as in torch."""
    return _anyall(input, dim, keepdim, np.all)


@register("count_nonzero", method=True, differentiable=False)
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of nonzero elements (over `dim`; dim=() is all), as int64."""
    a = input._data
    axes = None if dim is None else axes_of(dim, a.ndim)
    return wrap(np.count_nonzero(a, axis=axes), D.int64, input.device)


# ------------------------------------------------------------------ logsumexp
class LogsumexpBackward0(Node):
    def __init__(self, axes: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.axes, self.keepdim = axes, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        x, r = self.saved_tensors
        if x.dtype is not r.dtype:
            x = x.to(r.dtype)
        if not self.keepdim:
            ks = keep_shape(x._data.shape, self.axes)
            grad, r = grad.reshape(ks), r.reshape(ks)
        return grad * exp_(x - r)


@register("logsumexp", method=True, out=True)
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over dim, computed stably; integer inputs give the default float."""
    dt = input.dtype
    if dt.category == D.COMPLEX:
        raise NotImplementedError("logsumexp(): complex inputs are not implemented in ember")
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        raise RuntimeError(f"logsumexp(): output with shape [] doesn't match the broadcast "
                           f"shape {[1] * input._data.ndim}")
    odt = dt if dt.category == D.FLOAT else D.get_default_dtype()
    a = input._data.astype(np.float32 if odt.itemsize == 2 else odt.np, copy=False)
    axes = axes_of(dim, a.ndim)
    if a.size:
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, xp_of(m).zeros((), m.dtype))
    else:
        m = xp_of(a).zeros(keep_shape(a.shape, axes), a.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
    if not keepdim:
        r = r.reshape(tuple(s for i, s in enumerate(a.shape) if axes is not None and
                            i not in axes))
    out = wrap(r, odt, input.device)
    if grad_on(input):
        node = LogsumexpBackward0(axes, keepdim)
        node.save(input)
        attach(node, (input,), (out,))
        node.save_outputs(out)
    return out


# statistics.py belongs to this family; imported here so that it is registered even before
# ember/ops/__init__.py lists it (cumulative.py is imported above).
from . import statistics as _statistics  # noqa: E402,F401
