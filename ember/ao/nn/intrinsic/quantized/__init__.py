"""torch.ao.nn.intrinsic.quantized: quantized fused modules."""

from .modules import BNReLU2d, ConvReLU1d, ConvReLU2d, LinearReLU

__all__ = ["BNReLU2d", "ConvReLU1d", "ConvReLU2d", "LinearReLU"]
