"""Observer insertion steps of prepare: where an observer goes, reuse and sharing."""

from __future__ import annotations

from typing import Any

import ember

from ....fx import Node
from .custom_config import PrepareCustomConfig
from .utils import is_app_node, new_attr_name, node_arg_is_bias, node_arg_is_weight, parent_name

# ctx below is prepare's _Ctx: the model, its graph, named_modules and dtype_of(ctr)


def _obs_dtypes() -> list[Any]:
    return [
        ember.quint8,
        ember.qint8,
        ember.qint32,
        ember.float16,
        ember.uint8,
        ember.int8,
        ember.int16,
        ember.int32,
    ]


def _fp32_ctr() -> Any:
    from ..observer import PlaceholderObserver

    return PlaceholderObserver.with_args(dtype=ember.float32)


def _standalone_entry(ctx: Any, node: Node, pcc: PrepareCustomConfig) -> Any:
    """The standalone config of node's module: by name, else by class (as torch looks it up)."""
    from .custom_config import StandaloneModuleConfigEntry

    entry = StandaloneModuleConfigEntry(None, (), None, None)
    entry = pcc.standalone_module_classes.get(type(ctx.named_modules[str(node.target)]), entry)
    return pcc.standalone_module_names.get(str(node.target), entry)


def _standalone_config(ctx: Any, node: Node, pcc: PrepareCustomConfig) -> PrepareCustomConfig:
    return _standalone_entry(ctx, node, pcc).prepare_custom_config or PrepareCustomConfig()


def _needs_obs(
    prev_dtype: Any,
    prev_dynamic: bool,
    cur_dtype: Any,
    cur_dynamic: bool,
    reuse_input: bool,
    is_zeroth_arg: bool = False,
) -> bool:
    if cur_dynamic:
        # dynamic quantization observes only the first argument (a placeholder observer that
        # convert turns into choose_qparams -> quantize -> dequantize)
        return is_zeroth_arg
    if reuse_input:
        return False
    if cur_dtype in _obs_dtypes():
        return prev_dtype in _obs_dtypes() + [ember.float32] and cur_dtype != prev_dtype
    return False


def _insert_obs(ctx: Any, node: Node, obs: Any) -> Node:
    """Attach obs to the model as activation_post_process_N and call it right after node."""
    name = new_attr_name(ctx.model, "activation_post_process_")
    setattr(ctx.model, name, obs)
    ctx.named_modules[name] = obs
    with ctx.graph.inserting_after(node):
        return ctx.graph.create_node("call_module", name, (node,), {})


def _output_ctr_of(ctx: Any, arg: Node) -> Any:
    """The output observer constructor of arg's producer (looking through an observer)."""
    if is_app_node(arg, ctx.named_modules):
        arg = arg.args[0]
        return arg.meta["target_dtype_info"]["output_act_obs_or_fq_ctr"]
    return arg.meta.get("target_dtype_info", {}).get("output_act_obs_or_fq_ctr", _fp32_ctr())


def _input_ctr_for(ctx: Any, arg: Node, node: Node) -> Any:
    import ember.nn.functional as F

    info = node.meta["target_dtype_info"]
    if node_arg_is_weight(node, arg):
        if node.target in (F.layer_norm, F.group_norm, getattr(F, "instance_norm", None)):
            return None
        return info.get("weight_obs_or_fq_ctr", _fp32_ctr())
    if node_arg_is_bias(node, arg):
        return info.get("bias_obs_or_fq_ctr", _fp32_ctr())
    return info.get("input_act_obs_or_fq_ctr", _fp32_ctr())


def _maybe_insert_input_obs_for_arg(
    ctx: Any, node: Node, arg: Any, qconfig: Any, handler: Any, pcc: PrepareCustomConfig
) -> Any:
    if isinstance(arg, (list, tuple)):
        return type(arg)(
            _maybe_insert_input_obs_for_arg(ctx, node, a, qconfig, handler, pcc) for a in arg
        )
    if not isinstance(arg, Node):
        return arg
    if handler is not None and handler.is_standalone_module():
        sm_cfg = _standalone_config(ctx, node, pcc)
        idx = next((i for i, a in enumerate(node.args) if a is arg), None)
        if idx is None:
            return arg
        out_dtype, _ = ctx.dtype_of(_output_ctr_of(ctx, arg))
        in_dtype = ember.quint8 if idx in sm_cfg.input_quantized_indexes else ember.float32
        if out_dtype == in_dtype or in_dtype == ember.float32:
            return arg
        obs = qconfig.activation()
        in_target = obs.dtype
    else:
        info = node.meta["target_dtype_info"]
        ctr = _input_ctr_for(ctx, arg, node)
        in_target, in_dyn = ctx.dtype_of(ctr)
        out_dtype, out_dyn = ctx.dtype_of(_output_ctr_of(ctx, arg))
        need = _needs_obs(
            out_dtype,
            out_dyn,
            in_target,
            in_dyn,
            info.get("reuse_input_obs_or_fq", False),
            is_zeroth_arg=len(node.args) > 0 and arg is node.args[0],
        )
        if not need:
            return arg
        obs = ctr()
    # one observer per value and kind: reuse an existing observer of the same type and dtype
    for user in arg.users:
        if user.op == "call_module":
            m = ctx.named_modules.get(str(user.target))
            if type(m) is type(obs) and getattr(m, "dtype", None) == in_target:
                return user
    return _insert_obs(ctx, arg, obs)


