"""FloatFunctional (observed float arithmetic) and QFunctional (its quantized counterpart)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ....._tensor import Tensor
from .....nn import functional as F
from .....nn.modules.linear import Identity
from .....nn.modules.module import Module
from .....ops.arith import add as _add
from .....ops.arith import mul as _mul
from .....ops.creation import tensor
from .....ops.linalg import matmul as _matmul
from .....ops.shape import cat as _cat
from .. import _qt

__all__ = ["FloatFunctional", "QFunctional"]


class FloatFunctional(Module):
    """add/mul/cat/add_relu/... on float tensors, each output passed to an observer slot.

    prepare() replaces `activation_post_process` with an observer; convert() turns the module
    into a QFunctional with the observed scale and zero point.
    """

    def __init__(self) -> None:
        super().__init__()
        self.activation_post_process: Module = Identity()

    def forward(self, x: Any) -> Any:
        raise RuntimeError("FloatFunctional is not intended to use the 'forward'. Please use "
                           "the underlying operation")

    def add(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(_add(x, y))

    def add_scalar(self, x: Tensor, y: float) -> Tensor:
        return _add(x, y)  # torch does not observe scalar arithmetic

    def mul(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(_mul(x, y))

    def mul_scalar(self, x: Tensor, y: float) -> Tensor:
        return _mul(x, y)

    def cat(self, x: list[Tensor], dim: int = 0) -> Tensor:
        return self.activation_post_process(_cat(x, dim=dim))

    def add_relu(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(F.relu(_add(x, y)))

    def matmul(self, x: Tensor, y: Tensor) -> Tensor:
        return self.activation_post_process(_matmul(x, y))


class QFunctional(Module):
    """Quantized add/mul/cat/add_relu: dequantize, compute in float32, requantize.

    add_scalar/mul_scalar/matmul (torch's output-qparams rules for them) are not implemented.
    """

    def __init__(self) -> None:
        super().__init__()
        self.scale = 1.0
        self.zero_point = 0
        self.activation_post_process: Module = Identity()

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = tensor(self.scale)
        destination[prefix + "zero_point"] = tensor(self.zero_point)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        self.scale = float(state_dict.pop(prefix + "scale"))
        self.zero_point = int(state_dict.pop(prefix + "zero_point"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    def _get_name(self) -> str:
        return "QFunctional"

    def extra_repr(self) -> str:
        return f"scale={self.scale}, zero_point={self.zero_point}"

    def forward(self, x: Any) -> Any:
        raise RuntimeError("Functional is not intended to use the 'forward'. Please use the "
                           "underlying operation")

    def _binary(self, x: Tensor, y: Tensor, fn: Any, relu: bool = False) -> Tensor:
        _qt.check_quantized(x, self)
        _qt.check_quantized(y, self)
        r = fn(_qt.dequantize_np(x), _qt.dequantize_np(y)).astype(np.float32)
        if relu:
            np.maximum(r, 0, out=r)
        return self.activation_post_process(_qt.requant_float(r, self.scale, self.zero_point, x))

    def add(self, x: Tensor, y: Tensor) -> Tensor:
        return self._binary(x, y, np.add)

    def mul(self, x: Tensor, y: Tensor) -> Tensor:
        return self._binary(x, y, np.multiply)

    def add_relu(self, x: Tensor, y: Tensor) -> Tensor:
        return self._binary(x, y, np.add, relu=True)

    def cat(self, x: list[Tensor], dim: int = 0) -> Tensor:
        for t in x:
            _qt.check_quantized(t, self)
        r = np.concatenate([_qt.dequantize_np(t) for t in x], axis=dim)
        return self.activation_post_process(
            _qt.requant_float(r, self.scale, self.zero_point, x[0]))

    def add_scalar(self, x: Tensor, y: float) -> Tensor:
        raise NotImplementedError("QFunctional.add_scalar (quantized::add_scalar) is not "
                                  "implemented in Ember")

    def mul_scalar(self, x: Tensor, y: float) -> Tensor:
        raise NotImplementedError("QFunctional.mul_scalar (quantized::mul_scalar) is not "
                                  "implemented in Ember")

    def matmul(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError("QFunctional.matmul (quantized::matmul) is not implemented "
                                  "in Ember")

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> QFunctional:
        if type(mod) is not FloatFunctional:
            raise AssertionError("QFunctional.from_float expects an instance of "
                                 f"FloatFunctional, got {type(mod).__name__}")
        scale, zero_point = mod.activation_post_process.calculate_qparams()
        new_mod = QFunctional()
        new_mod.scale = float(scale)
        new_mod.zero_point = int(zero_point)
        return new_mod
