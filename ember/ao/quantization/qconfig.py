"""QConfig: which observer (or fake quantize) to build for activations and weights, and the
defaults torch picks per backend (torch's qconfig.py)."""

from __future__ import annotations

import copy
import functools
import warnings
from collections import namedtuple
from typing import Any

from ... import _dtype as D
from ...nn.modules.module import Module
from .fake_quantize import (
    FakeQuantize,
    FakeQuantizeBase,
    FusedMovingAvgObsFakeQuantize,
    default_dynamic_fake_quant,
    default_embedding_fake_quant,
    default_embedding_fake_quant_4bit,
    default_fake_quant,
    default_fused_act_fake_quant,
    default_fused_per_channel_wt_fake_quant,
    default_fused_wt_fake_quant,
    default_per_channel_weight_fake_quant,
    default_weight_fake_quant,
    fused_per_channel_wt_fake_quant_range_neg_127_to_127,
    fused_wt_fake_quant_range_neg_127_to_127,
)
from .observer import (
    HistogramObserver,
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    NoopObserver,
    PlaceholderObserver,
    ReuseInputObserver,
    _PartialWrapper,
    default_debug_observer,
    default_dynamic_quant_observer,
    default_float_qparams_observer,
    default_float_qparams_observer_4bit,
    default_observer,
    default_per_channel_weight_observer,
    default_placeholder_observer,
    default_reuse_input_observer,
    default_weight_observer,
    per_channel_weight_observer_range_neg_127_to_127,
    weight_observer_range_neg_127_to_127,
)

__all__ = [
    "QConfig", "QConfigDynamic", "default_qconfig", "default_debug_qconfig",
    "default_per_channel_qconfig", "default_dynamic_qconfig", "float16_dynamic_qconfig",
    "float16_static_qconfig", "per_channel_dynamic_qconfig", "float_qparams_weight_only_qconfig",
    "float_qparams_weight_only_qconfig_4bit", "default_quint8_weight_qconfig",
    "default_qat_qconfig", "default_dynamic_qat_qconfig", "default_weight_only_qconfig",
    "default_activation_only_qconfig", "default_qat_qconfig_v2", "default_reuse_input_qconfig",
    "default_symmetric_qnnpack_qconfig", "default_per_channel_symmetric_qnnpack_qconfig",
    "default_symmetric_qnnpack_qat_qconfig",
    "default_per_channel_symmetric_qnnpack_qat_qconfig", "default_embedding_qat_qconfig",
    "default_embedding_qat_qconfig_4bit", "get_default_qconfig", "get_default_qat_qconfig",
    "get_default_qconfig_dict", "get_default_qat_qconfig_dict", "QConfigAny", "qconfig_equals",
]

_BACKENDS = ["fbgemm", "x86", "qnnpack", "onednn"]


class QConfig(namedtuple("QConfig", ["activation", "weight"])):
    """(activation, weight): observer or fake-quantize constructors (classes or with_args
    factories), never instances: prepare builds one per module."""

    __slots__ = ()

    def __new__(cls, activation: Any, weight: Any) -> QConfig:
        if isinstance(activation, Module) or isinstance(weight, Module):
            raise ValueError("QConfig received observer instance, please pass observer class "
                             "instead. Use MyObserver.with_args(x=1) to override arguments to "
                             "constructor if needed")
        return super().__new__(cls, activation, weight)


class QConfigDynamic(namedtuple("QConfigDynamic", ["activation", "weight"])):
    """The deprecated dynamic-quantization QConfig (a FutureWarning, as torch gives)."""

    __slots__ = ()

    def __new__(cls, activation: Any = None, weight: Any = None) -> QConfigDynamic:
        from ...nn import Identity

        warnings.warn("`QConfigDynamic` is going to be deprecated in PyTorch 1.12, please use "
                      "`QConfig` instead", FutureWarning, stacklevel=2)
        activation = Identity if activation is None else activation
        weight = Identity if weight is None else weight
        if isinstance(weight, Module):
            raise ValueError("QConfigDynamic received observer instance, please pass observer "
                             "class instead. Use MyObserver.with_args(x=1) to override "
                             "arguments to constructor if needed")
        return super().__new__(cls, activation, weight)


QConfigAny = QConfig | None


def _identity() -> Any:
    from ...nn import Identity

    return Identity


default_qconfig = QConfig(activation=default_observer, weight=default_weight_observer)
default_debug_qconfig = QConfig(weight=default_weight_observer,
                                activation=default_debug_observer)
default_per_channel_qconfig = QConfig(activation=default_observer,
                                      weight=default_per_channel_weight_observer)
