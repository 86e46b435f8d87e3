"""Lower a reference quantized graph to quantized modules and ops (torch's fbgemm/x86 lowering).

Patterns, as in torch 2.13's _lower_to_native_backend:
  dequantize -> reference Linear/Conv (or fused with ReLU) -> quantize   => quantized module
  dequantize -> F.linear(weight: quantized+dequantized) [-> relu] -> quantize => quantized.linear
  dequantize x2 -> add/mul/matmul [-> relu] -> quantize                  => quantized.add, ...
  dequantize -> op keeping qparams (pool, flatten, reshape, cat...) -> quantize => op on the
  quantized tensor; dequantize -> LayerNorm/BatchNorm/Hardswish... -> quantize => quantized module
"""

from __future__ import annotations

import copy
import inspect
import operator
from typing import Any

import ember
import ember.nn as nn
import ember.nn.functional as F

from ....fx import GraphModule, Node
from ...nn import intrinsic as nni
from ...nn import quantized as nnq
from ...nn.intrinsic import quantized as nniq
from ...nn.quantized import reference as nnqr
from . import quantized_ops as qops
from .utils import new_attr_name, parent_name

_E: Any = ember  # ops are published on ember at import time

__all__ = ["lower_to_fbgemm"]

_STATIC_MODULES = {nnqr.Linear: nnq.Linear, nnqr.Conv1d: nnq.Conv1d, nnqr.Conv2d: nnq.Conv2d}
_STATIC_FUSED: dict[Any, tuple[Any, Any]] = {
    nni.LinearReLU: (nnqr.Linear, nniq.LinearReLU),
    nni.ConvReLU1d: (nnqr.Conv1d, nniq.ConvReLU1d),
    nni.ConvReLU2d: (nnqr.Conv2d, nniq.ConvReLU2d),
}
_QUANTIZED_FUNCTIONAL = {
    F.layer_norm: qops.layer_norm,
    F.hardswish: qops.hardswish,
    F.elu: qops.elu,
    F.leaky_relu: qops.leaky_relu,
    F.dropout: qops.dropout,
}
# keyword arguments of the float op the quantized one does not take (torch's list)
_SKIP_KWARGS = {qops.hardswish: ("inplace",), qops.elu: ("inplace",), qops.dropout: ("inplace",)}
_QBIN = {
    operator.add: qops.add,
    _E.add: qops.add,
    operator.mul: qops.mul,
    _E.mul: qops.mul,
    operator.matmul: qops.matmul,
    _E.matmul: qops.matmul,
}
_QBIN_RELU = {
    operator.add: qops.add_relu,
    _E.add: qops.add_relu,
    operator.mul: qops.mul_relu,
    _E.mul: qops.mul_relu,
}


def _is_dq(n: Any) -> bool:
    return isinstance(n, Node) and n.op == "call_method" and n.target == "dequantize"


def _module(n: Node, modules: dict[str, Any]) -> Any:
    return modules.get(str(n.target)) if n.op == "call_module" else None


def _match_static(
    n: Node, modules: dict[str, Any], qmap: dict[str, Any], ops: list[Any], dq_indices: list[int]
) -> tuple[Any, Any, Any]:
    """(quantize node, relu node or None, reference node) of dq -> ref [-> relu] -> q."""
    none = (None, None, None)
    if n.op != "call_function" or n.target is not _E.quantize_per_tensor:
        return none
    ref = n.args[0]
    relu = None
    if not isinstance(ref, Node):
        return none
    if (ref.op == "call_function" and ref.target in (F.relu, _E.relu)) or (
        ref.op == "call_module" and type(_module(ref, modules)) is nn.ReLU
    ):
        relu, ref = ref, ref.args[0]
    if not isinstance(ref, Node) or (ref.name in qmap and qmap[ref.name] is None):
        return none
    if isinstance(ops[0], type):
        if ref.op != "call_module" or type(_module(ref, modules)) not in ops:
            return none
    elif ref.op != "call_function" or ref.target not in ops:
        return none
    seen_dq = False
    for i in dq_indices:
        arg = ref.args[i]
        if _is_dq(arg):
            seen_dq = True
        elif isinstance(arg, Node):
            return none
    return (n, relu, ref) if seen_dq else none


