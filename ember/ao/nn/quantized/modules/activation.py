"""Quantized activations (torch.ao.nn.quantized): ReLU6, Hardswish."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....._tensor import Tensor
from .....nn.modules import activation as _fact
from .....nn.modules.module import Module
from .....ops.creation import tensor
from .. import _qt

__all__ = ["ReLU6", "Hardswish"]


class ReLU6(Module):
    """min(max(x, 0), 6) on the integers: the output keeps the input's qparams."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        _qt.check_quantized(input, self)
        q = _qt.int_repr(input)
        zp, scale = int(input.q_zero_point()), float(input.q_scale())
        info = np.iinfo(q.dtype)
        six = int(np.clip(np.rint(np.float32(6.0) * (np.float32(1.0) / np.float32(scale)))
                          + zp, info.min, info.max))
        out = np.minimum(np.maximum(q, q.dtype.type(max(zp, info.min))), q.dtype.type(six))
        return _qt.make_per_tensor(out, scale, zp)

    def _get_name(self) -> str:
        return "QuantizedReLU6"

    @staticmethod
    def from_float(mod: Any, use_precomputed_fake_quant: bool = False) -> ReLU6:
        return ReLU6(mod.inplace)


class Hardswish(_fact.Hardswish):
    """Hardswish on dequantized values, requantized to the module's scale and zero point."""

    def __init__(self, scale: float, zero_point: int, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.register_buffer("scale", tensor(scale))
        self.register_buffer("zero_point", tensor(zero_point))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        _qt.check_quantized(input, self)
        x = _qt.dequantize_fma(input)
        y = x * np.clip(x + np.float32(3.0), 0, 6) / np.float32(6.0)
        return _qt.requant_float(y.astype(np.float32), float(self.scale), int(self.zero_point),
                                 input)

    def _get_name(self) -> str:
        return "QuantizedHardswish"

    @staticmethod
    def from_float(mod: Any, use_precomputed_fake_quant: bool = False) -> Hardswish:
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        return Hardswish(float(scale), int(zero_point))
