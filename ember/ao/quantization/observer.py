"""Observers: modules that watch tensors and choose scales and zero points (torch's observer.py).

Statistics are computed in float32 NumPy on the buffers' arrays, step for step as torch's
tensor code does, so scales and zero points match torch bit for bit. HistogramObserver's
search lives in _histogram.py.
"""

from __future__ import annotations

import warnings
from abc import ABCMeta, abstractmethod
from functools import partial
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
from ..._tensor import Tensor, make
from ...nn.modules.module import Module
from .utils import (
    calculate_qmin_qmax,
    check_min_max_valid,
    is_per_channel,
    is_per_tensor,
    validate_qmin_qmax,
)

__all__ = [
    "ObserverBase", "UniformQuantizationObserverBase", "MinMaxObserver",
    "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
    "MovingAveragePerChannelMinMaxObserver", "HistogramObserver", "FixedQParamsObserver",
    "PlaceholderObserver", "RecordingObserver", "NoopObserver", "ReuseInputObserver",
    "default_observer", "default_placeholder_observer", "default_debug_observer",
    "default_weight_observer", "weight_observer_range_neg_127_to_127",
    "default_histogram_observer", "default_per_channel_weight_observer",
    "per_channel_weight_observer_range_neg_127_to_127", "default_dynamic_quant_observer",
    "default_float_qparams_observer", "default_float_qparams_observer_4bit",
    "default_fixed_qparams_range_neg1to1_observer", "default_fixed_qparams_range_0to1_observer",
    "default_symmetric_fixed_qparams_observer", "default_affine_fixed_qparams_observer",
    "default_reuse_input_observer", "get_observer_state_dict", "load_observer_state_dict",
]

_F32 = np.float32
_EPS: float = float(np.finfo(np.float32).eps)
_ALLOWED_DTYPES = (D.qint8, D.quint8, D.quint4x2, D.qint32, D.int8, D.uint8, D.int16, D.int32)


class _PartialWrapper:
    """What with_args returns: a factory of observers, callable args evaluated per instance."""

    def __init__(self, p: partial) -> None:
        self.p = p
        self.callable_args: dict = {}

    def __call__(self, *args: Any, **keywords: Any) -> Any:
        for name, fn in self.callable_args.items():
            if name not in keywords:
                keywords = {**keywords, name: fn()}
        return self.p(*args, **keywords)

    def __repr__(self) -> str:
        return self.p.__repr__() + self.callable_args.__repr__()

    def with_args(self, **kwargs: Any) -> _PartialWrapper:
        return _with_args(self, **kwargs)

    def with_callable_args(self, **kwargs: Any) -> _PartialWrapper:
        result = _PartialWrapper(p=self.p)
        result.callable_args = {**self.callable_args, **kwargs}
        return result


def _with_args(cls_or_self: Any, **kwargs: Any) -> _PartialWrapper:
    """A factory that builds cls_or_self(**kwargs) on each call (distinct instances)."""
    return _PartialWrapper(partial(cls_or_self, **kwargs))


def _with_callable_args(cls_or_self: Any, **kwargs: Any) -> _PartialWrapper:
    """A factory whose keyword values are callables evaluated at each construction."""
    return _PartialWrapper(partial(cls_or_self)).with_callable_args(**kwargs)


class ObserverBase(Module, metaclass=ABCMeta):
    """Base of all observers: forward records statistics, calculate_qparams returns them."""

    def __init__(self, dtype: Any, is_dynamic: bool = False) -> None:
        super().__init__()
        self.dtype = dtype
        self.is_dynamic = is_dynamic

    @abstractmethod
    def forward(self, x: Any) -> Any: ...

    @abstractmethod
    def calculate_qparams(self, **kwargs: Any) -> Any: ...

    with_args = classmethod(_with_args)
    with_callable_args = classmethod(_with_callable_args)


def _f32(t: Tensor) -> np.ndarray:
    a = t._host()
    return a if a.dtype == np.float32 else a.astype(np.float32)


def _set(buf: Tensor, value: np.ndarray) -> None:
    """buf.copy_(value), resizing like torch's resize_ when the shape changed."""
    value = np.asarray(value, np.float32)
    if buf._data.shape != value.shape:
        buf._data = value.copy()
        buf._storage = None
        buf._base = None
    else:
        buf._data[...] = value
    buf._bump_version()


