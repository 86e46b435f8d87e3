"""Fake quantization modules for quantization-aware training (torch's fake_quantize.py).

Learnable fake quantization (_LearnableFakeQuantize, torch's learnable ops) is not
implemented: constructing it raises NotImplementedError.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
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
from ...ops._registry import FUNCTIONS
from .observer import (
    FixedQParamsObserver,
    HistogramObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    _dev,
    _set,
    _with_args,
    default_fixed_qparams_range_0to1_observer,
    default_fixed_qparams_range_neg1to1_observer,
)

__all__ = [
    "FakeQuantizeBase", "FakeQuantize", "FixedQParamsFakeQuantize",
    "FusedMovingAvgObsFakeQuantize", "disable_fake_quant", "disable_observer",
    "enable_fake_quant", "enable_observer", "default_fake_quant", "default_weight_fake_quant",
    "default_dynamic_fake_quant", "default_fixed_qparams_range_neg1to1_fake_quant",
    "default_fixed_qparams_range_0to1_fake_quant", "default_symmetric_fixed_qparams_fake_quant",
    "default_affine_fixed_qparams_fake_quant", "default_per_channel_weight_fake_quant",
    "default_embedding_fake_quant", "default_embedding_fake_quant_4bit",
    "default_histogram_fake_quant", "default_fused_act_fake_quant",
    "default_fused_wt_fake_quant", "default_fused_per_channel_wt_fake_quant",
    "fused_wt_fake_quant_range_neg_127_to_127",
    "fused_per_channel_wt_fake_quant_range_neg_127_to_127",
]

_PER_CHANNEL = (per_channel_symmetric, per_channel_affine, per_channel_affine_float_qparams)
_PER_TENSOR = (per_tensor_symmetric, per_tensor_affine)
_QRANGE = {D.qint8: (-128, 127), D.quint8: (0, 255), D.qint32: (-(2 ** 31), 2 ** 31 - 1),
           D.quint4x2: (0, 15), D.int8: (-128, 127), D.uint8: (0, 255),
           D.int16: (-(2 ** 15), 2 ** 15 - 1), D.int32: (-(2 ** 31), 2 ** 31 - 1)}


def _flag(dt: D.dtype) -> Tensor:
    return make(np.array([1], dt.np), dt, _dev())


class FakeQuantizeBase(Module, metaclass=ABCMeta):
    """Base of the fake quantize modules: fake_quant_enabled and observer_enabled switches."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("fake_quant_enabled", _flag(D.uint8))
        self.register_buffer("observer_enabled", _flag(D.uint8))

    @abstractmethod
    def forward(self, x: Any) -> Any: ...

    @abstractmethod
    def calculate_qparams(self, **kwargs: Any) -> Any: ...

    def enable_fake_quant(self, enabled: bool = True) -> None:
        self.fake_quant_enabled._data[0] = 1 if enabled else 0
        self.fake_quant_enabled._bump_version()

    def disable_fake_quant(self) -> None:
        self.enable_fake_quant(False)

    def enable_observer(self, enabled: bool = True) -> None:
        self.observer_enabled._data[0] = 1 if enabled else 0
        self.observer_enabled._bump_version()

    def disable_observer(self) -> None:
        self.enable_observer(False)

    @classmethod
    def with_args(cls, **kwargs: Any) -> Any:
        ctor = _with_args(cls, **kwargs)
        ctor.__module__ = "ember.ao.quantization.fake_quantize"  # type: ignore[attr-defined]
        return ctor


