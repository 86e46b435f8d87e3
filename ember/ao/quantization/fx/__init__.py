"""The FX graph mode quantization passes (torch.ao.quantization.fx): prepare, convert, fuse."""

from .convert import convert
from .fuse import fuse
from .prepare import prepare

__all__ = ["convert", "fuse", "prepare"]
