"""Statistics: var, std, var_mean, std_mean, norm (torch.norm), median, nanmedian, mode."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import accumulate, as_array, xp_of
from ._core import attach, grad_on, norm_dim
from ._reduce import (
    EvenlyBackward,
    SelectBackward,
    abs_,
    axes_of,
    const,
    count,
    even_node,
    isnan,
    keep_shape,
    mask0,
    named,
    ordered,
    pow_,
    select_result,
    sgn_const,
    structseq,
    tn,
    wrap,
)
from ._registry import register

_median_t, _nanmedian_t, _mode_t = structseq("median"), structseq("nanmedian"), structseq("mode")


# ------------------------------------------------------------------ var / std
def _correction(name: str, dim: Any, unbiased: Any, correction: Any) -> tuple:
    """Resolve torch's overloads: var(x, unbiased), var(x, dim, unbiased, keepdim),
    var(x, dim, *, correction, keepdim)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both "
                        "'unbiased' and 'correction'")
    if correction is None:
        correction = 1 if unbiased is None else int(bool(unbiased))
    return dim, correction


def _var_np(name: str, input: Tensor, axes: tuple | None, c: Any, keepdim: bool) -> tuple:
    """(var as array in the real result dtype's compute type, mean kept, real dtype, n)."""
    dt = input.dtype
    if dt.category < D.FLOAT:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    a = input._data
    if dt.itemsize == 2:
        a = a.astype(np.float32)
    n = count(a.shape, axes)
    dof = n - c
    if dof <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=5)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = a.sum(axis=axes, keepdims=True) / n if n else \
            xp_of(a).full(keep_shape(a.shape, axes), np.nan, a.dtype)
        dev = a - m
        sq = (dev.real * dev.real + dev.imag * dev.imag) if dt.category == D.COMPLEX \
            else dev * dev
        v = sq.sum(axis=axes, keepdims=keepdim) / max(dof, 0)
    return v, m, dt.to_real(), n


def _var_grad(x: Tensor, grad: Tensor, axes: tuple | None, c: Any, keepdim: bool) -> Tensor:
    shape = x._data.shape
    if not keepdim:
        grad = grad.reshape(keep_shape(shape, axes))
    dof = max(count(shape, axes) - c, 0)
    return grad * (2.0 / dof if dof else math.inf) * (x - x.mean(dim=axes, keepdim=True))


class VarBackward0(Node):
    def __init__(self, axes: tuple | None, c: Any, keepdim: bool) -> None:
        super().__init__()
        self.axes, self.c, self.keepdim = axes, c, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return _var_grad(x, grad, self.axes, self.c, self.keepdim)


class StdBackward0(VarBackward0):
    def backward(self, grad: Tensor) -> Tensor:
        x, r = self.saved_tensors
        return _var_grad(x, mask0(grad / (r * 2), r._data != 0), self.axes, self.c, self.keepdim)


class VarMeanBackward0(VarBackward0):
    # one gradient per output (two here): VarBackward0 is reused for its __init__ and fields
    def backward(self, gvar: Tensor, gmean: Tensor) -> Tensor:  # type: ignore[override]
        x, _, _ = self.saved_tensors
        return _var_grad(x, gvar, self.axes, self.c, self.keepdim) + \
            _mean_grad(x, gmean, self.axes, self.keepdim)


class StdMeanBackward0(VarBackward0):
    # one gradient per output (two here): VarBackward0 is reused for its __init__ and fields
    def backward(self, gstd: Tensor, gmean: Tensor) -> Tensor:  # type: ignore[override]
        x, r, _ = self.saved_tensors
        g = mask0(gstd / (r * 2), r._data != 0)
        return _var_grad(x, g, self.axes, self.c, self.keepdim) + \
            _mean_grad(x, gmean, self.axes, self.keepdim)


def _mean_grad(x: Tensor, grad: Tensor, axes: tuple | None, keepdim: bool) -> Tensor:
    shape = x._data.shape
    if not keepdim:
        grad = grad.reshape(keep_shape(shape, axes))
    return (grad / max(count(shape, axes), 1)).expand(shape)


def _varstd(name: str, input: Tensor, dim: Any, unbiased: Any, keepdim: bool,
            correction: Any) -> Any:
    dim, c = _correction(name, dim, unbiased, correction)
    axes = axes_of(dim, input._data.ndim)
    v, m, rdt, _ = _var_np(name, input, axes, c, keepdim)
    std = name.startswith("std")
    if std:
        v = np.sqrt(v)
    out = wrap(v, rdt, input.device)
    if not name.endswith("_mean"):
        if grad_on(input):
            node: Node = (StdBackward0 if std else VarBackward0)(axes, c, keepdim)
            node.save(input)
            attach(node, (input,), (out,))
            if std:
                node.save_outputs(out)
        return out
    mean = wrap(m if keepdim else m.reshape(out._data.shape), input.dtype, input.device)
    if grad_on(input):
        node = (StdMeanBackward0 if std else VarMeanBackward0)(axes, c, keepdim)
        node.save(input)
        attach(node, (input,), (out, mean))
        node.save_outputs(out, mean)
    return out, mean


