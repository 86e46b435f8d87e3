"""Quantized Linear (torch.ao.nn.quantized.Linear): uint8 activations x int8 weights."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ....._tensor import Tensor
from .....nn.modules.linear import Linear as _FloatLinear
from .....nn.modules.linear import NonDynamicallyQuantizableLinear
from .....nn.modules.module import Module
from .....nn.utils.fusion import fuse_linear_bn_weights
from .....ops.creation import tensor, zeros
from .....ops.quantize import _make_per_tensor_quantized_tensor
from .. import _qt
from .._int8_gemm import int8_linear, requantize
from .utils import WeightedQuantizedModule, hide_packed_params_repr, quantize_weight

__all__ = ["LinearPackedParams", "Linear"]


class LinearPackedParams(Module):
    """Holds a Linear's prepacked weight and bias; state_dict keys `dtype`, `_packed_params`."""

    _version = 3

    def __init__(self, dtype: Any = None) -> None:
        super().__init__()
        self.dtype = ember.qint8 if dtype is None else dtype
        self.packed: _qt.PackedWeight | None = None
        self.weight_f16: np.ndarray | None = None
        self.bias_np: np.ndarray | None = None
        self._bias: Tensor | None = None
        if self.dtype == ember.qint8:
            wq = _make_per_tensor_quantized_tensor(
                zeros(1, 1, dtype=ember.int8), 1.0, 0)
        else:
            wq = zeros(1, 1)
        self.set_weight_bias(wq, None)

    def set_weight_bias(self, weight: Tensor, bias: Tensor | None) -> None:
        if self.dtype == ember.qint8:
            self.packed = _qt.PackedWeight(weight)
        elif self.dtype == ember.float16:
            # fbgemm's fp16 GEMM keeps the weight in half precision, saturated to its range
            w = weight.detach().float().numpy()
            self.weight_f16 = np.clip(w, -65504.0, 65504.0).astype(np.float16)
        else:
            raise RuntimeError("Unsupported dtype on dynamic quantized linear!")
        self._bias = None if bias is None else bias.detach().float()
        self.bias_np = None if self._bias is None else self._bias.numpy()

    def _weight_bias(self) -> tuple[Tensor, Tensor | None]:
        if self.dtype == ember.qint8:
            assert self.packed is not None
            return self.packed.tensor(), self._bias
        assert self.weight_f16 is not None
        return ember.from_numpy(self.weight_f16.astype(np.float32)), self._bias

    @property
    def _packed_params(self) -> tuple[Tensor, Tensor | None]:
        return self._weight_bias()

    def forward(self, x: Any) -> Any:
        return x

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_params"] = self._weight_bias()

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            self.dtype = ember.qint8
        else:
            self.dtype = state_dict.pop(prefix + "dtype")
        if version is None or version < 3:
            self.set_weight_bias(state_dict.pop(prefix + "weight"),
                                 state_dict.pop(prefix + "bias"))
        if version == 3:
            weight, bias = state_dict.pop(prefix + "_packed_params")
            self.set_weight_bias(weight, bias)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    def __repr__(self) -> str:
        return repr(self._weight_bias())


