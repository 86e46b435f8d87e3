"""nn.functional activations: relu family, gelu (fused), silu, mish, elu/selu/celu, hard*, softplus,
prelu, glu, logsigmoid, threshold; softmax / log_softmax / softmin live in _softmax.py,
gelu in _gelu.py.

Each elementwise op is one NumPy forward and one backward node named as torch names it. A node's
gradient formula is written once against a math namespace: NumPy arrays on the fast path, ember
ops when a higher-order graph is requested (create_graph=True), so double backward works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import as_array
from ...ops._core import _tname, attach, make_inplace, norm_dim
from ...ops._registry import FUNCTIONS, register
from ._gelu import gelu
from ._shrink_rrelu import hardshrink, rrelu, rrelu_, softshrink
from ._softmax import log_softmax, softmax, softmin
from ._util import float_in, not_impl, not_tensor, out, publish, up

__all__ = ["relu", "relu_", "relu6", "gelu", "silu", "mish", "tanh", "sigmoid", "softmax",
           "log_softmax", "softmin", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_",
           "celu", "celu_", "hardswish", "hardsigmoid", "hardtanh", "hardtanh_", "softplus",
           "softsign", "tanhshrink", "prelu", "glu", "logsigmoid", "threshold", "threshold_",
           "hardshrink", "softshrink", "rrelu", "rrelu_"]


# ------------------------------------------------------------------ math namespaces
def _np_sigmoid(a: Any) -> Any:
    r = np.exp(np.negative(a))
    r += 1
    return np.reciprocal(r, out=r)


class _NpMath:
    """The functions gradient formulas use, on NumPy arrays (the no-create_graph path)."""

    where = staticmethod(np.where)
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    tanh = staticmethod(np.tanh)
    log1p = staticmethod(np.log1p)
    abs = staticmethod(np.abs)
    sigmoid = staticmethod(_np_sigmoid)


class _EmberMath:
    """The same names as ember ops (recorded on the graph when create_graph=True)."""

    def __getattr__(self, name: str) -> Any:
        return FUNCTIONS[name]


NP, EM = _NpMath(), _EmberMath()


# ------------------------------------------------------------------ the elementwise machinery
class _Pointwise(Node):
    """Backward of y = f(x; params): grad(m, g, x, *params) in math namespace m."""

    def __init__(self, *params: Any) -> None:
        super().__init__()
        self.params = params

    @staticmethod
    def grad(m: Any, g: Any, x: Any, *params: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if _gm.enabled:
            return self.grad(EM, grad, x, *self.params)
        g, a = up(grad._data), up(x._data)
        if a.ndim == 0:
            g, a = g.reshape(1), a.reshape(1)
        r = self.grad(NP, g, a, *self.params)
        return out(as_array(r).reshape(grad._data.shape), grad.dtype, grad.device)


def _apply(name: str, kernel: str, input: Any, fwd: Any, node_cls: type, *params: Any) -> Tensor:
    """A floating-point-only elementwise op: forward in NumPy, the node when grad is needed."""
    a, dt = float_in(name, kernel, input)
    r = fwd(a.reshape(1), *params).reshape(()) if a.ndim == 0 else fwd(a, *params)
    res = out(as_array(r), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = node_cls(*params)
        attach(node, (input,), (res,))
        node.save(input)
    return res


def _inplace(fn: Any, name: str) -> Any:
    return make_inplace(fn, name)


# ------------------------------------------------------------------ relu, hardtanh, threshold
@register("relu", namespace="nn.functional")
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); inplace=True writes into input."""
    return FUNCTIONS["relu_"](input) if inplace else FUNCTIONS["relu"](input)


relu_ = FUNCTIONS["relu_"]


class HardtanhBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any, lo: float, hi: float) -> Any:
        return m.where((x <= lo) | (x >= hi), 0.0, g)


def _hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("hardtanh", "input", input)
    dt = input.dtype
    if dt is D.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if dt.category < D.FLOAT:  # integer inputs clamp with the bounds truncated to the dtype
        lo, hi = dt.np.type(int(min_val)), dt.np.type(int(max_val))
        return make(as_array(np.clip(input._data, lo, hi)), dt, input.device)
    return _apply("hardtanh", "hardtanh_cpu", input,
                  lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi),
                  HardtanhBackward0, min_val, max_val)


