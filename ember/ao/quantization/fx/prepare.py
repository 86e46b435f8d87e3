"""prepare: insert observers (or fake quantizers) where the quantized model will quantize.

Follows torch 2.13's fx prepare: match the BackendConfig's patterns, give every matched node a
target dtype from its QConfig, check the backend supports it, then walk the graph once,
inserting input observers at each pattern's first node and an output observer at its last,
reusing an existing observer of the same kind on the same value and sharing the input's
observer for ops that keep their input's qparams (pooling, reshape, cat...).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import ember

from ....fx import GraphModule, Node
from ..backend_config import BackendConfig, get_native_backend_config
from ..qconfig_mapping import QConfigMapping
from .backend_support import supported_by_backend
from .custom_config import PrepareCustomConfig
from .match_utils import find_quant_matches, sorted_patterns
from .qconfig_mapping_utils import (
    generate_node_name_to_qconfig,
    update_qconfig_for_fusion,
    update_qconfig_for_qat,
)
from .quantize_handler import get_pattern_to_quantize_handlers
from .utils import (
    all_node_args_have_no_tensors,
    default_root_node_getter,
    is_app_node,
    new_attr_name,
    node_arg_is_bias,
    node_arg_is_weight,
    parent_name,
)

__all__ = ["ObservedGraphModuleAttrs", "prepare"]


@dataclass
class ObservedGraphModuleAttrs:
    """What prepare records on the observed model (model.meta) for convert."""

    node_name_to_qconfig: dict[str, Any]
    node_name_to_scope: dict[str, tuple[str, Any]]
    prepare_custom_config: PrepareCustomConfig
    qconfig_mapping: QConfigMapping
    is_qat: bool
    observed_node_names: set[str]
    is_observed_standalone_module: bool = False
    standalone_module_input_quantized_idxs: list[int] | None = None
    standalone_module_output_quantized_idxs: list[int] | None = None
    equalization_node_name_to_qconfig: dict[str, Any] = field(default_factory=dict)


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


def _quint8_ctr() -> Any:
    from ..observer import PlaceholderObserver

    return PlaceholderObserver.with_args(dtype=ember.quint8)


class _Ctx:
    """State of one prepare run."""

    def __init__(self, model: GraphModule, is_qat: bool) -> None:
        self.model = model
        self.graph = model.graph
        self.is_qat = is_qat
        self.named_modules = dict(model.named_modules(remove_duplicate=False))
        self.cache: dict[Any, bool] = {}
        self._dtype_cache: dict[int, tuple[Any, bool]] = {}
        fp32 = _fp32_ctr()
        self.default_info = {"input_act_obs_or_fq_ctr": fp32, "output_act_obs_or_fq_ctr": fp32}

    def dtype_of(self, ctr: Any) -> tuple[Any, bool]:
        """(dtype, is_dynamic) of what ctr() would build; None ctr -> (None, False)."""
        if ctr is None:
            return None, False
        key = id(ctr)
        if key not in self._dtype_cache:
            obs = ctr()
            self._dtype_cache[key] = (obs.dtype, bool(getattr(obs, "is_dynamic", False)))
        return self._dtype_cache[key]


def _is_reuse_input_qconfig(qconfig: Any) -> bool:
    from ..observer import NoopObserver, ReuseInputObserver

    return (
        qconfig is not None
        and isinstance(qconfig.activation(), ReuseInputObserver)
        and isinstance(qconfig.weight(), NoopObserver)
    )


def _target_info(
    ctx: _Ctx, node: Node, qconfig: Any, handler: Any, backend: BackendConfig
) -> dict[str, Any]:
    if all_node_args_have_no_tensors(node, ctx.named_modules, ctx.cache):
        return {"input_act_obs_or_fq_ctr": None, "output_act_obs_or_fq_ctr": None}
    if qconfig is None:
        return copy.copy(ctx.default_info)
    from ..observer import PlaceholderObserver

    act_dtype, _ = ctx.dtype_of(qconfig.activation)
    w_dtype, _ = ctx.dtype_of(qconfig.weight)
    act_dynamic = ctx.dtype_of(qconfig.activation)[1]
    bias_dtype = (
        ember.float16
        if act_dtype == ember.float16 and w_dtype == ember.float16 and not act_dynamic
        else ember.float32
    )
    cfg = backend._pattern_complex_format_to_config
    w_idx = b_idx = None
    if node.op == "call_function" and node.target in cfg:
        w_idx = cfg[node.target]._input_type_to_index.get("weight")
        b_idx = cfg[node.target]._input_type_to_index.get("bias")
    return {
        "input_act_obs_or_fq_ctr": qconfig.activation,
        "weight_obs_or_fq_ctr": qconfig.weight,
        "bias_obs_or_fq_ctr": PlaceholderObserver.with_args(dtype=bias_dtype),
        "weight_index": w_idx,
        "bias_index": b_idx,
        "output_act_obs_or_fq_ctr": qconfig.activation,
        "reuse_input_obs_or_fq": _is_reuse_input_qconfig(qconfig),
        "input_output_share_observers": handler is not None
        and handler.is_general_tensor_value_op(),
        "_is_standalone_module": handler is not None and handler.is_standalone_module(),
    }


def _set_info_for_pattern(
    ctx: _Ctx, matched: Any, qconfig: Any, handler: Any, backend: BackendConfig, done: set[Node]
) -> None:
    if isinstance(matched, (list, tuple)):
        for m in matched:
            _set_info_for_pattern(ctx, m, qconfig, handler, backend, done)
    elif isinstance(matched, Node):
        if matched in done:
            return
        done.add(matched)
        if qconfig is None:
            return
        matched.meta["target_dtype_info"] = _target_info(ctx, matched, qconfig, handler, backend)


# -- observer insertion -------------------------------------------------------------------


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


def _insert_obs(ctx: _Ctx, node: Node, obs: Any) -> Node:
    """Attach obs to the model as activation_post_process_N and call it right after node."""
    name = new_attr_name(ctx.model, "activation_post_process_")
    setattr(ctx.model, name, obs)
    ctx.named_modules[name] = obs
    with ctx.graph.inserting_after(node):
        return ctx.graph.create_node("call_module", name, (node,), {})


def _output_ctr_of(ctx: _Ctx, arg: Node) -> Any:
    """The output observer constructor of arg's producer (looking through an observer)."""
    if is_app_node(arg, ctx.named_modules):
        arg = arg.args[0]
        return arg.meta["target_dtype_info"]["output_act_obs_or_fq_ctr"]
    return arg.meta.get("target_dtype_info", {}).get("output_act_obs_or_fq_ctr", _fp32_ctr())


