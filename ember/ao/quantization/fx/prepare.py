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
from .observer_insertion import (
    _fp32_ctr,
    _maybe_insert_input_obs_for_arg,
    _maybe_insert_obs_before_output,
    _maybe_insert_output_obs,
    _observer_in_same_graph,
    _propagate_known_dtypes,
    _remove_output_observer,
    _share_input_output_observers,
    _standalone_entry,
)
from .qconfig_mapping_utils import (
    generate_node_name_to_qconfig,
    update_qconfig_for_fusion,
    update_qconfig_for_qat,
)
from .quantize_handler import get_pattern_to_quantize_handlers
from .utils import (
    all_node_args_have_no_tensors,
    default_root_node_getter,
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
