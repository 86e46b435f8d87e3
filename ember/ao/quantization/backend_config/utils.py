"""Lookups over a BackendConfig used by the fx passes."""

from __future__ import annotations

from typing import Any

from .backend_config import BackendConfig

__all__ = [
    "get_fused_module_classes",
    "get_module_to_qat_module",
    "get_pattern_to_dtype_configs",
    "get_qat_module_classes",
    "get_root_module_to_quantized_reference_module",
]


def get_pattern_to_dtype_configs(backend_config: BackendConfig) -> dict[Any, list[Any]]:
    return {p: c.dtype_configs for p, c in backend_config._pattern_complex_format_to_config.items()}


def get_qat_module_classes(backend_config: BackendConfig) -> tuple[type, ...]:
    return tuple({c.qat_module for c in backend_config.configs if c.qat_module is not None})


def get_fused_module_classes(backend_config: BackendConfig) -> tuple[type, ...]:
    return tuple({c.fused_module for c in backend_config.configs if c.fused_module is not None})


def get_root_module_to_quantized_reference_module(
    backend_config: BackendConfig,
) -> dict[type, type]:
    return {
        c.root_module: c.reference_quantized_module
        for c in backend_config.configs
        if c.root_module is not None and c.reference_quantized_module is not None
    }


def get_module_to_qat_module(backend_config: BackendConfig) -> dict[Any, type]:
    return {
        p: c.qat_module
        for p, c in backend_config._pattern_complex_format_to_config.items()
        if c.qat_module is not None
    }
