"""Which QConfig each node of a traced model gets, from a QConfigMapping."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ....fx import Graph, GraphModule
from ..qconfig_mapping import QConfigMapping
from .utils import is_activation_post_process, parent_name

__all__ = ["generate_node_name_to_qconfig", "update_qconfig_for_fusion", "update_qconfig_for_qat"]


def _for_type_or_name(
    mapping: QConfigMapping, module_type: Any, module_name: str, fallback: Any
) -> Any:
    # priority: module name > module name regex > object type > fallback
    qc = mapping._qconfig_for_object_type(module_type, fallback)
    qc = mapping._qconfig_for_module_name_regex(module_name, qc)
    return mapping._qconfig_for_module_name(module_name, qc)


def _for_order(mapping: QConfigMapping, path: str, obj: Any, idx: int, fallback: Any) -> Any:
    for (name, obj_type, index), qc in mapping.module_name_object_type_order_qconfigs.items():
        if name == path and obj_type == obj and index == idx:
            return qc
    return fallback


def generate_node_name_to_qconfig(
    modules: dict[str, Any],
    graph: Graph,
    mapping: QConfigMapping,
    node_name_to_scope: dict[str, tuple[str, Any]],
) -> dict[str, Any]:
    """node name -> QConfig (None: leave in float); also sets `qconfig` on call_module modules."""
    global_qc = mapping.global_qconfig
    out: dict[str, Any] = {}
    counters: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for node in graph.nodes:
        qc = None
        if node.op == "get_attr":
            mname, _ = parent_name(str(node.target))
            qc = _for_type_or_name(mapping, type(modules[mname]), mname, global_qc)
        elif node.op == "call_function":
            fqc = mapping._qconfig_for_object_type(node.target, global_qc)
            path, mtype = node_name_to_scope[node.name]
            qc = _for_type_or_name(mapping, mtype, path, fqc)
            idx = counters[path][node.target]
            counters[path][node.target] += 1
            qc = _for_order(mapping, path, node.target, idx, qc)
        elif node.op == "call_method":
            path, mtype = node_name_to_scope[node.name]
            qc = _for_type_or_name(mapping, node.target, path, global_qc)
            qc = _for_type_or_name(mapping, mtype, path, qc)
        elif node.op == "call_module":
            mod = modules[str(node.target)]
            if is_activation_post_process(mod):
                continue
            qc = _for_type_or_name(mapping, type(mod), str(node.target), global_qc)
            path, mtype = node_name_to_scope[node.name]
            pname, _ = parent_name(path)
            idx = counters[pname][mtype]
            counters[pname][mtype] += 1
            qc = _for_order(mapping, pname, mtype, idx, qc)
            mod.qconfig = qc
        out[node.name] = qc
    return out


def qconfig_equals(a: Any, b: Any) -> bool:
    """Same activation and weight constructors (torch's qconfig_equals, roughly)."""
    if a is None or b is None:
        return a is b
    from ..qconfig import qconfig_equals as _eq

    return bool(_eq(a, b))


def update_qconfig_for_fusion(model: GraphModule, mapping: QConfigMapping) -> None:
    """A fused module takes the object-type qconfig its parts share (they must agree)."""
    from ...nn.intrinsic import _FusedModule

    by_type = mapping.object_type_qconfigs
    if not by_type:
        return
    modules = dict(model.named_modules())
    for node in model.graph.nodes:
        if node.op != "call_module" or str(node.target) not in modules:
            continue
        fused = modules[str(node.target)]
        if not isinstance(fused, _FusedModule):
            continue
        ops = list(fused._modules.values())
        qc = by_type.get(type(ops[0]))
        for op in ops[1:]:
            if not qconfig_equals(by_type.get(type(op)), qc):
                raise LookupError(
                    "During fusion, we need to specify the same qconfigs for all module types "
                    f"in {type(fused)} offending type: {type(op)}"
                )
        if qc is not None:
            by_type[type(fused)] = qc


def update_qconfig_for_qat(mapping: QConfigMapping, backend_config: Any) -> None:
    """Object-type qconfigs of float modules also apply to their QAT swaps."""
    from ..backend_config.utils import get_module_to_qat_module

    to_qat = get_module_to_qat_module(backend_config)
    for k, v in list(mapping.object_type_qconfigs.items()):
        if k in to_qat:
            mapping.object_type_qconfigs[to_qat[k]] = v
