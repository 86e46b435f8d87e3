"""The BackendConfigs of PyTorch's native CPU backends: native (the default), x86, fbgemm."""

from __future__ import annotations

from typing import Any

from . import _common_operator_config_utils as c
from .backend_config import BackendConfig, DTypeConfig

__all__ = [
    "get_fbgemm_backend_config",
    "get_native_backend_config",
    "get_native_backend_config_dict",
    "get_x86_backend_config",
]


def _dtype_configs() -> dict[str, DTypeConfig]:
    from ember._dtype import float16, float32, qint8, quint4x2, quint8

    return {
        "weighted": DTypeConfig(quint8, quint8, qint8, float32),
        "default": DTypeConfig(quint8, quint8),
        "dynamic_int8": DTypeConfig(quint8, float32, qint8, float32, is_dynamic=True),
        "dynamic_fp16": DTypeConfig(float16, float32, float16, float32, is_dynamic=True),
        "weight_only_quint8": DTypeConfig(float32, float32, quint8),
        "weight_only_quint4x2": DTypeConfig(float32, float32, quint4x2),
        "io_only_quint8": DTypeConfig(quint8, quint8, float32, float32),
    }


def _build(name: str, binary_and_fixed: str, layer_norm: bool) -> BackendConfig:
    m = c._Mods()
    d = _dtype_configs()
    default: list[Any] = [d["default"]]
    linear = [d["weighted"], d["dynamic_int8"], d["dynamic_fp16"]]
    bf = [d[binary_and_fixed]]
    conf = (
        BackendConfig(name)
        .set_backend_pattern_configs(c.get_conv_configs(m, [d["weighted"]]))
        .set_backend_pattern_configs(c.get_linear_configs(m, linear))
        .set_backend_pattern_configs(c.get_binary_op_configs(m, bf))
        .set_backend_pattern_config(c.get_cat_config(m, default))
        .set_backend_pattern_configs(c.get_default_op_configs(m, default))
        .set_backend_pattern_configs(c.get_fixed_qparams_op_configs(m, bf))
        .set_backend_pattern_configs(c.get_share_qparams_op_configs(m, default))
        .set_backend_pattern_configs(c.get_tensor_info_op_configs(m, default))
        .set_backend_pattern_configs(c.get_bn_configs(m, default))
    )
    if layer_norm:
        conf.set_backend_pattern_configs(c.get_ln_configs(m, [d["io_only_quint8"]]))
    rnn = [d["dynamic_int8"], d["dynamic_fp16"]]
    emb = [d["weight_only_quint8"], d["weight_only_quint4x2"]]
    conf.set_backend_pattern_configs(c.get_rnn_op_configs(m, rnn))
    conf.set_backend_pattern_configs(c.get_embedding_op_configs(m, emb))
    return conf


def get_native_backend_config() -> BackendConfig:
    """The BackendConfig prepare_fx uses when none is given (fbgemm/qnnpack ops + LayerNorm)."""
    # fbgemm's lists: binary/fixed-qparams ops take no weight; LayerNorm is only here
    return _build("native", "default", layer_norm=True)


def get_native_backend_config_dict() -> dict[str, Any]:
    """get_native_backend_config() as a dictionary."""
    return get_native_backend_config().to_dict()


def get_x86_backend_config() -> BackendConfig:
    """The BackendConfig of PyTorch's x86 backend."""
    return _build("x86", "weighted", layer_norm=False)


def get_fbgemm_backend_config() -> BackendConfig:
    """The BackendConfig of PyTorch's FBGEMM backend."""
    return _build("fbgemm", "default", layer_norm=False)
