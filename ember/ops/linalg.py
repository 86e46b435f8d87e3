"""Linear algebra products: matmul and its special cases (mm, bmm, mv, dot, vdot), the fused
add-products (addmm, addmv, addbmm, baddbmm, addr), inner/outer/kron/tensordot, einsum, trace,
diag, diag_embed, cross and chain_matmul.

Matrix products never promote (mixed dtypes raise, as in torch); float16/bfloat16 are computed
in float32 and rounded once, as torch's CPU kernels accumulate in float32 (NumPy has no BLAS
path for half types: its own float16 matmul is ~100x slower).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU as _CPU
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ..backends.meta import ghost
from ._core import (
    _tname,
    attach,
    binary_args,
    check_same_device,
    grad_on,
    make_inplace,
    norm_dim,
    result_type,
)
from ._registry import register, register_method
from .views import UnsafeViewBackward0, diagonal, view_scatter

_F32, _F64, _F16, _BF16, _BOOL = D.float32, D.float64, D.float16, D.bfloat16, D.bool_
_f32 = np.dtype(np.float32)

# the C++ scalar names torch prints in mm/multi_dot dtype errors
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


# ------------------------------------------------------------------ helpers
def _cn(t: Tensor) -> str:
    return _CNAME[t.dtype.name]


def _tn(t: Tensor) -> str:
    return _tname(t.dtype)


def _half(dt: D.dtype) -> bool:
    return dt is _F16 or dt is _BF16


def _up(a: Any, dt: D.dtype) -> Any:
    """The array in the dtype the product is computed in (float32 for half types)."""
    return a.astype(_f32) if dt is _F16 or dt is _BF16 else a


def _down(r: Any, dt: D.dtype) -> Any:
    return r.astype(dt.np) if dt is _F16 or dt is _BF16 else r


def _no_bool(dt: D.dtype, kernel: str) -> None:
    if dt is _BOOL:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


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


def _arr0(r: Any) -> Any:
    """NumPy reductions to 0-d return scalars; tensors hold arrays."""
    return np.asarray(r) if isinstance(r, np.generic) else r


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _not_tensor(name: str, names: tuple, args: tuple) -> TypeError:
    for i, (n, a) in enumerate(zip(names, args, strict=True)):
        if not isinstance(a, Tensor):
            tp = type(a)
            tn = tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
            return TypeError(f"{name}(): argument '{n}' (position {i + 1}) must be Tensor, not "
                             f"{tn}")
    return TypeError(f"{name}(): expected Tensor arguments")


def _same_device(name: str, *ts: Tensor) -> None:
    d0 = ts[0].device
    for t in ts[1:]:
        if t.device is not d0 and t.device != d0:
            check_same_device(name, ts[0], t)


def _broadcast(sa: tuple, sb: tuple) -> tuple:
    """torch's infer_size: the broadcast shape, or its error naming the first bad dim."""
    n = max(len(sa), len(sb))
    out = [0] * n
    for i in range(n - 1, -1, -1):
        ia, ib = i - n + len(sa), i - n + len(sb)
        x = sa[ia] if ia >= 0 else 1
        y = sb[ib] if ib >= 0 else 1
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                               f"at non-singleton dimension {i}")
        out[i] = y if x == 1 else x
    return tuple(out)


def _check_expand(in_shape: tuple, target: tuple, dt: D.dtype) -> None:
    """`input` of the add-products must expand to the product's shape (torch's expand errors)."""
    if len(in_shape) > len(target):
        raise RuntimeError(f"expand(torch.{_tname(dt)}Tensor{{{list(in_shape)}}}, size="
                           f"{list(target)}): the number of sizes provided ({len(target)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({len(in_shape)})")
    lead = len(target) - len(in_shape)
    for i, s in enumerate(in_shape):
        if s != 1 and s != target[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must match "
                               f"the existing size ({s}) at non-singleton dimension {lead + i}.  "
                               f"Target sizes: {list(target)}.  Tensor sizes: {list(in_shape)}")


def _scalar(s: Any, dt: D.dtype, name: str, strict_int: bool = False) -> Any:
    """alpha/beta as the kernel uses them: truncated for integer dtypes (addr raises instead),
    and a complex value is only accepted by complex dtypes."""
    if isinstance(s, Tensor):
        s = s.item()
    cat = dt.category
    if cat == D.COMPLEX:
        return s
    if isinstance(s, complex):
        if s.imag != 0:
            ctype = "int64_t" if cat <= D.INT else "double" if dt is _F64 else "float"
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        s = s.real
    if cat <= D.INT:
        if isinstance(s, float):
            if strict_int:
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a "
                                   "floating point number.")
            return int(s)
        return bool(s) if dt is _BOOL else int(s)
    return int(s) if isinstance(s, bool) else s


def _cj(s: Any) -> Any:
    return s.conjugate() if isinstance(s, complex) else s


