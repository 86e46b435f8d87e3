"""Convolutions: conv1d/conv2d, conv_transpose1d/2d, torch.convolution; unfold/fold (im2col).

One fused op for all of them, as torch's `convolution`: im2col through a strided view (one
copy) and one BLAS matmul per group forward; backward computes grad_input by col2im (an
accumulation loop over kernel offsets), grad_weight and grad_bias as matmuls and sums. 1-d
convolutions run as 2-d ones of height 1. The backward is itself an op with its own backward
(ConvolutionBackwardBackward0), so double backward works. float16/bfloat16 compute in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.graph import Node
from ...backends import as_strided, contig, xp_of
from ...backends.meta import ghost
from ...ops._core import attach, grad_on
from ...ops._registry import register

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "convolution", "unfold",
           "fold"]

_HALF = (D.float16, D.bfloat16)


# ------------------------------------------------------------------ array kernels (4-d, NCHW)
def _pad0(x: np.ndarray, pads: tuple) -> np.ndarray:
    """Zero-pad the two spatial dims: pads = ((top, bottom), (left, right))."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    xp = xp_of(x).zeros((n, c, h + pt + pb, w + pl + pr), x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    return xp


def _im2col(xp: np.ndarray, ksize: tuple, st: tuple, dl: tuple, out_hw: tuple,
            groups: int) -> np.ndarray:
    """Columns (N, G, Cg*kh*kw, Ho*Wo) of a padded input: one copy from a strided view."""
    n, c, _, _ = xp.shape
    (kh, kw), (ho, wo) = ksize, out_hw
    s0, s1, s2, s3 = xp.strides
    v = as_strided(xp, (n, c, kh, kw, ho, wo),
                   (s0, s1, s2 * dl[0], s3 * dl[1], s2 * st[0], s3 * st[1]), writeable=False)
    return contig(v).reshape(n, groups, c // groups * kh * kw, ho * wo)


def _out_hw(in_hw: tuple, pads: tuple, ksize: tuple, st: tuple, dl: tuple) -> tuple:
    return tuple((in_hw[i] + pads[i][0] + pads[i][1] - dl[i] * (ksize[i] - 1) - 1) // st[i] + 1
                 for i in (0, 1))


def _fwd(x: np.ndarray, w: np.ndarray, st: tuple, pads: tuple, dl: tuple,
         groups: int) -> tuple:
    """Convolution forward: (y (N, O, Ho, Wo), columns)."""
    n = x.shape[0]
    o, cg, kh, kw = w.shape
    ho, wo = _out_hw(x.shape[2:], pads, (kh, kw), st, dl)
    cols = _im2col(_pad0(x, pads), (kh, kw), st, dl, (ho, wo), groups)
    y = np.matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)
    return y.reshape(n, o, ho, wo), cols


def _bwd_input(g: np.ndarray, w: np.ndarray, in_hw: tuple, st: tuple, pads: tuple, dl: tuple,
               groups: int) -> np.ndarray:
    """Gradient of the input (col2im): the transposed convolution of g (N, O, Ho, Wo)."""
    n, o, ho, wo = g.shape
    _, cg, kh, kw = w.shape
    og = o // groups
    (pt, pb), (pl, pr) = pads
    h, wd = in_hw
    sh, sw = st
    dw = cg == 1 and og == 1  # depthwise: a multiply-add per kernel offset, no columns
    if not dw:
        gc = np.matmul(w.reshape(groups, og, cg * kh * kw).transpose(0, 2, 1),
                       g.reshape(n, groups, og, ho * wo)).reshape(n, groups * cg, kh, kw, ho, wo)
    gxp = xp_of(g).zeros((n, groups * cg, h + pt + pb, wd + pl + pr), np.result_type(g, w))
    for i in range(kh):
        r0 = i * dl[0]
        rows = slice(r0, r0 + sh * (ho - 1) + 1, sh)
        for j in range(kw):
            c0 = j * dl[1]
            gxp[:, :, rows, c0:c0 + sw * (wo - 1) + 1:sw] += \
                g * w[:, 0, i, j][:, None, None] if dw else gc[:, :, i, j]
    if pt or pb or pl or pr:
        return contig(gxp[:, :, pt:pt + h, pl:pl + wd])
    return gxp


