"""Quantized Conv1d/Conv2d (torch.ao.nn.quantized): im2col over uint8 input + the int8 GEMM."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import ember

from ....._tensor import Tensor
from .....nn.modules import conv as _fconv
from .....nn.utils.fusion import fuse_conv_bn_weights
from .....ops.creation import tensor, zeros
from .....ops.quantize import _make_per_tensor_quantized_tensor
from .. import _qt
from .._int8_gemm import int8_linear, requantize
from .utils import WeightedQuantizedModule, quantize_weight

__all__ = ["Conv1d", "Conv2d", "qconv2d_np"]


def _pair(v: Any) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def qconv2d_np(x: np.ndarray, x_zp: int, x_scale: float, w: _qt.PackedWeight,
               bias: np.ndarray | None, stride: tuple, padding: tuple, dilation: tuple,
               groups: int, out_scale: float, out_zp: int, relu: bool) -> np.ndarray:
    """uint8 NCHW x int8 OIHW -> uint8 NCHW, requantized as fbgemm's conv does.

    Padding takes the input zero point (a real zero); columns are built with a strided
    window view, one int8 GEMM per group.
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.values.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=x_zp)
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    if x.shape[2] < eh or x.shape[3] < ew:
        raise RuntimeError(f"quantized conv: input {(n, c, h, wd)} with padding {padding} is "
                           f"smaller than the dilated kernel {(eh, ew)}")
    win = sliding_window_view(x, (eh, ew), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    oh, ow = win.shape[2], win.shape[3]
    cols = win.reshape(n, groups, cg, oh, ow, kh, kw).transpose(0, 3, 4, 1, 2, 5, 6)
    cols = np.ascontiguousarray(cols).reshape(n * oh * ow, groups, cg * kh * kw)
    og = o // groups
    wv = w.values.reshape(o, cg * kh * kw)
    zps = w.zero_points
    acc = np.empty((n * oh * ow, o), dtype=np.int32)
    for g in range(groups):
        sl = slice(g * og, (g + 1) * og)
        wzp = zps[sl] if isinstance(zps, np.ndarray) else zps
        acc[:, sl] = int8_linear(cols[:, g], x_zp, wv[sl], wzp, w.l1[sl], w.row_sum[sl])
    y = requantize(acc, np.float32(x_scale) * w.scales, bias, out_scale, out_zp, relu)
    return np.ascontiguousarray(y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2))