def _input_ctr_for(ctx: _Ctx, arg: Node, node: Node) -> Any:
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
    ctx: _Ctx, node: Node, arg: Any, qconfig: Any, handler: Any, pcc: PrepareCustomConfig
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


def _standalone_entry(ctx: _Ctx, node: Node, pcc: PrepareCustomConfig) -> Any:
    """The standalone config of node's module: by name, else by class (as torch looks it up)."""
    from .custom_config import StandaloneModuleConfigEntry

    entry = StandaloneModuleConfigEntry(None, (), None, None)
    entry = pcc.standalone_module_classes.get(type(ctx.named_modules[str(node.target)]), entry)
    return pcc.standalone_module_names.get(str(node.target), entry)


def _standalone_config(ctx: _Ctx, node: Node, pcc: PrepareCustomConfig) -> PrepareCustomConfig:
    return _standalone_entry(ctx, node, pcc).prepare_custom_config or PrepareCustomConfig()


def _prepare_standalone_modules(ctx: _Ctx, matches: dict[str, Any], pcc: PrepareCustomConfig,
                                backend: BackendConfig, is_qat: bool) -> None:  # fmt: skip
    """Prepare each standalone submodule on its own (its own graph and qconfigs) in place."""
    from ..quantize_fx import _prepare_fx

    for last, _matched, _pattern, handler, qconfig in matches.values():
        if handler is None or not handler.is_standalone_module():
            continue
        entry = _standalone_entry(ctx, last, pcc)
        mapping = entry.qconfig_mapping or QConfigMapping().set_global(qconfig)
        observed = _prepare_fx(
            ctx.named_modules[str(last.target)], mapping, is_qat, entry.example_inputs,
            entry.prepare_custom_config or PrepareCustomConfig(),
            entry.backend_config or backend, is_standalone_module=True,
        )  # fmt: skip
        pname, name = parent_name(str(last.target))
        setattr(ctx.named_modules[pname], name, observed)
        ctx.named_modules[str(last.target)] = observed