def _scale(t: Tensor, s: Any) -> Tensor:
    return t if s == 1 else t * _cj(s)


def _conj(t: Tensor) -> Tensor:
    """Complex conjugate for backward formulas (no op at all for real dtypes)."""
    return t.conj() if t.dtype.category == D.COMPLEX else t


def _H(t: Tensor) -> Tensor:
    """Conjugate transpose of the last two dims."""
    return _conj(t.transpose(-2, -1))


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


class _AddProduct(Node):
    """Backward of beta * input + alpha * product(x, y)."""

    def __init__(self, beta: Any, alpha: Any) -> None:
        super().__init__()
        self.beta, self.alpha = beta, alpha

    def backward(self, grad: Tensor) -> tuple:
        x, y = self.saved_tensors
        nf = self.next_functions
        gi = _scale(grad, self.beta) if nf[0][0] is not None else None
        gx = _scale(self.grad_x(grad, y), self.alpha) if nf[1][0] is not None else None
        gy = _scale(self.grad_y(grad, x), self.alpha) if nf[2][0] is not None else None
        return gi, gx, gy

    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        raise NotImplementedError


class AddmmBackward0(_AddProduct):
    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        return mm(grad, _H(y))

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        return mm(_H(x), grad)


class AddmvBackward0(_AddProduct):
    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        return outer(grad, _conj(y))

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        return mv(_H(x), grad)


class BaddbmmBackward0(_AddProduct):
    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        return bmm(grad, _H(y))

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        return bmm(_H(x), grad)


class AddbmmBackward0(_AddProduct):
    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        return matmul(grad, _H(y))  # grad (n, p) broadcasts over the batch

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        return matmul(_H(x), grad)


class AddrBackward0(_AddProduct):
    def __init__(self, beta: Any, alpha: Any, dt: D.dtype) -> None:
        super().__init__(beta, alpha)
        self.dt = dt  # addr promotes: the vectors are used in the result dtype

    def grad_x(self, grad: Tensor, y: Tensor) -> Tensor:
        return mv(grad, _conj(y if y.dtype is self.dt else y.to(self.dt)))

    def grad_y(self, grad: Tensor, x: Tensor) -> Tensor:
        return mv(grad.t(), _conj(x if x.dtype is self.dt else x.to(self.dt)))


def _save_pair(node: Node, x: Tensor, y: Tensor) -> None:
    """Save only what the gradients need (torch does too: an in-place update of a tensor that
    no formula reads must not raise at backward)."""
    node.save(x if y._requires_grad else None, y if x._requires_grad else None)


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
        r = np.matmul(a, b) if dt is _F32 or dt is _F64 else _matmul_arrays(a, b, dt, "bmm")
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
        r = np.asarray(fn(a.astype(_f32), b.astype(_f32))).astype(dt.np)
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
        return mm(input, other)
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
                r = np.matmul(a, b)
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


# ------------------------------------------------------------------ add-products
def _add_into(r: Any, input: Any, beta: Any, dt: D.dtype) -> Any:
    """r (a fresh product array) += beta * input; beta == 0 ignores input (nan included)."""
    if beta != 0:
        x = _up(input, dt)
        if beta == 1:
            r += x
        else:
            r += x * beta
    return r


def _finish_add(node_cls: type, r: Any, dt: D.dtype, input: Tensor, x: Tensor,
                y: Tensor, beta: Any, alpha: Any) -> Tensor:
    out = make(_down(r, dt), dt, input.device)
    if _gm.enabled and (input._requires_grad or x._requires_grad or y._requires_grad):
        node = node_cls(beta, alpha)
        _save_pair(node, x, y)
        attach(node, (input, x, y), (out,))
    return out


def _product(x: Any, y: Any, shape: tuple, alpha: Any, dt: D.dtype, dev: Any) -> Any:
    """alpha * (x @ y) in the compute dtype; alpha == 0 ignores the product (nan included), and
    meta tensors spend no FLOPs on their zeros."""
    if alpha == 0 or dev.type == "meta":
        return np.zeros_like(x, dtype=_f32 if _half(dt) else dt.np, shape=shape)
    # np.dot: less call overhead than np.matmul for BLAS dtypes (NumPy's integer dot is slower)
    r = (np.dot if x.ndim <= 2 and dt.category >= D.FLOAT else np.matmul)(_up(x, dt), _up(y, dt))
    if alpha != 1:
        r *= alpha
    return r


