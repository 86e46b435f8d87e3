"""torch.ao.nn.qat: modules that train with fake-quantized weights."""

from .modules import Conv1d, Conv2d, Linear

__all__ = ["Conv1d", "Conv2d", "Linear"]
