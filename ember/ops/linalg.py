"""Matrix products: matmul and its fast paths, mm, bmm, mv, dot, vdot, outer, kron, chain_matmul."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU as _CPU
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends import as_array
from ..backends.meta import ghost
from ._core import attach, binary_args, grad_on
from ._linalg_util import (
    _BF16,
    _F16,
    _F32,
    _F64,
    _H,
    _arr0,
    _broadcast,
    _cn,
    _conj,
    _f32,
    _no_bool,
    _prod,
    _same_device,
    _save_pair,
    _tn,
    batched_matmul,
)
from ._registry import register, register_method
from .views import UnsafeViewBackward0


# ------------------------------------------------------------------ helpers
def _matmul_arrays(a: Any, b: Any, dt: D.dtype, kernel: str) -> Any:
    """np.matmul for the dtypes that are not float32/float64 (the callers' fast case)."""
    if dt is _F16 or dt is _BF16:
        return np.matmul(a.astype(_f32), b.astype(_f32)).astype(dt.np)
    _no_bool(dt, kernel)
    return np.matmul(a, b)


def _meta_or(a: Any, b: Any, dt: D.dtype, t: Tensor, shape: tuple, kernel: str) -> Any:
    """After the checks passed: a ghost on the meta device (no FLOPs spent on zeros), else the
    product."""
    if t.device.type == "meta":
        _no_bool(dt, kernel)
        return ghost(shape, dt.np)
    return np.matmul(a, b) if dt is _F32 or dt is _F64 else _matmul_arrays(a, b, dt, kernel)


def _not_tensor(name: str, names: tuple, args: tuple) -> TypeError:
    for i, (n, a) in enumerate(zip(names, args, strict=True)):
        if not isinstance(a, Tensor):
            tp = type(a)
            tn = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
            return TypeError(f"{name}(): argument '{n}' (position {i + 1}) must be Tensor, not "
                             f"{tn}")
    return TypeError(f"{name}(): expected Tensor arguments")


class SqueezeBackward4(Node):
    def __init__(self, in_shape: tuple) -> None:
        super().__init__()
        self.in_shape = in_shape

    def backward(self, grad: Tensor) -> Tensor:
        return grad.reshape(self.in_shape)


def _unsafe_view(t: Tensor, shape: tuple, node_cls: type = UnsafeViewBackward0) -> Tensor:
    """Reshape a fresh intermediate result: no view tracking (torch's _unsafe_view)."""
    out = make(t._data.reshape(shape), t.dtype, t.device)
    if grad_on(t):
        attach(node_cls(tuple(t._data.shape)), (t,), (out,))
    return out


# ------------------------------------------------------------------ backward nodes
class MmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        dt = grad.dtype
        if not _gm.enabled and (dt is _F32 or dt is _F64) and grad._data.__class__ is np.ndarray:
            g = grad._data  # no graph to build: two GEMMs on the arrays (real: no conj)
            return (make(np.dot(g, b._data.T), dt, grad.device) if nf[0][0] is not None
                    else None,
                    make(np.dot(a._data.T, g), dt, grad.device) if nf[1][0] is not None
                    else None)
        return (mm(grad, _H(b)) if nf[0][0] is not None else None,
                mm(_H(a), grad) if nf[1][0] is not None else None)


class BmmBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        return (bmm(grad, _H(b)) if nf[0][0] is not None else None,
                bmm(_H(a), grad) if nf[1][0] is not None else None)


class MvBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        m, v = self.saved_tensors
        nf = self.next_functions
        return (outer(grad, _conj(v)) if nf[0][0] is not None else None,
                mv(_H(m), grad) if nf[1][0] is not None else None)


class DotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        return (grad * _conj(b) if nf[0][0] is not None else None,
                grad * _conj(a) if nf[1][0] is not None else None)


class VdotBackward0(Node):
    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        return (_conj(grad) * b if nf[0][0] is not None else None,
                grad * a if nf[1][0] is not None else None)



# ------------------------------------------------------------------ mm, bmm, mv, dot, vdot
def _mm_error(input: Tensor, mat2: Tensor) -> None:
    a, b = input._data, mat2._data
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if mat2.dtype is not input.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cn(input)} != "
                           f"{_cn(mat2)}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {b.shape[0]}x{b.shape[1]})")
    _same_device("mm", input, mat2)


