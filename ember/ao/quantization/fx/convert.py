"""convert: turn an observed model into a reference quantized model, then (optionally) lower it.

Each observer becomes quantize_per_tensor (or _per_channel / _dynamic / to(float16)) followed by
dequantize; each observed weighted module becomes its reference quantized module. Unless a
reference model is asked for, lower_to_fbgemm then replaces dequantize -> op -> quantize
patterns with quantized modules and ops, as torch 2.13's convert_fx does.
"""

from __future__ import annotations

import copy
from typing import Any

import ember

from ....fx import Graph, GraphModule, Node
from ..backend_config import BackendConfig, get_native_backend_config
from ..backend_config.utils import (
    get_fused_module_classes,
    get_pattern_to_dtype_configs,
    get_qat_module_classes,
    get_root_module_to_quantized_reference_module,
)
from ..qconfig_mapping import QConfigMapping
from ..quant_type import QuantType
from .custom_config import ConvertCustomConfig
from .match_utils import is_observed_standalone_module
from .qconfig_mapping_utils import (
    generate_node_name_to_qconfig,
    qconfig_equals,
    update_qconfig_for_fusion,
    update_qconfig_for_qat,
)
from .utils import (
    create_getattr_from_value,
    get_qparam_dict,
    is_activation_post_process,
    parent_name,
    qconfig_dtypes,
)

_E: Any = ember  # ops are published on ember at import time

__all__ = ["convert"]


def _supported_qdtypes() -> list[Any]:
    return [
        ember.quint8,
        ember.qint8,
        ember.qint32,
        ember.uint8,
        ember.int8,
        ember.int16,
        ember.int32,
    ]


def _has_none_qconfig(node: Any, qmap: dict[str, Any]) -> bool:
    return isinstance(node, Node) and node.name in qmap and qmap[node.name] is None


def _module_path_and_prefix(
    obs: Node, scope: dict[str, Any], qmap: dict[str, Any]
) -> tuple[str, str]:
    """Where the qparams attributes are named from: the observed node's module, or, for an
    input-only observer, the module of its first (linear) user with an '_input' prefix."""
    import ember.nn.functional as F

    observed = obs.args[0]
    input_only = qmap[observed.name] is None if observed.name in qmap else None
    if input_only:
        users = list(obs.users)
        first = users[0] if users else None
        for u in users:
            if u.op == "call_function" and u.target is F.linear:
                first = u
                break
        prefix = "_input"
    else:
        first, prefix = observed, ""
    path = scope[first.name][0] if first is not None and first.name in scope else ""
    return path, prefix


def _replace_observer(
    model: GraphModule,
    node: Node,
    modules: dict[str, Any],
    scope: dict[str, Any],
    qmap: dict[str, Any],
) -> None:
    graph = model.graph
    app = modules[str(node.target)]
    path, prefix = _module_path_and_prefix(node, scope, qmap)
    skip = all(_has_none_qconfig(n, qmap) for n in list(node.args) + list(node.users))
    dtype = app.dtype
    dynamic = bool(getattr(app, "is_dynamic", False))
    supported = (
        (dtype in _supported_qdtypes() and not dynamic) or dynamic or (dtype == ember.float16)
    )
    if skip or not supported:
        node.replace_all_uses_with(node.args[0])
        graph.erase_node(node)
        return
    x = node.args[0]
    with graph.inserting_before(node):
        if dtype in _supported_qdtypes() and not dynamic:
            scale, zp = app.calculate_qparams()
            if app.qscheme in (ember.per_channel_affine, ember.per_channel_symmetric):
                s = create_getattr_from_value(model, graph, path + prefix + "_scale_", scale)
                z = create_getattr_from_value(model, graph, path + prefix + "_zero_point_", zp)
                q = graph.create_node(
                    "call_function",
                    _E.quantize_per_channel,
                    (x, s, z, int(app.ch_axis), dtype),
                    {},
                )
            else:
                s = create_getattr_from_value(model, graph, path + prefix + "_scale_", float(scale))
                z = create_getattr_from_value(model, graph, path + prefix + "_zero_point_", int(zp))
                q = graph.create_node("call_function", _E.quantize_per_tensor, (x, s, z, dtype), {})
        elif dynamic:
            reduce_range = _E.backends.quantized.engine in ("fbgemm", "x86")
            q = graph.create_node(
                "call_function", _E.quantize_per_tensor_dynamic, (x, dtype, reduce_range), {}
            )
        else:
            q = graph.create_node("call_method", "to", (x, ember.float16), {})
        dq = graph.call_method("dequantize", (q,))
    node.replace_all_uses_with(dq)
    graph.erase_node(node)


