"""Helpers shared by the fx quantization passes: names, attributes, node classification."""

from __future__ import annotations

import operator
from typing import Any

from ....fx import Graph, GraphModule, Node
from ....nn.modules.module import Module

# observers and fake quantizers: anything prepare inserted as "activation_post_process_N"
_APP_PREFIX = "activation_post_process_"


def parent_name(target: str) -> tuple[str, str]:
    """'a.b.c' -> ('a.b', 'c'); 'c' -> ('', 'c')."""
    r = target.rsplit(".", 1)
    return ("", r[0]) if len(r) == 1 else (r[0], r[1])


def is_activation_post_process(module: Any) -> bool:
    """Whether module is an observer or fake quantize (what prepare inserts)."""
    from ..fake_quantize import FakeQuantizeBase
    from ..observer import ObserverBase

    return isinstance(module, (ObserverBase, FakeQuantizeBase))


def is_app_node(node: Any, modules: dict[str, Module]) -> bool:
    return (
        isinstance(node, Node)
        and node.op == "call_module"
        and is_activation_post_process(modules.get(str(node.target)))
    )


def new_attr_name(module: Module, prefix: str) -> str:
    """The first free attribute name prefix + N on module."""
    prefix = prefix.replace(".", "_")
    i = 0
    while hasattr(module, f"{prefix}{i}"):
        i += 1
    return f"{prefix}{i}"


def create_getattr_from_value(model: GraphModule, graph: Graph, prefix: str, value: Any) -> Node:
    """Register value as a buffer named prefix + N on model and return a get_attr node for it."""
    import ember

    name = new_attr_name(model, prefix)
    if isinstance(value, ember.Tensor):
        t = value.detach().clone()
    else:
        t = ember.tensor(value)
    model.register_buffer(name, t)
    return graph.create_node("get_attr", name)


def all_node_args_have_no_tensors(node: Any, modules: dict[str, Module], cache: dict) -> bool:
    """True when node certainly computes a non-tensor (shape arithmetic, sizes)."""
    if node in cache:
        return cache[node]
    result = False
    if not isinstance(node, Node):
        result = True
    elif node.op == "placeholder" or node.op == "get_attr":
        result = False
    elif node.op == "call_module":
        if is_activation_post_process(modules.get(str(node.target))):
            result = all_node_args_have_no_tensors(node.args[0], modules, cache)
    elif node.op == "call_function" and node.target is operator.getitem:
        result = all_node_args_have_no_tensors(node.args[0], modules, cache)
    elif node.target is getattr and node.args[1] in ("ndim", "shape"):
        result = True
    elif node.op == "call_method" and node.target == "size":
        result = True
    else:
        # torch's rule: ints are shape arithmetic, list items count only when they are nodes,
        # and any other constant (a float, a tuple) is taken to mean "maybe a tensor"
        found = False
        for arg in node.args:
            if isinstance(arg, list):
                found = found or any(
                    isinstance(a, Node) and not all_node_args_have_no_tensors(a, modules, cache)
                    for a in arg
                )
            elif isinstance(arg, int):
                pass
            elif isinstance(arg, Node):
                found = found or not all_node_args_have_no_tensors(arg, modules, cache)
            else:
                found = True
        result = not found
    cache[node] = result
    return result


def node_arg_is_weight(node: Node, arg: Any) -> bool:
    idx = node.meta.get("target_dtype_info", {}).get("weight_index")
    if idx is not None and idx < len(node.args) and node.args[idx] is arg:
        return True
    return node.kwargs.get("weight") is arg


def node_arg_is_bias(node: Node, arg: Any) -> bool:
    idx = node.meta.get("target_dtype_info", {}).get("bias_index")
    if idx is not None and idx < len(node.args) and node.args[idx] is arg:
        return True
    return node.kwargs.get("bias") is arg


def get_qparam_dict(observer: Any) -> dict[str, Any]:
    """A weight observer's qscheme, dtype, scale, zero point (and axis when per channel)."""
    import ember

    obs = getattr(observer, "activation_post_process", observer)
    from ..observer import PlaceholderObserver

    qscheme = getattr(obs, "qscheme", None)
    d: dict[str, Any] = {"qscheme": qscheme, "dtype": obs.dtype}
    if qscheme is None or isinstance(obs, PlaceholderObserver):
        return {"qscheme": None, "dtype": obs.dtype}  # float16 weights: nothing to compute
    scale, zp = obs.calculate_qparams()
    d.update(scale=scale, zero_point=zp)
    if qscheme in (ember.per_channel_affine, ember.per_channel_symmetric):
        d["axis"] = obs.ch_axis
    for k in ("quant_min", "quant_max"):
        if getattr(obs, k, None) is not None:
            d[k] = getattr(obs, k)
    return d


def default_root_node_getter(node_pattern: Any) -> Any:
    """The node a (reversed nested) matched pattern starts from: its innermost last entry."""
    if node_pattern is None:
        return None
    while not isinstance(node_pattern, Node):
        node_pattern = node_pattern[-1]
    return node_pattern


def qconfig_dtypes(qconfig: Any) -> tuple[Any, Any, bool]:
    """(activation dtype, weight dtype, activation is dynamic) of a QConfig."""
    act = qconfig.activation()
    weight = qconfig.weight()
    return act.dtype, weight.dtype, bool(getattr(act, "is_dynamic", False))
