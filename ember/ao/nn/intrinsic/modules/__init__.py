"""Fused float modules."""

from .fused import (
                    BNReLU2d,
                    BNReLU3d,
                    ConvBn1d,
                    ConvBn2d,
                    ConvBnReLU1d,
                    ConvBnReLU2d,
                    ConvReLU1d,
                    ConvReLU2d,
                    LinearBn1d,
                    LinearReLU,
                    _FusedModule,
)

__all__ = ["BNReLU2d", "BNReLU3d", "ConvBn1d", "ConvBn2d", "ConvBnReLU1d", "ConvBnReLU2d",
           "ConvReLU1d", "ConvReLU2d", "LinearBn1d", "LinearReLU", "_FusedModule"]
