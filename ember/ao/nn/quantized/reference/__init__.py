"""torch.ao.nn.quantized.reference: reference quantized modules (FX graph mode)."""

from .modules import Conv1d, Conv2d, Linear, ReferenceQuantizedModule

__all__ = ["Conv1d", "Conv2d", "Linear", "ReferenceQuantizedModule"]