@register("addmm", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: addmm(*a, **k), "addmm"))
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1,
          alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    m1, m2 = mat1._data, mat2._data
    if m1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {m1.ndim}-D tensor")
    if m2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {m2.ndim}-D tensor")
    dt = mat1.dtype
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tn(input)} and "
                           f"{_tn(mat2)}")
    if mat2.dtype is not dt:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tn(mat1)} and "
                           f"{_tn(mat2)}")
    if m1.shape[1] != m2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1.shape[0]}x"
                           f"{m1.shape[1]} and {m2.shape[0]}x{m2.shape[1]})")
    shape = (m1.shape[0], m2.shape[1])
    if input._data.shape != shape:
        _check_expand(input._data.shape, shape, dt)
    _same_device("addmm", input, mat1, mat2)
    _no_bool(dt, "addmm_impl_cpu_")
    beta, alpha = _scalar(beta, dt, "beta"), _scalar(alpha, dt, "alpha")
    r = _add_into(_product(m1, m2, shape, alpha, dt, input.device), input._data, beta, dt)
    return _finish_add(AddmmBackward0, r, dt, input, mat1, mat2, beta, alpha)


@register("addmv", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: addmv(*a, **k), "addmv"))
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    m, v = mat._data, vec._data
    dt = mat.dtype
    if m.ndim != 2 or v.ndim != 1 or input._data.ndim > 1 or vec.dtype is not dt or \
            input.dtype is not dt or m.shape[1] != v.shape[0] or \
            input._data.shape not in ((), (1,), (m.shape[0],)):
        _mv_error(mat, vec, input)
    _same_device("addmv", input, mat, vec)
    _no_bool(dt, "addmv_impl_cpu")
    beta, alpha = _scalar(beta, dt, "beta"), _scalar(alpha, dt, "alpha")
    r = _add_into(_product(m, v, (m.shape[0],), alpha, dt, input.device), input._data, beta, dt)
    return _finish_add(AddmvBackward0, r, dt, input, mat, vec, beta, alpha)


def _batch_checks(input: Tensor, b1: Tensor, b2: Tensor, name: str) -> None:
    x, y = b1._data, b2._data
    if x.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if name == "baddbmm":
        if b2.dtype is not b1.dtype:
            raise RuntimeError(f"expected scalar type {_tn(b1)} but found {_tn(b2)}")
        if input.dtype is not b1.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input {_cn(input)}, batch1: "
                               f"{_cn(b1)}, batch2: {_cn(b2)}")
        if x.shape[0] != y.shape[0] or x.shape[2] != y.shape[1]:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, "
                               f"{y.shape[1]}].")
    else:
        if x.shape[0] != y.shape[0]:
            raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                               f"{x.shape[0]} and {y.shape[0]}")
        if x.shape[2] != y.shape[1]:
            raise RuntimeError(f"Incompatible matrix sizes for bmm ({x.shape[1]}x{x.shape[2]} "
                               f"and {y.shape[1]}x{y.shape[2]})")
        if input.dtype is not b2.dtype or b1.dtype is not b2.dtype:
            bad = input if input.dtype is not b2.dtype else b1
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tn(bad)} and "
                               f"{_tn(b2)}")
    _same_device(name, input, b1, b2)


@register("baddbmm", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: baddbmm(*a, **k), "baddbmm"))
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
            alpha: Any = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to the product's shape."""
    _batch_checks(input, batch1, batch2, "baddbmm")
    x, y = batch1._data, batch2._data
    dt = batch1.dtype
    shape = (x.shape[0], x.shape[1], y.shape[2])
    if input._data.shape != shape:
        _check_expand(input._data.shape, shape, dt)
    _no_bool(dt, "baddbmm")
    beta, alpha = _scalar(beta, dt, "beta"), _scalar(alpha, dt, "alpha")
    r = _add_into(_product(x, y, shape, alpha, dt, input.device), input._data, beta, dt)
    return _finish_add(BaddbmmBackward0, r, dt, input, batch1, batch2, beta, alpha)


@register("addbmm", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: addbmm(*a, **k), "addbmm"))
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,
           alpha: Any = 1) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    _batch_checks(input, batch1, batch2, "addbmm")
    x, y = batch1._data, batch2._data
    dt = batch1.dtype
    nb, n, k = x.shape
    p = y.shape[2]
    shape = (n, p)
    if input._data.shape != shape:
        _check_expand(input._data.shape, shape, dt)
    _no_bool(dt, "addmm_impl_cpu_")
    beta, alpha = _scalar(beta, dt, "beta"), _scalar(alpha, dt, "alpha")
    dev = input.device
    if _half(dt) and nb:
        # torch accumulates batch by batch into the half-precision result (one rounding per
        # batch); doing the same keeps results equal to torch's
        r = _add_into(_product(x[0], y[0], shape, alpha, dt, dev), input._data, beta, dt)
        for i in range(1, nb):
            r = r.astype(dt.np).astype(_f32) + _product(x[i], y[i], shape, alpha, dt, dev)
    else:
        # the sum over the batch is one GEMM over (n, b*k) @ (b*k, p)
        xf = x.transpose(1, 0, 2).reshape(n, nb * k)
        r = _product(xf, y.reshape(nb * k, p), shape, alpha, dt, dev)
        r = _add_into(r, input._data, beta, dt)
    return _finish_add(AddbmmBackward0, r, dt, input, batch1, batch2, beta, alpha)