_hardtanh_ip = _inplace(_hardtanh, "hardtanh")


@register("hardtanh", namespace="nn.functional")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return (_hardtanh_ip if inplace else _hardtanh)(input, min_val, max_val)


@register("hardtanh_", namespace="nn.functional")
def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, inplace=True)


@register("relu6", namespace="nn.functional")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6) (hardtanh(input, 0, 6), as torch computes it)."""
    return (_hardtanh_ip if inplace else _hardtanh)(input, 0.0, 6.0)


class ThresholdBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any, th: float, value: float) -> Any:
        return m.where(x <= th, 0.0, g)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("threshold", "input", input)
    dt = input.dtype
    if dt is D.bool_ or dt.category == D.COMPLEX:
        raise not_impl("threshold_cpu", dt)
    if dt.category < D.FLOAT:
        a = input._data
        r = np.where(a <= threshold, dt.np.type(int(value)), a).astype(dt.np, copy=False)
        return make(r, dt, input.device)
    return _apply("threshold", "threshold_cpu", input,
                  lambda a, th, v: np.where(a <= th, v, a), ThresholdBackward0,
                  threshold, value)


_threshold_ip = _inplace(_threshold, "threshold")


@register("threshold", namespace="nn.functional")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, else value."""
    return (_threshold_ip if inplace else _threshold)(input, threshold, value)


@register("threshold_", namespace="nn.functional")
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place threshold."""
    return _threshold_ip(input, threshold, value)


register("threshold")(_threshold)
register("threshold_")(_threshold_ip)


# ------------------------------------------------------------------ silu, mish
class SiluBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any) -> Any:
        s = m.sigmoid(x)
        return g * s * ((1 - s) * x + 1)


class MishBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any) -> Any:
        t = m.tanh(m.log1p(m.exp(x)))
        return g * (t + x * m.sigmoid(x) * (1 - t * t))


def _silu(input: Tensor) -> Tensor:
    return _apply("silu", "silu_cpu", input, lambda a: a * _np_sigmoid(a), SiluBackward0)


def _mish(input: Tensor) -> Tensor:
    return _apply("mish", "mish_cpu", input, lambda a: a * np.tanh(np.log1p(np.exp(a))),
                  MishBackward0)


_silu_ip, _mish_ip = _inplace(_silu, "silu"), _inplace(_mish, "mish")


@register("silu", namespace="nn.functional")
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return (_silu_ip if inplace else _silu)(input)


@register("mish", namespace="nn.functional")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return (_mish_ip if inplace else _mish)(input)


@register("tanh", namespace="nn.functional")
def tanh(input: Tensor) -> Tensor:
    """Elementwise tanh (torch.tanh)."""
    return FUNCTIONS["tanh"](input)


@register("sigmoid", namespace="nn.functional")
def sigmoid(input: Tensor) -> Tensor:
    """Elementwise sigmoid (torch.sigmoid)."""
    return FUNCTIONS["sigmoid"](input)


# ------------------------------------------------------------------ leaky relu, elu family
class LeakyReluBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any, slope: float) -> Any:
        return m.where(x > 0, g, g * slope)


def _leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _apply("leaky_relu", "leaky_relu_cpu", input,
                  lambda a, s: np.where(a > 0, a, a * s), LeakyReluBackward0, negative_slope)


_leaky_relu_ip = _inplace(_leaky_relu, "leaky_relu")


@register("leaky_relu", namespace="nn.functional")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x."""
    return (_leaky_relu_ip if inplace else _leaky_relu)(input, negative_slope)