@register("var", method=True, out=True)
def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance over dim with Bessel's `correction` (default 1; or unbiased=True/False)."""
    return _varstd("var", input, dim, unbiased, keepdim, correction)


@register("std", method=True, out=True)
def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation over dim with Bessel's `correction` (default 1)."""
    return _varstd("std", input, dim, unbiased, keepdim, correction)


@register("var_mean")
def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """(var, mean) in one pass, as a plain tuple (as torch)."""
    return _varstd("var_mean", input, dim, unbiased, keepdim, correction)


@register("std_mean")
def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """(std, mean) in one pass, as a plain tuple (as torch)."""
    return _varstd("std_mean", input, dim, unbiased, keepdim, correction)


# ------------------------------------------------------------------ norm
class LinalgVectorNormBackward0(Node):
    def __init__(self, p: float, axes: tuple | None, keepdim: bool) -> None:
        super().__init__()
        self.p, self.axes, self.keepdim = p, axes, keepdim

    def backward(self, grad: Tensor) -> Tensor:
        x, r = self.saved_tensors
        p, axes = self.p, self.axes
        if x.dtype.to_real() is not r.dtype:
            x = x.to(r.dtype if x.dtype.category != D.COMPLEX else r.dtype.to_complex())
        if not self.keepdim:
            ks = keep_shape(x._data.shape, axes)
            grad, r = grad.reshape(ks), r.reshape(ks)
        if p == 0:
            return grad * 0 * x
        if p == 1:
            return sgn_const(x) * grad
        nz = r._data != 0
        if p == 2:
            return x * mask0(grad / r, nz)
        if math.isinf(p):
            ax = np.abs(x._data)
            mask = (ax == r._data) | np.isnan(ax)
            cnt = make(mask.sum(axis=axes, keepdims=True), D.int64, x.device)
            return sgn_const(x) * (grad / cnt * const(mask, grad.dtype, x.device))
        ax = abs_(x)
        if p < 1:
            scaled = sgn_const(x) * mask0(pow_(ax, p - 1), x._data != 0)
            return scaled * grad * pow_(r, 1 - p)
        scaled = sgn_const(x) * pow_(ax, p - 1) if p < 2 else x * pow_(ax, p - 2)
        return scaled * mask0(grad / pow_(r, p - 1), nz)


def _vector_norm(input: Tensor, p: float, dim: Any, keepdim: bool, dtype: Any) -> Tensor:
    idt = input.dtype
    if idt.category < D.FLOAT:
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {tn(idt)}")
    if dtype is not None and D.promote_types(idt, dtype) is not dtype:
        raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({tn(idt)}) should be "
                           f"convertible without narrowing to the specified dtype "
                           f"({tn(dtype)})")
    cdt = dtype or idt
    rdt = cdt.to_real()
    a = input._data
    axes = axes_of(dim, a.ndim)
    if p < 0 or math.isinf(p):
        ps = ("inf" if p > 0 else "-inf") if math.isinf(p) else f"{p:g}"
        if axes is None and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ps} norm on an empty "
                               "tensor because the operation does not have an identity")
        for d in axes or ():
            if a.shape[d] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ps} norm on the "
                                   f"dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    ax = np.abs(a.astype(np.float32 if rdt.itemsize == 2 else cdt.np, copy=False))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if p == 2:
            r = np.sqrt((ax * ax).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            r = ax.sum(axis=axes, keepdims=keepdim)
        elif p == math.inf:
            r = ax.max(axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            r = ax.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            r = (ax != 0).sum(axis=axes, keepdims=keepdim, dtype=ax.dtype)
        else:
            r = np.power((ax ** p).sum(axis=axes, keepdims=keepdim), 1.0 / p)
    out = wrap(r, rdt, input.device)
    if grad_on(input):
        node = LinalgVectorNormBackward0(p, axes, keepdim)
        node.save(input)
        attach(node, (input,), (out,))
        node.save_outputs(out)
    return out


@register("norm", method=True, out=True)
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,
         dtype: D.dtype | None = None) -> Tensor:
    """torch.norm: vector p-norms (p='fro' is 2) over dim; the nuclear norm is not implemented."""
    if isinstance(p, str):
        nd = input._data.ndim
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return _vector_norm(input, 2.0, dim, keepdim, dtype)
        dims = list(range(nd)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
        if len(dims) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(str(d) for d in dims)}")
        if p == "nuc":
            raise NotImplementedError("norm(p='nuc'): the nuclear norm is not implemented in ember")
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return _vector_norm(input, 2.0 if p is None else float(p), dim, keepdim, dtype)


# ------------------------------------------------------------------ median / mode
MedianBackward0 = named("MedianBackward0", EvenlyBackward)
NanmedianBackward0 = named("NanmedianBackward0", EvenlyBackward)
MedianBackward1 = named("MedianBackward1", SelectBackward)
NanmedianBackward1 = named("NanmedianBackward1", SelectBackward)
ModeBackward0 = named("ModeBackward0", SelectBackward)


def _check_kind(name: str, input: Tensor) -> None:
    if input.dtype is D.bool_ or input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{tn(input.dtype)}\'')