@register("addr", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: addr(*a, **k), "addr"))
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), with type promotion (unlike addmm)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    dt = result_type(input, vec1, vec2)
    shape = (vec1._data.shape[0], vec2._data.shape[0])
    if input._data.shape != shape:
        _check_expand(input._data.shape, shape, input.dtype)
    _same_device("addr", input, vec1, vec2)
    beta = _scalar(beta, dt, "beta", strict_int=True)
    alpha = _scalar(alpha, dt, "alpha", strict_int=True)
    cd = _f32 if _half(dt) else dt.np
    x, y = vec1._data.astype(cd, copy=False), vec2._data.astype(cd, copy=False)
    inp = input._data.astype(cd, copy=False)
    if dt is _BOOL:
        r = x[:, None] & y if alpha else np.zeros_like(x, shape=shape)
        if beta:
            r = r | inp
    else:
        r = x[:, None] * y if alpha != 0 else np.zeros_like(x, shape=shape)
        if alpha != 0 and alpha != 1:
            r *= alpha
        r = _add_into(r, inp, beta, dt)
    out = make(_down(r, dt), dt, input.device)
    if _gm.enabled and (input._requires_grad or vec1._requires_grad or vec2._requires_grad):
        node = AddrBackward0(beta, alpha, dt)
        _save_pair(node, vec1, vec2)
        attach(node, (input, vec1, vec2), (out,))
    return out


# ------------------------------------------------------------------ outer, inner, tensordot, kron
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


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple:
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            if dims.shape[0] != 2:
                raise AssertionError(f"dims tensor must have size 2 in first dimension, got "
                                     f"{dims.shape[0]}")
            v = dims.tolist()
            return list(v[0]) if isinstance(v[0], list) else [v[0]], \
                list(v[1]) if isinstance(v[1], list) else [v[1]]
        dims = int(dims.item())
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    if isinstance(dims, bool) or not isinstance(dims, (int, list, tuple)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    da, db = dims
    for name, d in (("dims_self", da), ("dims_other", db)):
        if not isinstance(d, (list, tuple)):
            raise TypeError(f"tensordot(): argument '{name}' (position 3) must be tuple of ints, "
                            f"not {type(d).__name__}")
    return [int(d) for d in da], [int(d) for d in db]


@register("tensordot", out=True)
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Contract dims of a with dims of b (an int n: the last n of a with the first n of b)."""
    da, db = _tensordot_dims(a, b, dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    _same_device("tensordot", a, b)
    sa, sb = a._data.shape, b._data.shape
    na_, nb_ = len(sa), len(sb)
    ia = [norm_dim(d, na_) for d in da]
    ib = [norm_dim(d, nb_) for d in db]
    for lst in (ia, ib):
        for d in lst:
            if lst.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    sum_a, sum_b = [], []
    for i in range(len(ia)):
        s1, s2 = sa[ia[i]], sb[ib[i]]
        if s2 == 1:  # broadcast: the other side is summed right away
            sum_a.append(ia[i])
        elif s1 == 1:
            sum_b.append(ib[i])
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in "
                               f"dim {da[i]} and second has size {s2} in dim {db[i]}")
    dt = a.dtype
    _no_bool(dt, "addmm_impl_cpu_")
    free_a = [d for d in range(na_) if d not in ia]
    free_b = [d for d in range(nb_) if d not in ib]
    out_shape = tuple(sa[d] for d in free_a) + tuple(sb[d] for d in free_b)
    if grad_on(a, b):
        ta = a.sum(sum_a, keepdim=True) if sum_a else a
        tb = b.sum(sum_b, keepdim=True) if sum_b else b
        k = _prod(ta.shape[d] for d in ia)
        ma = ta.permute(free_a + ia).reshape(_prod(sa[d] for d in free_a), k)
        mb = tb.permute(ib + free_b).reshape(k, _prod(sb[d] for d in free_b))
        return mm(ma, mb).reshape(out_shape)
    x, y = _up(a._data, dt), _up(b._data, dt)
    if sum_a:
        x = x.sum(tuple(sum_a), keepdims=True, dtype=x.dtype)
    if sum_b:
        y = y.sum(tuple(sum_b), keepdims=True, dtype=y.dtype)
    r = np.tensordot(x, y, axes=(ia, ib))
    return make(_down(r, dt), dt, a.device)


@register("inner", method=True, out=True)
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum-product over the last dims (a scalar operand multiplies, with promotion)."""
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return input * other
    if input.dtype is not other.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(a.shape)} and {list(b.shape)}")
    return tensordot(input, other, ([-1], [-1]))


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