def _weighted_from_reference(q_cls: Any, ref: Any, scale: Any, zp: Any) -> Any:
    """The quantized module for a reference Linear/Conv with output (scale, zero_point)."""
    if issubclass(q_cls, nnq.Linear):
        q = q_cls(ref.in_features, ref.out_features, dtype=ember.qint8)
    else:
        q = q_cls(
            ref.in_channels,
            ref.out_channels,
            ref.kernel_size,
            ref.stride,
            ref.padding,
            ref.dilation,
            ref.groups,
            ref.bias is not None,
            ref.padding_mode,
        )
    q.set_weight_bias(ref.get_quantized_weight(), ref.bias)
    q.scale = float(scale)
    q.zero_point = int(zp)
    return q


def _lower_weighted_modules(model: GraphModule, qmap: dict[str, Any]) -> None:
    modules = dict(model.named_modules(remove_duplicate=False))
    ops = list(_STATIC_MODULES) + list(_STATIC_FUSED)
    for n in list(model.graph.nodes):
        q, _relu, ref = _match_static(n, modules, qmap, ops, [0])
        if q is None:
            continue
        _, s_node, z_node, _ = q.args
        ref_mod: Any = modules[str(ref.target)]
        if type(ref_mod) in _STATIC_FUSED:
            inner, q_cls = _STATIC_FUSED[type(ref_mod)]
            if type(ref_mod[0]) is not inner:
                continue
            ref_inner = ref_mod[0]
        else:
            q_cls, ref_inner = _STATIC_MODULES[type(ref_mod)], ref_mod
        qmod = _weighted_from_reference(
            q_cls, ref_inner, getattr(model, s_node.target), getattr(model, z_node.target)
        )
        pname, name = parent_name(str(ref.target))
        setattr(modules[pname], name, qmod)
        dq = ref.args[0]
        ref.replace_input_with(dq, dq.args[0])
        q.replace_all_uses_with(ref)
        model.graph.erase_node(q)
        model.graph.erase_node(s_node)
        model.graph.erase_node(z_node)


def _lower_dynamic_weighted_modules(model: GraphModule) -> None:
    """x -> quantize_per_tensor_dynamic -> dequantize -> reference Linear => dynamic Linear."""
    from ...nn.quantized import dynamic as nnqd

    modules = dict(model.named_modules(remove_duplicate=False))
    for n in list(model.graph.nodes):
        mod: Any = _module(n, modules)
        if type(mod) not in (nnqr.Linear, nni.LinearReLU):
            continue
        dq = n.args[0]
        if not _is_dq(dq):
            continue
        q = dq.args[0]
        if q.op != "call_function" or q.target is not _E.quantize_per_tensor_dynamic:
            continue
        if q.args[1] not in (_E.quint8, _E.qint8, _E.float16):
            continue
        q_cls: Any
        if type(mod) is nni.LinearReLU:
            if type(mod[0]) is not nnqr.Linear:
                continue
            ref, q_cls = mod[0], qops.DynamicQuantizedLinearReLU
        else:
            ref, q_cls = mod, nnqd.Linear
        qmod = q_cls(ref.in_features, ref.out_features, dtype=ref.weight_dtype)
        qmod.set_weight_bias(ref.get_quantized_weight(), ref.bias)
        pname, name = parent_name(str(n.target))
        setattr(modules[pname], name, qmod)
        n.replace_input_with(dq, q.args[0])


_CONV_ARG_NAMES = ("stride", "padding", "dilation", "groups")


def _packed_functional_weight(model: GraphModule, ref: Node, qweight: Any, relu: bool) -> Any:
    """The prepacked weight of a functional linear/conv node (bias and conv args folded in)."""
    bias = ref.args[2] if len(ref.args) > 2 else ref.kwargs.get("bias")
    bias_t = _evaluate(model, bias) if isinstance(bias, Node) else bias
    if ref.target is F.linear:
        return qops.PackedLinearWeight(qweight, bias_t)
    conv_args = {k: ref.kwargs[k] for k in _CONV_ARG_NAMES if k in ref.kwargs}
    for k, v in zip(_CONV_ARG_NAMES, ref.args[3:]):
        conv_args[k] = v
    return qops.PackedConvWeight(qweight, bias_t, relu=relu, **conv_args)