def _bwd_weight(x: np.ndarray, g: np.ndarray, w_shape: tuple, st: tuple, pads: tuple,
                dl: tuple, groups: int, cols: np.ndarray | None = None) -> np.ndarray:
    """Gradient of the weight: sum over the batch of g @ columns^T, one matmul per group."""
    n, o, ho, wo = g.shape
    if cols is None:
        cols = _im2col(_pad0(x, pads), w_shape[2:], st, dl, (ho, wo), groups)
    gg = g.reshape(n, groups, o // groups, ho * wo)
    # batched GEMMs (BLAS reads the transposed columns in place), then a sum over the batch
    gw = np.matmul(gg, cols.transpose(0, 1, 3, 2))
    gw = gw[0] if n == 1 else gw.sum(0)
    return gw.reshape(w_shape)


# ------------------------------------------------------------------ parameters and checks
class _Params:
    """Normalised convolution parameters (2-d; a 1-d conv has unit height)."""

    __slots__ = ("nd", "st", "pads", "dl", "transposed", "opad", "groups")

    def __init__(self, nd: int, st: tuple, pads: tuple, dl: tuple, transposed: bool,
                 opad: tuple, groups: int) -> None:
        self.nd, self.st, self.pads, self.dl = nd, st, pads, dl
        self.transposed, self.opad, self.groups = transposed, opad, groups


def _int_tuple(v: Any, k: int, name: str, op: str) -> tuple:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * k
    if isinstance(v, (tuple, list)) and all(isinstance(e, (int, np.integer)) for e in v):
        t = tuple(int(e) for e in v)
        if len(t) == 1:
            return t * k
        if len(t) != k:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(t)}")
        return t
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _to2(t: tuple, fill: Any) -> tuple:
    return t if len(t) == 2 else (fill, *t)


def _shape(t: Tensor) -> list:
    return list(t._data.shape)


def _tstr(dt: D.dtype) -> str:
    return "torch." + D._SCALAR_NAMES[dt.name] + "Tensor"


def _check(input: Tensor, weight: Tensor, bias: Tensor | None, p: _Params, op: str) -> None:
    """torch's check_shape_forward: channels, groups, bias, kernel vs padded input, dtypes."""
    g = p.groups
    ws, xs = _shape(weight), _shape(input)
    if weight._data.shape[0] < g:
        raise RuntimeError(f"Given groups={g}, expected weight to be at least {g} at dimension 0,"
                           f" but got weight of size {ws} instead")
    if ws[0] % g:
        raise RuntimeError(f"Given groups={g}, expected weight to be divisible by {g} at "
                           f"dimension 0, but got weight of size [{ws}] instead")
    if not p.transposed:
        if xs[1] != ws[1] * g:
            raise RuntimeError(f"Given groups={g}, weight of size {ws}, expected input{xs} to have"
                               f" {ws[1] * g} channels, but got {xs[1]} channels instead")
        nb = ws[0]
    else:
        if xs[1] != ws[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {ws}, expected input{xs} to "
                               f"have {ws[0]} channels, but got {xs[1]} channels instead")
        nb = ws[1] * g
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != nb):
        raise RuntimeError(f"Given weight of size {ws}, expected bias to be 1-dimensional with "
                           f"{nb} elements, but got bias of size {_shape(bias)} instead")
    if not p.transposed:
        k = p.nd
        sp = xs[2:]
        padded = [sp[i] + sum(p.pads[2 - k + i]) for i in range(k)]
        eff = [(ws[2 + i] - 1) * p.dl[2 - k + i] + 1 for i in range(k)]
        if any(a < b for a, b in zip(padded, eff)):
            raise RuntimeError(f"Calculated padded input size per channel: "
                               f"({' x '.join(map(str, padded))}). Kernel size: "
                               f"({' x '.join(map(str, eff))}). Kernel size can't be greater "
                               "than actual input size")
    if weight.dtype is not input.dtype:
        if input.dtype is D.float32:
            raise RuntimeError(f"Input type ({_tstr(input.dtype)}) and weight type "
                               f"({_tstr(weight.dtype)}) should be the same")
        raise RuntimeError(f"expected scalar type {D._SCALAR_NAMES[input.dtype.name]} but found "
                           f"{D._SCALAR_NAMES[weight.dtype.name]}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_cname(input.dtype)}) and bias type "
                           f"({_cname(bias.dtype)}) should be the same")
    if input.dtype is D.bool_:
        raise NotImplementedError(f"\"slow_conv{'_transpose' if p.transposed else ''}{k_name(p)}"
                                  "_cpu\" not implemented for 'Bool'")
    for other in (weight, bias):
        if other is not None and other.device != input.device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {input.device} and {other.device}! (when "
                               f"checking argument for {op})")