class Linear(WeightedQuantizedModule):
    """Quantized Linear: quint8 input, qint8 weight (per tensor or per channel), float bias.

    Computes the int32 accumulator exactly and requantizes as fbgemm does (float32
    multiplier, round half to even), so outputs match torch's integer for integer.
    """

    _version = 3
    _FLOAT_MODULE: Any = (_FloatLinear, NonDynamicallyQuantizableLinear)
    _RELU = False

    def __init__(self, in_features: int, out_features: int, bias_: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        dtype = ember.qint8 if dtype is None else dtype
        self.in_features = in_features
        self.out_features = out_features
        bias = zeros(out_features) if bias_ else None
        if dtype == ember.qint8:
            qweight = _make_per_tensor_quantized_tensor(
                zeros(out_features, in_features, dtype=ember.int8), 1.0, 0)
        elif dtype == ember.float16:
            qweight = zeros(out_features, in_features)
        else:
            raise RuntimeError("Unsupported dtype specified for quantized Linear!")
        self._packed_params = LinearPackedParams(dtype)
        self._packed_params.set_weight_bias(qweight, bias)
        self.scale = 1.0
        self.zero_point = 0

    def _get_name(self) -> str:
        return "QuantizedLinear"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"scale={self.scale}, zero_point={self.zero_point}, "
                f"qscheme={self.weight().qscheme()}")

    def __repr__(self) -> str:
        return hide_packed_params_repr(self, LinearPackedParams)

    def forward(self, x: Tensor) -> Tensor:
        _qt.check_quantized(x, self)
        if x.shape[-1] != self.in_features:
            raise RuntimeError(
                f"{self._get_name()}: input of shape {tuple(x.shape)} does not match "
                f"in_features={self.in_features}")
        packed = self._packed_params.packed
        assert packed is not None
        xq = _qt.int_repr(x)
        acc = int8_linear(xq.reshape(-1, self.in_features), int(x.q_zero_point()),
                          packed.values, packed.zero_points, packed.l1, packed.row_sum)
        atws = np.float32(x.q_scale()) * packed.scales
        y = requantize(acc, atws, self._packed_params.bias_np, self.scale, self.zero_point,
                       relu=self._RELU)
        return _qt.make_per_tensor(y.reshape(*xq.shape[:-1], self.out_features), self.scale,
                                   self.zero_point)

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = tensor(self.scale)
        destination[prefix + "zero_point"] = tensor(self.zero_point)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        self.scale = float(state_dict.pop(prefix + "scale"))
        self.zero_point = int(state_dict.pop(prefix + "zero_point"))
        version = local_metadata.get("version", None)
        if version is None or version == 1:
            state_dict[prefix + "_packed_params.weight"] = state_dict.pop(prefix + "weight")
            state_dict[prefix + "_packed_params.bias"] = state_dict.pop(prefix + "bias")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    def _weight_bias(self) -> tuple[Tensor, Tensor | None]:
        return self._packed_params._weight_bias()

    def weight(self) -> Tensor:
        return self._weight_bias()[0]

    def bias(self) -> Tensor | None:
        return self._weight_bias()[1]

    def set_weight_bias(self, w: Tensor, b: Tensor | None) -> None:
        self._packed_params.set_weight_bias(w, b)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """Quantize an observed float Linear (or a QAT / fused LinearReLU one)."""
        if hasattr(mod, "weight_fake_quant"):
            if type(mod).__name__ == "LinearBn1d":
                mod.weight, mod.bias = fuse_linear_bn_weights(
                    mod.weight, mod.bias, mod.bn.running_mean, mod.bn.running_var, mod.bn.eps,
                    mod.bn.weight, mod.bn.bias)
            weight_post_process = mod.weight_fake_quant
            activation_post_process = mod.activation_post_process
        else:
            floats = cls._FLOAT_MODULE if isinstance(cls._FLOAT_MODULE, tuple) else (
                cls._FLOAT_MODULE,)
            if type(mod) not in floats:
                names = ", ".join(f.__name__ for f in floats)
                raise AssertionError(f"nnq.{cls.__name__}.from_float only works for {names}, "
                                     f"but got: {type(mod)}")
            if not hasattr(mod, "qconfig"):
                raise AssertionError("Input float module must have qconfig defined")
            activation_post_process = mod.activation_post_process
            if type(mod).__name__ == "LinearReLU":
                mod = mod[0]
            weight_post_process = mod.qconfig.weight()
        if not use_precomputed_fake_quant:
            weight_post_process(mod.weight)
        dtype = weight_post_process.dtype
        act_scale, act_zp = activation_post_process.calculate_qparams()
        if dtype != ember.qint8:
            raise AssertionError(f"Weight observer must have dtype torch.qint8, got {dtype}")
        qweight = quantize_weight(mod.weight.float(), weight_post_process)
        qlinear = cls(mod.in_features, mod.out_features, dtype=dtype)
        qlinear.set_weight_bias(qweight, mod.bias)
        qlinear.scale = float(act_scale)
        qlinear.zero_point = int(act_zp)
        return qlinear