class FakeQuantize(FakeQuantizeBase):
    """Observe (activation_post_process), then quantize-dequantize with the observed qparams.

    out = (clamp(round(x / scale) + zero_point, quant_min, quant_max) - zero_point) * scale
    """

    def __init__(self, observer: Any = MovingAverageMinMaxObserver, quant_min: int | None = None,
                 quant_max: int | None = None, is_dynamic: bool = False,
                 **observer_kwargs: Any) -> None:
        super().__init__()
        if quant_min is not None and quant_max is not None:
            if quant_min > quant_max:
                raise AssertionError("quant_min must be less than or equal to quant_max")
            dtype = observer_kwargs.get("dtype", D.quint8)
            if hasattr(observer, "p"):
                dtype = getattr(getattr(observer, "p", {}), "keywords", {}).get("dtype", dtype)
            lo, hi = _QRANGE[dtype]
            if lo > quant_min:
                raise AssertionError("quant_min out of bound")
            if quant_max > hi:
                raise AssertionError("quant_max out of bound")
            observer_kwargs.update({"quant_min": quant_min, "quant_max": quant_max})
        observer_kwargs["is_dynamic"] = is_dynamic
        self.activation_post_process = observer(**observer_kwargs)
        app = self.activation_post_process
        self.quant_min = app.quant_min
        self.quant_max = app.quant_max
        self.is_dynamic = app.is_dynamic
        zdt = D.float32 if app.qscheme is per_channel_affine_float_qparams else D.int32
        self.register_buffer("scale", make(np.array([1.0], np.float32), D.float32, _dev()))
        self.register_buffer("zero_point", make(np.array([0], zdt.np), zdt, _dev()))
        self.dtype = app.dtype
        self.qscheme = app.qscheme
        self.ch_axis = app.ch_axis if hasattr(app, "ch_axis") else -1
        if self.qscheme not in _PER_CHANNEL + _PER_TENSOR:
            raise AssertionError("Only per channel and per tensor quantization are supported in "
                                 f"fake quantize got qscheme: {self.qscheme}")
        self.is_per_channel = self.qscheme in _PER_CHANNEL

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        return self.activation_post_process.calculate_qparams()

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        if self.observer_enabled._data[0] == 1:
            self.activation_post_process(X.detach())
            scale, zero_point = self.calculate_qparams()
            _set(self.scale, scale._host())
            _copy_zp(self.zero_point, zero_point)
        if self.fake_quant_enabled._data[0] == 1:
            app = self.activation_post_process
            if self.is_per_channel:
                X = FUNCTIONS["fake_quantize_per_channel_affine"](
                    X, self.scale, self.zero_point, self.ch_axis, app.quant_min, app.quant_max)
            else:
                X = FUNCTIONS["fake_quantize_per_tensor_affine"](
                    X, self.scale, self.zero_point, app.quant_min, app.quant_max)
        return X

    def extra_repr(self) -> str:
        app = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, quant_min={app.quant_min}, "
                f"quant_max={app.quant_max}, dtype={self.dtype}, qscheme={self.qscheme}, "
                f"ch_axis={self.ch_axis}, scale={self.scale}, zero_point={self.zero_point}")

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "scale"] = self.scale
        destination[prefix + "zero_point"] = self.zero_point

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        for name in ("scale", "zero_point"):
            key = prefix + name
            if key in state_dict:  # resized to the saved shape (per-channel after training)
                buf = getattr(self, name)
                shape = tuple(state_dict[key].shape)
                if tuple(buf.shape) != shape:
                    buf._data = np.zeros(shape, buf._data.dtype)
                    buf._storage = buf._base = None
            elif strict:
                missing_keys.append(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def _copy_zp(buf: Tensor, zp: Tensor) -> None:
    v = np.asarray(zp._host()).astype(buf._data.dtype)
    if buf._data.shape != v.shape:
        buf._data = v.copy()
        buf._storage = buf._base = None
    else:
        buf._data[...] = v
    buf._bump_version()


class FixedQParamsFakeQuantize(FakeQuantize):
    """Fake quantization with the fixed scale and zero point of a FixedQParamsObserver."""

    def __init__(self, observer: Any) -> None:
        super().__init__(observer=observer)
        if type(self.activation_post_process) is not FixedQParamsObserver:
            raise AssertionError(f"{self.__class__.__name__}'s observer must be a "
                                 f"{FixedQParamsObserver.__name__}")
        self._observer_ctr = observer
        self.scale = self.activation_post_process.scale
        self.zero_point = self.activation_post_process.zero_point
        if self.qscheme not in _PER_TENSOR:
            raise AssertionError("Only per tensor quantization is supported "
                                 f"FixedQParamsFakeQuantize module, got qscheme:{self.qscheme}")

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        return self.scale, self.zero_point

    def extra_repr(self) -> str:
        app = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, scale={self.scale}, "
                f"zero_point={self.zero_point}, dtype={self.dtype}, quant_min={app.quant_min}, "
                f"quant_max={app.quant_max}, qscheme={self.qscheme}")


