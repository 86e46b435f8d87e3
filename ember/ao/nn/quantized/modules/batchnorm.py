"""Quantized BatchNorm2d (torch.ao.nn.quantized.BatchNorm2d): eval-mode affine per channel."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....._tensor import Tensor
from .....nn.modules import batchnorm as _fbn
from .....ops.creation import tensor
from .. import _qt

__all__ = ["BatchNorm2d"]


class BatchNorm2d(_fbn.BatchNorm2d):
    """y = quantize(x * w/sqrt(var+eps) + (b - mean * w/sqrt(var+eps))), running stats only."""

    _RELU = False

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum)
        self.register_buffer("scale", tensor(1.0))
        self.register_buffer("zero_point", tensor(0))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        _qt.check_quantized(input, self)
        if input.dim() != 4:
            raise ValueError("Input shape must be `(N, C, H, W)`!")
        w = self.weight.detach().numpy() if self.weight is not None else 1.0
        b = self.bias.detach().numpy() if self.bias is not None else 0.0
        mean, var = self.running_mean.numpy(), self.running_var.numpy()
        inv_std = np.float32(1.0) / np.sqrt(var + np.float32(self.eps))
        alpha = (w * inv_std).astype(np.float32)
        beta = (b - mean * alpha).astype(np.float32)
        x = _qt.dequantize_np(input)
        y = x * alpha[:, None, None] + beta[:, None, None]
        if self._RELU:
            np.maximum(y, 0, out=y)
        return _qt.requant_float(y.astype(np.float32), float(self.scale), int(self.zero_point),
                                 input)

    def _get_name(self) -> str:
        return "QuantizedBatchNorm2d"

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        activation_post_process = mod.activation_post_process
        if type(mod).__name__ == "BNReLU2d":
            mod = mod[0]
        scale, zero_point = activation_post_process.calculate_qparams()
        new_mod = cls(mod.num_features, mod.eps)
        new_mod.weight = mod.weight
        new_mod.bias = mod.bias
        new_mod.running_mean = mod.running_mean
        new_mod.running_var = mod.running_var
        new_mod.scale = scale
        new_mod.zero_point = zero_point
        return new_mod
