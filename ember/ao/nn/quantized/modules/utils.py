"""Helpers shared by the quantized modules: weight quantization with clamping, packed repr."""

from __future__ import annotations

from typing import Any

import ember

from ....._tensor import Tensor
from .....nn.modules.module import Module, _addindent
from .....ops.quantize import (
    _make_per_channel_quantized_tensor,
    _make_per_tensor_quantized_tensor,
    quantize_per_channel,
    quantize_per_tensor,
)

__all__ = ["WeightedQuantizedModule"]


class WeightedQuantizedModule(Module):
    """Base of quantized modules that own weights (from_reference is not supported here)."""

    @classmethod
    def from_reference(cls, ref_module: Any, output_scale: float, output_zero_point: int) -> Any:
        raise NotImplementedError(
            f"{cls.__name__}.from_reference: reference quantized modules (FX graph mode) are "
            f"not implemented in Ember")


def _weight_observer(observer: Any) -> Any:
    # a FakeQuantize holds its observer; qparams and ranges come from that
    return getattr(observer, "activation_post_process", observer)


def quantize_weight(float_wt: Tensor, observer: Any) -> Tensor:
    """Quantize a float weight with an observer's qparams, clamped to its quant range."""
    scale, zp = observer.calculate_qparams()
    scheme = observer.qscheme
    if scheme in (ember.per_tensor_symmetric, ember.per_tensor_affine):
        q = quantize_per_tensor(float_wt, float(scale), int(zp), ember.qint8)
    elif scheme in (ember.per_channel_symmetric, ember.per_channel_affine):
        q = quantize_per_channel(float_wt, scale.to(ember.double), zp.to(ember.int64),
                                       observer.ch_axis, ember.qint8)
    elif scheme == ember.per_channel_affine_float_qparams:
        q = quantize_per_channel(float_wt, scale.to(ember.float), zp.to(ember.float),
                                       observer.ch_axis, observer.dtype)
    else:
        raise ValueError(f"Unexpected qscheme {scheme}")
    return _clamp(q, observer, scale, zp)


def _clamp(q: Tensor, observer: Any, scale: Any, zp: Any) -> Tensor:
    obs = _weight_observer(observer)
    if q.dtype not in (ember.qint8, ember.quint8, ember.qint32):
        return q
    info = ember.iinfo(q.int_repr().dtype)
    if not (obs.quant_min > info.min or obs.quant_max < info.max):
        return q
    ints = q.int_repr().clamp(obs.quant_min, obs.quant_max)
    if obs.qscheme in (ember.per_tensor_symmetric, ember.per_tensor_affine):
        return _make_per_tensor_quantized_tensor(ints, float(scale), int(zp))
    return _make_per_channel_quantized_tensor(ints, scale, zp, obs.ch_axis)


def hide_packed_params_repr(module: Module, params: type) -> str:
    """Module.__repr__ without the packed-params child, as torch prints quantized modules."""
    extra = module.extra_repr()
    extra_lines = extra.split("\n") if extra else []
    child_lines = ["(" + key + "): " + _addindent(repr(mod), 2)
                   for key, mod in module._modules.items() if not isinstance(mod, params)]
    lines = extra_lines + child_lines
    main = module._get_name() + "("
    if lines:
        if len(extra_lines) == 1 and not child_lines:
            main += extra_lines[0]
        else:
            main += "\n  " + "\n  ".join(lines) + "\n"
    return main + ")"