default_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                  weight=default_weight_observer)
float16_dynamic_qconfig = QConfig(
    activation=PlaceholderObserver.with_args(dtype=D.float16, is_dynamic=True),
    weight=PlaceholderObserver.with_args(dtype=D.float16))
float16_static_qconfig = QConfig(activation=PlaceholderObserver.with_args(dtype=D.float16),
                                 weight=PlaceholderObserver.with_args(dtype=D.float16))
per_channel_dynamic_qconfig = QConfig(activation=default_dynamic_quant_observer,
                                      weight=default_per_channel_weight_observer)
float_qparams_weight_only_qconfig = QConfig(activation=default_placeholder_observer,
                                            weight=default_float_qparams_observer)
float_qparams_weight_only_qconfig_4bit = QConfig(activation=default_placeholder_observer,
                                                 weight=default_float_qparams_observer_4bit)
default_qat_qconfig = QConfig(activation=default_fake_quant, weight=default_weight_fake_quant)
default_dynamic_qat_qconfig = QConfig(activation=default_dynamic_fake_quant,
                                      weight=default_weight_fake_quant)
default_weight_only_qconfig = QConfig(activation=_identity(), weight=default_weight_fake_quant)
default_activation_only_qconfig = QConfig(activation=default_fake_quant, weight=_identity())
default_qat_qconfig_v2 = QConfig(activation=default_fused_act_fake_quant,
                                 weight=default_fused_wt_fake_quant)
default_reuse_input_qconfig = QConfig(activation=default_reuse_input_observer,
                                      weight=NoopObserver)


def _check_backend(backend: str) -> None:
    if backend not in _BACKENDS:
        raise AssertionError(f"backend: {backend} not supported. backend must be one of "
                             f"{_BACKENDS}")


@functools.lru_cache(maxsize=1)
def _is_vnni_supported() -> bool:
    """Whether the CPU has VNNI (torch.cpu._is_vnni_supported), read from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def get_default_qconfig(backend: str = "x86", version: int = 0) -> QConfig:
    """The default post-training qconfig for 'x86', 'fbgemm', 'qnnpack' or 'onednn'."""
    _check_backend(backend)
    if version != 0:
        raise AssertionError(f"Version number: {version} in get_default_qconfig is not "
                             "supported. Version number must be 0")
    if backend in ("fbgemm", "x86"):
        return QConfig(activation=HistogramObserver.with_args(reduce_range=True),
                       weight=default_per_channel_weight_observer)
    if backend == "qnnpack":
        return QConfig(activation=HistogramObserver.with_args(reduce_range=False),
                       weight=default_weight_observer)
    if not _is_vnni_supported():
        warnings.warn("Default qconfig of oneDNN backend with reduce_range of false may have "
                      "accuracy issues on CPU without Vector Neural Network Instruction "
                      "support.", stacklevel=2)
    return QConfig(activation=HistogramObserver.with_args(reduce_range=False),
                   weight=default_per_channel_weight_observer)


default_symmetric_qnnpack_qconfig = QConfig(
    activation=HistogramObserver.with_args(dtype=D.qint8, reduce_range=False, eps=2 ** -12),
    weight=weight_observer_range_neg_127_to_127)
default_per_channel_symmetric_qnnpack_qconfig = QConfig(
    activation=HistogramObserver.with_args(dtype=D.qint8, reduce_range=False, eps=2 ** -12),
    weight=per_channel_weight_observer_range_neg_127_to_127)
default_embedding_qat_qconfig = QConfig(activation=NoopObserver.with_args(dtype=D.float32),
                                        weight=default_embedding_fake_quant)
default_embedding_qat_qconfig_4bit = QConfig(activation=NoopObserver.with_args(dtype=D.float32),
                                             weight=default_embedding_fake_quant_4bit)
default_quint8_weight_qconfig = QConfig(activation=HistogramObserver, weight=MinMaxObserver)


def get_default_qat_qconfig(backend: str = "x86", version: int = 1) -> QConfig:
    """The default quantization-aware-training qconfig for a backend (version 1: fused ops)."""
    _check_backend(backend)
    if version not in (0, 1):
        raise AssertionError(f"Version number: {version}in get_default_qat_qconfig is not "
                             "supported. Version number must be 0 or 1")
    fq: Any = FakeQuantize if version == 0 else FusedMovingAvgObsFakeQuantize
    per_channel = default_per_channel_weight_fake_quant if version == 0 else \
        default_fused_per_channel_wt_fake_quant
    per_tensor = default_weight_fake_quant if version == 0 else default_fused_wt_fake_quant
    if backend == "onednn":
        return QConfig(activation=fq.with_args(observer=MovingAverageMinMaxObserver,
                                               quant_min=0, quant_max=255),
                       weight=per_channel)
    act = fq.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                       reduce_range=backend != "qnnpack")
    return QConfig(activation=act, weight=per_tensor if backend == "qnnpack" else per_channel)


default_symmetric_qnnpack_qat_qconfig = QConfig(
    activation=FusedMovingAvgObsFakeQuantize.with_args(
        observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=D.qint8,
        reduce_range=False, eps=2 ** -12),
    weight=fused_wt_fake_quant_range_neg_127_to_127)
default_per_channel_symmetric_qnnpack_qat_qconfig = QConfig(
    activation=FusedMovingAvgObsFakeQuantize.with_args(
        observer=MovingAverageMinMaxObserver, quant_min=-128, quant_max=127, dtype=D.qint8,
        reduce_range=False, eps=2 ** -12),
    weight=fused_per_channel_wt_fake_quant_range_neg_127_to_127)
_default_fp32_placeholder_qconfig = QConfig(
    activation=PlaceholderObserver.with_args(dtype=D.float32),
    weight=PlaceholderObserver.with_args(dtype=D.float32))
_default_quint8_placeholder_qconfig = QConfig(
    activation=PlaceholderObserver.with_args(dtype=D.quint8), weight=None)


def get_default_qconfig_dict(backend: str = "x86", version: int = 0) -> dict:
    """Not implemented: torch builds it from FX's QConfigMapping, which ember lacks."""
    raise NotImplementedError("get_default_qconfig_dict needs FX graph-mode QConfigMapping, "
                              "which ember does not implement; use get_default_qconfig")