def _lower_functional_linear(model: GraphModule, qmap: dict[str, Any]) -> None:
    """dq -> F.linear / F.conv1d / F.conv2d (weight quantized+dequantized) [-> relu] -> q
    => quantized_ops.linear / conv1d / conv2d (_relu) on a prepacked weight."""
    modules = dict(model.named_modules(remove_duplicate=False))
    ops = {F.linear: (qops.linear, qops.linear_relu, "linear"),
           F.conv1d: (qops.conv1d, qops.conv1d_relu, "conv1d"),
           F.conv2d: (qops.conv2d, qops.conv2d_relu, "conv2d")}  # fmt: skip
    for n in list(model.graph.nodes):
        q, relu, ref = _match_static(n, modules, qmap, list(ops), [0, 1])
        if q is None:
            continue
        w_dq = ref.args[1]
        w_q = w_dq.args[0] if _is_dq(w_dq) else None
        if (
            w_q is None
            or w_q.op != "call_function"
            or w_q.target not in (_E.quantize_per_tensor, _E.quantize_per_channel)
        ):
            continue
        plain, with_relu, kind = ops[ref.target]
        packed = _packed_functional_weight(model, ref, _evaluate(model, w_q), relu is not None)
        name = new_attr_name(model, kind + "_packed_weight_")
        model.add_submodule(name, packed)
        x_dq = ref.args[0]
        _, s_node, z_node, _ = q.args
        with model.graph.inserting_before(q):
            w_node = model.graph.create_node("get_attr", name)
            new = model.graph.create_node(
                "call_function",
                with_relu if relu is not None else plain,
                (x_dq.args[0], w_node, s_node, z_node),
                {},
            )
        q.replace_all_uses_with(new)
        model.graph.erase_node(q)
        if relu is not None:
            model.graph.erase_node(relu)
        model.graph.erase_node(ref)


def _evaluate(model: GraphModule, node: Node) -> Any:
    """Run the (constant) subgraph producing node: get_attr -> quantize ops."""
    if node.op == "get_attr":
        obj: Any = model
        for p in str(node.target).split("."):
            obj = getattr(obj, p)
        return obj
    if node.op == "call_function":
        args = [_evaluate(model, a) if isinstance(a, Node) else a for a in node.args]
        return node.target(*args, **node.kwargs)
    raise NotImplementedError(
        f"lower_to_fbgemm: cannot fold the weight producer {node.format_node()}"
    )


def _lower_binary_ops(model: GraphModule, qmap: dict[str, Any]) -> None:
    modules = dict(model.named_modules(remove_duplicate=False))
    for n in list(model.graph.nodes):
        q, relu, bop = _match_static(n, modules, qmap, list(_QBIN), [0, 1])
        if q is None:
            continue
        _, s_node, z_node, _ = q.args
        n_dq = 0
        for arg in list(bop.args):
            if _is_dq(arg):
                bop.replace_input_with(arg, arg.args[0])
                n_dq += 1
        table = _QBIN if relu is None else _QBIN_RELU
        args = list(bop.args) + ([s_node, z_node] if n_dq == 2 else [])
        with model.graph.inserting_after(q):
            new = model.graph.create_node("call_function", table[bop.target], tuple(args), {})
        q.replace_all_uses_with(new)
        model.graph.erase_node(q)
        if relu is not None:
            model.graph.erase_node(relu)
        model.graph.erase_node(bop)


def _names(ns: Any, names: str) -> list[Any]:
    return [getattr(ns, n) for n in names.split() if getattr(ns, n, None) is not None]