# ------------------------------------------------------------------ trace, diag, diag_embed
class TraceBackward0(Node):
    def __init__(self, shape: tuple) -> None:
        super().__init__()
        self.shape = shape

    def backward(self, grad: Tensor) -> Tensor:
        from .creation import eye

        return eye(*self.shape, dtype=grad.dtype, device=grad.device) * grad


@register("trace", method=True)
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-d tensor (integers sum to int64, like sum)."""
    a = input._data
    if a.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {a.ndim}")
    dt = input.dtype
    _no_bool(dt, "trace")
    odt = D.int64 if dt.category == D.INT else dt
    r = np.trace(a, dtype=_f32 if _half(dt) else odt.np)
    out = make(_arr0(r).astype(odt.np, copy=False), odt, input.device)
    if grad_on(input):
        attach(TraceBackward0(tuple(a.shape)), (input,), (out,))
    return out


class DiagEmbedBackward0(Node):
    def __init__(self, offset: int, d1: int, d2: int) -> None:
        super().__init__()
        self.offset, self.d1, self.d2 = offset, d1, d2

    def backward(self, grad: Tensor) -> Tensor:
        return diagonal(grad, self.offset, self.d1, self.d2)


class DiagonalBackward0Copy(Node):
    """torch names this node DiagonalBackward0_copy (diag of a matrix returns a copy)."""

    def __init__(self, shape: tuple, offset: int) -> None:
        super().__init__()
        self.shape, self.offset = shape, offset

    def name(self) -> str:
        return "DiagonalBackward0_copy"

    def backward(self, grad: Tensor) -> Tensor:
        k = self.offset
        return view_scatter(grad, self.shape, lambda g: diagonal(g, k), False)


@register("diag_embed", method=True)
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dim of input on the diagonal (offset) of dims dim1, dim2 of zeros."""
    a = input._data
    nd = a.ndim + 1
    d1, d2 = norm_dim(dim1, nd), norm_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = a.shape[-1]
    n = m + abs(offset)
    rest = iter(a.shape[:-1])
    shape = tuple(n if i == d1 or i == d2 else next(rest) for i in range(nd))
    r = np.zeros_like(a, shape=shape)
    idx = np.arange(m, like=a)  # like=: the index array lives where the data does
    np.moveaxis(r, (d1, d2), (-2, -1))[..., idx + max(-offset, 0), idx + max(offset, 0)] = a
    out = make(r, input.dtype, input.device)
    if grad_on(input):
        attach(DiagEmbedBackward0(offset, d1, d2), (input,), (out,))
    return out