def k_name(p: _Params) -> str:
    return "2d" if p.nd == 2 else "1d"


def _cname(dt: D.dtype) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}.get(dt.name, dt.name)


def _params(input: Tensor, weight: Tensor, stride: Any, padding: Any, dilation: Any,
            transposed: bool, output_padding: Any, groups: int, op: str) -> _Params:
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        bad = "input" if not isinstance(input, Tensor) else "weight"
        v = input if bad == "input" else weight
        raise TypeError(f"{op}(): argument '{bad}' must be Tensor, not {type(v).__name__}")
    wd = weight._data.ndim
    if wd < 3:
        raise RuntimeError("weight should have at least three dimensions")
    k = wd - 2
    if k > 2:
        raise NotImplementedError(f"ember: {k}-d convolutions are not implemented (only 1-d and "
                                  "2-d)")
    st = _int_tuple(stride, k, "stride", op)
    dl = _int_tuple(dilation, k, "dilation", op)
    if isinstance(padding, str):
        if transposed:
            raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
        if padding == "valid":
            pads = ((0, 0),) * k
        elif padding == "same":
            if any(s != 1 for s in st):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = [dl[i] * (weight._data.shape[2 + i] - 1) for i in range(k)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((q, q) for q in _int_tuple(padding, k, "padding", op))
    opad = _int_tuple(output_padding, k, "output_padding", op)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    if input._data.ndim != wd:
        raise RuntimeError(f"Expected {wd}-dimensional input for {wd}-dimensional weight "
                           f"{_shape(weight)}, but got {input._data.ndim}-dimensional input of "
                           f"size {_shape(input)} instead")
    if any(q < 0 for pr in pads for q in pr):
        raise RuntimeError("negative padding is not supported")
    if any(q < 0 for q in opad):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in st):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dl):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if transposed and any(o >= s and o >= d for o, s, d in zip(opad, st, dl)):
        raise RuntimeError(_opad_msg(opad, st, dl))
    return _Params(k, _to2(st, 1), _to2(pads, (0, 0)), _to2(dl, 1), bool(transposed),
                   _to2(opad, 0) if transposed else (0, 0), int(groups))


def _opad_msg(opad: tuple, st: tuple, dl: tuple) -> str:
    if len(opad) == 1:
        return (f"output padding must be smaller than either stride or dilation, but got "
                f"output_padding: {opad[0]} stride: {st[0]} dilation: {dl[0]}")
    return ("output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {opad[0]} output_padding_width: {opad[1]} stride_height: "
            f"{st[0]} stride_width: {st[1]} dilation_height: {dl[0]} dilation_width: {dl[1]}")


# ------------------------------------------------------------------ the fused op
def _a4(t: Tensor, cdt: Any) -> np.ndarray:
    """t's array as 4-d (a 1-d conv's tensors get unit height) in the compute dtype."""
    a = t._data
    if a.dtype != cdt:
        a = a.astype(cdt)
    return a if a.ndim == 4 else a[:, :, None, :]


def _cdt(dt: D.dtype) -> Any:
    return np.float32 if dt in _HALF else dt.np


def _tr_out_hw(in_hw: tuple, w_shape: tuple, p: _Params) -> tuple:
    return tuple((in_hw[i] - 1) * p.st[i] - sum(p.pads[i]) + p.dl[i] * (w_shape[2 + i] - 1)
                 + p.opad[i] + 1 for i in (0, 1))