class FusedMovingAvgObsFakeQuantize(FakeQuantize):
    """Moving-average min/max observation, qparams and fake quantization in one op
    (ember.fused_moving_avg_obs_fake_quant)."""

    def __init__(self, observer: Any = MovingAverageMinMaxObserver, quant_min: int = 0,
                 quant_max: int = 255, **observer_kwargs: Any) -> None:
        super().__init__(observer, quant_min, quant_max, **observer_kwargs)
        if not isinstance(self.activation_post_process,
                          (MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver)):
            raise AssertionError("Fused observer+fake_quant module only works with "
                                 "MovingAverageMinMaxObserver")
        self.register_buffer("fake_quant_enabled", _flag(D.int64))
        self.register_buffer("observer_enabled", _flag(D.int64))
        self.is_symmetric_quant = self.activation_post_process.qscheme in (
            per_tensor_symmetric, per_channel_symmetric)

    def calculate_qparams(self) -> Any:  # type: ignore[override]
        return self.activation_post_process.calculate_qparams()

    def extra_repr(self) -> str:
        app = self.activation_post_process
        return (f"fake_quant_enabled={self.fake_quant_enabled}, "
                f"observer_enabled={self.observer_enabled}, scale={self.scale}, "
                f"zero_point={self.zero_point}, dtype={self.dtype}, quant_min={app.quant_min}, "
                f"quant_max={app.quant_max}, qscheme={self.qscheme}, "
                f"reduce_range={app.reduce_range}")

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - torch's name
        app = self.activation_post_process
        return FUNCTIONS["fused_moving_avg_obs_fake_quant"](
            X, self.observer_enabled, self.fake_quant_enabled, app.min_val, app.max_val,
            self.scale, self.zero_point, app.averaging_constant, app.quant_min, app.quant_max,
            self.ch_axis, self.is_per_channel, self.is_symmetric_quant)


class _LearnableFakeQuantize(FakeQuantizeBase):
    """Not implemented in ember: learnable scale/zero point fake quantization."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("ember does not implement _LearnableFakeQuantize (learnable "
                                  "scale and zero point); use FakeQuantize")

    def forward(self, x: Any) -> Any:  # pragma: no cover - never constructed
        raise NotImplementedError

    def calculate_qparams(self, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError


def disable_fake_quant(mod: Module) -> None:
    """model.apply(disable_fake_quant): stop fake quantizing (outputs pass through)."""
    if isinstance(mod, FakeQuantizeBase):
        mod.disable_fake_quant()


def enable_fake_quant(mod: Module) -> None:
    """model.apply(enable_fake_quant)."""
    if isinstance(mod, FakeQuantizeBase):
        mod.enable_fake_quant()


def disable_observer(mod: Module) -> None:
    """model.apply(disable_observer): freeze the observed statistics and qparams."""
    if isinstance(mod, FakeQuantizeBase):
        mod.disable_observer()


def enable_observer(mod: Module) -> None:
    """model.apply(enable_observer)."""
    if isinstance(mod, FakeQuantizeBase):
        mod.enable_observer()


default_fake_quant = FakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=D.quint8,
    qscheme=per_tensor_affine, reduce_range=True)
default_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=D.qint8,
    qscheme=per_tensor_symmetric, reduce_range=False)
default_dynamic_fake_quant = FakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, is_dynamic=True,
    dtype=D.quint8, averaging_constant=1)
default_fixed_qparams_range_neg1to1_fake_quant = FixedQParamsFakeQuantize.with_args(
    observer=default_fixed_qparams_range_neg1to1_observer)
default_fixed_qparams_range_0to1_fake_quant = FixedQParamsFakeQuantize.with_args(
    observer=default_fixed_qparams_range_0to1_observer)
default_symmetric_fixed_qparams_fake_quant = default_fixed_qparams_range_neg1to1_fake_quant
default_affine_fixed_qparams_fake_quant = default_fixed_qparams_range_0to1_fake_quant
default_per_channel_weight_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
    dtype=D.qint8, qscheme=per_channel_symmetric, reduce_range=False, ch_axis=0)
default_embedding_fake_quant = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, qscheme=per_channel_affine_float_qparams,
    dtype=D.quint8, quant_min=0, quant_max=255, ch_axis=0, averaging_constant=1)
default_embedding_fake_quant_4bit = FakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, qscheme=per_channel_affine_float_qparams,
    ch_axis=0, dtype=D.quint4x2, averaging_constant=1)
default_histogram_fake_quant = FakeQuantize.with_args(
    observer=HistogramObserver, quant_min=0, quant_max=255, dtype=D.quint8,
    qscheme=per_tensor_affine, reduce_range=True)
default_fused_act_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=D.quint8)
default_fused_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=D.qint8,
    qscheme=per_tensor_symmetric)
default_fused_per_channel_wt_fake_quant = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
    dtype=D.qint8, qscheme=per_channel_symmetric)
fused_wt_fake_quant_range_neg_127_to_127 = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAverageMinMaxObserver, quant_min=-127, quant_max=127, dtype=D.qint8,
    qscheme=per_tensor_symmetric, eps=2 ** -12)
fused_per_channel_wt_fake_quant_range_neg_127_to_127 = FusedMovingAvgObsFakeQuantize.with_args(
    observer=MovingAveragePerChannelMinMaxObserver, quant_min=-127, quant_max=127,
    dtype=D.qint8, qscheme=per_channel_symmetric, eps=2 ** -12)