class UniformQuantizationObserverBase(ObserverBase):
    """Common base of the min/max and histogram observers: scale and zero point from a range."""

    _version = 3

    def __init__(self, dtype: Any = D.quint8, qscheme: Any = per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs: Any = None, eps: float = _EPS,
                 is_dynamic: bool = False, **kwargs: Any) -> None:
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.qscheme = qscheme
        if reduce_range:
            warnings.warn("Please use quant_min and quant_max to specify the range for "
                          "observers. reduce_range will be deprecated in a future release of "
                          "PyTorch.", stacklevel=2)
        self.reduce_range = reduce_range
        self.register_buffer("eps", make(np.array([eps], np.float32), D.float32, _dev()))
        if qscheme not in (per_tensor_affine, per_tensor_symmetric, per_channel_affine,
                           per_channel_symmetric, per_channel_affine_float_qparams):
            raise AssertionError("Default Observer only works for per_tensor_affine, "
                                 "per_tensor_symmetric, per_channel_affine, "
                                 "per_channel_symmetric and per_channel_float_qparams "
                                 "quantization scheme")
        if dtype not in _ALLOWED_DTYPES:
            raise AssertionError(f"Default Observer only works for {_ALLOWED_DTYPES} data type")
        self.has_customized_qrange = quant_min is not None and quant_max is not None
        if self.has_customized_qrange:
            validate_qmin_qmax(quant_min, quant_max)  # type: ignore[arg-type]
        self.quant_min, self.quant_max = calculate_qmin_qmax(
            quant_min, quant_max, self.has_customized_qrange, dtype, reduce_range)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        version = local_metadata.get("version", None)
        if version is None or version == 1:  # eps became a buffer in version 2
            state_dict[prefix + "eps"] = make(np.array([_EPS], np.float32), D.float32, _dev())
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def _validate_qmin_qmax(self, quant_min: int, quant_max: int) -> None:
        validate_qmin_qmax(quant_min, quant_max)

    def _calculate_qparams(self, min_val: Tensor, max_val: Tensor) -> tuple[Tensor, Tensor]:
        """(scale float32, zero_point) for ranges [min_val, max_val], per tensor or channel."""
        dev = min_val.device
        if not check_min_max_valid(min_val, max_val):
            return (make(np.array([1.0], np.float32), D.float32, dev),
                    make(np.array([0], np.int64), D.int64, dev))
        return _qparams_arrays(self, _f32(min_val), _f32(max_val), dev)

    def reset_min_max_vals(self) -> None:
        raise NotImplementedError("Cannot reset min/max values in the given observer.")


def _qparams_arrays(obs: Any, mn: np.ndarray, mx: np.ndarray, dev: Any) -> tuple:
    """torch's _calculate_qparams on float32 arrays (same operations, same order)."""
    qmin, qmax = obs.quant_min, obs.quant_max
    eps = _f32(obs.eps)
    min_neg = np.minimum(mn, _F32(0))
    max_pos = np.maximum(mx, _F32(0))
    zp_dtype = D.int64
    scheme = obs.qscheme
    if scheme is per_tensor_symmetric or scheme is per_channel_symmetric:
        max_pos = np.maximum(-min_neg, max_pos)
        scale = np.maximum(max_pos / _F32(float(qmax - qmin) / 2), eps)
        zp = np.zeros(min_neg.shape, np.int64)
        if obs.dtype in (D.quint8, D.uint8):
            zp[...] = (qmin + qmax) // 2 if obs.has_customized_qrange else 128
        zp = np.broadcast_to(zp, scale.shape).copy()
    elif scheme is per_channel_affine_float_qparams:
        scale = (mx - mn) / _F32(float(qmax - qmin))
        scale = np.where(scale > eps, scale, _F32(1)).astype(np.float32)
        zp = (_F32(-1) * mn / scale).astype(np.float32)
        zp_dtype = D.float32
    else:
        scale = np.maximum((max_pos - min_neg) / _F32(float(qmax - qmin)), eps)
        zp = np.clip(qmin - np.rint(min_neg / scale).astype(np.int64), qmin, qmax)
        zp = zp.astype(np.int32)
        zp_dtype = D.int32
    scale = np.asarray(scale, np.float32).reshape(-1) if np.ndim(scale) == 0 else \
        np.asarray(scale, np.float32)
    zp = np.asarray(zp).reshape(-1) if np.ndim(zp) == 0 else np.asarray(zp)
    return make(scale, D.float32, dev), make(zp.astype(zp_dtype.np), zp_dtype, dev)


def _dev() -> Any:
    from ..._device import CPU

    return CPU


_ObserverBase = UniformQuantizationObserverBase


def _scalar(v: float) -> Tensor:
    return make(np.array(v, np.float32), D.float32, _dev())


