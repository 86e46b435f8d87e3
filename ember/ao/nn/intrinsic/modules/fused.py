"""Fused float modules (torch.ao.nn.intrinsic): Sequentials that mark what to fuse."""

from __future__ import annotations

from typing import Any

from .....nn.modules.activation import ReLU
from .....nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .....nn.modules.container import Sequential
from .....nn.modules.conv import Conv1d, Conv2d
from .....nn.modules.linear import Linear

__all__ = ["BNReLU2d", "BNReLU3d", "ConvBn1d", "ConvBn2d", "ConvBnReLU1d", "ConvBnReLU2d",
           "ConvReLU1d", "ConvReLU2d", "LinearBn1d", "LinearReLU", "_FusedModule"]


class _FusedModule(Sequential):
    """Marks a Sequential produced by fusion; prepare/convert treat it as one module."""

    _PARTS: tuple = ()

    def __init__(self, *mods: Any) -> None:
        ok = len(mods) == len(self._PARTS) and all(
            type(m) is t for m, t in zip(mods, self._PARTS))
        if not ok:
            got = ", ".join(type(m).__name__ for m in mods)
            want = ", ".join(t.__name__ for t in self._PARTS)
            raise AssertionError(f"Incorrect types for input modules{{{type(self).__name__}}}: "
                                 f"expected ({want}), got ({got})")
        super().__init__(*mods)


class ConvReLU1d(_FusedModule):
    """Conv1d followed by ReLU."""

    _PARTS = (Conv1d, ReLU,)


class ConvReLU2d(_FusedModule):
    """Conv2d followed by ReLU."""

    _PARTS = (Conv2d, ReLU,)


class LinearReLU(_FusedModule):
    """Linear followed by ReLU."""

    _PARTS = (Linear, ReLU,)


class ConvBn1d(_FusedModule):
    """Conv1d followed by BatchNorm1d."""

    _PARTS = (Conv1d, BatchNorm1d,)


class ConvBn2d(_FusedModule):
    """Conv2d followed by BatchNorm2d."""

    _PARTS = (Conv2d, BatchNorm2d,)


class ConvBnReLU1d(_FusedModule):
    """Conv1d, BatchNorm1d and ReLU."""

    _PARTS = (Conv1d, BatchNorm1d, ReLU,)


class ConvBnReLU2d(_FusedModule):
    """Conv2d, BatchNorm2d and ReLU."""

    _PARTS = (Conv2d, BatchNorm2d, ReLU,)


class BNReLU2d(_FusedModule):
    """BatchNorm2d followed by ReLU."""

    _PARTS = (BatchNorm2d, ReLU,)


class BNReLU3d(_FusedModule):
    """BatchNorm3d followed by ReLU."""

    _PARTS = (BatchNorm3d, ReLU,)


class LinearBn1d(_FusedModule):
    """Linear followed by BatchNorm1d."""

    _PARTS = (Linear, BatchNorm1d,)
