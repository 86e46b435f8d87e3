"""ember.autograd: backward, grad, Function, grad modes, gradcheck, anomaly detection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backends import xp_of
from . import graph
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "no_grad",
           "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly", "gradcheck",
           "gradgradcheck", "graph"]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _make_grads(outputs: list, grads: list) -> list:
    from .._tensor import Tensor, make

    if not grads:
        grads = [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs (got "
                           f"{len(grads)} gradients for {len(outputs)} outputs)")
    res = []
    for i, (o, g) in enumerate(zip(outputs, grads)):
        if g is None:
            if o._requires_grad and o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if o._requires_grad and o.dtype.category != 2:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {o.dtype}")
            g = make(xp_ones(o), o.dtype, o.device)
        elif not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        elif g.shape != o.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} "
                               f"and output[{i}] has a shape of {o.shape}.")
        res.append(g)
    return res


def xp_ones(t: Any) -> Any:
    a = t._data
    if type(a) is np.ndarray:
        return np.ones(a.shape, a.dtype)
    return xp_of(a).ones(a.shape, a.dtype)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulate gradients of `tensors` into the .grad of graph leaves (or of `inputs`)."""
    outs = _as_list(tensors)
    grads = _make_grads(outs, _as_list(grad_tensors if grad_tensors is not None
                                       else grad_variables))
    if retain_graph is None:
        retain_graph = create_graph
    ins = _as_list(inputs) if inputs is not None else None
    if ins is not None and not ins:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    run_backward(outs, grads, retain_graph, create_graph, inputs=ins, accumulate=True)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Gradients of outputs with respect to inputs, returned (not accumulated)."""
    outs = _as_list(outputs)
    ins: Sequence = _as_list(inputs)
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not implemented in "
                                  "Ember")
    grads = _make_grads(outs, _as_list(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, accumulate=False,
                       allow_unused=allow_unused)
    if materialize_grads:
        from ..ops.creation import zeros_like

        res = tuple(zeros_like(i) if r is None else r for r, i in zip(res, ins))
    return res
