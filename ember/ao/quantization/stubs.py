"""QuantStub, DeQuantStub and QuantWrapper: where eager-mode quantization starts and stops."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...nn.modules.module import Module

__all__ = ["DeQuantStub", "QuantStub", "QuantWrapper"]


class QuantStub(Module):
    """Identity before calibration; an observer is attached by prepare, and convert swaps it
    for nnq.Quantize."""

    def __init__(self, qconfig: Any = None) -> None:
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x: Tensor) -> Tensor:
        return x


class DeQuantStub(Module):
    """Identity before convert, which swaps it for nnq.DeQuantize."""

    def __init__(self, qconfig: Any = None) -> None:
        super().__init__()
        if qconfig:
            self.qconfig = qconfig

    def forward(self, x: Tensor) -> Tensor:
        return x


class QuantWrapper(Module):
    """Wraps a module between a QuantStub and a DeQuantStub (children quant, module, dequant)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        qconfig = getattr(module, "qconfig", None)
        self.add_module("quant", QuantStub(qconfig))
        self.add_module("dequant", DeQuantStub(qconfig))
        self.add_module("module", module)
        self.train(module.training)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        X = self.quant(X)
        X = self.module(X)
        return self.dequant(X)