class MinMaxObserver(UniformQuantizationObserverBase):
    """Scale and zero point from the running min and max of everything observed."""

    def __init__(self, dtype: Any = D.quint8, qscheme: Any = per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, factory_kwargs: Any = None, eps: float = _EPS,
                 is_dynamic: bool = False, **kwargs: Any) -> None:
        if not is_per_tensor(qscheme):
            raise NotImplementedError("MinMaxObserver's qscheme only support "
                                      "torch.per_tensor_symmetric and torch.per_tensor_affine.")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.register_buffer("min_val", _scalar(np.inf))
        self.register_buffer("max_val", _scalar(-np.inf))
        if qscheme is per_tensor_symmetric and reduce_range and dtype is D.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric quantization for quint8")

    def forward(self, x_orig: Tensor) -> Tensor:
        """Record the running minimum and maximum of x_orig; returns x_orig."""
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig)
        _set(self.min_val, np.minimum(x.min(), _f32(self.min_val)))
        _set(self.max_val, np.maximum(x.max(), _f32(self.max_val)))
        return x_orig

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def reset_min_max_vals(self) -> None:
        _set(self.min_val, np.array(np.inf, np.float32))
        _set(self.max_val, np.array(-np.inf, np.float32))


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Like MinMaxObserver with min and max as moving averages (averaging_constant)."""

    def __init__(self, averaging_constant: float = 0.01, dtype: Any = D.quint8,
                 qscheme: Any = per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = _EPS, is_dynamic: bool = False, **kwargs: Any) -> None:
        if not is_per_tensor(qscheme):
            raise NotImplementedError("MovingAverageMinMaxObserver's qscheme only support "
                                      "torch.per_tensor_symmetric and torch.per_tensor_affine. "
                                      f"but got: {qscheme}")
        if is_dynamic and averaging_constant != 1:
            raise NotImplementedError("MovingAverageMinMaxObserver doesn't support dynamic "
                                      f"quantization for averaging constant of "
                                      f"{averaging_constant}")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max, eps=eps,
                         is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig: Tensor) -> Tensor:
        if x_orig.numel() == 0:
            return x_orig
        x = _f32(x_orig)
        mn, mx = _f32(self.min_val), _f32(self.max_val)
        if mn == np.inf and mx == -np.inf:
            mn, mx = x.min(), x.max()
        else:
            c = _F32(self.averaging_constant)
            mn = mn + c * (x.min() - mn)
            mx = mx + c * (x.max() - mx)
        _set(self.min_val, mn)
        _set(self.max_val, mx)
        return x_orig


def _channels_first(x: np.ndarray, axis: int) -> np.ndarray:
    perm = list(range(x.ndim))
    perm[axis], perm[0] = 0, axis
    return x.transpose(perm).reshape(x.shape[axis], -1)


class PerChannelMinMaxObserver(UniformQuantizationObserverBase):
    """Running min and max per slice along ch_axis; one scale and zero point per channel."""

    def __init__(self, ch_axis: int = 0, dtype: Any = D.quint8,
                 qscheme: Any = per_channel_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 factory_kwargs: Any = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if not is_per_channel(qscheme):
            raise NotImplementedError("PerChannelMinMaxObserver's qscheme only support "
                                      "torch.per_channel_symmetric, torch.per_channel_affine "
                                      "and torch.per_channel_affine_float_qparams.")
        if is_dynamic:
            raise NotImplementedError("PerChannelMinMaxObserver doesn't support dynamic "
                                      "quantization")
        super().__init__(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range,
                         quant_min=quant_min, quant_max=quant_max,
                         factory_kwargs=factory_kwargs, eps=eps, is_dynamic=is_dynamic,
                         **kwargs)
        self.ch_axis = ch_axis
        self.register_buffer("min_val", make(np.zeros(0, np.float32), D.float32, _dev()))
        self.register_buffer("max_val", make(np.zeros(0, np.float32), D.float32, _dev()))
        if qscheme is per_channel_symmetric and reduce_range and dtype is D.quint8:
            raise NotImplementedError("Cannot reduce range for symmetric quantization for quint8")

    def forward(self, x_orig: Tensor) -> Tensor:
        return self._forward(x_orig)

    def _forward(self, x_orig: Tensor) -> Tensor:
        if x_orig.numel() == 0:
            return x_orig
        y = _channels_first(_f32(x_orig), self.ch_axis)
        cur_min, cur_max = y.min(axis=1), y.max(axis=1)
        mn, mx = _f32(self.min_val), _f32(self.max_val)
        if mn.size and mx.size:
            cur_min, cur_max = np.minimum(cur_min, mn), np.maximum(cur_max, mx)
        _set(self.min_val, cur_min)
        _set(self.max_val, cur_max)
        return x_orig

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        return self._calculate_qparams(self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        version = local_metadata.get("version")
        old = version is not None and version < 3
        for name, buf in (("min_vals" if old else "min_val", self.min_val),
                          ("max_vals" if old else "max_val", self.max_val)):
            key = prefix + name
            if key in state_dict:  # uninitialised (size 0) buffers take the saved size
                _set(buf, np.zeros(tuple(state_dict[key].shape), np.float32))
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    def reset_min_max_vals(self) -> None:
        _set(self.min_val, np.zeros(0, np.float32))
        _set(self.max_val, np.zeros(0, np.float32))


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """PerChannelMinMaxObserver with moving-average min and max."""

    def __init__(self, averaging_constant: float = 0.01, ch_axis: int = 0,
                 dtype: Any = D.quint8, qscheme: Any = per_channel_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, eps: float = _EPS, is_dynamic: bool = False,
                 **kwargs: Any) -> None:
        if not is_per_channel(qscheme):
            raise NotImplementedError("MovingAveragePerChannelMinMaxObserver's qscheme only "
                                      "support torch.per_channel_symmetric, "
                                      "torch.per_channel_affine and "
                                      "torch.per_channel_affine_float_qparams.")
        if is_dynamic:
            raise NotImplementedError("MovingAveragePerChannelMinMaxObserver doesn't support "
                                      "dynamic quantization")
        super().__init__(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme,
                         reduce_range=reduce_range, quant_min=quant_min, quant_max=quant_max,
                         eps=eps, is_dynamic=is_dynamic, **kwargs)
        self.averaging_constant = averaging_constant

    def forward(self, x_orig: Tensor) -> Tensor:
        if x_orig.numel() == 0:
            return x_orig
        y = _channels_first(_f32(x_orig), self.ch_axis)
        cur_min, cur_max = y.min(axis=1), y.max(axis=1)
        mn, mx = _f32(self.min_val), _f32(self.max_val)
        if mn.size and mx.size:
            c = _F32(self.averaging_constant)
            cur_min = mn + c * (cur_min - mn)
            cur_max = mx + c * (cur_max - mx)
        _set(self.min_val, cur_min)
        _set(self.max_val, cur_max)
        return x_orig


class FixedQParamsObserver(ObserverBase):
    """Returns fixed scale and zero point (for ops with a known output range)."""

    def __init__(self, scale: float, zero_point: int, dtype: Any = D.quint8,
                 qscheme: Any = per_tensor_affine, quant_min: int = 0, quant_max: int = 255,
                 is_dynamic: bool = False, **kwargs: Any) -> None:
        if is_dynamic:
            raise NotImplementedError("FixedQParamsObserver doesn't support dynamic "
                                      "quantization")
        super().__init__(dtype=dtype, is_dynamic=is_dynamic, **kwargs)
        self.quant_min = quant_min
        self.quant_max = quant_max
        self.register_buffer("scale", make(np.array([scale], np.float32), D.float32, _dev()))
        self.register_buffer("zero_point", make(np.array([zero_point], np.int32), D.int32,
                                                _dev()))
        self.qscheme = qscheme

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        return X

    def calculate_qparams(self) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        return self.scale, self.zero_point


class PlaceholderObserver(ObserverBase):
    """Observes nothing; carries dtype (and is_dynamic) to the quantized module's from_float."""

    def __init__(self, dtype: Any = D.float32, custom_op_name: str = "",
                 compute_dtype: Any = None, quant_min: int | None = None,
                 quant_max: int | None = None, qscheme: Any = None, eps: float | None = None,
                 is_dynamic: bool = False) -> None:
        super().__init__(dtype=dtype, is_dynamic=is_dynamic)
        self.qscheme = per_tensor_affine if qscheme is None else qscheme
        self.quant_min = quant_min
        self.quant_max = quant_max
        self.eps = _EPS if eps is None else eps
        self.custom_op = custom_op_name
        if compute_dtype:
            warnings.warn("Please use `is_dynamic` instead of `compute_dtype`. `compute_dtype` "
                          "will be deprecated in a future release of PyTorch.", stacklevel=2)

    def forward(self, x: Any) -> Any:
        return x

    def extra_repr(self) -> str:
        return f"dtype={self.dtype}, is_dynamic={self.is_dynamic}"

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        raise Exception("calculate_qparams should not be called for PlaceholderObserver")  # noqa: TRY002


