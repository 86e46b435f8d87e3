"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area), the
deprecated upsample* wrappers, pixel_shuffle and pixel_unshuffle.

Every interpolation mode is separable: along each spatial axis an output sample is a weighted
sum of a few input samples (1 tap nearest, 2 linear, 4 cubic) whose indices and weights follow
torch's source-index formulas. Forward gathers with np.take along the last axis, then the
height axis; backward scatters with np.add.reduceat (the indices never decrease). Backward is an
op with its own backward (the forward again), so double backward works.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.graph import Node
from ...backends import add_at, contig, like, xp_of
from ...ops._core import attach, grad_on
from ...ops._registry import register

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


# ------------------------------------------------------------------ per-axis taps
def _scale(n_in: int, n_out: int, scale: float | None, align: bool, ct: Any) -> Any:
    """torch's area_pixel_compute_scale in the op's compute type."""
    if align:
        return ct(n_in - 1) / ct(n_out - 1) if n_out > 1 else ct(0)
    if scale is not None and scale > 0:
        return ct(1.0 / scale)
    return ct(n_in) / ct(n_out)


def _nearest_taps(n_in: int, n_out: int, scale: float | None, exact: bool) -> list:
    dst = np.arange(n_out)
    if n_in == n_out:
        return [(dst, None)]
    if n_out == 2 * n_in and not exact:
        return [(dst >> 1, None)]
    s = _scale(n_in, n_out, scale, False, np.float32)
    src = (dst + np.float32(0.5)).astype(np.float32) * s if exact else dst.astype(np.float32) * s
    return [(np.minimum(np.floor(src).astype(np.int64), n_in - 1), None)]


def _linear_taps(n_in: int, n_out: int, scale: float | None, align: bool, ct: Any) -> list:
    dst = np.arange(n_out)
    if n_in == n_out:
        return [(dst, None)]
    s = _scale(n_in, n_out, scale, align, ct)
    d = dst.astype(ct)
    src = s * d if align else np.maximum(s * (d + ct(0.5)) - ct(0.5), ct(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(ct), 0, 1).astype(ct)
    i1 = i0 + (i0 < n_in - 1)
    return [(i0, (ct(1) - l1).astype(ct)), (i1, l1)]


def _cubic_taps(n_in: int, n_out: int, scale: float | None, align: bool, ct: Any) -> list:
    dst = np.arange(n_out)
    s = _scale(n_in, n_out, scale, align, ct)
    d = dst.astype(ct)
    src = s * d if align else s * (d + ct(0.5)) - ct(0.5)
    i = np.minimum(np.floor(src).astype(np.int64), n_in - 1)  # torch's guard_index_and_lambda
    t = np.clip(src - i.astype(ct), 0, 1).astype(ct)
    a = ct(-0.75)

    def near(x: Any) -> Any:  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x: Any) -> Any:  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    ws = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(np.clip(i - 1 + k, 0, n_in - 1), ws[k].astype(ct)) for k in range(4)]


def _take(x: np.ndarray, taps: list, axis: int) -> np.ndarray:
    shape = [1] * x.ndim
    shape[axis] = -1
    out: Any = None
    for idx, w in taps:
        v = np.take(x, like(x, idx), axis=axis)
        if w is not None:
            v *= like(x, w).reshape(shape)
        out = v if out is None else np.add(out, v, out=out)
    return out


def _scatter(g: np.ndarray, taps: list, axis: int, n_in: int) -> np.ndarray:
    shape = [1] * g.ndim
    shape[axis] = -1
    oshape = list(g.shape)
    oshape[axis] = n_in
    if type(g) is not np.ndarray:
        return _scatter_dev(g, taps, axis, n_in)
    out = np.zeros(oshape, g.dtype)
    for idx, w in taps:
        v = g * w.reshape(shape) if w is not None else g
        if len(idx) == 0:
            continue
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
        s = np.add.reduceat(v, starts, axis=axis)
        key = [slice(None)] * g.ndim
        key[axis] = idx[starts]
        out[tuple(key)] += s
    return out


def _scatter_dev(g: Any, taps: list, axis: int, n_in: int) -> Any:
    """_scatter for device arrays (CuPy has no add.reduceat): one scatter-add per tap."""
    xp = xp_of(g)
    shape = [1] * g.ndim
    shape[axis] = -1
    g0 = xp.moveaxis(g, axis, 0)
    out = xp.zeros((n_in,) + g0.shape[1:], g.dtype)
    for idx, w in taps:
        v = g * like(g, w).reshape(shape) if w is not None else g
        if len(idx) == 0:
            continue
        add_at(out, like(g, idx), xp.ascontiguousarray(xp.moveaxis(v, axis, 0)))
    return xp.moveaxis(out, 0, axis)


