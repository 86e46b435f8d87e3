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
           "validate_qmin_qmax", "check_min_max_valid", "get_qparam_dict", "get_combined_dict",
           "get_qconfig_dtypes", "activation_dtype", "weight_dtype",
           "activation_is_statically_quantized", "activation_is_dynamically_quantized",
           "activation_is_int8_quantized", "activation_is_int32_quantized",
           "weight_is_quantized", "weight_is_statically_quantized",
           "op_is_int8_dynamically_quantized", "get_quant_type",
           "get_swapped_custom_module_class", "getattr_from_fqn",
           "has_no_children_ignoring_parametrizations"]


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


# ---------------------------------------------------------------------- qconfig inspection
_STATIC_DTYPES = (D.quint8, D.qint8, D.quint4x2, D.qint32, D.uint8, D.int8, D.int16, D.int32)


def get_combined_dict(default_dict: dict, additional_dict: dict) -> dict:
    """default_dict updated with additional_dict (a new dict)."""
    d = default_dict.copy()
    d.update(additional_dict)
    return d


def get_qconfig_dtypes(qconfig: Any) -> tuple:
    """(activation dtype, weight dtype, activation is dynamic) of a qconfig."""
    if qconfig is None:
        raise AssertionError("qconfig must be provided to extract dtypes")
    activation, weight = qconfig.activation(), qconfig.weight()
    return activation.dtype, weight.dtype, getattr(activation, "is_dynamic", False)


def activation_dtype(qconfig: Any) -> Any:
    if qconfig is None:
        raise AssertionError("qconfig must be provided to determine activation dtype")
    return qconfig.activation().dtype


def weight_dtype(qconfig: Any) -> Any:
    if qconfig is None:
        raise AssertionError("qconfig must be provided to determine weight dtype")
    return qconfig.weight().dtype


def activation_is_dynamically_quantized(qconfig: Any) -> bool:
    return bool(get_qconfig_dtypes(qconfig)[2])


def activation_is_statically_quantized(qconfig: Any) -> bool:
    """Activations quantized ahead of time: quint8, qint8, qint32, float16 and the int dtypes."""
    return activation_dtype(qconfig) in (D.quint8, D.qint8, D.qint32, D.float16, D.uint8,
                                         D.int8, D.int16, D.int32) and \
        not activation_is_dynamically_quantized(qconfig)


def activation_is_int8_quantized(qconfig: Any) -> bool:
    return activation_dtype(qconfig) in (D.quint8, D.qint8, D.uint8, D.int8)


def activation_is_int32_quantized(qconfig: Any) -> bool:
    return activation_dtype(qconfig) in (D.qint32, D.int32)


def weight_is_quantized(qconfig: Any) -> bool:
    return weight_dtype(qconfig) in (D.quint8, D.qint8, D.float16, D.quint4x2, D.uint8, D.int8,
                                     D.int16, D.int32)


def weight_is_statically_quantized(qconfig: Any) -> bool:
    return weight_dtype(qconfig) in (D.quint8, D.qint8, D.uint8, D.int8)


def op_is_int8_dynamically_quantized(qconfig: Any) -> bool:
    """uint8 activations quantized at run time with int8 weights (fbgemm/qnnpack dynamic)."""
    act, wt, dynamic = get_qconfig_dtypes(qconfig)
    return act in (D.quint8, D.uint8) and wt in (D.qint8, D.int8) and bool(dynamic)


def get_quant_type(qconfig: Any) -> Any:
    """QuantType.DYNAMIC / STATIC / WEIGHT_ONLY of a qconfig, as torch decides it."""
    from .quant_type import QuantType

    if qconfig is None:
        raise AssertionError("qconfig must be provided to determine quant type")
    activation, weight = qconfig.activation(), qconfig.weight()
    dynamic = getattr(activation, "is_dynamic", False)
    if weight.dtype in _STATIC_DTYPES:
        if dynamic:
            return QuantType.DYNAMIC
        return QuantType.STATIC if activation.dtype in _STATIC_DTYPES else \
            QuantType.WEIGHT_ONLY
    if weight.dtype is D.float16:
        if dynamic:
            return QuantType.DYNAMIC
        if activation.dtype is D.float16:
            return QuantType.STATIC
    raise Exception(f"Unrecognized dtype combination in get_quant_type: "  # noqa: TRY002
                    f"activation({activation.dtype}),weight({weight.dtype})")


def get_swapped_custom_module_class(custom_module: Any, custom_module_class_mapping: dict,
                                    qconfig: Any) -> type:
    """The observed/quantized class a custom module is swapped to, for its quant type."""
    class_mapping = custom_module_class_mapping.get(get_quant_type(qconfig), {})
    if type(custom_module) not in class_mapping:
        raise AssertionError("did not find corresponding observed module class for "
                             f"{type(custom_module)} in mapping: {class_mapping}")
    return class_mapping[type(custom_module)]


# ---------------------------------------------------------------------- module helpers
def getattr_from_fqn(obj: Any, fqn: str) -> Any:
    """obj.foo.bar.baz for fqn 'foo.bar.baz'."""
    import functools

    return functools.reduce(getattr, fqn.split("."), obj)


def _parent_name(target: str) -> tuple[str, str]:
    """'foo.bar' -> ('foo', 'bar'); 'foo' -> ('', 'foo')."""
    r = target.rsplit(".", 1)
    return ("", r[0]) if len(r) == 1 else (r[0], r[1])


def has_no_children_ignoring_parametrizations(module: Any) -> bool:
    """A leaf module: no children, or only its 'parametrizations' container."""
    if len(module._modules) == 0:
        return True
    if getattr(module, "parametrizations", None) is not None:
        return len(module._modules) == 1 and "parametrizations" in module._modules
    return False


def _get_path_of_module(root: Any, submodule: Any) -> str | None:
    """The qualified name of submodule inside root, or None."""
    for n, p in root.named_modules():
        if submodule is p:
            return n
    return None