def get_default_qat_qconfig_dict(backend: str = "x86", version: int = 1) -> dict:
    """Not implemented: torch builds it from FX's QConfigMapping, which ember lacks."""
    raise NotImplementedError("get_default_qat_qconfig_dict needs FX graph-mode "
                              "QConfigMapping, which ember does not implement; use "
                              "get_default_qat_qconfig")


def _assert_valid_qconfig(qconfig: QConfig | None, mod: Module) -> None:
    """Per-channel weight observers are refused for transposed convolutions, as in torch."""
    if qconfig is None or qconfig.weight is None:
        return
    from ... import nn
    from .observer import MovingAveragePerChannelMinMaxObserver, PerChannelMinMaxObserver

    transposed = tuple(getattr(nn, n) for n in ("ConvTranspose1d", "ConvTranspose2d",
                                                "ConvTranspose3d") if hasattr(nn, n))
    if transposed and isinstance(mod, transposed):
        obs = qconfig.weight()
        if isinstance(obs, (PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver)):
            raise AssertionError("Per channel weight observer is not supported yet for "
                                 "ConvTranspose{n}d.")


def _add_module_to_qconfig_obs_ctr(qconfig: Any, module: Module | None) -> Any:
    """The qconfig unchanged: torch uses this to build observers on the module's device, and
    ember's observers live on the CPU."""
    return qconfig


def _obs_or_fq_ctr_equals(a: Any, b: Any) -> bool:
    if isinstance(a, _PartialWrapper) and isinstance(b, _PartialWrapper):
        return _partial_wrapper_equals(a, b)
    return bool(a == b)


def _partial_wrapper_equals(a: _PartialWrapper, b: _PartialWrapper) -> bool:
    ka, kb = copy.copy(a.p.keywords), copy.copy(b.p.keywords)
    same = True
    if "observer" in ka and "observer" in kb:
        same = _obs_or_fq_ctr_equals(ka.pop("observer"), kb.pop("observer"))
    return bool(a.p.func == b.p.func and a.p.args == b.p.args and same and ka == kb)


def qconfig_equals(q1: Any, q2: Any) -> bool:
    """Whether two qconfigs build the same observers (with_args factories compared by value)."""
    if q1 is None or q2 is None:
        return q1 == q2
    try:
        return _obs_or_fq_ctr_equals(q1.activation, q2.activation) and \
            _obs_or_fq_ctr_equals(q1.weight, q2.weight)
    except AttributeError:
        return bool(q1 == q2)


def _activation_is_memoryless(qconfig: QConfig) -> bool:
    """Whether the activation observer is a moving average with averaging_constant 1."""
    act = qconfig.activation()
    if isinstance(act, FakeQuantizeBase) and hasattr(act, "activation_post_process"):
        act = act.activation_post_process
    return hasattr(act, "averaging_constant") and act.averaging_constant == 1


def _is_reuse_input_qconfig(qconfig: QConfig | None) -> bool:
    return qconfig is not None and isinstance(qconfig.activation(), ReuseInputObserver) and \
        isinstance(qconfig.weight(), NoopObserver)
