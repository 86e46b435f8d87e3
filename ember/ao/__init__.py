"""torch.ao: quantization (eager mode) and the quantized modules."""

from . import nn, quantization

__all__ = ["nn", "quantization"]