def _maybe_insert_output_obs(ctx: Any, node: Node) -> Node | None:
    info = node.meta["target_dtype_info"]
    ctr = info.get("output_act_obs_or_fq_ctr")
    dtype, dyn = ctx.dtype_of(ctr)
    need = _needs_obs(ember.float32, False, dtype, dyn, False)
    if dyn or info.get("_is_standalone_module", False) or not need:
        return None
    return _insert_obs(ctx, node, ctr())


def _observer_in_same_graph(ctx: Any, node: Node) -> bool:
    # a quantized output fed straight from a graph input is observed outside the graph
    out_dtype, _ = ctx.dtype_of(_output_ctr_of(ctx, node))
    if node.args and isinstance(node.args[0], Node):
        if out_dtype in (ember.quint8, ember.uint8) and node.args[0].op == "placeholder":
            return False
    return True


def _share_input_output_observers(ctx: Any, node: Node) -> bool:
    """Point all input observers and the output observer of node at the first input's one."""
    first = next((a for a in node.args if isinstance(a, (Node, list, tuple))), None)
    if first is None:
        return False
    cur = first[0] if isinstance(first, (list, tuple)) else first
    guard = 0
    while not is_app_node(cur, ctx.named_modules):
        if not isinstance(cur, Node) or cur.op == "placeholder":
            return False
        nxt = next((a for a in cur.args if isinstance(a, Node)), None)
        if nxt is None:
            return False
        cur, guard = nxt, guard + 1
        if guard > 10000:
            raise AssertionError("Unable to find observer of previous node")
    shared = ctx.named_modules[str(cur.target)]

    def point_at_shared(obs_node: Node) -> None:
        pname, name = parent_name(str(obs_node.target))
        setattr(ctx.named_modules[pname], name, shared)
        ctx.named_modules[str(obs_node.target)] = shared

    if isinstance(first, (list, tuple)):
        for inp in list(first)[1:]:
            while not is_app_node(inp, ctx.named_modules):
                if not isinstance(inp, Node) or len(inp.args) < 1:
                    return False
                inp = inp.args[0]
            point_at_shared(inp)
    for user in node.users:
        if not is_app_node(user, ctx.named_modules):
            raise AssertionError("output_obs_node must be an activation post process node")
        point_at_shared(user)
    return True


def _remove_output_observer(ctx: Any, node: Node) -> None:
    for user in list(node.users):
        if not is_app_node(user, ctx.named_modules):
            raise AssertionError("output_obs_node must be an activation post process node")
        user.replace_all_uses_with(node)
        ctx.graph.erase_node(user)


def _maybe_insert_obs_before_output(ctx: Any, out_node: Node) -> None:
    def visit(v: Any) -> Any:
        if isinstance(v, Node):
            out_dtype, _ = ctx.dtype_of(_output_ctr_of(ctx, v))
            ctr = out_node.meta.get("target_dtype_info", {}).get("input_act_obs_or_fq_ctr")
            obs = ctr() if ctr is not None else None
            in_dtype = obs.dtype if obs is not None else ember.float32
            if out_dtype != in_dtype and in_dtype != ember.float32:
                return _insert_obs(ctx, v, obs)
            return v
        if isinstance(v, (list, tuple)):
            r = [visit(x) for x in v]
            return r if isinstance(v, list) else tuple(r)
        if isinstance(v, dict):
            return {k: visit(x) for k, x in v.items()}
        if v is None:
            return None
        raise TypeError(f"prepare_fx: unhandled type for a returned value: {type(v).__name__}")

    out_node.args = tuple(visit(a) for a in out_node.args)


_NON_OBSERVABLE_INT_ARGS = {
    "permute": None,
    "repeat": None,
    "reshape": None,
    "transpose": None,
    "view": None,
    "size": [1],
    "unsqueeze": [1],
    "unsqueeze_": [1],
}


def _propagate_known_dtypes(ctx: Any, matches: dict[str, Any]) -> None:
    """Args known to be ints (reshape sizes, ...) and what produces them stay unobserved."""

    def mark(n: Node) -> None:
        n.meta["target_dtype_info"]["input_act_obs_or_fq_ctr"] = None
        n.meta["target_dtype_info"]["output_act_obs_or_fq_ctr"] = None
        m = matches.get(n.name)
        if m is not None and m[3] is not None and m[3].is_general_tensor_value_op():
            if n.args and isinstance(n.args[0], Node):
                mark(n.args[0])

    for node in ctx.graph.nodes:
        if node.op == "call_method" and node.target in _NON_OBSERVABLE_INT_ARGS:
            idx = _NON_OBSERVABLE_INT_ARGS[node.target]
            indices = range(1, len(node.args)) if idx is None else idx
            for i in indices:
                if i >= len(node.args):
                    continue
                arg = node.args[i]
                for a in arg if isinstance(arg, (list, tuple)) else [arg]:
                    if isinstance(a, Node):
                        mark(a)