def _maybe_insert_output_obs(ctx: _Ctx, node: Node) -> Node | None:
    info = node.meta["target_dtype_info"]
    ctr = info.get("output_act_obs_or_fq_ctr")
    dtype, dyn = ctx.dtype_of(ctr)
    need = _needs_obs(ember.float32, False, dtype, dyn, False)
    if dyn or info.get("_is_standalone_module", False) or not need:
        return None
    return _insert_obs(ctx, node, ctr())


def _observer_in_same_graph(ctx: _Ctx, node: Node) -> bool:
    # a quantized output fed straight from a graph input is observed outside the graph
    out_dtype, _ = ctx.dtype_of(_output_ctr_of(ctx, node))
    if node.args and isinstance(node.args[0], Node):
        if out_dtype in (ember.quint8, ember.uint8) and node.args[0].op == "placeholder":
            return False
    return True


def _share_input_output_observers(ctx: _Ctx, node: Node) -> bool:
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


def _remove_output_observer(ctx: _Ctx, node: Node) -> None:
    for user in list(node.users):
        if not is_app_node(user, ctx.named_modules):
            raise AssertionError("output_obs_node must be an activation post process node")
        user.replace_all_uses_with(node)
        ctx.graph.erase_node(user)


def _maybe_insert_obs_before_output(ctx: _Ctx, out_node: Node) -> None:
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


def _propagate_known_dtypes(ctx: _Ctx, matches: dict[str, Any]) -> None:
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


