"""QuantizeHandler: what prepare/convert need to know about one matched pattern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....fx import Node
from ..backend_config import BackendConfig, ObservationType
from .utils import all_node_args_have_no_tensors, default_root_node_getter

__all__ = ["QuantizeHandler", "get_pattern_to_quantize_handlers"]


class QuantizeHandler:
    """Holds the matched nodes, the root (input) node and how many tensor args it takes."""

    observation_type = ObservationType.OUTPUT_USE_DIFFERENT_OBSERVER_AS_INPUT

    def __init__(
        self,
        node_pattern: Any,
        modules: dict[str, Any],
        root_node_getter: Callable[..., Any] | None = None,
        is_custom_module: bool = False,
        is_standalone_module: bool = False,
    ) -> None:
        self.node_pattern = node_pattern
        self.modules = modules
        self.root_node = (root_node_getter or default_root_node_getter)(node_pattern)
        self.is_custom_module_ = is_custom_module
        self.is_standalone_module_ = is_standalone_module
        self.num_tensor_args = 0
        if isinstance(self.root_node, Node):
            cache: dict[Any, bool] = {}
            for arg in self.root_node.args:
                if isinstance(arg, Node) and not all_node_args_have_no_tensors(arg, modules, cache):
                    self.num_tensor_args += 1

    def is_general_tensor_value_op(self) -> bool:
        """Output shares the input's observer (pooling, reshape, cat...)."""
        return self.observation_type == ObservationType.OUTPUT_SHARE_OBSERVER_WITH_INPUT

    def is_custom_module(self) -> bool:
        return self.is_custom_module_

    def is_standalone_module(self) -> bool:
        return self.is_standalone_module_


def _handler_cls(
    observation_type: ObservationType,
    dtype_configs: list[Any],
    by_num_tensor_args: dict[int, ObservationType],
) -> type[QuantizeHandler]:
    class ConfigurableQuantizeHandler(QuantizeHandler):
        def __init__(
            self,
            node_pattern: Any,
            modules: dict[str, Any],
            root_node_getter: Callable[..., Any] | None = None,
        ) -> None:
            super().__init__(node_pattern, modules, root_node_getter)
            if by_num_tensor_args:
                if self.num_tensor_args not in by_num_tensor_args:
                    raise AssertionError(
                        f"Must provide observation_type config for tensor number "
                        f"{self.num_tensor_args} in num_tensor_args_to_observation_type for "
                        f"{node_pattern}"
                    )
                self.observation_type = by_num_tensor_args[self.num_tensor_args]
            else:
                self.observation_type = observation_type
            self.dtype_configs = dtype_configs

    return ConfigurableQuantizeHandler


def get_pattern_to_quantize_handlers(backend_config: BackendConfig) -> dict[Any, Any]:
    return {
        pattern: _handler_cls(
            c.observation_type, c.dtype_configs, c._num_tensor_args_to_observation_type
        )
        for pattern, c in backend_config._pattern_complex_format_to_config.items()
    }