class RecordingObserver(ObserverBase):
    """Records a clone of every observed tensor (debugging)."""

    def __init__(self, dtype: Any = D.quint8) -> None:
        super().__init__(dtype=dtype, is_dynamic=False)
        self.tensor_val: list = []

    def forward(self, x: Any) -> Any:
        self.tensor_val.append(x.clone())
        return x

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        raise Exception("calculate_qparams should not be called for RecordingObserver")  # noqa: TRY002

    def get_tensor_value(self) -> list:
        return self.tensor_val


class NoopObserver(ObserverBase):
    """Observes nothing; carries dtype (float16 by default) to from_float."""

    def __init__(self, dtype: Any = D.float16, custom_op_name: str = "") -> None:
        super().__init__(dtype=dtype, is_dynamic=False)
        self.custom_op = custom_op_name

    def forward(self, x: Any) -> Any:
        return x

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        raise Exception("calculate_qparams should not be called for NoopObserver")  # noqa: TRY002


class ReuseInputObserver(ObserverBase):
    """Reuses the input's observer (FX graph mode); observes nothing itself."""

    def __init__(self) -> None:
        super().__init__(D.quint8, is_dynamic=False)

    def forward(self, x: Any) -> Any:
        return x

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        raise Exception("calculate_qparams should not be called for ReuseInputObserver")  # noqa: TRY002