def _special_tables() -> dict[str, tuple[list[Any], list[str], list[Any]]]:
    t: Any = ember
    return {
        "fixed": (
            [F.hardsigmoid, F.sigmoid, t.sigmoid, t.tanh],
            ["hardsigmoid", "hardsigmoid_", "sigmoid", "sigmoid_", "tanh", "tanh_"],
            _names(nn, "Hardsigmoid Sigmoid Tanh Softmax"),
        ),
        "default": (
            [F.elu, F.hardswish, F.layer_norm, F.leaky_relu, F.dropout]
            + _names(F, "instance_norm"),
            [],
            _names(
                nn,
                "ELU LeakyReLU Hardswish InstanceNorm1d InstanceNorm2d InstanceNorm3d "
                "LayerNorm Dropout PReLU BatchNorm2d BatchNorm3d",
            )
            + _names(nni, "BNReLU2d BNReLU3d"),
        ),
        "copy": (
            [
                t.adaptive_avg_pool1d,
                F.adaptive_avg_pool2d,
                F.hardtanh,
                F.hardtanh_,
                F.interpolate,
                F.max_pool1d,
                F.max_pool2d,
                F.relu,
                F.relu6,
                t.avg_pool1d,
                F.avg_pool2d,
                t.clamp,
                t.flatten,
                t.mean,
                operator.floordiv,
            ]
            + _names(F, "adaptive_avg_pool3d max_pool3d avg_pool3d")
            + _names(t, "channel_shuffle"),
            ["clamp", "mean", "relu", "relu_"],
            _names(
                nn,
                "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AvgPool1d AvgPool2d "
                "AvgPool3d Hardtanh MaxPool1d MaxPool2d MaxPool3d ReLU ReLU6 ChannelShuffle",
            ),
        ),
        "shape": (
            [
                t.narrow,
                t.transpose,
                t.repeat_interleave,
                t.squeeze,
                t.stack,
                t.unsqueeze,
                F.pixel_shuffle,
                F.pixel_unshuffle,
            ],
            [
                "contiguous",
                "detach",
                "detach_",
                "permute",
                "repeat",
                "repeat_interleave",
                "reshape",
                "resize_",
                "shape",
                "size",
                "squeeze",
                "squeeze_",
                "transpose",
                "unsqueeze",
                "unsqueeze_",
                "view",
            ],
            _names(nn, "Identity PixelShuffle PixelUnshuffle"),
        ),
        "other": ([t.cat], [], []),
    }


def _in_table(
    n: Node, modules: dict[str, Any], table: tuple[list[Any], list[str], list[Any]]
) -> bool:
    funcs, methods, mods = table
    if n.op == "call_function":
        return any(n.target is f for f in funcs)
    if n.op == "call_method":
        return n.target in methods
    if n.op == "call_module":
        return type(modules.get(str(n.target))) in mods
    return False


class _QParams:
    """Stands in for an observer so that a quantized module's from_float reads fixed qparams."""

    def __init__(self, scale: Any, zero_point: Any) -> None:
        self.qparams = (scale, zero_point)

    def calculate_qparams(self) -> tuple[Any, Any]:
        return self.qparams


def _special_module_table() -> dict[Any, Any]:
    """Float modules torch swaps for a quantized one around dq/q (its
    SPECIAL_PATTERN_LOWER_MODULE_MAP); None where Ember has no quantized class."""
    names = (
        "BatchNorm2d BatchNorm3d ELU LeakyReLU Hardswish InstanceNorm1d InstanceNorm2d "
        "InstanceNorm3d LayerNorm Dropout Softmax PReLU"
    ).split()
    table: dict[Any, Any] = {getattr(nn, n): None for n in names if hasattr(nn, n)}
    table.update(
        {
            nn.BatchNorm2d: getattr(nnq, "BatchNorm2d", None),
            nn.Hardswish: getattr(nnq, "Hardswish", None),
            nn.Dropout: getattr(nnq, "Dropout", None),
            nn.LayerNorm: qops.QuantizedLayerNorm,
            nn.ELU: qops.QuantizedELU,
            nn.LeakyReLU: qops.QuantizedLeakyReLU,
            nn.Softmax: qops.QuantizedSoftmax,
            nni.BNReLU2d: getattr(nniq, "BNReLU2d", None),
        }
    )
    if hasattr(nni, "BNReLU3d"):
        table.setdefault(nni.BNReLU3d, None)
    return table


def _special_module(q_cls: Any, mod: Any, scale: Any, zp: Any) -> Any:
    shim = copy.copy(mod)
    shim.__dict__["activation_post_process"] = _QParams(scale, zp)
    return q_cls.from_float(shim)