def _median(name: str, input: Tensor, dim: Any, keepdim: bool) -> Any:
    _check_kind("median" if name == "median" else "nanmedian", input)
    a = input._data
    ignore_nan = name == "nanmedian"
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}() missing 1 required positional arguments: \"dim\"")
        o = ordered(a).reshape(-1)
        nan = isnan(o)
        if ignore_nan:
            o = o[~nan]
        if o.size == 0 or (not ignore_nan and nan.any()):
            fill = np.nan if input.dtype.category == D.FLOAT else np.iinfo(a.dtype).min
            r = as_array(fill).astype(a.dtype)
        else:
            r = as_array(np.partition(o, (o.size - 1) // 2)[(o.size - 1) // 2]).astype(a.dtype)
        out = make(r, input.dtype, input.device)
        if grad_on(input):
            even_node(MedianBackward0 if name == "median" else NanmedianBackward0, input, out)
        return out
    d = norm_dim(dim, a.ndim)
    rtype = _median_t if name == "median" else _nanmedian_t
    node_cls = MedianBackward1 if name == "median" else NanmedianBackward1
    if not a.ndim:
        idx = np.zeros((), np.int64)
        return select_result(name, node_cls, input, a.copy(), idx, 0, True, rtype)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    o = ordered(a)
    order = np.argsort(o, axis=d, kind="stable")  # NaNs sort last, in index order
    nn = np.logical_not(isnan(o)).sum(axis=d, keepdims=True)
    n = a.shape[d]
    if ignore_nan:
        pos = np.maximum(nn - 1, 0) // 2
    else:
        pos = np.where(nn < n, nn, (n - 1) // 2)  # a NaN in the slice: the first NaN
    idx = np.take_along_axis(order, pos, d)
    return select_result(name, node_cls, input, np.take_along_axis(a, idx, d), idx, d, keepdim,
                         rtype)


@register("median", method=True, out=True)
def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """Lower median (NaN if any NaN); with dim: (values, indices). Tie indices may differ."""
    return _median("median", input, dim, keepdim)


@register("nanmedian", method=True, out=True)
def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """Lower median of the non-NaN elements; with dim: (values, indices)."""
    return _median("nanmedian", input, dim, keepdim)


@register("mode", method=True, out=True)
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """Most frequent value along dim (the smallest among ties) and its last index."""
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f"\"mode_cpu\" not implemented for '{tn(input.dtype)}'")
    a = input._data
    d = norm_dim(dim, a.ndim)
    if not a.ndim:
        return select_result("mode", ModeBackward0, input, a.copy(), np.zeros((), np.int64), 0,
                             True, _mode_t)
    if a.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    o = np.moveaxis(ordered(a), d, -1)
    s = np.sort(o, axis=-1)
    n = s.shape[-1]
    xp = xp_of(s)
    pos = xp.arange(n)
    new_run = xp.ones(s.shape, np.bool_)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]  # NaN != NaN: each NaN is its own run
    start = accumulate(np.maximum, np.where(new_run, pos, 0), s.ndim - 1)
    run_len = pos - start + 1
    best = np.argmax(run_len == run_len.max(axis=-1, keepdims=True), axis=-1)[..., None]
    v = np.take_along_axis(s, best, -1)
    hit = (o == v) | (isnan(o) & isnan(v))
    last = np.max(np.where(hit, pos, -1), axis=-1, keepdims=True)
    idx = np.moveaxis(last, -1, d)
    return select_result("mode", ModeBackward0, input, np.take_along_axis(a, idx, d), idx, d,
                         keepdim, _mode_t)
