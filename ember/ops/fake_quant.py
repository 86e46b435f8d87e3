"""Fake quantization ops: quantize then dequantize in float, with a straight-through gradient.

Numerics are torch 2.13's CPU kernels: q = rint(x * inv_scale) + zero_point with
inv_scale = 1f / float(scale); out = (clamp(q, quant_min, quant_max) - zero_point) * scale.
The gradient passes where quant_min <= q <= quant_max (the mask is taken on the rounded value
before clamping) and is zero elsewhere; scale and zero point get no gradient.
"""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from .._quantized import QTensor, scalar_name
from ._core import Node, Tensor, attach, grad_on, make, np
from ._registry import register

_FLOATS = (D.float32, D.float64, D.float16, D.bfloat16)


class _MaskBackward(Node):
    """grad * mask: the straight-through estimator of the fake-quant ops."""

    _mask: tuple

    def backward(self, grad: Tensor) -> Tensor:
        (mask,) = self._mask
        return grad * mask


class FakeQuantizePerTensorAffineCachemaskBackward0(_MaskBackward):
    pass


class FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0(_MaskBackward):
    pass


class FakeQuantizePerChannelAffineCachemaskBackward0(_MaskBackward):
    pass


def _check_input(op: str, x: Any) -> None:
    if not isinstance(x, Tensor) or isinstance(x, QTensor):
        raise TypeError(f"{op}(): argument 'input' must be a float Tensor, got "
                        f"{type(x).__name__}")
    if x.dtype not in _FLOATS:
        raise NotImplementedError(f'"fake_quantize_tensor_cachemask_kernel_type_handling" not '
                                  f"implemented for '{scalar_name(x.dtype)}' ({op} takes floating "
                                  "point input)")


def _check_range(quant_min: int, quant_max: int) -> None:
    if quant_min > quant_max:
        raise RuntimeError("`quant_min` should be less than or equal to `quant_max`.")


def _fake(x: np.ndarray, inv: Any, scale: Any, zp: Any, qmin: int, qmax: int,
          dt: D.dtype) -> tuple[np.ndarray, np.ndarray]:
    """(fake-quantized values, in-range mask) in the input's dtype.

    float64 input rounds x * inv_scale in double but dequantizes in float32, as torch does;
    float16/bfloat16 compute in float32.
    """
    work = np.float64 if dt is D.float64 else np.float32
    xs = x.astype(work, copy=False)
    q = np.rint(xs * np.asarray(inv, work)) + np.asarray(zp, work)
    mask = (q >= qmin) & (q <= qmax)
    f32 = np.float32
    out = (np.clip(q, qmin, qmax) - np.asarray(zp, work)).astype(f32) * np.asarray(scale, f32)
    return np.asarray(out).astype(dt.np, copy=False), np.asarray(mask)


def _finish(x: Tensor, out: np.ndarray, mask: np.ndarray, node_cls: type) -> Tensor:
    res = make(out, x.dtype, x.device)
    if grad_on(x):
        node = node_cls()
        node._mask = (make(mask.astype(x.dtype.np), x.dtype, x.device),)
        attach(node, (x,), (res,))
    return res


def _one(v: Any, what: str) -> Any:
    if isinstance(v, Tensor):
        if v.numel() != 1:
            raise RuntimeError(f"fake_quantize_per_tensor_affine: {what} must hold one element, "
                               f"got shape {list(v.shape)}")
        return v._host().reshape(-1)[0]
    return v


@register("fake_quantize_per_tensor_affine")
def fake_quantize_per_tensor_affine(input: Tensor, scale: Any, zero_point: Any, quant_min: int,
                                    quant_max: int) -> Tensor:
    """Quantize and dequantize with one scale and zero point (floats or one-element tensors)."""
    op = "fake_quantize_per_tensor_affine"
    _check_input(op, input)
    tensor_qparams = isinstance(scale, Tensor) or isinstance(zero_point, Tensor)
    if tensor_qparams and isinstance(scale, Tensor) and isinstance(zero_point, Tensor) and \
            scale.dim() != zero_point.dim():
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    _check_range(quant_min, quant_max)
    s = np.float32(_one(scale, "scale"))
    zp = int(round(float(_one(zero_point, "zero_point"))))
    if not quant_min <= zp <= quant_max:
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    inv = np.float32(1.0) / s
    out, mask = _fake(input._host(), inv, s, zp, quant_min, quant_max, input.dtype)
    node = FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0 if tensor_qparams else \
        FakeQuantizePerTensorAffineCachemaskBackward0
    return _finish(input, out, mask, node)


