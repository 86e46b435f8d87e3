"""Adam (Kingma & Ba) with torch's options: amsgrad, L2 or decoupled weight decay, maximize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .._tensor import Tensor
from ..ops.creation import zeros_like
from .optimizer import Optimizer, ParamsT, _bump, check_fused, check_lr, run_update, scalar

__all__ = ["Adam", "adam_update"]


def adam_update(param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
                t1: Any, t2: Any, *, step: float, lr: float, beta1: float, beta2: float,
                eps: float, weight_decay: float, decoupled: bool, maximize: bool) -> None:
    """One Adam step on arrays, in place, in torch's single-tensor order of operations.

    t1, t2 are scratch arrays shaped like param; max_exp_avg_sq is None unless amsgrad.
    """
    g = np.negative(grad, out=t1) if maximize else grad
    if weight_decay != 0:
        if decoupled:
            np.multiply(param, 1 - lr * weight_decay, out=param)
        else:
            np.multiply(param, weight_decay, out=t2)
            g = np.add(g, t2, out=t1)
    lerp_(exp_avg, g, 1 - beta1, t2)
    exp_avg_sq *= beta2
    np.multiply(g, 1 - beta2, out=t2)
    t2 *= g
    exp_avg_sq += t2
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    step_size = lr / bias_correction1
    if max_exp_avg_sq is not None:
        second = np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    else:
        second = exp_avg_sq
    denom = np.sqrt(second, out=t2)
    denom /= bias_correction2_sqrt
    denom += eps
    np.multiply(exp_avg, -step_size, out=t1)
    t1 /= denom
    param += t1


def lerp_(start: Any, end: Any, weight: float, tmp: Any) -> None:
    """start.lerp_(end, weight) with torch's two formulas (small and large weights)."""
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        start += tmp
    else:
        w = np.float32(weight) if start.dtype == np.float32 else weight
        tmp *= float(1 - w)
        np.subtract(end, tmp, out=start)


class Adam(Optimizer):
    """torch.optim.Adam. foreach/fused/capturable are accepted; the update is always the
    single-tensor formula."""

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3,
                 betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        both_float = isinstance(betas[0], float) and isinstance(betas[1], float)
        both_tensor = isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor)
        if not (both_float or both_tensor):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, b in enumerate(betas):
            if isinstance(b, Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if b.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = cast("tuple[float | Tensor, float | Tensor]",
                     tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b for b in betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("amsgrad", False), ("maximize", False), ("foreach", None),
                                 ("capturable", False), ("differentiable", False),
                                 ("decoupled_weight_decay", False), ("fused", None)):
                group.setdefault(key, default)
        self._fix_steps(lambda g: bool(g["capturable"] or g["fused"]))

    def _init_state(self, state: dict, p: Tensor, group: dict) -> None:
        on_param = group["capturable"] or group["fused"]
        state["step"] = self._step_tensor(p.device if on_param else "cpu", group["fused"])
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step."""
        return self._steps(closure)

    def _update_group(self, group: dict) -> None:
        beta1, beta2 = (scalar(b) for b in group["betas"])
        lr, amsgrad = scalar(group["lr"]), group["amsgrad"]
        kw = {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": group["eps"],
              "weight_decay": scalar(group["weight_decay"]),
              "decoupled": group["decoupled_weight_decay"], "maximize": group["maximize"]}
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if g.is_sparse:
                raise RuntimeError("Adam does not support sparse gradients, please consider "
                                   "SparseAdam instead")
            state = self.state[p]
            if len(state) == 0:
                self._init_state(state, p, group)
            kw["step"] = _bump(state["step"])
            m = state["max_exp_avg_sq"]._data if amsgrad else None
            run_update(adam_update, [p._data, g._data, state["exp_avg"]._data,
                                     state["exp_avg_sq"]._data, m], (0, 2, 3, 4), self, kw)
            p._bump_version()