def _mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors of the same dtype."""
    try:
        a, b = input._data, mat2._data
    except AttributeError:
        raise _not_tensor("mm", ("input", "mat2"), (input, mat2)) from None
    dt = input.dtype
    if a.ndim != 2 or b.ndim != 2 or mat2.dtype is not dt or a.shape[1] != b.shape[0] or \
            mat2.device is not input.device or input.device is not _CPU:
        _mm_error(input, mat2)
        r = _meta_or(a, b, dt, input, (a.shape[0], b.shape[1]), "addmm_impl_cpu_")
    else:
        # np.dot reaches the same GEMM as np.matmul with less per-call overhead for 2-d operands
        r = np.dot(a, b) if dt is _F32 or dt is _F64 else _matmul_arrays(a, b, dt,
                                                                         "addmm_impl_cpu_")
    out = make(r, dt, input.device)
    if _gm.enabled and (input._requires_grad or mat2._requires_grad):
        node = MmBackward0()
        _save_pair(node, input, mat2)
        attach(node, (input, mat2), (out,))
    return out


mm = register("mm", method=True, out=True)(_mm)


def _bmm_error(input: Tensor, mat2: Tensor) -> None:
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    if mat2.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_tn(input)} but found {_tn(mat2)}")
    _same_device("bmm", input, mat2)


@register("bmm", method=True, out=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-d tensors with equal batch sizes (no broadcasting)."""
    try:
        a, b = input._data, mat2._data
    except AttributeError:
        raise _not_tensor("bmm", ("input", "mat2"), (input, mat2)) from None
    dt = input.dtype
    if a.ndim != 3 or b.ndim != 3 or mat2.dtype is not dt or a.shape[0] != b.shape[0] or \
            a.shape[2] != b.shape[1] or mat2.device is not input.device or \
            input.device is not _CPU:
        _bmm_error(input, mat2)
        r = _meta_or(a, b, dt, input, (a.shape[0], a.shape[1], b.shape[2]), "bmm")
    else:
        r = batched_matmul(a, b) if dt is _F32 or dt is _F64 else _matmul_arrays(a, b, dt, "bmm")
    out = make(r, dt, input.device)
    if _gm.enabled and (input._requires_grad or mat2._requires_grad):
        node = BmmBackward0()
        _save_pair(node, input, mat2)
        attach(node, (input, mat2), (out,))
    return out


def _mv_error(input: Tensor, vec: Tensor, inp: Tensor | None = None) -> None:
    a, b = input._data, vec._data
    ni = inp._data.ndim if inp is not None else 1
    if a.ndim != 2 or b.ndim != 1 or ni > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {ni}, {a.ndim}, {b.ndim}")
    first = inp if inp is not None else vec
    if vec.dtype is not input.dtype or first.dtype is not input.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_tn(first)}, "
                           f"{_tn(input)}, and {_tn(vec)}")
    n = inp._data.shape[0] if inp is not None and inp._data.ndim == 1 else a.shape[0]
    if a.shape[1] != b.shape[0] or n not in (a.shape[0], 1):
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({a.shape[0]}x{a.shape[1]}), "
                           f"vec ({b.shape[0]})")
    _same_device("mv", input, vec)


@register("mv", method=True, out=True)
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    try:
        a, b = input._data, vec._data
    except AttributeError:
        raise _not_tensor("mv", ("input", "vec"), (input, vec)) from None
    dt = input.dtype
    if a.ndim != 2 or b.ndim != 1 or vec.dtype is not dt or a.shape[1] != b.shape[0] or \
            vec.device is not input.device:
        _mv_error(input, vec)
    r = np.dot(a, b) if dt is _F32 or dt is _F64 else _matmul_arrays(a, b, dt, "addmv_impl_cpu")
    out = make(r, dt, input.device)
    if _gm.enabled and (input._requires_grad or vec._requires_grad):
        node = MvBackward0()
        _save_pair(node, input, vec)
        attach(node, (input, vec), (out,))
    return out


def _dot_error(input: Tensor, other: Tensor) -> None:
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if other.dtype is not input.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_tn(input)} and {_tn(other)}")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    _same_device("dot", input, other)


def _dot_like(name: str, fn: Any, node_cls: type, input: Tensor, other: Tensor) -> Tensor:
    try:
        a, b = input._data, other._data
    except AttributeError:
        raise _not_tensor(name, ("input", "tensor" if name == "dot" else "other"),
                          (input, other)) from None
    dt = input.dtype
    if a.ndim != 1 or b.ndim != 1 or other.dtype is not dt or a.shape[0] != b.shape[0] or \
            other.device is not input.device:
        _dot_error(input, other)
    if dt is _F16 or dt is _BF16:
        r = as_array(fn(a.astype(_f32), b.astype(_f32))).astype(dt.np)
    else:
        _no_bool(dt, "dot")
        r = _arr0(fn(a, b))
    out = make(r, dt, input.device)
    if _gm.enabled and (input._requires_grad or other._requires_grad):
        node = node_cls()
        _save_pair(node, input, other)
        attach(node, (input, other), (out,))
    return out


