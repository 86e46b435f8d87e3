"""Graph-mode fusion: conv-bn(-relu), linear-relu, bn-relu... into one module, per BackendConfig."""

from __future__ import annotations

from typing import Any

import ember
import ember.nn as nn
import ember.nn.functional as F

from ....fx import Graph, GraphModule, Node, map_arg
from ..backend_config import BackendConfig, get_native_backend_config
from ..backend_config._fusers import reverse2, reverse3
from .custom_config import FuseCustomConfig
from .match_utils import MatchAllNode, find_fusion_matches, sorted_patterns
from .utils import default_root_node_getter, parent_name

__all__ = ["fuse"]

_E: Any = ember  # ops are published on ember at import time


def _fuser_in_reversed_format(config: Any) -> Any:
    if config._pattern_complex_format is not None:
        return config.fuser_method
    if len(config.pattern) == 2:
        return reverse2(config.fuser_method)
    if len(config.pattern) == 3:
        return reverse3(config.fuser_method)
    raise ValueError(f"Expected a tuple with 2 or 3 elements, got: {config.pattern}")


def _types(m: Any) -> Any:
    if isinstance(m, tuple):
        return tuple(_types(x) for x in m)
    return type(m) if isinstance(m, nn.Module) else m


def _fuse_one(
    named_modules: dict[str, Any],
    root_node: Node,
    matched: Any,
    fusers: dict[Any, Any],
    is_qat: bool,
) -> None:
    if root_node.op != "call_module":
        raise AssertionError("Expecting module node to be a call_module Node")
    root_module = named_modules[str(root_node.target)]

    def modules_of(p: Any) -> Any:
        if isinstance(p, (tuple, list)):
            return tuple(modules_of(x) for x in p)
        if p.op == "call_module":
            return named_modules[str(p.target)]
        is_relu = (p.op == "call_function" and p.target in (F.relu, _E.relu)) or (
            p.op == "call_method" and p.target == "relu"
        )
        if is_relu:
            # a functional relu (F.relu; torch.relu and x.relu() with relu_fusion_patterns)
            # becomes a ReLU module inside the fused module
            relu = nn.ReLU()
            relu.training = root_module.training
            return relu
        if p.op in ("call_function", "call_method"):
            return p.target
        return MatchAllNode

    mods = modules_of(matched)
    fuser = fusers.get(_types(mods))
    if fuser is None:
        raise RuntimeError(f"did not find fuser method for: {_types(mods)} ")
    fused = fuser(is_qat, *mods)
    pname, name = parent_name(str(root_node.target))
    setattr(named_modules[pname], name, fused)


def fuse(
    model: GraphModule,
    is_qat: bool,
    fuse_custom_config: FuseCustomConfig | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
) -> GraphModule:
    """Fuse the backend's fusion patterns in a traced model; returns a new GraphModule."""
    if isinstance(backend_config, dict):
        backend_config = BackendConfig.from_dict(backend_config)
    if backend_config is None:
        backend_config = get_native_backend_config()
    named_modules = dict(model.named_modules())
    fusion_configs = {
        p: c
        for p, c in backend_config._pattern_complex_format_to_config.items()
        if c.fuser_method is not None
    }
    patterns = sorted_patterns(dict.fromkeys(fusion_configs, True))
    fusers = {p: _fuser_in_reversed_format(c) for p, c in fusion_configs.items()}
    root_getters = {
        p: c._root_node_getter for p, c in fusion_configs.items() if c._root_node_getter is not None
    }
    extra_getters = {
        p: c._extra_inputs_getter
        for p, c in fusion_configs.items()
        if c._extra_inputs_getter is not None
    }

    matches = find_fusion_matches(model.graph, named_modules, patterns)
    fused_graph = Graph()
    env: dict[str, Any] = {}

    def load_arg(a: Any) -> Any:
        return map_arg(a, lambda n: env[n.name])

    for node in model.graph.nodes:
        last, pattern, matched, node_to_sub = matches.get(node.name, (None, None, None, None))
        sub = node_to_sub.get(node) if node_to_sub is not None else None
        if last is node:
            root = root_getters.get(pattern, default_root_node_getter)(matched)
            extra = extra_getters[pattern](matched) if pattern in extra_getters else []
            _fuse_one(named_modules, root, matched, fusers, is_qat)
            new = fused_graph.node_copy(root, load_arg)
            new.args = tuple(list(new.args) + [load_arg(e) for e in extra])
            env[node.name] = new
        elif last is None or sub is MatchAllNode:
            env[node.name] = fused_graph.node_copy(node, load_arg)
        # other matched nodes disappear into the fused module
    return GraphModule(model, fused_graph)