@register("diag", method=True, out=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d: a matrix with input on the given diagonal; 2-d: a copy of that diagonal."""
    a = input._data
    if a.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if a.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {a.ndim}D")
    out = make(a.diagonal(diagonal).copy(), input.dtype, input.device)
    if grad_on(input):
        attach(DiagonalBackward0Copy(tuple(a.shape), diagonal), (input,), (out,))
    return out


# ------------------------------------------------------------------ cross
class LinalgCrossBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> tuple:
        a, b = self.saved_tensors
        nf = self.next_functions
        return (_cross(_conj(b), grad, self.dim) if nf[0][0] is not None else None,
                _cross(grad, _conj(a), self.dim) if nf[1][0] is not None else None)


def _cross(input: Tensor, other: Tensor, dim: int) -> Tensor:
    """linalg.cross: same ranks, broadcast, both of length 3 along dim, no promotion."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if other.dtype is not input.dtype:
        raise RuntimeError(f"expected scalar type {_tn(input)} but found {_tn(other)}")
    d = norm_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    _broadcast(a.shape, b.shape)
    _same_device("cross", input, other)
    dt = input.dtype
    _no_bool(dt, "cross")
    r = np.cross(_up(a, dt), _up(b, dt), axisa=d, axisb=d, axisc=d)
    out = make(_down(r, dt), dt, input.device)
    if _gm.enabled and (input._requires_grad or other._requires_grad):
        node = LinalgCrossBackward0(d)
        _save_pair(node, input, other)
        attach(node, (input, other), (out,))
    return out


@register("cross", method=True, out=True)
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product along dim (default: the first dim of size 3, with torch's warning)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=3)
        dim = next((i for i, s in enumerate(input._data.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(input, other, dim)


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


# ------------------------------------------------------------------ einsum
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LABEL = {c: i for i, c in enumerate(_LETTERS)}
_ELL = 52  # labels of dims covered by an ellipsis: 52, 53, ... (right-aligned)
_PARSE_CACHE: dict = {}
_PLAN_CACHE: dict = {}


def _label_name(lab: int) -> str:
    return _LETTERS[lab] if lab < _ELL else "..."


def _parse_term(eq: str, start: int, stop: int, what: str) -> tuple:
    """Labels of one term and the position of its ellipsis (-1 if none)."""
    labels: list = []
    ell = -1
    dots = 0
    for i in range(start, stop):
        c = eq[i]
        if c == ".":
            if ell >= 0:
                raise RuntimeError(f"einsum(): found '.' for {what} for which an ellipsis was "
                                   "already found")
            dots += 1
            if dots == 3:
                ell, dots = len(labels), 0
            continue
        if dots:
            break
        if c == " ":
            continue
        lab = _LABEL.get(c)
        if lab is None:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation "
                               "string, subscripts must be in [a-zA-Z]")
        labels.append(lab)
    if dots:
        raise RuntimeError(f"einsum(): found '.' for {what} that is not part of any ellipsis"
                           + (" (...)" if what == "output" else ""))
    return labels, ell


def _parse_equation(eq: str, ndims: tuple) -> tuple:
    """(labels of each operand, labels of the output), ellipses expanded to labels >= 52."""
    arrow = eq.find("->")
    lhs_end = len(eq) if arrow < 0 else arrow
    terms = []
    start = 0
    k = 0
    while True:
        comma = eq.find(",", start, lhs_end)
        stop = lhs_end if comma < 0 else comma
        terms.append(_parse_term(eq, start, stop, f"operand {k}"))
        if comma < 0:
            break
        start, k = comma + 1, k + 1
    if len(terms) < len(ndims):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(terms) > len(ndims):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    n_ell = 0
    for k, ((labels, ell), nd) in enumerate(zip(terms, ndims, strict=True)):
        if ell < 0 and len(labels) != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(labels)}) does not match the number of dimensions ({nd}) "
                               f"for operand {k} and no ellipsis was given")
        if ell >= 0:
            if len(labels) > nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                                   f"({len(labels)}) is more than the number of dimensions "
                                   f"({nd}) for operand {k}")
            n_ell = max(n_ell, nd - len(labels))
    subs = []
    for (labels, ell), nd in zip(terms, ndims, strict=True):
        if ell >= 0:
            e = nd - len(labels)
            labels = labels[:ell] + [_ELL + n_ell - e + j for j in range(e)] + labels[ell:]
        subs.append(tuple(labels))
    any_ell = any(ell >= 0 for _, ell in terms)
    if arrow < 0:
        counts: dict = {}
        for s in subs:
            for lab in s:
                counts[lab] = counts.get(lab, 0) + 1
        out = [_ELL + j for j in range(n_ell)] if any_ell else []
        out += sorted(lab for lab, c in counts.items() if c == 1 and lab < _ELL)
        return tuple(subs), tuple(out)
    labels, ell = _parse_term(eq, arrow + 2, len(eq), "output")
    seen_in = {lab for s in subs for lab in s}
    for i, lab in enumerate(labels):
        if lab in labels[:i]:
            raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} appears more than "
                               "once in the output")
        if lab not in seen_in:
            raise RuntimeError(f"einsum(): output subscript {_LETTERS[lab]} does not appear in "
                               "the equation for any input operand")
    if ell >= 0:
        labels = labels[:ell] + [_ELL + j for j in range(n_ell)] + labels[ell:]
    return tuple(subs), tuple(labels)


def _ein_sizes(subs: tuple, shapes: tuple) -> dict:
    sizes: dict = {}
    for k, (labels, shape) in enumerate(zip(subs, shapes, strict=True)):
        local: dict = {}
        for lab, s in zip(labels, shape, strict=True):
            if lab in local:
                if local[lab] != s:
                    raise RuntimeError(f"einsum(): subscript {_label_name(lab)} is repeated for "
                                       f"operand {k} but the sizes don't match, {s} != "
                                       f"{local[lab]}")
                continue
            local[lab] = s
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = s
            elif s != 1 and s != prev:
                if lab >= _ELL:
                    raise RuntimeError(f"einsum(): dimension {lab - _ELL} covered by ellipsis in "
                                       f"operand {k}has size {s} which does not broadcast with "
                                       f"previously seen ellipsis with size {prev} for the "
                                       "respective dimension")
                raise RuntimeError(f"einsum(): subscript {_LETTERS[lab]} has size {s} for "
                                   f"operand {k} which does not broadcast with previously seen "
                                   f"size {prev}")
    return sizes