class _ConvNd(WeightedQuantizedModule):
    """Shared by quantized Conv1d/Conv2d: weight/bias/scale/zero_point in the state_dict."""

    _version = 3
    _FLOAT_MODULE: Any = None
    _NNIQAT_CONV_BN_MODULE = "ConvBn2d"
    _NNI_CONV_RELU_MODULE = "ConvReLU2d"
    _RELU = False
    _DIMS = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(
                f"{self._get_name()}: padding_mode={padding_mode!r} is not implemented "
                f"(only 'zeros')")
        tup = _fconv._ntuple(self._DIMS)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride)
        self.padding = tup(padding)
        self.dilation = tup(dilation)
        self.transposed = False
        self.output_padding = tup(0)
        self.groups = groups
        self.padding_mode = padding_mode
        qweight = _make_per_tensor_quantized_tensor(
            zeros(out_channels, in_channels // groups, *self.kernel_size,
                        dtype=ember.int8), 1.0, 0)
        self.set_weight_bias(qweight, zeros(out_channels) if bias else None)
        self.scale = 1.0
        self.zero_point = 0

    def set_weight_bias(self, w: Tensor, b: Tensor | None) -> None:
        self._packed = _qt.PackedWeight(w)
        self._bias = None if b is None else b.detach().float()
        self._bias_np = None if self._bias is None else self._bias.numpy()

    def _weight_bias(self) -> tuple[Tensor, Tensor | None]:
        return self._packed.tensor(), self._bias

    def weight(self) -> Tensor:
        return self._weight_bias()[0]

    def bias(self) -> Tensor | None:
        return self._bias

    def extra_repr(self) -> str:
        s = ("{in_channels}, {out_channels}, kernel_size={kernel_size}"
             ", stride={stride}, scale={scale}, zero_point={zero_point}")
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias() is None:
            s += ", bias=False"
        return s.format(**self.__dict__)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        _qt.check_quantized(input, self)
        want = self._DIMS + 2
        if input.dim() != want:
            raise ValueError(f"Input shape must be `(N, C, {'H, W' if want == 4 else 'L'})`!")
        x = _qt.int_repr(input)
        if x.shape[1] != self.in_channels:
            raise RuntimeError(f"{self._get_name()}: input has {x.shape[1]} channels, expected "
                               f"{self.in_channels}")
        if self._DIMS == 1:
            x = x[:, :, None, :]
            stride, padding, dilation = ((1,) + self.stride, (0,) + self.padding,
                                         (1,) + self.dilation)
            w = _unsqueezed(self._packed)
        else:
            stride, padding, dilation, w = self.stride, self.padding, self.dilation, self._packed
        y = qconv2d_np(x, int(input.q_zero_point()), float(input.q_scale()), w, self._bias_np,
                       stride, padding, dilation, self.groups, self.scale, self.zero_point,
                       self._RELU)
        if self._DIMS == 1:
            y = np.ascontiguousarray(y[:, :, 0, :])
        return _qt.make_per_tensor(y, self.scale, self.zero_point)

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        w, b = self._weight_bias()
        destination[prefix + "weight"] = w
        destination[prefix + "bias"] = b
        destination[prefix + "scale"] = tensor(self.scale)
        destination[prefix + "zero_point"] = tensor(self.zero_point)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        self.set_weight_bias(state_dict.pop(prefix + "weight"), state_dict.pop(prefix + "bias"))
        self.scale = float(state_dict.pop(prefix + "scale"))
        self.zero_point = int(state_dict.pop(prefix + "zero_point"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    @classmethod
    def get_qconv(cls, mod: Any, activation_post_process: Any,
                  weight_post_process: Any = None) -> Any:
        if weight_post_process is None:
            weight_post_process = mod.qconfig.weight()
        weight_post_process(mod.weight)
        if weight_post_process.dtype != ember.qint8:
            raise AssertionError("Weight observer must have a dtype of qint8")
        qweight = quantize_weight(mod.weight.float(), weight_post_process)
        qconv = cls(mod.in_channels, mod.out_channels, mod.kernel_size, mod.stride, mod.padding,
                    mod.dilation, mod.groups, mod.bias is not None, mod.padding_mode)
        qconv.set_weight_bias(qweight, mod.bias)
        if activation_post_process is None or activation_post_process.dtype == ember.float:
            return qconv
        act_scale, act_zp = activation_post_process.calculate_qparams()
        qconv.scale = float(act_scale)
        qconv.zero_point = int(act_zp)
        return qconv

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """Quantize an observed float conv (plain, fused with ReLU, or QAT conv[-bn])."""
        if hasattr(mod, "weight_fake_quant"):
            if type(mod).__name__ in ("ConvBn2d", "ConvBnReLU2d", "ConvBn1d", "ConvBnReLU1d"):
                mod.weight, mod.bias = fuse_conv_bn_weights(
                    mod.weight, mod.bias, mod.bn.running_mean, mod.bn.running_var, mod.bn.eps,
                    mod.bn.weight, mod.bn.bias)
            if not hasattr(mod, "activation_post_process"):
                raise AssertionError("Input QAT module must have observer attached")
            return cls.get_qconv(mod, mod.activation_post_process, mod.weight_fake_quant)
        if type(mod) is not cls._FLOAT_MODULE and type(mod).__name__ != (
                f"ConvReLU{cls._DIMS}d"):
            raise AssertionError(f"nnq.{cls.__name__}.from_float only works for "
                                 f"{cls._FLOAT_MODULE.__name__} but got: {type(mod)}")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined.")
        activation_post_process = getattr(mod, "activation_post_process", None)
        if type(mod).__name__ == f"ConvReLU{cls._DIMS}d":
            mod = mod[0]
        return cls.get_qconv(mod, activation_post_process)


def _unsqueezed(w: _qt.PackedWeight) -> _qt.PackedWeight:
    v = w.values
    out = object.__new__(_qt.PackedWeight)
    for name in _qt.PackedWeight.__slots__:
        setattr(out, name, getattr(w, name))
    out.values = v.reshape(v.shape[0], v.shape[1], 1, v.shape[2])
    return out


class Conv1d(_ConvNd):
    """Quantized 1-d convolution (a 2-d one over a height of 1)."""

    _FLOAT_MODULE = _fconv.Conv1d
    _DIMS = 1

    def _get_name(self) -> str:
        return "QuantizedConv1d"


class Conv2d(_ConvNd):
    """Quantized 2-d convolution (zeros padding only, as torch's fbgemm kernel)."""

    _FLOAT_MODULE = _fconv.Conv2d

    def _get_name(self) -> str:
        return "QuantizedConv2d"
