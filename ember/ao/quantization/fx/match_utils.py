"""Matching backend patterns (reversed nested tuples) against fx graphs, last node first."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ....fx import Graph, Node
from ....nn.modules.module import Module

__all__ = ["MatchAllNode", "find_fusion_matches", "find_quant_matches", "sorted_patterns"]


class MatchAllNode:
    """A pattern entry matching any node (an input of a larger pattern)."""


def _pattern_len(p: Any) -> int:
    return sum(_pattern_len(x) for x in p) if isinstance(p, tuple) else 1


def sorted_patterns(patterns: dict[Any, Any]) -> OrderedDict[Any, Any]:
    """Longer patterns first, so (relu, (bn, conv)) is tried before (bn, conv) and conv."""
    return OrderedDict(
        sorted(
            patterns.items(),
            key=lambda kv: -_pattern_len(kv[0]) if isinstance(kv[0], tuple) else 1,
        )
    )


def is_match(
    modules: dict[str, Module], node: Any, pattern: Any, max_uses: int = sys.maxsize
) -> bool:
    """Whether node (and, recursively, its args) matches pattern; inner nodes used only once."""
    if isinstance(pattern, tuple):
        self_match, *arg_matches = pattern
        if self_match is getattr:
            arg_matches = []
    else:
        self_match, arg_matches = pattern, []
    if isinstance(self_match, type) and issubclass(self_match, MatchAllNode):
        return True
    if node is pattern:
        return True
    if not isinstance(node, Node) or len(node.users) > max_uses:
        return False
    if isinstance(self_match, type) and issubclass(self_match, Module):
        if node.op != "call_module" or type(modules.get(str(node.target))) is not self_match:
            return False
    elif callable(self_match):
        if node.op != "call_function" or node.target is not self_match:
            return False
        if node.target is getattr and node.args[1] != pattern[1]:
            return False
    elif isinstance(self_match, str):
        if node.op != "call_method" or node.target != self_match:
            return False
    elif node.target != self_match:
        return False
    if not arg_matches:
        return True
    if len(arg_matches) != len(node.args):
        return False
    return all(is_match(modules, a, p, max_uses=1) for a, p in zip(node.args, arg_matches))


def is_observed_standalone_module(mod: Any) -> bool:
    attrs = (
        getattr(mod, "meta", {}).get("_observed_graph_module_attrs")
        if hasattr(mod, "meta")
        else None
    )
    return bool(attrs is not None and attrs.is_observed_standalone_module)


def find_fusion_matches(
    graph: Graph, modules: dict[str, Module], patterns: dict[Any, Any]
) -> dict[str, tuple[Node, Any, Any, dict[Node, Any]]]:
    """node name -> (last node, pattern, matched node pattern, node -> subpattern)."""
    match_map: dict[str, tuple[Node, Any, Any, dict[Node, Any]]] = {}
    node_to_subpattern: dict[Node, Any] = {}

    def apply(pattern: Any, node: Any, root: tuple[Node, Any], out: list[Any]) -> None:
        if isinstance(pattern, tuple):
            s, *args = pattern
            cur: list[Any] = []
            apply(s, node, root, cur)
            for sub, arg in zip(args, node.args):
                apply(sub, arg, root, cur)
            out.append(tuple(cur))
        elif node.name not in match_map:
            out.append(node)
            if pattern is not MatchAllNode:
                node_to_subpattern[node] = pattern
                match_map[node.name] = (root[0], root[1], out, node_to_subpattern)

    for node in reversed(list(graph.nodes)):
        if node.name in match_map:
            continue
        for pattern in patterns:
            if is_match(modules, node, pattern):
                apply(pattern, node, (node, pattern), [])
                break
    return match_map


def find_quant_matches(
    graph: Graph,
    modules: dict[str, Module],
    patterns: dict[Any, Callable[..., Any]],
    root_node_getters: dict[Any, Callable[..., Any]],
    standalone_module_names: list[str],
    standalone_module_classes: list[type],
    custom_module_classes: list[type],
) -> dict[str, tuple[Node, Any, Any, Any]]:
    """node name -> (last node, matched node pattern, pattern, quantize handler)."""
    from .quantize_handler import QuantizeHandler

    match_map: dict[str, tuple[Node, Any, Any, Any]] = {}

    def record(pattern: Any, node: Any, matched: list[Any]) -> None:
        if isinstance(pattern, tuple):
            s, *args = pattern
            cur: list[Any] = []
            record(s, node, matched)
            if pattern[0] is not getattr:
                for sub, arg in zip(args, node.args):
                    record(sub, arg, cur)
            if len(cur) > 1:
                # keep the original nesting: one arg -> (op, (arg...)), several -> flat
                if len(args) == 1:
                    matched.append(tuple(cur))
                else:
                    matched.extend(cur)
            else:
                matched.append(cur[0])
        else:
            matched.append(node)

    def record_all(last: Node, node_pattern: Any, matched: Any, pattern: Any, h: Any) -> None:
        if isinstance(node_pattern, Node):
            match_map[node_pattern.name] = (last, matched, pattern, h)
        elif isinstance(node_pattern, (list, tuple)):
            for n in node_pattern:
                record_all(last, n, matched, pattern, h)

    for node in reversed(list(graph.nodes)):
        if node.name in match_map:
            continue
        for pattern, handler_cls in patterns.items():
            if is_match(modules, node, pattern) and node.name not in match_map:
                matched: list[Any] = []
                record(pattern, node, matched)
                handler = handler_cls(matched, modules, root_node_getters.get(pattern))
                record_all(node, matched, matched, pattern, handler)
                break

    for node in graph.nodes:
        if node.op != "call_module":
            continue
        mod = modules[str(node.target)]
        if type(mod) in custom_module_classes:
            match_map[node.name] = (
                node,
                node,
                None,
                QuantizeHandler(node, modules, is_custom_module=True),
            )
        if (
            node.target in standalone_module_names
            or type(mod) in standalone_module_classes
            or is_observed_standalone_module(mod)
        ):
            match_map[node.name] = (
                node,
                node,
                None,
                QuantizeHandler(node, modules, is_standalone_module=True),
            )
    return match_map