def _ein_plan(subs: tuple, out: tuple, shapes: tuple) -> tuple:
    """Steps that compute the contraction with diagonals, sums, BLAS matmuls and broadcast
    multiplies; cached per (subs, out, shapes)."""
    sizes = _ein_sizes(subs, shapes)
    n = len(subs)
    pre: list = []
    cur: list = []
    for labels, shape in zip(subs, shapes, strict=True):
        labels, shape, steps = list(labels), list(shape), []
        while True:  # repeated labels: take the diagonal (appended last by np.diagonal)
            dup = next(((p, q) for p in range(len(labels)) for q in range(p + 1, len(labels))
                        if labels[p] == labels[q]), None)
            if dup is None:
                break
            p, q = dup
            steps.append(("diag", p, q))
            lab, s = labels[p], shape[p]
            for i in (q, p):
                del labels[i], shape[i]
            labels.append(lab)
            shape.append(s)
        keep = [i for i, s in enumerate(shape) if s != 1 or sizes[labels[i]] == 1]
        if len(keep) != len(labels):  # broadcast size-1 dims: the operand is constant along them
            labels = [labels[i] for i in keep]
            shape = [shape[i] for i in keep]
            steps.append(("reshape", tuple(shape)))
        pre.append(steps)
        cur.append(labels)
    summed = False
    for k in range(n):
        others = set(out)
        for j in range(n):
            if j != k:
                others.update(cur[j])
        axes = tuple(i for i, lab in enumerate(cur[k]) if lab not in others)
        if axes:
            pre[k].append(("sum", axes))
            cur[k] = [lab for lab in cur[k] if lab in others]
            summed = True
    pairs = []
    labels = cur[0]
    for k in range(1, n):
        keep_set = set(out)
        for j in range(k + 1, n):
            keep_set.update(cur[j])
        la, lb = labels, cur[k]
        batch = [lab for lab in la if lab in lb and lab in keep_set]
        contr = [lab for lab in la if lab in lb and lab not in keep_set]
        ao = [lab for lab in la if lab not in lb]
        bo = [lab for lab in lb if lab not in la]
        bs = tuple(sizes[lab] for lab in batch)
        as_ = tuple(sizes[lab] for lab in ao)
        bsz = tuple(sizes[lab] for lab in bo)
        if contr:
            pa = [la.index(lab) for lab in batch + ao + contr]
            pb = [lb.index(lab) for lab in batch + contr + bo]
            kk = _prod(sizes[lab] for lab in contr)
            lead = (_prod(bs),) if batch else ()
            pairs.append(("mm", None if pa == sorted(pa) else tuple(pa),
                          lead + (_prod(as_), kk),
                          None if pb == sorted(pb) else tuple(pb),
                          lead + (kk, _prod(bsz)), bs + as_ + bsz))
        else:
            pa = [la.index(lab) for lab in batch + ao]
            pb = [lb.index(lab) for lab in batch + bo]
            pairs.append(("mul", None if pa == sorted(pa) else tuple(pa),
                          bs + as_ + (1,) * len(bo),
                          None if pb == sorted(pb) else tuple(pb),
                          bs + (1,) * len(ao) + bsz, None))
        labels = batch + ao + bo
    perm = tuple(labels.index(lab) for lab in out)
    fresh = bool(pairs) or summed
    return (tuple(tuple(s) for s in pre), tuple(pairs),
            None if perm == tuple(range(len(perm))) else perm, fresh, summed, sizes)


def _ein_run(arrays: list, plan: tuple, sum_dtype: Any) -> Any:
    pre, pairs, perm, fresh = plan[0], plan[1], plan[2], plan[3]
    xs = []
    for a, steps in zip(arrays, pre, strict=True):
        for st in steps:
            if st[0] == "diag":
                a = a.diagonal(0, st[1], st[2])
            elif st[0] == "reshape":
                a = a.reshape(st[1])
            else:
                a = a.sum(st[1], dtype=sum_dtype or a.dtype)
        xs.append(a)
    r = xs[0]
    for (kind, pa, sa, pb, sb, so), b in zip(pairs, xs[1:], strict=True):
        if pa is not None:
            r = r.transpose(pa)
        if pb is not None:
            b = b.transpose(pb)
        if kind == "mm":
            r = np.matmul(r.reshape(sa), b.reshape(sb)).reshape(so)
        else:
            r = r.reshape(sa) * b.reshape(sb)
    if perm is not None:
        r = r.transpose(perm)
    return _arr0(r) if fresh else r.copy()  # a full reduction gives a NumPy scalar


