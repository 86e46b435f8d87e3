"""Shared pieces of the reduction, statistics and sorting families.

`return_types` (torch's named tuples), dim/shape helpers, and small differentiable helpers
(masking, gather/scatter along a dim, exp, pow, reverse cumsum) that backward formulas are
written with, so double backward works without depending on other families.
"""

from __future__ import annotations

import collections
import sys
import types
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.graph import Node
from ..backends import add_at, as_array, contig, like, sparse_indices, xp_of
from ._core import _tname, attach, grad_on, norm_dim, norm_dims

# ------------------------------------------------------------------ return types
return_types = types.ModuleType("ember.return_types",
                                "Named tuples returned by ops (torch.return_types).")
sys.modules.setdefault("ember.return_types", return_types)


def _structseq_repr(self: tuple) -> str:
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))  # type: ignore
    return f"ember.return_types.{type(self).__name__}(\n{body})"


def structseq(name: str, fields: tuple = ("values", "indices")) -> type:
    """A named tuple class published as ember.return_types.<name>, with torch's repr."""
    cls = collections.namedtuple(name, fields, module="ember.return_types")  # type: ignore
    # a runtime class patch: mypy forbids assigning methods and reads __repr__ as object's
    cls.__repr__ = _structseq_repr  # type: ignore[method-assign, assignment]
    setattr(return_types, name, cls)
    return cls


# ------------------------------------------------------------------ shared helpers
def axes_of(dim: Any, nd: int) -> tuple | None:
    """Reduced axes for a dim argument: None for all (dim None or ()); () on a 0-d tensor."""
    if dim is None:
        return None
    if isinstance(dim, int):
        d = norm_dim(dim, nd)
        return (d,) if nd else ()
    if len(dim) == 0:
        return None
    axes = norm_dims(dim, nd)
    return axes if nd else ()


def keep_shape(shape: tuple, axes: tuple | None) -> tuple:
    """`shape` with the reduced axes kept as size 1 (what keepdim=True gives)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def count(shape: tuple, axes: tuple | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


def wrap(r: Any, dt: D.dtype, dev: Any) -> Tensor:
    """A reduction result (array or NumPy scalar) as a tensor of dtype dt."""
    if isinstance(r, np.generic):
        r = as_array(r)
    if r.dtype != dt.np:
        r = r.astype(dt.np)
    return make(r, dt, dev)


def ordered(a: Any) -> Any:
    """An array NumPy orders correctly and fast: half types widen (exactly) to float32."""
    if a.dtype == np.float16 or a.dtype == D.bfloat16.np:
        return a.astype(np.float32)
    return a


def isnan(a: Any) -> Any:
    """np.isnan for any dtype (all False for integers and bool)."""
    if a.dtype.kind in "fc" or a.dtype == D.bfloat16.np:
        return np.isnan(a)
    return xp_of(a).zeros(a.shape, np.bool_)


def const(a: Any, dt: D.dtype, dev: Any) -> Tensor:
    return make(as_array(a).astype(dt.np), dt, dev)


def acc(a: Any, dt: D.dtype) -> Any:
    """Half-precision sums accumulate in float32, as torch's CPU kernels do."""
    if dt is D.float16 or dt is D.bfloat16:
        return a.astype(np.float32)
    return a


def named(name: str, base: type) -> type:
    return type(name, (base,), {})


class MaskBackward(Node):
    """Backward of mask0: mask the gradient the same way (the op is self-adjoint)."""

    def __init__(self, keep: Any) -> None:
        super().__init__()
        self.keep = keep

    def name(self) -> str:
        return "WhereBackward0"

    def backward(self, grad: Tensor) -> Tensor:
        return mask0(grad, self.keep)


def mask0(x: Tensor, keep: Any) -> Tensor:
    """where(keep, x, 0) for a constant boolean array `keep` (0 * inf would give nan)."""
    a = x._data
    if type(a) is np.ndarray:
        z = np.zeros((), a.dtype)
    else:
        keep, z = like(a, keep), xp_of(a).zeros((), a.dtype)
    out = make(np.where(keep, a, z), x.dtype, x.device)
    if grad_on(x):
        attach(MaskBackward(keep), (x,), (out,))
    return out


