"""torch.ao.nn.quantized.functional: the functional forms of the quantized modules here."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...._tensor import Tensor
from . import _qt
from ._int8_gemm import int8_linear, requantize

__all__ = ["linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None,  # noqa: A002
           scale: float | None = None, zero_point: int | None = None) -> Tensor:
    """Quantized linear on a quint8 input and qint8 weight; output qparams default to input's."""
    _qt.check_quantized(input, "quantized.functional.linear")
    scale = float(input.q_scale()) if scale is None else scale
    zero_point = int(input.q_zero_point()) if zero_point is None else zero_point
    w = _qt.PackedWeight(weight)
    xq = _qt.int_repr(input)
    k = xq.shape[-1]
    acc = int8_linear(xq.reshape(-1, k), int(input.q_zero_point()), w.values, w.zero_points,
                      w.l1, w.row_sum)
    b: Any = None if bias is None else bias.detach().float().numpy()
    y = requantize(acc, np.float32(input.q_scale()) * w.scales, b, scale, zero_point)
    return _qt.make_per_tensor(y.reshape(*xq.shape[:-1], w.values.shape[0]), scale, zero_point)


