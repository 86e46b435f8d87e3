"""Adagrad with torch's options: lr_decay, initial_accumulator_value, weight decay, maximize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import full_like
from .optimizer import Optimizer, ParamsT, _bump, check_fused, check_lr, run_update, scalar

__all__ = ["Adagrad", "adagrad_update"]


def adagrad_update(param: Any, grad: Any, state_sum: Any, t1: Any, t2: Any, *, clr: float,
                   eps: float, weight_decay: float, maximize: bool) -> None:
    """One Adagrad step on arrays, in place; clr is the decayed learning rate."""
    g = np.negative(grad, out=t1) if maximize else grad
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        g = np.add(g, t2, out=t1)
    np.multiply(g, g, out=t2)
    state_sum += t2
    std = np.sqrt(state_sum, out=t2)
    std += eps
    np.multiply(g, -clr, out=t1)
    t1 /= std
    param += t1


class Adagrad(Optimizer):
    """torch.optim.Adagrad (state is created for every parameter at construction, as in
    torch). foreach/fused are accepted; the update is always the single-tensor formula."""

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    def _init_state(self, state: dict, p: Tensor, group: dict) -> None:
        state["step"] = self._step_tensor(p.device if group["fused"] else None, group["fused"])
        v = self.defaults["initial_accumulator_value"]
        state["sum"] = full_like(p, complex(v, v) if p.is_complex() else v)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("foreach", None), ("maximize", False),
                                 ("differentiable", False), ("fused", None)):
                group.setdefault(key, default)
        self._fix_steps(lambda g: bool(g["fused"]))

    def share_memory(self) -> None:
        """Accepted for torch compatibility (one process: nothing to share)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step."""
        return self._steps(closure)

    def _update_group(self, group: dict) -> None:
        lr, lr_decay = scalar(group["lr"]), group["lr_decay"]
        kw = {"eps": group["eps"], "weight_decay": scalar(group["weight_decay"]),
              "maximize": group["maximize"]}
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                self._init_state(state, p, group)
            step = _bump(state["step"])
            kw["clr"] = lr / (1 + (step - 1) * lr_decay)
            run_update(adagrad_update, [p._data, g._data, state["sum"]._data], (0, 2),
                       self, kw)
            p._bump_version()