def _out_shape(input: Tensor, weight: Tensor, p: _Params) -> tuple:
    xs, ws = input._data.shape, weight._data.shape
    w4 = ws if len(ws) == 4 else (ws[0], ws[1], 1, ws[2])
    hw = (1, xs[2]) if p.nd == 1 else xs[2:]
    if p.transposed:
        o, hw = w4[1] * p.groups, _tr_out_hw(hw, w4, p)
    else:
        o, hw = w4[0], _out_hw(hw, p.pads, w4[2:], p.st, p.dl)
    return (xs[0], o, *hw[2 - p.nd:])


class ConvolutionBackward0(Node):
    def __init__(self, p: _Params, cols: np.ndarray | None) -> None:
        super().__init__()
        self.p, self.cols = p, cols

    def backward(self, grad: Tensor) -> tuple:
        inp, w = self.saved_tensors
        nf = self.next_functions
        mask = (nf[0][0] is not None, nf[1][0] is not None, nf[2][0] is not None)
        return _conv_backward(grad, inp, w, self.p, mask, self.cols)

    def release(self) -> None:
        self._saved = self.cols = None


class ConvolutionBackwardBackward0(Node):
    """Backward of the convolution backward: the op is bilinear, so all three terms are
    convolutions and convolution backwards again (any order works)."""

    _materialize = False

    def __init__(self, p: _Params, mask: tuple) -> None:
        super().__init__()
        self.p, self.mask = p, mask

    def backward(self, *grads: Any) -> tuple:
        grad, inp, w = self.saved_tensors
        ggi, ggw, ggb = (list(grads) + [None, None, None])[:3]
        p, nf = self.p, self.next_functions
        gg = gi = gw = None
        if nf[0][0] is not None:
            if ggi is not None:
                gg = _convolution(ggi, w, None, p)
            if ggw is not None:
                t = _convolution(inp, ggw, None, p)
                gg = t if gg is None else gg + t
            if ggb is not None:
                t = ggb.reshape((1, -1) + (1,) * p.nd)
                gg = t.expand(grad.shape) if gg is None else gg + t
        if nf[1][0] is not None and ggw is not None:
            gi = _conv_backward(grad, inp, ggw, p, (True, False, False))[0]
        if nf[2][0] is not None and ggi is not None:
            gw = _conv_backward(grad, ggi, w, p, (False, True, False))[1]
        return gg, gi, gw


def _conv_backward(grad: Tensor, inp: Tensor, w: Tensor, p: _Params, mask: tuple,
                   cols: np.ndarray | None = None) -> tuple:
    """(grad_input, grad_weight, grad_bias) of a convolution; an op with its own backward."""
    dt = inp.dtype
    cdt = _cdt(dt)
    g4, x4, w4 = _a4(grad, cdt), _a4(inp, cdt), _a4(w, cdt)
    if dt.category == D.COMPLEX:
        x4, w4 = np.conj(x4), np.conj(w4)
        cols = None
    st, pads, dl, groups = p.st, p.pads, p.dl, p.groups
    gi = gw = gb = None
    if mask[0]:
        a = _fwd(g4, w4, st, pads, dl, groups)[0] if p.transposed else \
            _bwd_input(g4, w4, x4.shape[2:], st, pads, dl, groups)
        gi = make(_back(a, inp._data.shape, dt), dt, inp.device)
    if mask[1]:
        a = _bwd_weight(g4, x4, w4.shape, st, pads, dl, groups) if p.transposed else \
            _bwd_weight(x4, g4, w4.shape, st, pads, dl, groups, cols)
        gw = make(_back(a, w._data.shape, dt), dt, w.device)
    if mask[2]:
        gb = make(_back(g4.sum((0, 2, 3)), (g4.shape[1],), dt), dt, grad.device)
    if grad_on(grad, inp, w):
        node = ConvolutionBackwardBackward0(p, mask)
        node.save(grad, inp, w)
        attach(node, (grad, inp, w), (gi, gw, gb))
    return gi, gw, gb