def _full_index(idx: Any, dim: int) -> tuple:
    ix = sparse_indices(idx.shape, xp_of(idx))
    ix[dim] = idx
    return tuple(ix)


class GatherBackward0(Node):
    def __init__(self, dim: int, idx: Any, in_shape: tuple, unique: bool) -> None:
        super().__init__()
        self.dim, self.idx, self.in_shape, self.unique = dim, idx, in_shape, unique

    def backward(self, grad: Tensor) -> Tensor:
        return scatter_dim(grad, self.dim, self.idx, self.in_shape, self.unique)


class ScatterAddBackward0(Node):
    def __init__(self, dim: int, idx: Any) -> None:
        super().__init__()
        self.dim, self.idx = dim, idx

    def backward(self, grad: Tensor) -> Tensor:
        return gather_dim(grad, self.dim, self.idx)


def gather_dim(x: Tensor, dim: int, idx: Any, unique: bool = False) -> Tensor:
    """take_along_axis(x, idx, dim), differentiable in x."""
    out = make(np.take_along_axis(x._data, idx, dim), x.dtype, x.device)
    if grad_on(x):
        attach(GatherBackward0(dim, idx, x._data.shape, unique), (x,), (out,))
    return out


def scatter_dim(src: Tensor, dim: int, idx: Any, shape: tuple, unique: bool) -> Tensor:
    """zeros(shape) with src added at idx along dim; `unique`: idx has no repeats per slice."""
    s = src._data
    if s.shape != idx.shape:
        s = np.broadcast_to(s, idx.shape)
    half = s.dtype == np.float16 or s.dtype == D.bfloat16.np
    xp = xp_of(s)
    z = xp.zeros(shape, np.float32 if half else s.dtype)
    if unique and xp is np:
        np.put_along_axis(z, idx, s, dim)
    elif unique:
        z[_full_index(like(s, idx), dim)] = s
    else:
        add_at(z, _full_index(idx, dim), s)
    out = make(z.astype(s.dtype) if half else z, src.dtype, src.device)
    if grad_on(src):
        attach(ScatterAddBackward0(dim, idx), (src,), (out,))
    return out


class SelectBackward(Node):
    """Backward of ops that pick input elements along a dim (max/min with dim, median, mode,
    sort, topk, kthvalue, cummax): scatter the gradient back to the picked places."""

    def __init__(self, in_shape: tuple, dim: int, idx: Any, unique: bool = True) -> None:
        super().__init__()
        self.in_shape, self.dim, self.idx, self.unique = in_shape, dim, idx, unique

    def backward(self, grad: Tensor) -> Tensor:
        if not self.in_shape:
            return grad
        if grad.shape != self.idx.shape:
            grad = grad.reshape(self.idx.shape)
        return scatter_dim(grad, self.dim, self.idx, self.in_shape, self.unique)


def select_result(name: str, node_cls: type, input: Tensor, values: Any, idx: Any, d: int,
                  keepdim: bool, rtype: type, unique: bool = True) -> Any:
    """(values, indices) from the kept-dim index array `idx` of a selection along dim d."""
    a = input._data
    nd = a.ndim
    vals = make(values if keepdim or not nd else np.squeeze(values, d), input.dtype,
                input.device)
    ind = make((idx if keepdim or not nd else np.squeeze(idx, d)).astype(np.int64), D.int64,
               input.device)
    if grad_on(input):
        attach(node_cls(a.shape, d, idx, unique), (input,), (vals,))
    return rtype(vals, ind)


class EvenlyBackward(Node):
    """Gradient of a full reduction that picks a value (max, min, median): split equally
    among the elements equal to the result (NaN counts as equal to a NaN result)."""

    def backward(self, grad: Tensor) -> Tensor:
        x, r = self.saved_tensors
        xa, ra = x._data, r._data
        mask = isnan(xa) if isnan(ra) else xa == ra
        return mask0((grad / int(mask.sum())).expand(xa.shape), mask)