class _ResampleBackwardBackward(Node):
    def __init__(self, taps: tuple) -> None:
        super().__init__()
        self.taps = taps

    def backward(self, gg: Tensor) -> Tensor:
        return _resample(gg, self.taps, type(self).__name__)


class _ResampleBackward(Node):
    def __init__(self, taps: tuple, in_shape: tuple) -> None:
        super().__init__()
        self.taps, self.in_shape = taps, in_shape

    def backward(self, grad: Tensor) -> Tensor:
        dt = grad.dtype
        g = grad._data.astype(_cdt(dt), copy=False)
        for k, taps in enumerate(reversed(self.taps)):
            if taps is not None:
                g = _scatter(g, taps, -1 - k, self.in_shape[-1 - k])
        res = make(_back(contig(g), dt), dt, grad.device)
        if grad_on(grad):
            name = type(self).__name__.replace("Backward0", "BackwardBackward0")
            node = _NODES[name](self.taps)
            attach(node, (grad,), (res,))
        return res


def _node(name: str, base: type) -> type:
    return type(name, (base,), {})


_NODES: dict = {}
for _n in ("UpsampleNearest1D", "UpsampleNearest2D", "UpsampleNearestExact1D",
           "UpsampleNearestExact2D", "UpsampleLinear1D", "UpsampleBilinear2D",
           "UpsampleBicubic2D"):
    _NODES[_n + "Backward0"] = _node(_n + "Backward0", _ResampleBackward)
    _NODES[_n + "BackwardBackward0"] = _node(_n + "BackwardBackward0", _ResampleBackwardBackward)


def _cdt(dt: D.dtype) -> Any:
    return np.float32 if dt in (D.float16, D.bfloat16) else dt.np


def _back(a: np.ndarray, dt: D.dtype) -> np.ndarray:
    return a if a.dtype == dt.np else a.astype(dt.np)


def _resample(input: Tensor, taps: tuple, node_name: str) -> Tensor:
    """Apply per-axis taps (None = identity) to the trailing spatial axes."""
    dt = input.dtype
    x = input._data.astype(_cdt(dt), copy=False)
    for k, t in enumerate(reversed(taps)):
        if t is not None:
            x = _take(x, t, -1 - k)
    x = contig(x)
    out = make(_back(x if x is not input._data else x.copy(), dt), dt, input.device)
    if grad_on(input):
        name = node_name.replace("BackwardBackward0", "Backward0")
        attach(_NODES[name](taps, tuple(input._data.shape)), (input,), (out,))
    return out


# ------------------------------------------------------------------ interpolate
def _tuple_arg(v: Any, n: int, what: str, spatial: list) -> list | None:
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        if len(v) != n:
            raise ValueError(
                f"Input and {'output' if what == 'output size' else what} must have the same "
                f"number of spatial dimensions, but got input with spatial dimensions of "
                f"{spatial} and {what}"
                f"{' of shape' if what == 'scale_factor' else ''} of {v}. Please provide input "
                f"tensor in (N, C, d1, d2, ...,dK) format and {what} in "
                f"{'(s1, s2, ...,sK)' if what == 'scale_factor' else '(o1, o2, ...,oK)'} format.")
        return list(v)
    return [v] * n