def _is_qconfig_supported_by_dtype_configs(qconfig: Any, dtype_configs: list[Any]) -> bool:
    act, weight, dyn = qconfig_dtypes(qconfig)
    bias = (
        ember.float16
        if (act == ember.float16 and weight == ember.float16 and not dyn)
        else ember.float32
    )
    for dc in dtype_configs:
        i = dc.input_dtype or ember.float32
        w = dc.weight_dtype or ember.float32
        b = dc.bias_dtype or ember.float32
        o = dc.output_dtype or ember.float32
        if dc.is_dynamic:
            ok = dyn and i == act and o == ember.float32 and w == weight
        else:
            ok = i == act and o == act and w == weight and b == bias
        if ok:
            return True
    return False


def _weight_is_quantized(qconfig: Any) -> bool:
    _, w, _ = qconfig_dtypes(qconfig)
    return w in (
        ember.quint8,
        ember.qint8,
        ember.float16,
        ember.quint4x2,
        ember.uint8,
        ember.int8,
        ember.int16,
        ember.int32,
    )


def _convert_weighted_module(
    node: Node,
    modules: dict[str, Any],
    observed: set[str],
    qmap: dict[str, Any],
    backend: BackendConfig,
) -> None:
    from ...nn.intrinsic import _FusedModule

    original: Any = modules[str(node.target)]
    qconfig = getattr(original, "qconfig", None)
    weight_pp: Any = None
    qat_classes: Any = get_qat_module_classes(backend)
    if isinstance(original, qat_classes):
        weight_pp = original.weight_fake_quant
        original = original.to_float()
        pname, name = parent_name(str(node.target))
        setattr(modules[pname], name, original)
    if qconfig is None or _has_none_qconfig(node, qmap) or node.name not in observed:
        return
    dtype_configs = get_pattern_to_dtype_configs(backend).get(type(original), [])
    if not _is_qconfig_supported_by_dtype_configs(qconfig, dtype_configs):
        return
    if not _weight_is_quantized(qconfig):
        return
    fused = original if isinstance(original, _FusedModule) else None
    float_mod = fused[0] if fused is not None else original
    if hasattr(float_mod, "_flat_weights_names") or hasattr(float_mod, "weight_ih"):
        raise NotImplementedError(
            f"convert_fx: quantizing {type(float_mod).__name__} (RNNs) in graph mode is not "
            "implemented in Ember; use quantize_dynamic"
        )
    if weight_pp is None:
        weight_pp = qconfig.weight()
    weight_pp(float_mod.weight)
    ref_cls: Any = get_root_module_to_quantized_reference_module(backend).get(type(float_mod))
    if ref_cls is None:
        raise AssertionError(
            f"No reference quantized module class configured for {type(float_mod)}"
        )
    ref = ref_cls.from_float(float_mod, get_qparam_dict(weight_pp))
    if fused is not None:
        fused[0] = ref
    else:
        pname, name = parent_name(str(node.target))
        setattr(modules[pname], name, ref)


def _convert_custom_module(
    node: Node,
    graph: Graph,
    modules: dict[str, Any],
    custom_map: dict[Any, Any],
    static_custom: set[Node],
) -> None:
    """Observed custom module -> quantized class.from_observed; a statically quantized one
    takes the quantized input (its dequantize is dropped) and keeps its output observer."""
    observed: Any = modules[str(node.target)]
    qconfig = getattr(observed, "qconfig", None)
    act_dtype = qconfig_dtypes(qconfig)[0] if qconfig is not None else None
    act_dynamic = qconfig_dtypes(qconfig)[2] if qconfig is not None else False
    if act_dtype in (ember.quint8, ember.qint8, ember.qint32) and not act_dynamic:
        static_custom.add(node)
        prev = node.args[0]
        if isinstance(prev, Node) and prev.op == "call_method" and prev.target == "dequantize":
            node.replace_input_with(prev, prev.args[0])
            if not prev.users:
                graph.erase_node(prev)
        obs = next(
            (
                modules[str(u.target)]
                for u in node.users
                if u.op == "call_module" and is_activation_post_process(modules[str(u.target)])
            ),
            None,
        )
        if obs is None:
            raise AssertionError(f"convert_fx: custom module {node.target} has no output observer")
        observed.activation_post_process = obs
    qmod = custom_map[type(observed)].from_observed(observed)
    pname, name = parent_name(str(node.target))
    setattr(modules[pname], name, qmod)


