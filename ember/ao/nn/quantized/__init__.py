"""torch.ao.nn.quantized: modules computing on quantized tensors (fbgemm numerics)."""

from . import dynamic, functional
from .modules import (
                      BatchNorm2d,
                      Conv1d,
                      Conv2d,
                      DeQuantize,
                      Dropout,
                      Embedding,
                      EmbeddingBag,
                      FloatFunctional,
                      Hardswish,
                      Linear,
                      QFunctional,
                      Quantize,
                      ReLU6,
)

__all__ = ["BatchNorm2d", "Conv1d", "Conv2d", "DeQuantize", "Dropout", "Embedding", "EmbeddingBag",
           "FloatFunctional", "Hardswish", "Linear", "QFunctional", "Quantize", "ReLU6",
           "dynamic", "functional"]