@register("dot", method=True, out=True)
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors of the same dtype (no conjugation)."""
    return _dot_like("dot", np.dot, DotBackward0, input, tensor)


@register("vdot", method=True, out=True)
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-d tensors, conjugating the first."""
    return _dot_like("vdot", np.vdot, VdotBackward0, input, other)


# ------------------------------------------------------------------ matmul
def _matmul_error(a: Tensor, b: Tensor) -> None:
    """Raise the error torch gives for this pair (its matmul dispatches by dims to dot / mv /
    mm / bmm, whose messages users see)."""
    sa, sb = tuple(a._data.shape), tuple(b._data.shape)
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {na}D "
                           f"and {nb}D")
    _same_device("matmul", a, b)
    if na == 1 and nb == 1:
        _dot_error(a, b)
    if nb == 1:  # (folded) matrix @ vector
        n = _prod(sa[:-1])
        if b.dtype is not a.dtype:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_tn(b)}, "
                               f"{_tn(a)}, and {_tn(b)}")
        if sa[-1] != sb[0]:
            raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{sa[-1]}), "
                               f"vec ({sb[0]})")
        return
    if nb == 2 and na <= 2 or na >= 3 and nb == 2:  # (folded) mm
        n = _prod(sa[:-1])
        if b.dtype is not a.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cn(a)} != "
                               f"{_cn(b)}")
        if sa[-1] != sb[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{sa[-1]} and "
                               f"{sb[0]}x{sb[1]})")
        return
    batch = _broadcast(sa[:-2], sb[:-2])
    nbatch = _prod(batch)
    k = sa[-1]
    if k != sb[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nbatch}, {k}] but got: [{nbatch}, {sb[-2]}].")
    if b.dtype is not a.dtype:
        raise RuntimeError(f"expected scalar type {_tn(a)} but found {_tn(b)}")


def _matmul_shape(sa: tuple, sb: tuple) -> tuple:
    return _broadcast(sa[:-2], sb[:-2]) + (sa[-2:-1] if len(sa) > 1 else ()) + \
        (sb[-1:] if len(sb) > 1 else ())


def _matmul_graph(input: Tensor, other: Tensor) -> Tensor:
    """matmul built from mm / mv / dot / bmm and views, as torch composes it, so the graph and
    its grad_fn names match torch's (UnsafeViewBackward0 over MmBackward0 or BmmBackward0)."""
    sa, sb = tuple(input._data.shape), tuple(other._data.shape)
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        _matmul_error(input, other)
    if na == 1 and nb == 1:
        return dot(input, other)
    if na == 2 and nb == 1:
        return mv(input, other)
    if na == 1 and nb == 2:
        return _unsafe_view(mm(input.unsqueeze(0), other), (sb[1],), SqueezeBackward4)
    if na == 2 and nb == 2:
        return _mm(input, other)  # the implementation: the dispatch already ran in matmul
    if nb <= 2:  # fold the batch of input into the rows of one mm: one GEMM, no batch reduce
        folded = input.reshape(_prod(sa[:-1]), sa[-1])
        if nb == 2:
            return _unsafe_view(mm(folded, other), sa[:-1] + (sb[1],))
        return _unsafe_view(mv(folded, other), sa[:-1])
    a2 = input if na > 1 else input.unsqueeze(0)
    b2 = other if nb > 1 else other.unsqueeze(-1)
    ma, mb = tuple(a2.shape[-2:]), tuple(b2.shape[-2:])
    batch = _broadcast(sa[:-2], sb[:-2])
    nbatch = _prod(batch)
    a3 = a2.expand(batch + ma).reshape((nbatch,) + ma)
    b3 = b2.expand(batch + mb).reshape((nbatch,) + mb)
    shape = batch + ((ma[0],) if na > 1 else ()) + ((mb[1],) if nb > 1 else ())
    return _unsafe_view(bmm(a3, b3), shape)