def insert_observers_for_model(
    ctx: _Ctx,
    matches: dict[str, Any],
    pcc: PrepareCustomConfig,
    backend: BackendConfig,
    observed_node_names: set[str],
) -> None:
    """Give each node a target dtype, reset unsupported patterns to float, insert observers."""
    graph = ctx.graph
    for node in graph.nodes:
        node.meta["target_dtype_info"] = copy.copy(ctx.default_info)
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    outputs = [n for n in graph.nodes if n.op == "output"]

    done: set[Node] = set()
    for _last, matched, _pattern, handler, qconfig in matches.values():
        _set_info_for_pattern(ctx, matched, qconfig, handler, backend, done)

    for node in graph.nodes:
        if node.op == "placeholder" and placeholders.index(node) in pcc.input_quantized_indexes:
            q = _quint8_ctr()
            node.meta["target_dtype_info"] = {
                "input_act_obs_or_fq_ctr": q,
                "output_act_obs_or_fq_ctr": q,
            }
        elif node.op in ("call_module", "call_method", "call_function"):
            if all_node_args_have_no_tensors(node, ctx.named_modules, ctx.cache):
                node.meta["target_dtype_info"] = {
                    "input_act_obs_or_fq_ctr": None,
                    "output_act_obs_or_fq_ctr": None,
                }
        elif node.op == "output" and outputs.index(node) in pcc.output_quantized_indexes:
            q = _quint8_ctr()
            node.meta["target_dtype_info"] = {
                "input_act_obs_or_fq_ctr": q,
                "output_act_obs_or_fq_ctr": q,
            }
    _propagate_known_dtypes(ctx, matches)

    # patterns the backend cannot run with the requested dtypes stay in float
    done = set()
    fp32_qconfig = _fp32_placeholder_qconfig()
    for _last, matched, pattern, _handler, qconfig in matches.values():
        supported = supported_by_backend(ctx, pattern, matched, qconfig, backend)
        # torch reads `node` here, the loop variable left over from the pass above (the graph's
        # output node); we do the same so that the same patterns are reset
        out_dtype, _ = ctx.dtype_of(node.meta["target_dtype_info"]["output_act_obs_or_fq_ctr"])
        if not supported and out_dtype not in (None, int, float, ember.bool):
            _set_info_for_pattern(ctx, matched, fp32_qconfig, None, backend, done)

    for node in list(graph.nodes):
        if node.op not in ("call_module", "call_method", "call_function", "output"):
            continue
        last, matched, pattern, handler, qconfig = matches.get(
            node.name, (None, None, None, None, None)
        )
        is_tensor = node.meta.get("target_dtype_info") is not None
        skip = (qconfig is None or not is_tensor) and node.op != "output"
        if skip or not supported_by_backend(ctx, pattern, matched, qconfig, backend):
            continue
        if node.op == "output":
            _maybe_insert_obs_before_output(ctx, node)
            continue
        ctx.named_modules = dict(ctx.model.named_modules(remove_duplicate=False))
        _add_names(matched, observed_node_names)
        getter = backend._pattern_complex_format_to_config.get(pattern)
        root_getter = (getter._root_node_getter if getter is not None else None) or (
            default_root_node_getter
        )
        if node is root_getter(matched):
            node.args = tuple(
                _maybe_insert_input_obs_for_arg(ctx, node, a, qconfig, handler, pcc)
                for a in node.args
            )
            node.kwargs = {
                k: _maybe_insert_input_obs_for_arg(ctx, node, v, qconfig, handler, pcc)
                for k, v in node.kwargs.items()
            }
        if node is not last:
            continue
        info = node.meta["target_dtype_info"]
        obs_node = _maybe_insert_output_obs(ctx, node)
        if obs_node is None:
            continue
        for user in list(node.users):
            if user is not obs_node:
                user.replace_input_with(node, obs_node)
        share = info.get("input_output_share_observers", False)
        if (share and _observer_in_same_graph(ctx, node)) or info.get(
            "reuse_input_obs_or_fq", False
        ):
            if not _share_input_output_observers(ctx, node):
                _remove_output_observer(ctx, node)
        if handler is not None and handler.is_custom_module():
            _swap_custom_module_to_observed(ctx, node, qconfig, pcc)


def _add_names(matched: Any, out: set[str]) -> None:
    if isinstance(matched, Node):
        out.add(matched.name)
    elif isinstance(matched, (list, tuple)):
        for m in matched:
            _add_names(m, out)


def _fp32_placeholder_qconfig() -> Any:
    from ..qconfig import QConfig

    return QConfig(activation=_fp32_ctr(), weight=_fp32_ctr())


def _swap_custom_module_to_observed(
    ctx: _Ctx, node: Node, qconfig: Any, pcc: PrepareCustomConfig
) -> None:
    from ..quant_type import QuantType

    mod = ctx.named_modules[str(node.target)]
    mapping = pcc.float_to_observed_mapping.get(QuantType.STATIC, {})
    observed_cls: Any = mapping.get(type(mod))
    if observed_cls is None:
        raise RuntimeError(f"prepare_fx: no observed custom module class for {type(mod)}")
    pname, name = parent_name(str(node.target))
    setattr(ctx.named_modules[pname], name, observed_cls.from_float(mod))


def _qat_swap_modules(model: Any, module_to_qat: dict[Any, Any]) -> None:
    """Swap every float module with a qconfig for its QAT counterpart (from_float)."""
    for name, child in list(model.named_children()):
        cls = module_to_qat.get(type(child))
        if cls is not None and getattr(child, "qconfig", None) is not None:
            setattr(model, name, cls.from_float(child))
        else:
            _qat_swap_modules(child, module_to_qat)


def _propagate_module_qconfig(model: Any, mapping: QConfigMapping) -> None:
    """Set `qconfig` on every module (global < type < name), as eager propagate_qconfig_ does."""

    def visit(mod: Any, prefix: str, parent_qc: Any) -> None:
        qc = mapping.object_type_qconfigs.get(type(mod), parent_qc)
        qc = mapping.module_name_qconfigs.get(prefix, qc)
        qc = getattr(mod, "qconfig", qc) if "qconfig" in mod.__dict__ else qc
        mod.qconfig = qc
        for name, child in mod.named_children():
            visit(child, f"{prefix}.{name}" if prefix else name, qc)

    visit(model, "", mapping.global_qconfig)