def _convert_standalone_module(node: Node, modules: dict[str, Any], model: GraphModule,
                               is_reference: bool, backend: BackendConfig) -> None:  # fmt: skip
    """Convert an observed standalone submodule on its own; inputs it takes quantized keep
    their quantize node (the dequantize goes), a quantized output gets a dequantize."""
    observed: Any = modules[str(node.target)]
    attrs = observed.meta["_observed_graph_module_attrs"]
    for idx, arg in enumerate(list(node.args)):
        if idx in attrs.standalone_module_input_quantized_idxs:
            if isinstance(arg, Node) and arg.op == "call_method" and arg.target == "dequantize":
                node.replace_input_with(arg, arg.args[0])
                if not arg.users:
                    model.graph.erase_node(arg)
    out_idxs = attrs.standalone_module_output_quantized_idxs
    if out_idxs:
        if out_idxs[0] != 0:
            raise AssertionError("Currently only quantized output idxs = [0] is supported")
        _insert_dequantize(node, model.graph)
    quantized = convert(observed, is_reference, backend_config=backend, is_standalone_module=True)
    pname, name = parent_name(str(node.target))
    setattr(modules[pname], name, quantized)
    modules[str(node.target)] = quantized


def _run_weight_observers(model: GraphModule, backend: BackendConfig) -> None:
    """Observe the weights of functional linear/conv (their observers saw no data in prepare)."""
    cfg = backend._pattern_complex_format_to_config
    modules = dict(model.named_modules(remove_duplicate=False))
    for node in model.graph.nodes:
        if node.op != "call_function" or node.target not in cfg:
            continue
        idx = cfg[node.target]._input_type_to_index.get("weight")
        if idx is None or idx >= len(node.args):
            continue
        obs_node = node.args[idx]
        if not (isinstance(obs_node, Node) and obs_node.op == "call_module"):
            continue
        obs: Any = modules.get(str(obs_node.target))
        src = obs_node.args[0]
        if is_activation_post_process(obs) and isinstance(src, Node) and src.op == "get_attr":
            obs(_fetch_attr(model, str(src.target)))


def _fetch_attr(model: Any, target: str) -> Any:
    obj = model
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _insert_dequantize(node: Node, graph: Graph) -> None:
    with graph.inserting_after(node):
        dq = graph.call_method("dequantize", (node,))
    for user in list(node.users):
        if user is not dq:
            user.replace_input_with(node, dq)


def _remove_dequantize(arg: Any, node: Node, graph: Graph) -> None:
    if isinstance(arg, Node) and arg.op == "call_method" and arg.target == "dequantize":
        q = arg.args[0]
        node.replace_input_with(arg, q)
        if not arg.users:
            graph.erase_node(arg)
    elif isinstance(arg, (list, tuple)):
        for a in arg:
            _remove_dequantize(a, node, graph)
    elif isinstance(arg, dict):
        for a in arg.values():
            _remove_dequantize(a, node, graph)