def _matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with torch's rules for 1-d operands and batch broadcasting; no dtype
    promotion (mixed dtypes raise)."""
    try:
        a, b = input._data, other._data
    except AttributeError:
        raise _not_tensor("matmul", ("input", "other"), (input, other)) from None
    if _gm.enabled and (input._requires_grad or other._requires_grad):
        if a.ndim == 2 and b.ndim == 2:
            return _mm(input, other)
        return _matmul_graph(input, other)
    dt = input.dtype
    if other.dtype is not dt or not a.ndim or not b.ndim or other.device is not input.device or \
            input.device is not _CPU:  # the CPU device is a singleton: others take this branch
        _matmul_error(input, other)
        if input.device.type == "meta":
            return make(ghost(_matmul_shape(a.shape, b.shape), dt.np), dt, input.device)
    try:
        if dt is _F32 or dt is _F64:
            if a.ndim <= 2 and b.ndim <= 2:
                r = np.dot(a, b)  # same GEMM as np.matmul, less per-call overhead
            elif b.ndim == 2 and a.flags.c_contiguous and a.size:
                # one GEMM over the folded batch instead of NumPy's loop of small ones
                r = np.dot(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
            else:
                r = batched_matmul(a, b)
        else:
            r = _matmul_arrays(a, b, dt, "dot" if a.ndim == 1 and b.ndim == 1 else
                               "addmv_impl_cpu" if b.ndim == 1 else
                               "addmm_impl_cpu_" if b.ndim == 2 else "bmm")
    except ValueError:
        _matmul_error(input, other)
        raise
    if a.ndim == 1 and b.ndim == 1:
        r = _arr0(r)
    return make(r, dt, input.device)


matmul = register("matmul", method=True, out=True)(_matmul)


def _dunder_matmul(self: Tensor, other: Any) -> Any:
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul(self, other)


def _dunder_rmatmul(self: Tensor, other: Any) -> Any:
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul(other, self)


register_method("__matmul__", _dunder_matmul)
register_method("__rmatmul__", _dunder_rmatmul)


# ------------------------------------------------------------------ outer, kron
@register("outer", method=True, out=True, aliases=("ger",))
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-d tensors (promotes like mul)."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    if grad_on(input, vec2):
        return input.reshape(input._data.shape[0], 1) * vec2
    x, y, dt, dev = binary_args("outer", input, vec2)
    return make(x[:, None] * y, dt, dev)


def _kron_shapes(sa: tuple, sb: tuple) -> tuple:
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + tuple(sa)
    sb = (1,) * (n - len(sb)) + tuple(sb)
    ra = tuple(v for s in sa for v in (s, 1))
    rb = tuple(v for s in sb for v in (1, s))
    return ra, rb, tuple(x * y for x, y in zip(sa, sb, strict=True))


@register("kron", method=True, out=True)
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product (promotes like mul; the smaller rank is padded with leading 1s)."""
    ra, rb, shape = _kron_shapes(input._data.shape, other._data.shape)
    if grad_on(input, other):
        return _unsafe_view(input.reshape(ra) * other.reshape(rb), shape)
    x, y, dt, dev = binary_args("kron", input, other)
    return make((x.reshape(ra) * y.reshape(rb)).reshape(shape), dt, dev)


# ------------------------------------------------------------------ chain_matmul / multi_dot
def _chain_order(dims: list) -> list:
    """Matrix-chain DP: split[i][j] is where to split the product of matrices i..j."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if best is None or c < best:
                    best, split[i][j] = c, k
            cost[i][j] = best  # type: ignore[assignment]
    return split


def multi_dot(tensors: Any) -> Tensor:
    """linalg.multi_dot: a chain of matrix products in the cheapest order (the first and last
    tensors may be 1-d). Not published here: ember.linalg belongs to another module."""
    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(ts):
        nd = t._data.ndim
        if i == 0 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {nd}D")
        if i == n - 1 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {nd}D")
        if 0 < i < n - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
        if t.dtype is not ts[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {_cn(ts[0])} and tensor {i} {_cn(t)}")
    first_1d, last_1d = ts[0]._data.ndim == 1, ts[-1]._data.ndim == 1
    if first_1d:
        ts[0] = ts[0].unsqueeze(0)
    if last_1d:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i in range(n - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(ts[i].shape)} and {list(ts[i + 1].shape)} cannot be "
                               "multiplied")
    if n == 2:
        r = mm(ts[0], ts[1])
    else:
        split = _chain_order([ts[0].shape[0]] + [t.shape[1] for t in ts])

        def prod(i: int, j: int) -> Tensor:
            if i == j:
                return ts[i]
            k = split[i][j]
            return mm(prod(i, k), prod(k + 1, j))

        r = prod(0, n - 1)
    shape = tuple(r.shape)
    shape = shape[1:] if first_1d else shape
    shape = shape[:-1] if last_1d else shape
    return r.reshape(shape)


@register("chain_matmul", out=True)
def chain_matmul(*matrices: Tensor) -> Tensor:
    """Product of 2-d tensors in the cheapest order (deprecated in torch, with its warning)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=3)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for t in matrices:
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)