def even_node(node_cls: type, input: Tensor, out: Tensor) -> None:
    node = node_cls()
    node.save(input)
    attach(node, (input,), (out,))
    node.save_outputs(out)


def sum_args(input: Tensor, dtype: D.dtype | None) -> tuple:
    a = input._data
    if dtype is None:
        return a, (D.int64 if input.dtype.category <= D.INT else input.dtype)
    return (a if dtype is input.dtype else a.astype(dtype.np)), dtype


def select0(input: Tensor, node_cls: type, rtype: type) -> Any:
    """A selection along the only dim of a 0-d tensor: the value itself, index 0."""
    idx = np.zeros((), np.int64)
    return select_result("", node_cls, input, input._data.copy(), idx, 0, True, rtype)


class ExpBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        (r,) = self.saved_tensors
        return grad * r


def exp_(x: Tensor) -> Tensor:
    """Differentiable exp (backward formulas of logsumexp)."""
    with np.errstate(over="ignore"):
        out = make(np.exp(x._data), x.dtype, x.device)
    if grad_on(x):
        node = ExpBackward0()
        attach(node, (x,), (out,))
        node.save_outputs(out)
    return out


class PowBackward0(Node):
    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if self.p == 0:
            return grad * 0
        return grad * (pow_(x, self.p - 1) * self.p)


def pow_(x: Tensor, p: float) -> Tensor:
    """Differentiable x ** p for a Python float p (backward formulas of norm)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = make(np.power(x._data, x.dtype.np.type(p)).astype(x.dtype.np, copy=False),
                   x.dtype, x.device)
    if grad_on(x):
        node = PowBackward0(p)
        node.save(x)
        attach(node, (x,), (out,))
    return out


def cum(fn: Any, a: Any, d: int, dt: D.dtype) -> Any:
    if dt is D.float16 or dt is D.bfloat16:
        return fn(a, axis=d, dtype=np.float32).astype(dt.np)
    return fn(a, axis=d, dtype=dt.np)


class ReverseCumsumBackward(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        from .cumulative import cumsum

        return cumsum(grad, self.dim)


def rcumsum(x: Tensor, d: int) -> Tensor:
    """Sum from each position to the end of dim d (the adjoint of cumsum)."""
    a = x._data
    if not a.ndim:
        return x
    r = np.flip(cum(np.cumsum, np.flip(a, d), d, x.dtype), d)
    out = make(contig(r), x.dtype, x.device)
    if grad_on(x):
        attach(ReverseCumsumBackward(d), (x,), (out,))
    return out


def sgn_const(x: Tensor) -> Tensor:
    """sign(x) (x/|x| for complex) as a constant: its derivative is zero where defined."""
    a = x._data
    if x.dtype.category == D.COMPLEX:
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.where(a == 0, 0, a / np.abs(a))
        return make(s.astype(a.dtype), x.dtype, x.device)
    return make(np.sign(a), x.dtype, x.device)


def abs_(x: Tensor) -> Tensor:
    """|x|, differentiable for real x (x * sign(x)); constant for complex x."""
    if x.dtype.category == D.COMPLEX:
        rd = x.dtype.to_real()
        return make(np.abs(x._data).astype(rd.np), rd, x.device)
    return x * sgn_const(x)


def check_grad_dtype(dt: D.dtype) -> None:
    """torch refuses to record autograd history on an integer or bool result."""
    if dt.category < D.FLOAT:
        raise RuntimeError(f"Autograd not support dtype: {_tname(dt)}")


def tn(dt: D.dtype) -> str:
    return _tname(dt)


def no_complex(name: str, input: Tensor, cpu_name: str | None = None) -> None:
    if input.dtype.category == D.COMPLEX:
        raise NotImplementedError(f'"{cpu_name or name}" not implemented for '
                                  f"'{tn(input.dtype)}'")


def empty_error(name: str, a: Any, axes: tuple | None, exc: type = RuntimeError) -> None:
    if axes is None:
        if a.size == 0:
            raise exc(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                      "Specify the reduction dim with the 'dim' argument.")
        return
    for d in axes:
        if a.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