@register("leaky_relu_", namespace="nn.functional")
def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky_relu."""
    return _leaky_relu_ip(input, negative_slope)


def _elu_fwd(a: Any, alpha: float, scale: float, iscale: float) -> Any:
    neg = np.expm1(a * iscale) if iscale != 1 else np.expm1(a)
    neg *= alpha * scale
    return np.where(a <= 0, neg, a * scale if scale != 1 else a)


def _elu_grad(m: Any, g: Any, x: Any, alpha: float, scale: float, iscale: float) -> Any:
    return m.where(x <= 0, g * (m.exp(x * iscale) * (alpha * scale * iscale)), g * scale)


class EluBackward0(_Pointwise):
    grad = staticmethod(_elu_grad)


class CeluBackward0(_Pointwise):
    grad = staticmethod(_elu_grad)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _apply("elu", "elu_cpu", input, _elu_fwd, EluBackward0, alpha, 1.0, 1.0)


def _selu(input: Tensor) -> Tensor:
    return _apply("selu", "elu_cpu", input, _elu_fwd, EluBackward0, _SELU_ALPHA, _SELU_SCALE,
                  1.0)


def _celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _apply("celu", "elu_cpu", input, _elu_fwd, CeluBackward0, alpha, 1.0, 1.0 / alpha)


_elu_ip, _selu_ip, _celu_ip = (_inplace(_elu, "elu"), _inplace(_selu, "selu"),
                               _inplace(_celu, "celu"))


@register("elu", namespace="nn.functional")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha * (exp(x) - 1)."""
    return (_elu_ip if inplace else _elu)(input, alpha)


@register("elu_", namespace="nn.functional")
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place elu."""
    return _elu_ip(input, alpha)


@register("selu", namespace="nn.functional")
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return (_selu_ip if inplace else _selu)(input)


@register("celu", namespace="nn.functional")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return (_celu_ip if inplace else _celu)(input, alpha)


selu_ = register("selu_", namespace="nn.functional")(_selu_ip)
celu_ = register("celu_", namespace="nn.functional")(_celu_ip)
register("selu")(_selu)
register("selu_")(_selu_ip)
register("celu")(_celu)
register("celu_")(_celu_ip)


# ------------------------------------------------------------------ hard*, softplus, logsigmoid
class HardswishBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any) -> Any:
        return m.where(x < -3, 0.0, m.where(x <= 3, g * (x / 3 + 0.5), g))


class HardsigmoidBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any) -> Any:
        return m.where((x > -3) & (x < 3), g / 6, 0.0)


def _hardswish_fwd(a: Any) -> Any:
    r = a + 3
    np.clip(r, 0, 6, out=r)
    r *= a
    r /= 6
    return r


def _hardsigmoid_fwd(a: Any) -> Any:
    r = a + 3
    np.clip(r, 0, 6, out=r)
    r /= 6
    return r


def _hardswish(input: Tensor) -> Tensor:
    return _apply("hardswish", "hardswish_cpu", input, _hardswish_fwd, HardswishBackward0)


def _hardsigmoid(input: Tensor) -> Tensor:
    return _apply("hardsigmoid", "hardsigmoid_cpu", input, _hardsigmoid_fwd,
                  HardsigmoidBackward0)


_hardswish_ip = _inplace(_hardswish, "hardswish")
_hardsigmoid_ip = _inplace(_hardsigmoid, "hardsigmoid")


@register("hardswish", namespace="nn.functional")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return (_hardswish_ip if inplace else _hardswish)(input)


@register("hardsigmoid", namespace="nn.functional")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return (_hardsigmoid_ip if inplace else _hardsigmoid)(input)


class SoftplusBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any, beta: float, th: float) -> Any:
        return m.where(x * beta > th, g, g * m.sigmoid(x * beta))


def _softplus_fwd(a: Any, beta: float, th: float) -> Any:
    z = a * beta if beta != 1 else a
    r = np.log1p(np.exp(z))
    if beta != 1:
        r /= beta
    return np.where(z > th, a, r)


@register("softplus", namespace="nn.functional")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, linear where beta * x > threshold."""
    return _apply("softplus", "softplus_cpu", input, _softplus_fwd, SoftplusBackward0, beta,
                  threshold)


class LogSigmoidBackward0(_Pointwise):
    @staticmethod
    def grad(m: Any, g: Any, x: Any) -> Any:
        return g * m.sigmoid(-x)


def _logsigmoid_fwd(a: Any) -> Any:
    r = np.log1p(np.exp(-np.abs(a)))
    return np.minimum(a, 0) - r


