"""Helpers shared by observers, fake quantize and the eager workflow (ao.quantization.utils)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._quantized import (
    per_channel_affine,
    per_channel_affine_float_qparams,
    per_channel_symmetric,
    per_tensor_affine,
    per_tensor_symmetric,
)
from ..._tensor import Tensor

__all__ = ["is_per_tensor", "is_per_channel", "to_underlying_dtype", "calculate_qmin_qmax",
           "validate_qmin_qmax", "check_min_max_valid", "get_qparam_dict"]


def is_per_tensor(qscheme: Any) -> bool:
    return qscheme is per_tensor_affine or qscheme is per_tensor_symmetric


def is_per_channel(qscheme: Any) -> bool:
    return qscheme in (per_channel_affine, per_channel_affine_float_qparams,
                       per_channel_symmetric)


_UNDERLYING = {D.quint8: D.uint8, D.qint8: D.int8, D.qint32: D.int32, D.quint4x2: D.uint8,
               D.uint8: D.uint8, D.int8: D.int8, D.int16: D.int16, D.int32: D.int32}


def to_underlying_dtype(qdtype: D.dtype) -> D.dtype:
    """The integer dtype a quantized dtype stores its values in."""
    if qdtype not in _UNDERLYING:
        raise AssertionError("Unsupported dtype: " + str(qdtype))
    return _UNDERLYING[qdtype]


def validate_qmin_qmax(quant_min: int, quant_max: int) -> None:
    """A user-given quantization range must contain 0 and be non-empty."""
    if not quant_min <= 0 <= quant_max:
        raise AssertionError("Used-specified quantization range must include 0.")
    if quant_min >= quant_max:
        raise AssertionError("qmin must be strictly less than qmax for user-specified "
                             "quantization range.")


def calculate_qmin_qmax(quant_min: int | None, quant_max: int | None,
                        has_customized_qrange: bool, dtype: D.dtype,
                        reduce_range: bool) -> tuple[int, int]:
    """The (quant_min, quant_max) an observer uses, as torch derives them."""
    if has_customized_qrange:
        assert quant_min is not None and quant_max is not None
        qrange_len = quant_max - quant_min + 1
        if dtype in (D.qint8, D.int8) and not 0 < qrange_len <= 256:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=256).")
        if dtype in (D.qint32, D.int32) and not 0 < qrange_len <= 2 ** 32:
            raise AssertionError("quantization range should be positive and not exceed the "
                                 "maximum bit range (=4294967296).")
        if reduce_range:
            quant_min, quant_max = quant_min // 2, quant_max // 2
        return quant_min, quant_max
    if dtype in (D.qint8, D.int8):
        return (-64, 63) if reduce_range else (-128, 127)
    if dtype in (D.quint8, D.uint8):
        return (0, 127) if reduce_range else (0, 255)
    if dtype in (D.qint32, D.int32):
        return -(2 ** 31), 2 ** 31 - 1
    if dtype is D.int16:
        return -(2 ** 15), 2 ** 15 - 1
    return 0, 15


def check_min_max_valid(min_val: Tensor, max_val: Tensor) -> bool:
    """False (with torch's warning) before any data was observed; asserts min <= max."""
    if min_val.numel() == 0 or max_val.numel() == 0:
        warnings.warn("must run observer before calling calculate_qparams. Returning default "
                      "values.", stacklevel=3)
        return False
    lo, hi = min_val._host(), max_val._host()
    if lo.ndim == 0 or hi.ndim == 0:
        if lo == np.inf and hi == -np.inf:
            warnings.warn("must run observer before calling calculate_qparams. Returning "
                          "default values.", stacklevel=3)
            return False
        if lo > hi:
            raise AssertionError(f"min {min_val} should be less than max {max_val}")
    elif np.any(lo > hi):
        raise AssertionError(f"min {min_val} should be less than max {max_val}")
    return True


def get_qparam_dict(observer_or_fake_quant: Any) -> dict:
    """{'qscheme', 'dtype', 'scale', 'zero_point', ...} of an observer (None scheme: float)."""
    from .observer import PlaceholderObserver

    qscheme = getattr(observer_or_fake_quant, "qscheme", None)
    dtype = observer_or_fake_quant.dtype
    if not qscheme or isinstance(observer_or_fake_quant, PlaceholderObserver):
        return {"qscheme": None, "dtype": dtype}
    qparams: dict = {"qscheme": qscheme, "dtype": dtype}
    scale, zero_point = observer_or_fake_quant.calculate_qparams()
    if is_per_tensor(qscheme):
        qscheme = per_tensor_affine
    elif is_per_channel(qscheme):
        if qscheme is per_channel_symmetric:
            qscheme = per_channel_affine
        qparams["axis"] = observer_or_fake_quant.ch_axis
    else:
        raise RuntimeError(f"Unrecognized qscheme: {qscheme}")
    qparams["qscheme"] = qscheme
    qparams["scale"] = scale
    qparams["zero_point"] = zero_point
    for k in ("quant_min", "quant_max"):
        if hasattr(observer_or_fake_quant, k):
            qparams[k] = getattr(observer_or_fake_quant, k)
    return qparams
