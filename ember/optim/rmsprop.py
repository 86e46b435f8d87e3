"""RMSprop with torch's options: alpha, eps, centered, momentum, weight decay, maximize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import zeros_like
from .adam import lerp_
from .optimizer import Optimizer, ParamsT, _bump, check_lr, run_update, scalar

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(param: Any, grad: Any, square_avg: Any, grad_avg: Any, buf: Any, t1: Any,
                   t2: Any, *, lr: float, alpha: float, eps: float, weight_decay: float,
                   momentum: float, maximize: bool) -> None:
    """One RMSprop step on arrays, in place (grad_avg is None unless centered, buf is None
    without momentum)."""
    g = np.negative(grad, out=t1) if maximize else grad
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        g = np.add(g, t2, out=t1)
    square_avg *= alpha
    np.multiply(g, 1 - alpha, out=t2)
    t2 *= g
    square_avg += t2
    if grad_avg is not None:
        lerp_(grad_avg, g, 1 - alpha, t2)
        np.multiply(grad_avg, grad_avg, out=t2)
        np.subtract(square_avg, t2, out=t2)
        avg = np.sqrt(t2, out=t2)
    else:
        avg = np.sqrt(square_avg, out=t2)
    avg += eps
    if momentum > 0:
        buf *= momentum
        np.divide(g, avg, out=t2)
        buf += t2
        np.multiply(buf, -lr, out=t2)
        param += t2
    else:
        np.multiply(g, -lr, out=t1)
        t1 /= avg
        param += t1


class RMSprop(Optimizer):
    """torch.optim.RMSprop. foreach/capturable are accepted; the update is always the
    single-tensor formula."""

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("momentum", 0), ("centered", False), ("foreach", None),
                                 ("maximize", False), ("differentiable", False),
                                 ("capturable", False)):
                group.setdefault(key, default)
        self._fix_steps(lambda g: bool(g["capturable"]))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step."""
        return self._steps(closure)

    def _update_group(self, group: dict) -> None:
        momentum, centered = group["momentum"], group["centered"]
        kw = {"lr": scalar(group["lr"]), "alpha": group["alpha"], "eps": group["eps"],
              "weight_decay": scalar(group["weight_decay"]), "momentum": momentum,
              "maximize": group["maximize"]}
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = self._step_tensor(p.device if group["capturable"] else None)
                state["square_avg"] = zeros_like(p)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(p)
                if centered:
                    state["grad_avg"] = zeros_like(p)
            _bump(state["step"])
            run_update(rmsprop_update,
                       [p._data, g._data, state["square_avg"]._data,
                        state["grad_avg"]._data if centered else None,
                        state["momentum_buffer"]._data if momentum > 0 else None],
                       (0, 2, 3, 4), self, kw)
            p._bump_version()