def convert(
    model: GraphModule,
    is_reference: bool = False,
    convert_custom_config: ConvertCustomConfig | dict[str, Any] | None = None,
    is_standalone_module: bool = False,
    _remove_qconfig_flag: bool = True,
    qconfig_mapping: QConfigMapping | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
    is_decomposed: bool = False,
    keep_original_weights: bool = False,
) -> GraphModule:
    """Convert an observed GraphModule (from prepare_fx) into a quantized one."""
    if is_decomposed:
        raise NotImplementedError(
            "convert_fx: is_decomposed=True (decomposed quantize ops) is not implemented in Ember"
        )
    if convert_custom_config is None:
        convert_custom_config = ConvertCustomConfig()
    if isinstance(convert_custom_config, dict):
        convert_custom_config = ConvertCustomConfig.from_dict(convert_custom_config)
    if isinstance(qconfig_mapping, dict):
        qconfig_mapping = QConfigMapping.from_dict(qconfig_mapping) if qconfig_mapping else None
    qconfig_mapping = copy.deepcopy(qconfig_mapping)
    if isinstance(backend_config, dict):
        backend_config = BackendConfig.from_dict(backend_config)
    if backend_config is None:
        backend_config = get_native_backend_config()
    attrs = getattr(model, "meta", {}).get("_observed_graph_module_attrs")
    if attrs is None:
        raise AssertionError("incoming model must be produced by prepare_fx")
    scope = attrs.node_name_to_scope
    pcc = attrs.prepare_custom_config
    observed = attrs.observed_node_names
    qmap = attrs.node_name_to_qconfig
    modules = dict(model.named_modules(remove_duplicate=False))
    if qconfig_mapping:
        if attrs.is_qat:
            update_qconfig_for_qat(qconfig_mapping, backend_config)
        update_qconfig_for_fusion(model, qconfig_mapping)
        new_qmap = generate_node_name_to_qconfig(
            copy.deepcopy(modules), model.graph, qconfig_mapping, scope
        )
        for k, v in qmap.items():
            if k not in new_qmap:
                raise AssertionError(f"Expected key {k} in convert node_name_to_qconfig")
            if new_qmap[k] is not None and not qconfig_equals(v, new_qmap[k]):
                raise AssertionError(
                    f"Expected k {k} to have the same value in prepare and convert "
                    f"QConfigMappings, but {v} was updated to {new_qmap[k]}"
                )
        qmap = new_qmap
    custom_map: dict[Any, Any] = convert_custom_config.observed_to_quantized_mapping.get(
        QuantType.STATIC, {}
    )
    _run_weight_observers(model, backend_config)
    ref_map = get_root_module_to_quantized_reference_module(backend_config)
    weighted = (
        set(ref_map)
        | set(get_qat_module_classes(backend_config))
        | set(get_fused_module_classes(backend_config))
    )
    fused_classes = set(get_fused_module_classes(backend_config))
    from ..stubs import DeQuantStub

    static_custom: set[Node] = set()
    placeholder_idx = 0
    for node in list(model.graph.nodes):
        if node.op == "placeholder":
            if placeholder_idx in pcc.input_quantized_indexes:
                _insert_dequantize(node, model.graph)
            placeholder_idx += 1
        elif node.op == "output":
            if pcc.output_quantized_indexes:
                out = node.args[0]
                if isinstance(out, (list, tuple)):
                    for i in pcc.output_quantized_indexes:
                        _remove_dequantize(out[i], node, model.graph)
                elif 0 in pcc.output_quantized_indexes:
                    _remove_dequantize(out, node, model.graph)
        elif node.op == "call_module":
            mod: Any = modules[str(node.target)]
            if is_activation_post_process(mod):
                if node.args[0] in static_custom:
                    # a static custom module returns quantized values: only dequantize them
                    with model.graph.inserting_before(node):
                        dq = model.graph.call_method("dequantize", (node.args[0],))
                    node.replace_all_uses_with(dq)
                    model.graph.erase_node(node)
                else:
                    _replace_observer(model, node, modules, scope, qmap)
            elif is_observed_standalone_module(mod):
                _convert_standalone_module(node, modules, model, is_reference, backend_config)
            elif isinstance(mod, DeQuantStub):
                with model.graph.inserting_before(node):
                    dq = model.graph.call_method("dequantize", (node.args[0],))
                node.replace_all_uses_with(dq)
                model.graph.erase_node(node)
            elif type(mod) in weighted:
                if type(mod) in fused_classes and type(mod[0]) not in ref_map:
                    continue
                _convert_weighted_module(node, modules, observed, qmap, backend_config)
            elif type(mod) in custom_map:
                _convert_custom_module(node, model.graph, modules, custom_map, static_custom)
    model.graph.eliminate_dead_code()
    model = GraphModule(model, model.graph)
    if not is_reference:
        from .lower_to_fbgemm import lower_to_fbgemm

        model = lower_to_fbgemm(model, qmap, scope, keep_original_weights)
    if _remove_qconfig_flag:
        for m in model.modules():
            if hasattr(m, "qconfig"):
                del m.qconfig
    model.delete_all_unused_submodules()
    return model
