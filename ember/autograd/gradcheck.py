"""gradcheck / gradgradcheck: analytical Jacobians (backward) against central differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..backends import to_numpy, xp_of


class GradcheckError(RuntimeError):
    pass


def _tensors(xs: Any) -> list:
    from .._tensor import Tensor

    if isinstance(xs, Tensor):
        return [xs]
    return [x for x in xs if isinstance(x, Tensor)]


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def _numerical(fn: Callable, inputs: tuple, outs_n: list, eps: float) -> list:
    """J[k][i] is the (numel(out_i), numel(in_k)) Jacobian by central differences."""
    jac: list[list[np.ndarray] | None] = []
    for x in inputs:
        if not (hasattr(x, "_requires_grad") and x._requires_grad):
            jac.append(None)
            continue
        flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck expects contiguous inputs it can perturb")
        cols = [np.zeros((o, flat.size), dtype=np.complex128 if x.is_complex() else np.float64)
                for o in outs_n]
        for j in range(flat.size):
            orig = flat[j].copy()
            # grad mode stays on: fn may itself differentiate (gradgradcheck's vjp)
            flat[j] = orig + eps
            plus = [to_numpy(o._data).astype(np.complex128).reshape(-1)
                    for o in _tensors(_as_tuple(fn(*inputs)))]
            flat[j] = orig - eps
            minus = [to_numpy(o._data).astype(np.complex128).reshape(-1)
                     for o in _tensors(_as_tuple(fn(*inputs)))]
            flat[j] = orig
            for i, (p, m) in enumerate(zip(plus, minus)):
                d = (p - m) / (2 * eps)
                cols[i][:, j] = d if cols[i].dtype == np.complex128 else d.real
        jac.append(cols)
    return jac


def _analytical(fn: Callable, inputs: tuple, outs: list) -> list:
    from .._tensor import make
    from . import grad as _grad

    diff_in = [x for x in inputs if hasattr(x, "_requires_grad") and x._requires_grad]
    jac = [[np.zeros((o._data.size, x._data.size)) for o in outs] for x in diff_in]
    for i, o in enumerate(outs):
        if not o._requires_grad:
            continue
        for r in range(o._data.size):
            onehot = xp_of(o._data).zeros(o._data.size, dtype=o.dtype.np)
            onehot[r] = 1
            go = make(onehot.reshape(o._data.shape), o.dtype, o.device)
            gs = _grad([o], diff_in, [go], retain_graph=True, allow_unused=True)
            for k, g in enumerate(gs):
                if g is not None:
                    jac[k][i][r, :] = to_numpy(g._data).reshape(-1).real
    return jac


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Compare backward's Jacobian with finite differences (real float64 inputs advised)."""
    inputs = _as_tuple(inputs)
    for x in _tensors(inputs):
        if x._requires_grad and x.dtype.name not in ("float64", "complex128"):
            import warnings

            warnings.warn(f"Input #{inputs.index(x)} requires gradient and is not a double "
                          "precision floating point or complex. This check will likely fail if "
                          "all the inputs are not of double precision floating point or "
                          "complex.", stacklevel=2)
    if not any(getattr(x, "_requires_grad", False) for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    outs = [o for o in _tensors(_as_tuple(func(*inputs)))]
    num = _numerical(func, inputs, [o._data.size for o in outs], eps)
    ana = _analytical(func, inputs, outs)
    k = 0
    for idx in range(len(inputs)):
        if num[idx] is None:
            continue
        for i in range(len(outs)):
            a, n = ana[k][i], num[idx][i].real
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                msg = (f"Jacobian mismatch for output {i} with respect to input {idx},\n"
                       f"numerical:{n}\nanalytical:{a}\n")
                if raise_exception:
                    raise GradcheckError(msg)
                return False
        k += 1
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, **kwargs: Any) -> bool:
    """gradcheck of the function x, v -> vjp(func, x, v) (second derivatives)."""
    from ..ops.creation import tensor
    from . import grad as _grad

    inputs = _as_tuple(inputs)
    outs = _tensors(_as_tuple(func(*inputs)))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(tensor(rng.standard_normal(o.shape), dtype=o.dtype,
                                    device=o.device, requires_grad=True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if getattr(x, "_requires_grad", False)]

    def vjp(*args: Any) -> tuple:
        xs, gos = args[:n_in], args[n_in:]
        os_ = _tensors(_as_tuple(func(*xs)))
        gs = _grad(os_, [xs[i] for i in diff_idx], list(gos), create_graph=True,
                   allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
