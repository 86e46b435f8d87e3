"""QAT modules (torch.ao.nn.qat.modules)."""

from .conv import Conv1d, Conv2d
from .linear import Linear

__all__ = ["Conv1d", "Conv2d", "Linear"]