def _back(a: np.ndarray, shape: tuple, dt: D.dtype) -> np.ndarray:
    a = a.reshape(shape)
    return a if a.dtype == dt.np else a.astype(dt.np)


def _convolution(input: Tensor, weight: Tensor, bias: Tensor | None, p: _Params) -> Tensor:
    """The fused convolution on checked, normalised arguments."""
    dt = input.dtype
    if input.device.type == "meta":
        return make(ghost(_out_shape(input, weight, p), dt.np), dt, input.device)
    cdt = _cdt(dt)
    x4, w4 = _a4(input, cdt), _a4(weight, cdt)
    need = grad_on(input, weight, bias)
    cols = None
    if p.transposed:
        y = _bwd_input(x4, w4, _tr_out_hw(x4.shape[2:], w4.shape, p), p.st, p.pads, p.dl,
                       p.groups)
    else:
        y, cols = _fwd(x4, w4, p.st, p.pads, p.dl, p.groups)
        if not need or not weight._requires_grad or cols.size > 1 << 24:
            cols = None  # keep the columns for grad_weight only when they are small
    if bias is not None:
        y += bias._data.astype(cdt, copy=False).reshape(1, -1, 1, 1)
    if p.nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    out = make(y if y.dtype == dt.np else y.astype(dt.np), dt, input.device)
    if need:
        node = ConvolutionBackward0(p, cols)
        node.save(input, weight)
        attach(node, (input, weight, bias), (out,))
    return out


def _batched(name: str, input: Any, k: int) -> bool:
    """True when input has a batch dim; raises torch's error for a wrong number of dims."""
    if isinstance(input, Tensor):
        nd = input._data.ndim
        if nd == k + 1:
            return False
        if nd != k + 2:
            raise RuntimeError(f"Expected {k + 1}D (unbatched) or {k + 2}D (batched) input to "
                               f"{name}, but got input of size: {_shape(input)}")
    return True


def _conv_nd(name: str, k: int, input: Tensor, weight: Tensor, bias: Tensor | None,
             stride: Any, padding: Any, dilation: Any, transposed: bool, output_padding: Any,
             groups: int) -> Tensor:
    batched = _batched(name, input, k)
    x = input if batched else input.unsqueeze(0)
    p = _params(x, weight, stride, padding, dilation, transposed, output_padding, groups, name)
    _check(x, weight, bias, p, name)
    out = _convolution(x, weight, bias, p)
    return out if batched else out.squeeze(0)


@register("convolution")
def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:
    """torch.convolution: the op behind every conv (1-d and 2-d only in ember)."""
    p = _params(input, weight, stride, padding, dilation, transposed, output_padding, groups,
                "convolution")
    _check(input, weight, bias, p, "convolution")
    return _convolution(input, weight, bias, p)


@register("conv1d")
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-d convolution over (N, C, L) or unbatched (C, L) input; padding may be 'same'/'valid'."""
    return _conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, False, 0, groups)


@register("conv2d")
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-d convolution over (N, C, H, W) or (C, H, W) input; padding may be 'same'/'valid'.

    Differs from torch: padding='same' with an even kernel pads asymmetrically inside the op
    (torch pads a copy first), so no ConstantPadNdBackward0 node appears in the graph.
    """
    return _conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, False, 0, groups)


@register("conv_transpose1d")
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-d transposed convolution; weight is (C_in, C_out / groups, kL)."""
    return _conv_nd("conv_transpose1d", 1, input, weight, bias, stride, padding, dilation, True,
                    output_padding, groups)


@register("conv_transpose2d")
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-d transposed convolution; weight is (C_in, C_out / groups, kH, kW)."""
    return _conv_nd("conv_transpose2d", 2, input, weight, bias, stride, padding, dilation, True,
                    output_padding, groups)