def _special_pattern_replacement(model: GraphModule) -> None:
    modules = dict(model.named_modules(remove_duplicate=False))
    tables = _special_tables()
    special_modules = _special_module_table()
    for q in list(model.graph.nodes):
        is_q = q.op == "call_function" and q.target is _E.quantize_per_tensor
        is_fp16 = (
            q.op == "call_method"
            and q.target == "to"
            and len(q.args) == 2
            and q.args[1] == ember.float16
        )
        if not (is_q or is_fp16):
            continue
        ref = q.args[0]
        if not isinstance(ref, Node):
            continue
        if is_fp16 and (
            _in_table(ref, modules, tables["fixed"]) or _in_table(ref, modules, tables["default"])
        ):
            continue
        if not any(_in_table(ref, modules, t) for t in tables.values()):
            continue
        if not ref.args and not ref.kwargs:
            continue
        src = ref.args[0] if ref.args else next(iter(ref.kwargs.values()))
        dqs = [src] if isinstance(src, Node) else list(src)
        if not dqs or not all(_is_dq(d) for d in dqs):
            continue
        is_default = _in_table(ref, modules, tables["default"])
        mod = modules.get(str(ref.target)) if ref.op == "call_module" else None
        if mod is not None and type(mod) in special_modules:
            q_cls = special_modules[type(mod)]
            if q_cls is None or not is_q:
                continue  # no quantized module for it in Ember: keep dq -> float module -> q
            qmod = _special_module(
                q_cls, mod, getattr(model, q.args[1].target), getattr(model, q.args[2].target)
            )
            pname, name = parent_name(str(ref.target))
            setattr(modules[pname], name, qmod)
        elif ref.op == "call_function" and is_default:
            if ref.target not in _QUANTIZED_FUNCTIONAL:
                continue  # Ember has no quantized functional form of this op: keep it float
        for d in dqs:
            ref.replace_input_with(d, d.args[0])
        qparams = list(q.args)[1:]
        q.replace_all_uses_with(q.args[0])
        model.graph.erase_node(q)
        if ref.op == "call_function" and is_default:
            qop = _QUANTIZED_FUNCTIONAL[ref.target]
            # the float call's arguments by name (torch's F functions record them so)
            bound = dict(inspect.signature(ref.target).bind(*ref.args, **ref.kwargs).arguments)
            x = bound.pop(next(iter(bound)))
            kwargs = {k: v for k, v in bound.items() if k not in _SKIP_KWARGS.get(qop, ())}
            kwargs["output_scale"], kwargs["output_zero_point"] = qparams[0], qparams[1]
            with model.graph.inserting_after(qparams[1]):
                new = model.graph.create_node("call_function", qop, (x,), kwargs)
            ref.replace_all_uses_with(new)
            model.graph.erase_node(ref)
        else:
            for p in qparams:
                if isinstance(p, Node) and not p.users:
                    model.graph.erase_node(p)


def _skip_dq_before_metadata(model: GraphModule) -> None:
    # x.shape / x.size() read the quantized tensor rather than a dequantized copy
    for n in model.graph.nodes:
        meta = (n.op == "call_function" and n.target is getattr and n.args[1] == "shape") or (
            n.op == "call_method" and n.target in ("shape", "size")
        )
        if meta and _is_dq(n.args[0]):
            n.args = (n.args[0].args[0], *n.args[1:])


def lower_to_fbgemm(
    model: GraphModule,
    qconfig_map: dict[str, Any],
    node_name_to_scope: dict[str, Any],
    keep_original_weights: bool = False,
) -> GraphModule:
    """Replace reference patterns by fbgemm/x86 quantized modules and ops (in place)."""
    _lower_weighted_modules(model, qconfig_map)
    _lower_dynamic_weighted_modules(model)
    _lower_functional_linear(model, qconfig_map)
    _lower_binary_ops(model, qconfig_map)
    _skip_dq_before_metadata(model)
    _special_pattern_replacement(model)
    model.graph.eliminate_dead_code()
    model.recompile()
    model.graph.lint()
    return model
