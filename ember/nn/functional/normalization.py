"""nn.functional normalisation: layer_norm (fused), group_norm (fused), batch_norm (fused, running
statistics updated in place), rms_norm and normalize (composed of ember ops, as torch's CPU
kernels are). layer_norm, group_norm, batch_norm, rms_norm and native_layer_norm are also
ember.<name>, as in torch.

The fused ops run one NumPy forward over rows (mean by one BLAS product, variance by one einsum
pass) and one backward node computing the input, weight and bias gradients together. With
create_graph=True the backward is recomputed from ember ops, so double backward works.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import contig, xp_of
from ...ops._core import _tname, attach
from ...ops._registry import register
from ._softmax import row_sums
from ._util import HALF, float_in, not_tensor, out, publish, up

__all__ = ["layer_norm", "rms_norm", "group_norm", "batch_norm", "normalize",
           "local_response_norm"]


# ------------------------------------------------------------------ row normalisation core
def _norm_rows(a2: Any, eps: float) -> tuple:
    """xhat, mean, rstd of each row of a 2-d float array (xhat a new array)."""
    n = a2.shape[1]
    mean = row_sums(a2)
    mean /= n
    xc = a2 - mean[:, None]
    var = np.einsum("ij,ij->i", xc, xc)
    var /= n
    var += eps
    rstd = np.sqrt(var, out=var)
    np.reciprocal(rstd, out=rstd)
    xc *= rstd[:, None]
    return xc, mean, rstd


def _norm_rows_grad(gxhat: Any, xhat: Any, rstd: Any) -> Any:
    """d loss / d x of rows normalised as xhat = (x - mean) * rstd, given d loss / d xhat."""
    n = xhat.shape[1]
    c1 = row_sums(gxhat)
    c1 /= n
    c2 = np.einsum("ij,ij->i", gxhat, xhat)
    c2 /= n
    gx = xhat * c2[:, None]
    gx += c1[:, None]
    np.subtract(gxhat, gx, out=gx)
    gx *= rstd[:, None]
    return gx


def _col_sums(a2: Any) -> Any:
    if type(a2) is not np.ndarray:
        return a2.sum(axis=0)
    return _ones_row(a2.shape[0], a2.dtype) @ a2


_ONES: dict = {}


def _ones_row(n: int, dt: Any) -> Any:
    o = _ONES.get((n, dt))
    if o is None:
        o = _ONES[(n, dt)] = np.ones(n, dt)
    return o


def _check_param(name: str, p: Any, x: Tensor) -> Any:
    if p is None:
        return None
    if not isinstance(p, Tensor):
        raise TypeError(f"{name}(): argument must be Tensor, not {type(p).__name__}")
    if p.dtype is not x.dtype and not (x.dtype in HALF and p.dtype is D.float32):
        raise RuntimeError(f"mixed dtype (CPU): expect parameter to have scalar type of "
                           f"{_tname(x.dtype)}")
    return up(p._data)


# ------------------------------------------------------------------ layer_norm
class NativeLayerNormBackward0(Node):
    def __init__(self, shape: tuple, k: int, eps: float, xhat: Any, rstd: Any) -> None:
        super().__init__()
        self.shape, self.k, self.eps, self.xhat, self.rstd = shape, k, eps, xhat, rstd

    def backward(self, grad: Tensor) -> tuple:
        x, w, b = self.saved_tensors
        nf = self.next_functions
        if _gm.enabled:
            return _layer_norm_grad_graph(grad, x, w, self.k, self.eps, nf)
        n = int(np.prod(self.shape[len(self.shape) - self.k:]))
        g2 = up(grad._data).reshape(-1, n)
        xhat = self.xhat
        if xhat is None:  # no affine: recompute xhat from the input
            xhat, _, _ = _norm_rows(up(x._data).reshape(-1, n), self.eps)
        gx = gw = gb = None
        if nf[0][0] is not None:
            gxhat = g2 * up(w._data).reshape(-1) if w is not None else g2
            gx = out(_norm_rows_grad(gxhat, xhat, self.rstd).reshape(self.shape), x.dtype,
                     x.device)
        if w is not None and nf[1][0] is not None:
            gw = out(_col_sums(g2 * xhat).reshape(w._data.shape), w.dtype, w.device)
        if b is not None and nf[2][0] is not None:
            gb = out(_col_sums(g2).reshape(b._data.shape), b.dtype, b.device)
        return gx, gw, gb


def _layer_norm_grad_graph(g: Tensor, x: Tensor, w: Any, k: int, eps: float, nf: tuple) -> tuple:
    dims = tuple(range(x.dim() - k, x.dim()))
    lead = tuple(range(x.dim() - k))
    mu = x.mean(dims, keepdim=True)
    xc = x - mu
    rstd = ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    xhat = xc * rstd
    gxhat = g * w if w is not None else g
    gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True)
                 - xhat * (gxhat * xhat).mean(dims, keepdim=True))
    gw = (g * xhat).sum(lead) if lead else g * xhat
    gb = g.sum(lead) if lead else g
    return (gx if nf[0][0] is not None else None, gw if nf[1][0] is not None else None,
            gb if nf[2][0] is not None else None)


def _shape_list(normalized_shape: Any, name: str) -> tuple:
    if isinstance(normalized_shape, int) and not isinstance(normalized_shape, bool):
        raise TypeError(f"{name}(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not int")
    return tuple(int(s) for s in normalized_shape)


def _layer_norm_impl(input: Tensor, normalized_shape: Any, weight: Any, bias: Any,
                     eps: float, stats: bool = False) -> Any:
    if not isinstance(input, Tensor):
        raise not_tensor("layer_norm", "input", input)
    ns = _shape_list(normalized_shape, "layer_norm")
    k = len(ns)
    shape = tuple(input._data.shape)
    if k == 0 or shape[len(shape) - k:] != ns or len(shape) < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*, {', '.join(map(str, ns))}], but got input of size"
                           f"{list(shape)}")
    for nm, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != ns:
            raise RuntimeError(f"Expected {nm} to be of same shape as normalized_shape, but got "
                               f"{nm} of shape {list(p.shape)} and normalized_shape = {list(ns)}")
    a, dt = float_in("layer_norm", "LayerNormKernelImpl", input)
    wa = _check_param("layer_norm", weight, input)
    ba = _check_param("layer_norm", bias, input)
    n = int(np.prod(ns))
    a2 = a.reshape(-1, n)
    if a2.size == 0:
        xhat = np.zeros_like(a2)
        mean = rstd = xp_of(a2).full(a2.shape[0], np.nan, a2.dtype)
    else:
        xhat, mean, rstd = _norm_rows(a2, eps)
    if wa is not None:
        y = xhat * wa.reshape(-1)
        if ba is not None:
            y += ba.reshape(-1)
    elif ba is not None:
        y = xhat + ba.reshape(-1)
    else:
        y = xhat
    res = out(y.reshape(shape), dt, input.device)
    if _gm.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                        or (bias is not None and bias._requires_grad)):
        node = NativeLayerNormBackward0(shape, k, eps, xhat if wa is not None else None, rstd)
        attach(node, (input, weight, bias), (res,))
        node.save(input, weight, bias)
    if stats:
        sshape = shape[:len(shape) - k] + (1,) * k
        sdt = dt if dt not in HALF else D.float32
        return res, out(mean.reshape(sshape), sdt, input.device), \
            out(rstd.reshape(sshape), sdt, input.device)
    return res


@register("layer_norm", namespace="nn.functional")
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dims, then weight * x + bias (fused)."""
    return _layer_norm_impl(input, normalized_shape, weight, bias, eps)