@register("logsigmoid", namespace="nn.functional")
def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    return _apply("logsigmoid", "log_sigmoid_cpu", input, _logsigmoid_fwd, LogSigmoidBackward0)


@register("softsign", namespace="nn.functional")
def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|) (composed of ember ops, as in torch)."""
    return input / (input.abs() + 1)


@register("tanhshrink", namespace="nn.functional")
def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x) (composed of ember ops, as in torch)."""
    return input - input.tanh()


# ------------------------------------------------------------------ prelu, glu
class PreluKernelBackward0(Node):
    def __init__(self, wshape: tuple, axes: tuple) -> None:
        super().__init__()
        self.wshape, self.axes = wshape, axes  # broadcast shape of weight; axes summed for it

    def backward(self, grad: Tensor) -> tuple:
        x, w = self.saved_tensors
        nf = self.next_functions
        if _gm.enabled:
            wb = w.reshape(self.wshape)
            gx = EM.where(x > 0, grad, grad * wb) if nf[0][0] is not None else None
            gw = None
            if nf[1][0] is not None:
                gw = EM.where(x > 0, 0.0, grad * x)
                gw = gw.sum(self.axes) if self.axes else gw
                gw = gw.reshape(w.shape)
            return gx, gw
        a, g, wa = up(x._data), up(grad._data), up(w._data).reshape(self.wshape)
        pos = a > 0
        gx = out(np.where(pos, g, g * wa), grad.dtype, grad.device) if nf[0][0] else None
        gw = None
        if nf[1][0] is not None:
            r = np.where(pos, 0, g * a)
            r = r.sum(axis=self.axes) if self.axes else r
            gw = out(as_array(r).reshape(w._data.shape), w.dtype, w.device)
        return gx, gw


def _prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, weight per channel (dim 1) or a single value."""
    if not isinstance(input, Tensor):
        raise not_tensor("prelu", "input", input)
    if not isinstance(weight, Tensor):
        raise not_tensor("prelu", "weight", weight, 2)
    if weight.dim() > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.dim()}")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_tname(input.dtype)} and "
                           f"{_tname(weight.dtype)}")
    nd = input.dim()
    channels = input.shape[1] if nd >= 2 else 1
    wn = weight.numel()
    if wn != 1 and wn != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {wn} and channel size = {channels}.")
    a, dt = float_in("prelu", "prelu_cpu", input)
    wshape = (1, wn) + (1,) * (nd - 2) if nd >= 2 and wn > 1 else (1,) * nd
    wa = up(weight._data).reshape(wshape)
    res = out(as_array(np.where(a > 0, a, a * wa)), dt, input.device)
    if _gm.enabled and (input._requires_grad or weight._requires_grad):
        axes = tuple(i for i in range(nd) if not (wn > 1 and i == 1))
        node = PreluKernelBackward0(wshape, axes)
        attach(node, (input, weight), (res,))
        node.save(input, weight)
    return res


prelu = register("prelu", namespace="nn.functional")(_prelu)
register("prelu", method=True)(_prelu)


class GluBackward0(Node):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def backward(self, grad: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if _gm.enabled:
            a, b = x.chunk(2, self.dim)
            s = b.sigmoid()
            return EM.cat([grad * s, grad * a * s * (1 - s)], self.dim)
        xa, g = up(x._data), up(grad._data)
        a, b = np.split(xa, 2, axis=self.dim)
        s = _np_sigmoid(b)
        gs = g * s
        gb = gs * a
        gb *= 1 - s
        return out(np.concatenate([gs, gb], axis=self.dim), grad.dtype, grad.device)


@register("glu", namespace="nn.functional")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b) where a, b are the halves of input along dim."""
    if not isinstance(input, Tensor):
        raise not_tensor("glu", "input", input)
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = norm_dim(dim, input.dim())
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    x, dt = float_in("glu", "glu_cpu", input)
    a, b = np.split(x, 2, axis=d)
    res = out(a * _np_sigmoid(b), dt, input.device)
    if _gm.enabled and input._requires_grad:
        node = GluBackward0(d)
        attach(node, (input,), (res,))
        node.save(input)
    return res


publish("threshold", "threshold_", "selu", "selu_", "celu", "celu_", "prelu")
publish("prelu", method=True)
