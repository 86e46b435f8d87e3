"""Dynamically quantized Linear (torch.ao.nn.quantized.dynamic.Linear): float in, float out."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ...... import _native
from ......_tensor import Tensor
from ......nn.modules.linear import Linear as _FloatLinear
from ......nn.modules.linear import NonDynamicallyQuantizableLinear
from ..._int8_gemm import (
    choose_qparams_dynamic,
    dequantize_acc,
    int8_linear,
    quantize_dynamic_input,
)
from ...modules import linear as nnq_linear
from ...modules.utils import quantize_weight

__all__ = ["Linear"]


def dynamic_linear_np(x: np.ndarray, packed: nnq_linear.LinearPackedParams,
                      reduce_range: bool = True) -> np.ndarray:
    """float32 (M, K) -> float32 (M, N) as fbgemm's linear_dynamic (or linear_dynamic_fp16).

    int8: the batch is quantized to uint8 with qparams chosen from its own min/max (reduce
    range: 0..127 on fbgemm), multiplied exactly in int32 and dequantized with one rounding.
    """
    if packed.dtype == ember.float16:
        assert packed.weight_f16 is not None
        y = x @ packed.weight_f16.astype(np.float32).T
        if packed.bias_np is not None:
            y += packed.bias_np
        return y
    w = packed.packed
    assert w is not None
    scale, zp = choose_qparams_dynamic(x, reduce_range)
    y_native = _native.dynamic_linear(
        x, np.float32(1.0) / np.float32(scale), zp, w.values, w.zero_points, w.row_sum,
        (np.float32(scale) * w.scales).astype(np.float64), packed.bias_np)
    if y_native is not None:
        return y_native
    xq = quantize_dynamic_input(x, scale, zp)
    acc = int8_linear(xq, zp, w.values, w.zero_points, w.l1, w.row_sum)
    return dequantize_acc(acc, np.float32(scale) * w.scales, packed.bias_np)


class Linear(nnq_linear.Linear):
    """Dynamic quantized Linear: int8 weights, activations quantized per call (fbgemm)."""

    _version = 4
    _FLOAT_MODULE: Any = (_FloatLinear, NonDynamicallyQuantizableLinear)

    def __init__(self, in_features: int, out_features: int, bias_: bool = True,
                 dtype: Any = None) -> None:
        super().__init__(in_features, out_features, bias_, dtype=dtype)
        self.version: Any = 4

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.is_quantized or not x.is_floating_point():
            got = x.dtype if isinstance(x, Tensor) else type(x).__name__
            raise RuntimeError(f"{self._get_name()} expects a float input, got {got}")
        if x.shape[-1] != self.in_features:
            raise RuntimeError(
                f"{self._get_name()}: input of shape {tuple(x.shape)} does not match "
                f"in_features={self.in_features}")
        arr = x.detach().numpy()
        lead = arr.shape[:-1]
        x2 = np.ascontiguousarray(arr.reshape(-1, self.in_features), dtype=np.float32)
        y = dynamic_linear_np(x2, self._packed_params)
        return ember.from_numpy(y.reshape(*lead, self.out_features)).to(x.dtype)

    def _get_name(self) -> str:
        return "DynamicQuantizedLinear"

    def extra_repr(self) -> str:
        s = (f"in_features={self.in_features}, out_features={self.out_features}, "
             f"dtype={self._packed_params.dtype}")
        if self._packed_params.dtype == ember.qint8:
            s += f", qscheme={self.weight().qscheme()}"
        return s

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        self.version = local_metadata.get("version", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """Quantize a float Linear's weight with its qconfig (or the default dynamic one)."""
        names = ("Linear", "NonDynamicallyQuantizableLinear", "LinearReLU", "Linear_qat")
        if type(mod).__name__ not in names and not isinstance(mod, _FloatLinear):
            raise AssertionError("nn.quantized.dynamic.Linear.from_float only works for "
                                 "nn.Linear and its QAT/fused variants")
        if not hasattr(mod, "qconfig"):
            raise AssertionError("Input float module must have qconfig defined")
        if type(mod).__name__ == "LinearReLU":
            mod = mod[0]
        if mod.qconfig is not None and mod.qconfig.weight is not None:
            weight_observer = mod.qconfig.weight()
        else:
            from .....quantization.qconfig import default_dynamic_qconfig
            weight_observer = default_dynamic_qconfig.weight()
        dtype = weight_observer.dtype
        if dtype not in (ember.qint8, ember.float16):
            raise AssertionError("The only supported dtypes for dynamic quantized linear are "
                                 f"qint8 and float16 got: {dtype}")
        weight_observer(mod.weight)
        if dtype == ember.qint8:
            qweight = quantize_weight(mod.weight.float(), weight_observer)
        else:
            qweight = mod.weight.float()
        qlinear = cls(mod.in_features, mod.out_features, dtype=dtype)
        qlinear.set_weight_bias(qweight, mod.bias)
        return qlinear
