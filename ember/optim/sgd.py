"""SGD with torch's options: momentum, dampening, Nesterov, weight decay, maximize."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import zeros_like
from .optimizer import Optimizer, ParamsT, check_fused, run_update, scalar

__all__ = ["SGD", "sgd_update"]


def sgd_update(param: Any, grad: Any, buf: Any, t1: Any, t2: Any, *, first: bool, lr: float,
               momentum: float, dampening: float, weight_decay: float, nesterov: bool,
               maximize: bool) -> None:
    """One SGD step on arrays, in place (buf is None without momentum; `first` copies the
    gradient into it, as torch starts the buffer)."""
    g = np.negative(grad, out=t1) if maximize else grad
    if weight_decay != 0:
        np.multiply(param, weight_decay, out=t2)
        g = np.add(g, t2, out=t1)
    if momentum != 0:
        if first:
            np.copyto(buf, g)
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                np.multiply(g, 1 - dampening, out=t2)
                buf += t2
        if nesterov:
            np.multiply(buf, momentum, out=t2)
            g = np.add(g, t2, out=t1)
        else:
            g = buf
    np.multiply(g, -lr, out=t2)
    param += t2


class SGD(Optimizer):
    """torch.optim.SGD (default lr 1e-3, as in torch 2.13). foreach/fused are accepted; the
    update is always the single-tensor formula."""

    def __init__(self, params: ParamsT, lr: float | Tensor = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float | Tensor = 0, nesterov: bool = False,
                 *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for key, default in (("nesterov", False), ("maximize", False), ("foreach", None),
                                 ("differentiable", False), ("fused", False)):
                group.setdefault(key, default)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform a single optimization step."""
        return self._steps(closure)

    def _update_group(self, group: dict) -> None:
        momentum = group["momentum"]
        kw = {"lr": scalar(group["lr"]), "momentum": momentum,
              "dampening": group["dampening"], "weight_decay": scalar(group["weight_decay"]),
              "nesterov": group["nesterov"], "maximize": group["maximize"]}
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            buf, first = None, False
            if momentum != 0:
                state = self.state[p]
                b = state.get("momentum_buffer")
                if b is None:
                    b = state["momentum_buffer"] = zeros_like(g)
                    first = True
                buf = b._data
            kw["first"] = first
            run_update(sgd_update, [p._data, g._data, buf], (0, 2), self, kw, real=False)
            p._bump_version()
