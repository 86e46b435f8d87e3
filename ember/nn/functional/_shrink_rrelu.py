"""nn.functional hardshrink, softshrink and rrelu (randomized leaky relu), fused like the other
activations; also ember.hardshrink / Tensor.hardshrink and ember.rrelu / ember.rrelu_."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import as_array, like
from ...ops._core import _tname, attach, make_inplace
from ...ops._registry import register
from ...ops._sampling import _np_gen
from ._util import float_in, out, publish, up

__all__ = ["hardshrink", "softshrink", "rrelu", "rrelu_"]


class _ShrinkBackward(Node):
    def __init__(self, lambd: float) -> None:
        super().__init__()
        self.lambd = lambd

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        lam = self.lambd
        if _gm.enabled:
            return grad * ((x < -lam) | (x > lam)).to(grad.dtype)
        a, g = up(x._data), up(grad._data)
        return out(as_array(np.where((a >= -lam) & (a <= lam), 0, g)), grad.dtype,
                   grad.device)


class HardshrinkBackward0(_ShrinkBackward):
    pass


class SoftshrinkBackward0(_ShrinkBackward):
    pass


def _shrink(name: str, input: Tensor, lambd: float, soft: bool) -> Tensor:
    a, dt = float_in(name, f"{name}_cpu", input)
    if soft and lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, {float(np.finfo(dt.np).max):g}] for "
                           f"input dtype {_tname(dt)}, but found {lambd:g}")
    inside = (a >= -lambd) & (a <= lambd)
    if soft:
        r = np.where(inside, 0, np.where(a > lambd, a - lambd, a + lambd))
    else:
        r = np.where(inside, 0, a)
    res = out(as_array(r, dtype=a.dtype), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = (SoftshrinkBackward0 if soft else HardshrinkBackward0)(lambd)
        attach(node, (input,), (res,))
        node.save(input)
    return res


def _hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return _shrink("hardshrink", input, lambd, False)


def _softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd * sign(x) where |x| > lambd, else 0."""
    return _shrink("softshrink", input, lambd, True)


hardshrink = register("hardshrink", namespace="nn.functional")(_hardshrink)
softshrink = register("softshrink", namespace="nn.functional")(_softshrink)
register("hardshrink", method=True)(_hardshrink)


class RreluWithNoiseBackward0(Node):
    """grad * noise: the slope each element was multiplied by (1 where x > 0)."""

    def __init__(self, noise: Any) -> None:
        super().__init__()
        self.noise = noise

    def backward(self, grad: Tensor) -> Tensor:
        if _gm.enabled:
            return grad * make(self.noise.astype(grad.dtype.np), grad.dtype, grad.device)
        return out(up(grad._data) * self.noise, grad.dtype, grad.device)


def _rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    a, dt = float_in("rrelu", "rrelu_with_noise_cpu", input)
    pos = a > 0
    if training:
        slopes = like(a, _np_gen(None, input.device).uniform(lower, upper, a.shape)
                      .astype(a.dtype))  # drawn on the host
        noise = np.where(pos, a.dtype.type(1), slopes)
    else:
        noise = np.where(pos, a.dtype.type(1), a.dtype.type((lower + upper) / 2))
    res = out(as_array(a * noise), dt, input.device)
    if _gm.enabled and input._requires_grad:
        attach(RreluWithNoiseBackward0(noise), (input,), (res,))
    return res


_rrelu_ip = make_inplace(_rrelu, "rrelu")


@register("rrelu", namespace="nn.functional")
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Leaky relu whose negative slope is drawn from U(lower, upper) per element in training,
    (lower + upper) / 2 otherwise."""
    return (_rrelu_ip if inplace else _rrelu)(input, lower, upper, training)


@register("rrelu_", namespace="nn.functional")
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place rrelu."""
    return _rrelu_ip(input, lower, upper, training)


register("rrelu")(_rrelu)
register("rrelu_")(_rrelu_ip)
publish("hardshrink", method=True)
publish("rrelu", "rrelu_")