from ._histogram import HistogramObserver  # noqa: E402

HistogramObserver.__module__ = __name__  # torch prints it as observer.HistogramObserver


def _is_activation_post_process(module: Any) -> bool:
    from .fake_quantize import FakeQuantizeBase

    return isinstance(module, (ObserverBase, FakeQuantizeBase))


def get_observer_state_dict(mod: Module) -> Any:
    """The entries of mod.state_dict() that belong to observers (activation_post_process)."""
    from collections import OrderedDict

    sd = mod.state_dict()
    od: Any = OrderedDict((k, v) for k, v in sd.items() if "activation_post_process" in k)
    od._metadata = sd._metadata
    return od


def load_observer_state_dict(mod: Module, obs_dict: dict) -> None:
    """Load observer statistics saved by get_observer_state_dict into mod's observers."""
    missing: list = []
    unexpected: list = []
    for name, module in mod.named_modules():
        if _is_activation_post_process(module):
            module._load_from_state_dict(obs_dict, name + ".", {}, False, missing, unexpected,
                                         [])
    for k in missing:
        if "observer" in k or "activation_post_process" in k:
            raise Exception(f"Missing keys for observer {k} in state_dict")  # noqa: TRY002
    for k in unexpected:
        if "observer" in k or "activation_post_process" in k:
            raise Exception(f"Unexpected keys for observer {k} in state_dict")  # noqa: TRY002


default_observer = MinMaxObserver.with_args(quant_min=0, quant_max=127)
default_placeholder_observer = PlaceholderObserver
default_debug_observer = RecordingObserver
default_weight_observer = MinMaxObserver.with_args(dtype=D.qint8, qscheme=per_tensor_symmetric)
weight_observer_range_neg_127_to_127 = MinMaxObserver.with_args(
    dtype=D.qint8, qscheme=per_tensor_symmetric, quant_min=-127, quant_max=127, eps=2 ** -12)
default_histogram_observer = HistogramObserver.with_args(quant_min=0, quant_max=127)
default_per_channel_weight_observer = PerChannelMinMaxObserver.with_args(
    dtype=D.qint8, qscheme=per_channel_symmetric)
per_channel_weight_observer_range_neg_127_to_127 = PerChannelMinMaxObserver.with_args(
    dtype=D.qint8, qscheme=per_channel_symmetric, quant_min=-127, quant_max=127, eps=2 ** -12)
default_dynamic_quant_observer = PlaceholderObserver.with_args(
    dtype=D.quint8, quant_min=0, quant_max=255, is_dynamic=True)
default_float_qparams_observer = PerChannelMinMaxObserver.with_args(
    dtype=D.quint8, qscheme=per_channel_affine_float_qparams, ch_axis=0)
default_float_qparams_observer_4bit = PerChannelMinMaxObserver.with_args(
    dtype=D.quint4x2, qscheme=per_channel_affine_float_qparams, ch_axis=0)
default_fixed_qparams_range_neg1to1_observer = FixedQParamsObserver.with_args(
    scale=2.0 / 256.0, zero_point=128, dtype=D.quint8, quant_min=0, quant_max=255)
default_fixed_qparams_range_0to1_observer = FixedQParamsObserver.with_args(
    scale=1.0 / 256.0, zero_point=0, dtype=D.quint8, quant_min=0, quant_max=255)
default_symmetric_fixed_qparams_observer = default_fixed_qparams_range_neg1to1_observer
default_affine_fixed_qparams_observer = default_fixed_qparams_range_0to1_observer
default_reuse_input_observer = ReuseInputObserver