@register("layer_norm")
def _layer_norm_top(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
                    bias: Tensor | None = None, eps: float = 1e-5,
                    cudnn_enable: bool = True) -> Tensor:
    """torch.layer_norm."""
    return _layer_norm_impl(input, normalized_shape, weight, bias, eps)


@register("native_layer_norm")
def _native_layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None,
                       bias: Tensor | None, eps: float) -> tuple:
    """torch.native_layer_norm: (output, mean, rstd); mean and rstd carry no gradient."""
    return _layer_norm_impl(input, normalized_shape, weight, bias, eps, stats=True)


# ------------------------------------------------------------------ rms_norm
def _rms_norm_impl(input: Tensor, normalized_shape: Any, weight: Any = None,
                   eps: Any = None) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("rms_norm", "input", input)
    ns = _shape_list(normalized_shape, "rms_norm")
    k = len(ns)
    shape = tuple(input.shape)
    if k == 0 or len(shape) < k or shape[len(shape) - k:] != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size{list(shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    dt = input.dtype
    if dt.category != D.FLOAT:
        raise RuntimeError(f"rms_norm only supports floating point dtypes, got {_tname(dt)}")
    x = input.float() if dt in HALF else input
    if eps is None:
        eps = float(np.finfo(x.dtype.np).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    y = x * ((x * x).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    return y.to(dt) if y.dtype is not dt else y


@register("rms_norm", namespace="nn.functional")
def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last dims; eps=None: finfo(dtype).eps."""
    return _rms_norm_impl(input, normalized_shape, weight, eps)


register("rms_norm")(_rms_norm_impl)


# ------------------------------------------------------------------ group_norm
class NativeGroupNormBackward0(Node):
    def __init__(self, shape: tuple, groups: int, eps: float, xhat: Any, rstd: Any) -> None:
        super().__init__()
        self.shape, self.groups, self.eps, self.xhat, self.rstd = shape, groups, eps, xhat, rstd

    def backward(self, grad: Tensor) -> tuple:
        x, w, b = self.saved_tensors
        nf = self.next_functions
        nb, c = self.shape[0], self.shape[1]
        if _gm.enabled:
            return _group_norm_grad_graph(grad, x, w, self.groups, self.eps, nf)
        g3 = up(grad._data).reshape(nb, c, -1)
        xhat3 = self.xhat.reshape(nb, c, -1)
        gx = gw = gb = None
        if nf[0][0] is not None:
            gxhat = g3 * up(w._data).reshape(1, c, 1) if w is not None else g3
            gx2 = _norm_rows_grad(gxhat.reshape(nb * self.groups, -1),
                                  self.xhat, self.rstd)
            gx = out(gx2.reshape(self.shape), x.dtype, x.device)
        if w is not None and nf[1][0] is not None:
            gw = out((g3 * xhat3).sum(axis=(0, 2)), w.dtype, w.device)
        if b is not None and nf[2][0] is not None:
            gb = out(g3.sum(axis=(0, 2)), b.dtype, b.device)
        return gx, gw, gb


def _group_norm_grad_graph(g: Tensor, x: Tensor, w: Any, groups: int, eps: float,
                           nf: tuple) -> tuple:
    shape = tuple(x.shape)
    nb, c = shape[0], shape[1]
    xg = x.reshape(nb, groups, -1)
    mu = xg.mean(2, keepdim=True)
    xc = xg - mu
    rstd = ((xc * xc).mean(2, keepdim=True) + eps).rsqrt()
    xhat = (xc * rstd).reshape(nb, c, -1)
    g3 = g.reshape(nb, c, -1)
    gxhat = (g3 * w.reshape(1, c, 1) if w is not None else g3).reshape(nb, groups, -1)
    xh = xhat.reshape(nb, groups, -1)
    gx = rstd * (gxhat - gxhat.mean(2, keepdim=True) - xh * (gxhat * xh).mean(2, keepdim=True))
    return (gx.reshape(shape) if nf[0][0] is not None else None,
            (g3 * xhat).sum((0, 2)) if w is not None and nf[1][0] is not None else None,
            g3.sum((0, 2)) if nf[2][0] is not None else None)


def _group_norm_impl(input: Tensor, num_groups: int, weight: Any, bias: Any,
                     eps: float) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("group_norm", "input", input)
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    nb, c = shape[0], shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and num_groups="
                           f"{num_groups}")
    for nm, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {nm} to be a vector of size equal to the number of "
                               f"channels in input, but got {nm} of shape {list(p.shape)} and "
                               f"input of shape {list(shape)}")
    a, dt = float_in("group_norm", "GroupNormKernelImpl", input)
    wa = _check_param("group_norm", weight, input)
    ba = _check_param("group_norm", bias, input)
    a2 = a.reshape(nb * num_groups, -1)
    if a2.size == 0:
        xhat, rstd = np.zeros_like(a2), xp_of(a2).zeros(a2.shape[0], a2.dtype)
    else:
        xhat, _, rstd = _norm_rows(a2, eps)
    y = xhat.reshape(nb, c, -1)
    if wa is not None:
        y = y * wa.reshape(1, c, 1)
    if ba is not None:
        y = y + ba.reshape(1, c, 1)
    res = out(contig(y).reshape(shape), dt, input.device)
    if _gm.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                        or (bias is not None and bias._requires_grad)):
        node = NativeGroupNormBackward0(shape, num_groups, eps, xhat, rstd)
        attach(node, (input, weight, bias), (res,))
        node.save(input, weight, bias)
    return res


def _verify_batch_size(size: Any) -> None:
    n = size[0]
    for s in size[2:]:
        n *= s
    if n == 1:
        from ..._tensor import Size

        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {Size(size)!r}".replace("ember.Size", "torch.Size"))


@register("group_norm", namespace="nn.functional")
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each group of channels of each sample, then a per-channel affine (fused)."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups]
                       + list(input.shape[2:]))
    return _group_norm_impl(input, num_groups, weight, bias, eps)


@register("group_norm")
def _group_norm_top(input: Tensor, num_groups: int, weight: Tensor | None = None,
                    bias: Tensor | None = None, eps: float = 1e-5,
                    cudnn_enabled: bool = True) -> Tensor:
    """torch.group_norm."""
    return _group_norm_impl(input, num_groups, weight, bias, eps)


# ------------------------------------------------------------------ batch_norm
class NativeBatchNormBackward0(Node):
    def __init__(self, training: bool, axes: tuple, cshape: tuple,
                 xhat: Any, rstd: Any) -> None:
        super().__init__()
        self.training, self.axes, self.cshape, self.xhat, self.rstd = \
            training, axes, cshape, xhat, rstd
        self.eps = 0.0
        self.rm: Any = None  # the running mean used in evaluation mode

    def backward(self, grad: Tensor) -> tuple:
        x, w, b = self.saved_tensors
        nf = self.next_functions
        rstd = self.rstd.reshape(self.cshape)
        if _gm.enabled:
            return _batch_norm_grad_graph(grad, x, w, self, nf)
        g = up(grad._data)
        xhat = self.xhat
        gx = gw = gb = None
        sg = g.sum(axis=self.axes) if (self.training and nf[0][0] is not None) or \
            (b is not None and nf[2][0] is not None) else None
        sgx = (g * xhat).sum(axis=self.axes) if (self.training and nf[0][0] is not None) or \
            (w is not None and nf[1][0] is not None) else None
        if nf[0][0] is not None:
            scale = rstd * up(w._data).reshape(self.cshape) if w is not None else rstd
            if self.training:
                assert sg is not None and sgx is not None
                n = g.size // max(self.rstd.size, 1)
                r = xhat * (sgx.reshape(self.cshape) / n)
                r += (sg / n).reshape(self.cshape)
                np.subtract(g, r, out=r)
                r *= scale
            else:
                r = g * scale
            gx = out(r, x.dtype, x.device)
        if w is not None and nf[1][0] is not None:
            gw = out(sgx, w.dtype, w.device)
        if b is not None and nf[2][0] is not None:
            gb = out(sg, b.dtype, b.device)
        return gx, gw, gb


def _batch_norm_grad_graph(g: Tensor, x: Tensor, w: Any, node: Any, nf: tuple) -> tuple:
    axes, cshape = node.axes, node.cshape
    if node.training:
        mu = x.mean(axes, keepdim=True)
        xc = x - mu
        rstd = ((xc * xc).mean(axes, keepdim=True) + node.eps).rsqrt()
        xhat = xc * rstd
    else:
        rstd = make(node.rstd.reshape(cshape).astype(x.dtype.np), x.dtype, x.device)
        xhat = (x - make(node.rm.reshape(cshape).astype(x.dtype.np), x.dtype, x.device)) * rstd
    gxhat = g * w.reshape(cshape) if w is not None else g
    if node.training:
        gx = rstd * (gxhat - gxhat.mean(axes, keepdim=True)
                     - xhat * (gxhat * xhat).mean(axes, keepdim=True))
    else:
        gx = gxhat * rstd
    return (gx if nf[0][0] is not None else None,
            (g * xhat).sum(axes) if w is not None and nf[1][0] is not None else None,
            g.sum(axes) if nf[2][0] is not None else None)


def _batch_norm_impl(input: Tensor, weight: Any, bias: Any, running_mean: Any,
                     running_var: Any, training: bool, momentum: float, eps: float) -> Tensor:
    if not isinstance(input, Tensor):
        raise not_tensor("batch_norm", "input", input)
    shape = tuple(input._data.shape)
    if len(shape) < 2:
        raise ValueError(f"expected 2D or 3D input (got {len(shape)}D input)")
    c = shape[1]
    if not training and (running_mean is None or running_var is None):
        which = "running_mean" if running_mean is None else "running_var"
        raise RuntimeError(f"{which} must be defined in evaluation mode")
    for nm, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                  ("running_var", running_var)):
        if p is not None and p.numel() != c:
            raise RuntimeError(f"{nm} should contain {c} elements not {p.numel()}")
    a, dt = float_in("batch_norm", "batch_norm_cpu", input)
    wa = _check_param("batch_norm", weight, input)
    ba = _check_param("batch_norm", bias, input)
    axes = (0,) + tuple(range(2, len(shape)))
    cshape = (1, c) + (1,) * (len(shape) - 2)
    if training:
        n = a.size // max(c, 1)
        mean = a.mean(axis=axes)
        xc = a - mean.reshape(cshape)
        var = (xc * xc).mean(axis=axes) if n else xp_of(a).full(c, np.nan, a.dtype)
        rstd = 1.0 / np.sqrt(var + eps)
        xhat = xc
        xhat *= rstd.reshape(cshape)
        if running_mean is not None or running_var is not None:
            _update_running(running_mean, running_var, mean, var, n, momentum)
    else:
        rm, rv = up(running_mean._data), up(running_var._data)
        rstd = 1.0 / np.sqrt(rv + eps)
        xhat = a - rm.reshape(cshape)
        xhat *= rstd.reshape(cshape)
    y = xhat * wa.reshape(cshape) if wa is not None else xhat.copy()
    if ba is not None:
        y += ba.reshape(cshape)
    res = out(y, dt, input.device)
    if _gm.enabled and (input._requires_grad or (weight is not None and weight._requires_grad)
                        or (bias is not None and bias._requires_grad)):
        node = NativeBatchNormBackward0(training, axes, cshape, xhat, rstd)
        node.eps = eps
        node.rm = None if training else up(running_mean._data).copy()
        attach(node, (input, weight, bias), (res,))
        node.save(input, weight, bias)
    return res


def _update_running(rm: Any, rv: Any, mean: Any, var: Any, n: int, momentum: float) -> None:
    """In place, without autograd: rm = (1 - m) rm + m mean; rv likewise with the unbiased var."""
    if rm is not None:
        r = up(rm._data) * (1 - momentum) + mean * momentum
        np.copyto(rm._data, r, casting="unsafe")
        rm._bump_version()
    if rv is not None:
        unbiased = var * (n / (n - 1)) if n > 1 else np.full_like(var, np.inf)
        r = up(rv._data) * (1 - momentum) + unbiased * momentum
        np.copyto(rv._data, r, casting="unsafe")
        rv._bump_version()


@register("batch_norm", namespace="nn.functional")
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per-channel normalisation over the batch (and spatial dims); training updates the
    running statistics in place (fused)."""
    if training:
        _verify_batch_size(list(input.shape))
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return _batch_norm_impl(input, weight, bias, running_mean, running_var, training, momentum,
                            eps)


@register("batch_norm")
def _batch_norm_top(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                    running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                    momentum: float, eps: float, cudnn_enabled: bool = True) -> Tensor:
    """torch.batch_norm."""
    return _batch_norm_impl(input, weight, bias, running_mean, running_var, training, momentum,
                            eps)


# ------------------------------------------------------------------ normalize
@register("normalize", namespace="nn.functional")
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps) (composed of ember ops, as in torch)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    from ...ops._registry import FUNCTIONS

    return FUNCTIONS["div"](input, denom, out=out)


@register("local_response_norm", namespace="nn.functional")
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """input / (k + alpha * mean of input^2 over `size` neighbouring channels)^beta (composed of
    ember ops: a zero-padded running sum over the channel dim)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    from ...ops._registry import FUNCTIONS
    from .padding import pad

    sq = input * input
    c = input.shape[1]
    moved = sq.movedim(1, -1)
    padded = pad(moved, (size // 2 + 1, (size - 1) // 2))  # one extra zero for the cumsum
    cs = FUNCTIONS["cumsum"](padded, -1)
    window = cs.narrow(-1, size, c) - cs.narrow(-1, 0, c)
    div = (window.movedim(-1, 1) * (alpha / size) + k) ** beta
    return input / div


publish("layer_norm", "native_layer_norm", "rms_norm", "group_norm", "batch_norm")