@register("interpolate", namespace="nn.functional")
def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims; modes nearest, nearest-exact, linear, bilinear, bicubic, area.

    Differs from torch: 3-d (trilinear, 5-D input) and antialias=True are not implemented.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    nd = input._data.ndim
    if nd not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{nd}D) for the modes: {_MODES} (got {mode})")
    k = nd - 2
    spatial = list(input._data.shape[2:])
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sizes = _tuple_arg(size, k, "output size", spatial)
    scales = _tuple_arg(scale_factor, k, "scale_factor", spatial)
    if recompute_scale_factor and sizes is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if sizes is None:
        sizes = [math.floor(float(spatial[i] * scales[i])) for i in range(k)]  # type: ignore
    sizes = [int(s) for s in sizes]
    if recompute_scale_factor:
        scales = None
    if antialias and not (mode in ("bilinear", "bicubic") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and "
                         "requires a 4-D tensor as input")
    need = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}.get(mode)
    if need is not None and nd != need:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {need}D input")
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "area",
                    "trilinear"):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {nd}D) for the modes: {_MODES} (got {mode})")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        return (adaptive_avg_pool1d if k == 1 else adaptive_avg_pool2d)(input, sizes)
    if nd == 5 or antialias:
        raise NotImplementedError(f"ember: interpolate with {mode} on 5-D input or antialias="
                                  "True is not implemented")
    if any(s <= 0 for s in sizes) or any(s <= 0 for s in spatial):
        io = ", ".join(f"{n}: {v}" for n, v in zip("HW"[2 - k:], spatial))
        oo = ", ".join(f"{n}: {v}" for n, v in zip("HW"[2 - k:], sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({io}) output ({oo})")
    dt = input.dtype
    if dt.category != D.FLOAT and not (dt is D.uint8 and mode.startswith("nearest")):
        kern = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact",
                "linear": "upsample_linear", "bilinear": "upsample_bilinear",
                "bicubic": "upsample_bicubic"}[mode]
        raise NotImplementedError(f"\"{kern}{k}d_channels_last\" not implemented for "
                                  f"'{D._SCALAR_NAMES[dt.name]}'")
    ct = np.float64 if dt is D.float64 else np.float32
    sc = scales if scales is not None else [None] * k
    taps: tuple
    if mode.startswith("nearest"):
        exact = mode == "nearest-exact"
        taps = tuple(_nearest_taps(spatial[i], sizes[i], sc[i], exact) for i in range(k))
        name = f"UpsampleNearest{'Exact' if exact else ''}{k}DBackward0"
    elif mode == "bicubic":
        taps = tuple(_cubic_taps(spatial[i], sizes[i], sc[i], bool(align_corners), ct)
                     for i in range(k))
        name = "UpsampleBicubic2DBackward0"
    else:
        taps = tuple(_linear_taps(spatial[i], sizes[i], sc[i], bool(align_corners), ct)
                     for i in range(k))
        name = "UpsampleLinear1DBackward0" if k == 1 else "UpsampleBilinear2DBackward0"
    taps = tuple(None if (len(t) == 1 and t[0][1] is None and len(t[0][0]) == spatial[i] and
                          (t[0][0] == np.arange(spatial[i])).all()) else t
                 for i, t in enumerate(taps))
    return _resample(input, taps, name)


@register("upsample", namespace="nn.functional")
def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate (warns as torch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


@register("upsample_nearest", namespace="nn.functional")
def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


@register("upsample_bilinear", namespace="nn.functional")
def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------ pixel (un)shuffle
def _shuffle_arr(x: np.ndarray, r: int, up: bool) -> np.ndarray:
    *b, c, h, w = x.shape
    if up:
        oc = c // (r * r)
        y = x.reshape(*b, oc, r, r, h, w)
        nb = len(b)
        y = y.transpose(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
        return contig(y).reshape(*b, oc, h * r, w * r)
    nb = len(b)
    y = x.reshape(*b, c, h // r, r, w // r, r)
    y = y.transpose(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return contig(y).reshape(*b, c * r * r, h // r, w // r)


class PixelShuffleBackward0(Node):
    def __init__(self, r: int) -> None:
        super().__init__()
        self.r = r

    def backward(self, grad: Tensor) -> Tensor:
        return pixel_unshuffle(grad, self.r)


class PixelUnshuffleBackward0(Node):
    def __init__(self, r: int) -> None:
        super().__init__()
        self.r = r

    def backward(self, grad: Tensor) -> Tensor:
        return pixel_shuffle(grad, self.r)


def _shuffle(input: Tensor, r: int, up: bool) -> Tensor:
    name = "pixel_shuffle" if up else "pixel_unshuffle"
    shp = input._data.shape
    if len(shp) < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {len(shp)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {'up' if up else 'down'}scale_factor, but "
                           f"got {r}")
    if up and shp[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{shp[-3]} is not divisible by {r * r}")
    if not up:
        for d, nm in ((-2, "height"), (-1, "width")):
            if shp[d] % r:
                raise RuntimeError(f"pixel_unshuffle expects {nm} to be divisible by "
                                   f"downscale_factor, but input.size({d})={shp[d]} is not "
                                   f"divisible by {r}")
    out = make(_shuffle_arr(input._data, r, up), input.dtype, input.device)
    if grad_on(input):
        attach((PixelShuffleBackward0 if up else PixelUnshuffleBackward0)(r), (input,), (out,))
    return out


@register("pixel_shuffle")
def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    return _shuffle(input, int(upscale_factor), True)


@register("pixel_unshuffle")
def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    return _shuffle(input, int(downscale_factor), False)