class EinsumBackward0(Node):
    """No torch counterpart (torch's einsum is a composite of bmm and views): the gradient of
    each operand is the einsum of the output gradient with the other operands (conjugated)."""

    def __init__(self, subs: tuple, out: tuple, shapes: tuple, sizes: dict) -> None:
        super().__init__()
        self.subs, self.out, self.shapes, self.sizes = subs, out, shapes, sizes

    def backward(self, grad: Tensor) -> tuple:
        from .creation import eye, ones

        ops = self.saved_tensors
        subs, sizes = self.subs, self.sizes
        fresh = max([_ELL - 1, *sizes]) + 1
        res: list = []
        for k, (edge, _) in enumerate(self.next_functions):
            if edge is None:
                res.append(None)
                continue
            ins = [grad] + [_conj(t) for j, t in enumerate(ops) if j != k]
            isubs = [self.out] + [s for j, s in enumerate(subs) if j != k]
            new = []
            seen: set = set()
            for lab, s in zip(subs[k], self.shapes[k], strict=True):
                if s == 1 and sizes[lab] != 1:  # broadcast dim: summed, kept as size 1
                    ins.append(ones(1, dtype=grad.dtype, device=grad.device))
                    isubs.append((fresh,))
                    new.append(fresh)
                    fresh += 1
                elif lab in seen:  # repeated label: the gradient lives on the diagonal
                    ins.append(eye(sizes[lab], dtype=grad.dtype, device=grad.device))
                    isubs.append((lab, fresh))
                    new.append(fresh)
                    fresh += 1
                else:
                    seen.add(lab)
                    new.append(lab)
            # labels some input carries at full size (others may only broadcast along them)
            present = set(self.out)
            for j, (s, shape) in enumerate(zip(subs, self.shapes, strict=True)):
                if j != k:
                    present.update(lab for lab, n in zip(s, shape, strict=True)
                                   if n == sizes[lab])
            for lab in seen - present:  # summed over this operand only: gradient broadcasts
                ins.append(ones(sizes[lab], dtype=grad.dtype, device=grad.device))
                isubs.append((lab,))
            res.append(_ein(ins, tuple(isubs), tuple(new)))
        return tuple(res)


def _ein(ops: list, subs: tuple, out: tuple) -> Tensor:
    """einsum on label tuples (the parsed equation); records EinsumBackward0."""
    t0 = ops[0]
    dt = t0.dtype
    for t in ops[1:]:
        if t.dtype is not dt:
            raise RuntimeError(f"expected scalar type {_tn(t0)} but found {_tn(t)}")
        if t.device is not t0.device:
            _same_device("einsum", t0, t)
    shapes = tuple(tuple(t._data.shape) for t in ops)
    key = (subs, out, shapes)
    plan = _PLAN_CACHE.get(key)
    if plan is None:
        if len(_PLAN_CACHE) > 1024:
            _PLAN_CACHE.clear()
        plan = _PLAN_CACHE[key] = _ein_plan(subs, out, shapes)
    odt = dt
    sum_dtype = None
    if len(ops) == 1 and plan[4] and dt.category <= D.INT:
        odt = D.int64  # a single-operand einsum that sums is torch.sum: integers give int64
        sum_dtype = np.int64
    elif dt is _BOOL and (plan[4] or any(p[0] == "mm" for p in plan[1])):
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    arrays = [t._data.astype(_f32) if _half(dt) else t._data for t in ops]
    r = _ein_run(arrays, plan, sum_dtype)
    out_t = make(_down(r, dt) if odt is dt else r, odt, t0.device)
    if grad_on(*ops):
        node = EinsumBackward0(subs, out, shapes, plan[5])
        node.save(*ops)
        attach(node, ops, (out_t,))
    return out_t


def _sublist_equation(args: tuple) -> tuple:
    def term(sub: Any) -> str:
        parts = []
        for v in sub:
            if v is Ellipsis:
                parts.append("...")
            elif isinstance(v, int) and 0 <= v < 52:
                parts.append(_LETTERS[v])
            else:
                raise ValueError("einsum(): subscript in subscript list is not within the valid "
                                 "range [0, 52)")
        return "".join(parts)

    n = len(args) // 2
    ops = list(args[0:2 * n:2])
    eq = ",".join(term(s) for s in args[1:2 * n:2])
    if len(args) % 2:
        eq += "->" + term(args[-1])
    return eq, ops


@register("einsum")
def einsum(*args: Any) -> Tensor:
    """Einstein summation: '...' ellipsis, repeated indices (diagonals), implicit output and the
    sublist form; contractions run as BLAS matmuls. Operands must share a dtype (torch promotes
    in a few corner cases, e.g. 'i,j->i')."""
    if not args:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    eq = args[0]
    if isinstance(eq, Tensor):
        eq, ops = _sublist_equation(args)
    else:
        if not isinstance(eq, str):
            raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                            f"{type(eq).__name__}")
        ops = list(args[1:])
        if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
            ops = list(ops[0])
        if not ops:
            raise ValueError("einsum(): must specify the equation string and at least one "
                             "operand, or at least one operand and its subscripts list")
    for i, t in enumerate(ops):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): argument 'tensors' (position 2) must be tuple of Tensors, "
                            f"but found element of type {type(t).__name__} at pos {i}")
    key = (eq, tuple(t._data.ndim for t in ops))
    parsed = _PARSE_CACHE.get(key)
    if parsed is None:
        if len(_PARSE_CACHE) > 1024:
            _PARSE_CACHE.clear()
        parsed = _PARSE_CACHE[key] = _parse_equation(eq, key[1])
    return _ein(ops, parsed[0], parsed[1])