@register("fake_quantize_per_channel_affine")
def fake_quantize_per_channel_affine(input: Tensor, scale: Tensor, zero_point: Tensor,
                                     axis: int, quant_min: int, quant_max: int) -> Tensor:
    """Fake quantization with one scale and zero point per slice along `axis`."""
    op = "fake_quantize_per_channel_affine"
    _check_input(op, input)
    if scale.dtype not in (D.float32, D.bfloat16):
        raise RuntimeError(f"Scale must be Float or BFloat16, found {scalar_name(scale.dtype)}")
    if zero_point.dtype not in (D.int32, D.float32, D.float16):
        raise RuntimeError(f"Zero-point must be Int32, Float or Half, found "
                           f"{scalar_name(zero_point.dtype)}")
    if scale.dim() != 1:
        raise RuntimeError("scale should be a 1-D tensor")
    if zero_point.dim() != 1:
        raise RuntimeError("zero point should be a 1-D tensor")
    if scale.numel() != zero_point.numel():
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    nd = input.dim()
    if axis < -nd or axis >= max(nd, 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {axis})")
    if axis < 0:
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")
    if scale.numel() != input.shape[axis]:
        raise RuntimeError("dimensions of scale and zero-point are not consistent with input "
                           "tensor")
    _check_range(quant_min, quant_max)
    zp = zero_point._host()
    if np.any(zp < quant_min) or np.any(zp > quant_max):
        raise RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")
    shape = [1] * nd
    shape[axis] = -1
    s = scale._host().astype(np.float32).reshape(shape)
    inv = (np.float32(1.0) / s)
    x = input._host()
    if zero_point.dtype is D.int32:
        out, mask = _fake(x, inv, s, zp.reshape(shape), quant_min, quant_max, input.dtype)
    else:  # float zero points: q = rint(x * inv + zp), torch's float-qparams kernel
        z = zp.astype(np.float32).reshape(shape)
        q = np.rint(x.astype(np.float32) * inv + z)
        mask = (q >= quant_min) & (q <= quant_max)
        # (q - zp) * scale in double, rounded once
        out = ((np.clip(q, quant_min, quant_max).astype(np.float64) - z) * s)
        out = out.astype(np.float32).astype(input.dtype.np)
    return _finish(input, out, mask, FakeQuantizePerChannelAffineCachemaskBackward0)


def _running(buf: Tensor, cur: np.ndarray, c: float) -> np.ndarray:
    """Moving average of min/max, in place in `buf` (a first observation is taken as is)."""
    old = buf._host()
    if old.shape != cur.shape:  # per-channel buffers start empty
        new = cur.astype(np.float32)
    else:
        new = np.where(np.isinf(old), cur, old + np.float32(c) * (cur - old)).astype(np.float32)
    if buf._data.shape != new.shape:
        buf._data = new.copy()
        buf._storage = buf._base = None
    else:
        buf._data[...] = new
    buf._bump_version()
    return new


def _store(buf: Tensor, values: list) -> None:
    v = np.asarray(values).astype(buf._data.dtype)
    if buf._data.shape != v.shape:
        buf._data = v.copy()
        buf._storage = buf._base = None
    else:
        buf._data[...] = v
    buf._bump_version()


@register("fused_moving_avg_obs_fake_quant")
def fused_moving_avg_obs_fake_quant(input: Tensor, observer_on: Tensor, fake_quant_on: Tensor,
                                    running_min: Tensor, running_max: Tensor, scale: Tensor,
                                    zero_point: Tensor, averaging_const: float, quant_min: int,
                                    quant_max: int, ch_axis: int,
                                    per_row_fake_quant: bool = False,
                                    symmetric_quant: bool = False) -> Tensor:
    """Update moving-average min/max and qparams in place (when observer_on), then fake
    quantize (when fake_quant_on). Per-row mode works on dim 0 (ch_axis must be 0)."""
    from .quantize import choose_qparams

    op = "fused_moving_avg_obs_fake_quant"
    _check_input(op, input)
    if per_row_fake_quant and ch_axis != 0:
        raise RuntimeError("Per-channel FakeQuant in fused_moving_avg_obs_fake_quant is only "
                           "supported on axis == 0")
    if int(observer_on._host().reshape(-1)[0]) == 1 and input.numel():
        x = input._host().astype(np.float32, copy=False)
        if per_row_fake_quant:
            rows = x.reshape(x.shape[0], -1)
            cur_min, cur_max = rows.min(axis=1), rows.max(axis=1)
        else:
            cur_min, cur_max = np.asarray(x.min()), np.asarray(x.max())
        mn = _running(running_min, cur_min, averaging_const).reshape(-1)
        mx = _running(running_max, cur_max, averaging_const).reshape(-1)
        qp = [choose_qparams(float(a), float(b), quant_min, quant_max,
                             preserve_sparsity=symmetric_quant) for a, b in zip(mn, mx)]
        _store(scale, [s for s, _ in qp])
        _store(zero_point, [z for _, z in qp])
    if int(fake_quant_on._host().reshape(-1)[0]) != 1:
        return input
    if per_row_fake_quant:
        return fake_quantize_per_channel_affine(input, scale, zero_point, ch_axis, quant_min,
                                                quant_max)
    return fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max)