# ------------------------------------------------------------------ unfold / fold (im2col)
def _col2im(c: np.ndarray, out_hw: tuple, k: tuple, dl: tuple, pad: tuple,
            st: tuple) -> np.ndarray:
    """(N, C, kh, kw, Lh, Lw) blocks summed back into (N, C, H, W)."""
    n, ch, kh, kw, lh, lw = c.shape
    h, w = out_hw
    xp = xp_of(c).zeros((n, ch, h + 2 * pad[0], w + 2 * pad[1]), c.dtype)
    for i in range(kh):
        rows = slice(i * dl[0], i * dl[0] + st[0] * (lh - 1) + 1, st[0])
        for j in range(kw):
            xp[:, :, rows, j * dl[1]:j * dl[1] + st[1] * (lw - 1) + 1:st[1]] += c[:, :, i, j]
    return contig(xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w])


def _blocks(hw: tuple, k: tuple, dl: tuple, pad: tuple, st: tuple) -> tuple:
    return tuple((hw[i] + 2 * pad[i] - dl[i] * (k[i] - 1) - 1) // st[i] + 1 for i in (0, 1))


class Im2ColBackward0(Node):
    def __init__(self, hw: tuple, args: tuple) -> None:
        super().__init__()
        self.hw, self.args = hw, args

    def backward(self, grad: Tensor) -> Tensor:
        return fold(grad, self.hw, *self.args)


class Col2ImBackward0(Node):
    def __init__(self, args: tuple) -> None:
        super().__init__()
        self.args = args

    def backward(self, grad: Tensor) -> Tensor:
        return unfold(grad, *self.args)


def _fold_args(kernel_size: Any, dilation: Any, padding: Any, stride: Any, op: str) -> tuple:
    return tuple(_int_tuple(v, 2, n, op) for v, n in ((kernel_size, "kernel_size"),
                                                     (dilation, "dilation"),
                                                     (padding, "padding"), (stride, "stride")))


@register("unfold", namespace="nn.functional")
def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding blocks of (N, C, H, W) (or (C, H, W)) as (N, C*kh*kw, L): torch's im2col."""
    args = _fold_args(kernel_size, dilation, padding, stride, "unfold")
    k, dl, pad, st = args
    shp = input._data.shape
    if len(shp) not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                           f"{len(shp)}D)")
    blocks = _blocks(shp[-2:], k, dl, pad, st)
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(f"Given input with spatial size ({shp[-2]}, {shp[-1]}), kernel_size="
                           f"{k}, dilation={dl}, padding={pad}, calculated shape of the array of "
                           f"sliding blocks as {blocks}, but its components must be at least one.")
    x = input._data if len(shp) == 4 else input._data[None]
    cols = _im2col(_pad0(x, ((pad[0], pad[0]), (pad[1], pad[1]))), k, st, dl, blocks, 1)
    out = make(cols.reshape(*shp[:-2][:-1], shp[-3] * k[0] * k[1], blocks[0] * blocks[1]),
               input.dtype, input.device)
    if grad_on(input):
        attach(Im2ColBackward0(tuple(shp[-2:]), args), (input,), (out,))
    return out


@register("fold", namespace="nn.functional")
def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum (N, C*kh*kw, L) sliding blocks back into (N, C, H, W): torch's col2im."""
    args = _fold_args(kernel_size, dilation, padding, stride, "fold")
    k, dl, pad, st = args
    hw = _int_tuple(output_size, 2, "output_size", "fold")
    shp = input._data.shape
    if len(shp) not in (2, 3):
        raise RuntimeError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                           f"supported (got {len(shp)}D)")
    kk = k[0] * k[1]
    if shp[-2] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={shp[-2]} and "
                           f"kernel_size={k}.")
    blocks = _blocks(hw, k, dl, pad, st)
    if blocks[0] * blocks[1] != shp[-1]:
        raise RuntimeError(f"Given output_size={hw}, kernel_size={k}, dilation={dl}, padding="
                           f"{pad}, stride={st}, expected size of input's dimension 2 to match "
                           f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
                           f"{blocks[0] * blocks[1]}, but got input.size(2)={shp[-1]}.")
    c = input._data if len(shp) == 3 else input._data[None]
    c = c.reshape(c.shape[0], shp[-2] // kk, k[0], k[1], *blocks)
    y = _col2im(c, hw, k, dl, pad, st)
    out = make(y if len(shp) == 3 else y[0], input.dtype, input.device)
    if grad_on(input):
        attach(Col2ImBackward0(args), (input,), (out,))
    return out
