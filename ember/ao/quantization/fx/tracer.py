"""QuantizationTracer: symbolic tracing that records which submodule each node came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....fx import Tracer
from ....nn.modules.container import Sequential
from ....nn.modules.module import Module

__all__ = ["QuantizationTracer"]


class QuantizationTracer(Tracer):
    """A Tracer whose leaves also include skipped (non-traceable) modules and fused modules.

    node_name_to_scope maps each node to (qualified name, class) of the module whose forward
    created it; qconfigs set by module name or type apply to the functions called there.
    """

    def __init__(self, skipped_module_names: list[str], skipped_module_classes: list[type]):
        super().__init__()
        self.skipped_module_names = skipped_module_names
        self.skipped_module_classes = skipped_module_classes
        self.scope: tuple[str, Any] = ("", None)
        self.node_name_to_scope: dict[str, tuple[str, Any]] = {}

    def is_leaf_module(self, m: Module, module_qualified_name: str) -> bool:
        from ...nn.intrinsic import _FusedModule

        mod = type(m).__module__
        return (
            (
                (mod.startswith("ember.nn.") or mod.startswith("ember.ao.nn."))
                and not isinstance(m, Sequential)
            )
            or module_qualified_name in self.skipped_module_names
            or type(m) in self.skipped_module_classes
            or isinstance(m, _FusedModule)
        )

    def call_module(self, m: Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        saved = self.scope
        self.scope = (self.path_of_module(m), type(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.scope = saved

    def create_node(
        self,
        kind: str,
        target: Any,
        args: tuple,
        kwargs: dict,
        name: str | None = None,
        type_expr: Any = None,
    ) -> Any:
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        self.node_name_to_scope[node.name] = self.scope
        return node
