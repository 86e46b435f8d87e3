"""Fused add-products: addmm, addmv, addbmm, baddbmm, addr and their in-place variants."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ._core import _tname, attach, make_inplace, result_type
from ._linalg_util import (
    _BOOL,
    _F64,
    _H,
    _cn,
    _conj,
    _down,
    _f32,
    _half,
    _no_bool,
    _same_device,
    _save_pair,
    _tn,
    _up,
)
from ._registry import register
from .linalg import _mv_error, bmm, matmul, mm, mv, outer


# ------------------------------------------------------------------ helpers
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



# ------------------------------------------------------------------ backward nodes
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


# The in-place variants below call the registered op through its (late-bound) module name;
# mypy cannot type a decorator argument that refers to the function it decorates, hence the
# `type: ignore[has-type]` on each of those lines.
@register("addmm", method=True, out=True,
          inplace=make_inplace(lambda *a, **k: addmm(*a, **k), "addmm"))  # type: ignore[has-type]
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
          inplace=make_inplace(lambda *a, **k: addmv(*a, **k), "addmv"))  # type: ignore[has-type]
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
          inplace=make_inplace(lambda *a, **k: baddbmm(*a, **k), "baddbmm"))  # type: ignore[has-type]
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
          inplace=make_inplace(lambda *a, **k: addbmm(*a, **k), "addbmm"))  # type: ignore[has-type]
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
          inplace=make_inplace(lambda *a, **k: addr(*a, **k), "addr"))  # type: ignore[has-type]
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