def prepare(
    model: GraphModule,
    qconfig_mapping: QConfigMapping | dict[str, Any],
    is_qat: bool,
    node_name_to_scope: dict[str, tuple[str, Any]],
    example_inputs: tuple[Any, ...],
    prepare_custom_config: PrepareCustomConfig | dict[str, Any] | None = None,
    _equalization_config: Any = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
    is_standalone_module: bool = False,
) -> GraphModule:
    """Insert observers into a traced (and fused) model; returns the observed GraphModule."""
    if _equalization_config:
        raise NotImplementedError("prepare_fx: _equalization_config is not implemented in Ember")
    if prepare_custom_config is None:
        prepare_custom_config = PrepareCustomConfig()
    if isinstance(prepare_custom_config, dict):
        prepare_custom_config = PrepareCustomConfig.from_dict(prepare_custom_config)
    if isinstance(qconfig_mapping, dict):
        qconfig_mapping = QConfigMapping.from_dict(qconfig_mapping)
    if isinstance(backend_config, dict):
        backend_config = BackendConfig.from_dict(backend_config)
    if backend_config is None:
        backend_config = get_native_backend_config()
    qconfig_mapping = copy.deepcopy(qconfig_mapping)
    pcc = prepare_custom_config
    patterns = sorted_patterns(get_pattern_to_quantize_handlers(backend_config))
    root_getters = {
        p: c._root_node_getter
        for p, c in backend_config._pattern_complex_format_to_config.items()
        if c._root_node_getter is not None
    }
    update_qconfig_for_fusion(model, qconfig_mapping)
    _propagate_module_qconfig(model, qconfig_mapping)
    if is_qat:
        from ..backend_config.utils import get_module_to_qat_module

        _qat_swap_modules(model, get_module_to_qat_module(backend_config))
        update_qconfig_for_qat(qconfig_mapping, backend_config)

    ctx = _Ctx(model, is_qat)
    node_name_to_qconfig = generate_node_name_to_qconfig(
        ctx.named_modules, model.graph, qconfig_mapping, node_name_to_scope
    )
    from ..quant_type import QuantType

    custom_classes = list(pcc.float_to_observed_mapping.get(QuantType.STATIC, {}))
    sm_names, sm_classes = [], []
    if not is_standalone_module:  # standalone configs apply at the top level only
        sm_names = list(pcc.standalone_module_names)
        sm_classes = list(pcc.standalone_module_classes)
    found = find_quant_matches(
        model.graph, ctx.named_modules, patterns, root_getters, sm_names, sm_classes, custom_classes
    )
    matches = {name: (*m, node_name_to_qconfig[name]) for name, m in found.items()}
    _prepare_standalone_modules(ctx, matches, pcc, backend_config, is_qat)
    observed_node_names: set[str] = set()
    insert_observers_for_model(ctx, matches, pcc, backend_config, observed_node_names)

    observed = GraphModule(model, model.graph)
    observed.meta["_observed_graph_module_attrs"] = ObservedGraphModuleAttrs(
        node_name_to_qconfig=node_name_to_qconfig,
        node_name_to_scope=node_name_to_scope,
        prepare_custom_config=pcc,
        qconfig_mapping=qconfig_mapping,
        is_qat=is_qat,
        observed_node_names=observed_node_names,
        is_observed_standalone_module=is_standalone_module,
    )
    if is_standalone_module:
        out = next(n for n in observed.graph.nodes if n.op == "output")
        if not isinstance(out.args[0], Node):
            raise AssertionError(
                "standalone module only supports returning simple value currently (not tuple, "
                "dict etc.)"
            )
        attrs = observed.meta["_observed_graph_module_attrs"]
        attrs.standalone_module_input_quantized_idxs = pcc.input_quantized_indexes
        attrs.standalone_module_output_quantized_idxs = pcc.output_quantized_indexes
    return observed
