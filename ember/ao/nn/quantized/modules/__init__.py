"""Quantized modules (torch.ao.nn.quantized.modules) plus Quantize and DeQuantize."""

from __future__ import annotations

from typing import Any

import ember

from ....._tensor import Tensor
from .....nn.modules.dropout import Dropout as _Dropout
from .....nn.modules.module import Module
from .....ops.creation import tensor
from .....ops.quantize import quantize_per_tensor
from .activation import Hardswish, ReLU6
from .batchnorm import BatchNorm2d
from .conv import Conv1d, Conv2d
from .embedding_ops import Embedding, EmbeddingBag
from .functional_modules import FloatFunctional, QFunctional
from .linear import Linear

__all__ = ["BatchNorm2d", "Conv1d", "Conv2d", "DeQuantize", "Dropout", "Embedding", "EmbeddingBag",
           "FloatFunctional", "Hardswish", "Linear", "QFunctional", "Quantize", "ReLU6"]


class Quantize(Module):
    """Quantizes a float input per tensor with fixed scale, zero point and dtype."""

    def __init__(self, scale: float, zero_point: int, dtype: Any, factory_kwargs: Any = None
                 ) -> None:
        super().__init__()
        self.register_buffer("scale", tensor([scale]))
        self.register_buffer("zero_point", tensor([zero_point], dtype=ember.long))
        self.dtype = dtype

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        if not isinstance(X, Tensor) or not X.is_floating_point():
            got = X.dtype if isinstance(X, Tensor) else type(X).__name__
            raise RuntimeError(f"Quantize expects a float input, got {got}")
        return quantize_per_tensor(X, float(self.scale), int(self.zero_point),
                                         self.dtype)

    @staticmethod
    def from_float(mod: Any, use_precomputed_fake_quant: bool = False) -> Quantize:
        if not hasattr(mod, "activation_post_process"):
            raise AssertionError("Quantize.from_float needs an observed QuantStub")
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        return Quantize(float(scale.float().item()), int(zero_point.long().item()),
                        mod.activation_post_process.dtype)

    def extra_repr(self) -> str:
        return f"scale={self.scale}, zero_point={self.zero_point}, dtype={self.dtype}"


class DeQuantize(Module):
    """Returns the float values of a quantized input."""

    def forward(self, Xq: Tensor) -> Tensor:  # noqa: N803 - torch's name
        if not isinstance(Xq, Tensor) or not Xq.is_quantized:
            got = Xq.dtype if isinstance(Xq, Tensor) else type(Xq).__name__
            raise RuntimeError(f"DeQuantize expects a quantized input, got {got}")
        return Xq.dequantize()

    @staticmethod
    def from_float(mod: Any, use_precomputed_fake_quant: bool = False) -> DeQuantize:
        return DeQuantize()


class Dropout(_Dropout):
    """Dropout on quantized tensors is the identity (inference only)."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - torch's name
        return input

    def _get_name(self) -> str:
        return "QuantizedDropout"

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Dropout:
        return cls(mod.p, mod.inplace)
