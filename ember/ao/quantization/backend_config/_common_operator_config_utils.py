"""The pattern configs shared by the native, x86 and fbgemm backends (torch's lists).

Patterns naming a module or function Ember does not have (3-d conv/pool, InstanceNorm, ...)
are left out; everything else follows torch 2.13's _common_operator_config_utils.
"""

from __future__ import annotations

import copy
import operator
from typing import Any

from ._fusers import (
    fuse_conv_bn,
    fuse_conv_bn_relu,
    fuse_convtranspose_bn,
    fuse_linear_bn,
    sequential_wrapper2,
)
from .backend_config import BackendPatternConfig, DTypeConfig, DTypeWithConstraints
from .backend_config import ObservationType as OT

_DIFF = OT.OUTPUT_USE_DIFFERENT_OBSERVER_AS_INPUT
_SHARE = OT.OUTPUT_SHARE_OBSERVER_WITH_INPUT


class _Mods:
    """Module namespaces, imported when a backend config is first built."""

    def __init__(self) -> None:
        import ember
        import ember.ao.nn.intrinsic as nni
        import ember.ao.nn.intrinsic.qat as nniqat
        import ember.ao.nn.qat as nnqat
        import ember.ao.nn.quantized.reference as nnqr
        import ember.nn as nn
        import ember.nn.functional as F

        self.torch, self.nn, self.F = ember, nn, F
        self.nni, self.nniqat, self.nnqat, self.nnqr = nni, nniqat, nnqat, nnqr


def _get(ns: Any, name: str) -> Any:
    return getattr(ns, name, None)


def _add(configs: list[BackendPatternConfig], pattern: Any) -> BackendPatternConfig | None:
    """A new config for pattern, or None when a part of the pattern does not exist here."""
    parts = pattern if isinstance(pattern, tuple) else (pattern,)
    if any(p is None for p in parts):
        return None
    c = BackendPatternConfig(pattern)
    configs.append(c)
    return c


_FIXED_0TO1 = DTypeWithConstraints(
    dtype=None,
    quant_min_lower_bound=0,
    quant_max_upper_bound=255,
    scale_exact_match=1.0 / 256.0,
    zero_point_exact_match=0,
)
_FIXED_NEG1TO1 = DTypeWithConstraints(
    dtype=None,
    quant_min_lower_bound=0,
    quant_max_upper_bound=255,
    scale_exact_match=2.0 / 256.0,
    zero_point_exact_match=128,
)


def fixed_qparams_op_to_constraints(m: _Mods) -> dict[Any, DTypeWithConstraints]:
    from ember._dtype import quint8

    lo = copy.copy(_FIXED_0TO1)
    lo.dtype = quint8
    sym = copy.copy(_FIXED_NEG1TO1)
    sym.dtype = quint8
    nn, F, t = m.nn, m.F, m.torch
    table: list[tuple[Any, DTypeWithConstraints]] = [
        (nn.Hardsigmoid, lo),
        (F.hardsigmoid, lo),
        ("hardsigmoid", lo),
        ("hardsigmoid_", lo),
        (nn.Sigmoid, lo),
        (t.sigmoid, lo),
        ("sigmoid", lo),
        ("sigmoid_", lo),
        (nn.Softmax, lo),
        (nn.Tanh, sym),
        (t.tanh, sym),
        ("tanh", sym),
        ("tanh_", sym),
    ]
    return dict(table)


def get_binary_op_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    nn, F, t = m.nn, m.F, m.torch
    num_tensor_args = {0: _DIFF, 1: _SHARE, 2: _DIFF}
    out: list[BackendPatternConfig] = []
    for op in (operator.add, t.add, operator.mul, t.mul):
        for pattern in ((op, nn.ReLU), (op, F.relu), (op, t.relu), op):
            c = _add(out, pattern)
            if c is not None:
                c.set_dtype_configs(dtype_configs)._set_num_tensor_args_to_observation_type(
                    num_tensor_args
                )
    c = _add(out, t.matmul)
    if c is not None:
        c.set_dtype_configs(dtype_configs)
    return out


def get_linear_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    nn, F, nni, nniqat, nnqat, nnqr = m.nn, m.F, m.nni, m.nniqat, m.nnqat, m.nnqr
    out: list[BackendPatternConfig] = []

    def weighted(pattern: Any, qat: Any = "none") -> None:
        c = _add(out, pattern)
        if c is None:
            return
        c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
        c.set_root_module(nn.Linear).set_reference_quantized_module(_get(nnqr, "Linear"))
        if qat != "none":
            c.set_qat_module(qat)

    weighted(nn.Linear, _get(nnqat, "Linear"))
    weighted(_get(nnqat, "Linear"))
    c = _add(out, F.linear)
    if c is not None:
        c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
        c._set_input_type_to_index({"weight": 1, "bias": 2})
    for relu in (nn.ReLU, F.relu):
        c = _add(out, (nn.Linear, relu))
        if c is not None:
            c.set_dtype_configs(dtype_configs).set_fuser_method(sequential_wrapper2("LinearReLU"))
            c.set_fused_module(_get(nni, "LinearReLU"))
    weighted(_get(nni, "LinearReLU"), _get(nniqat, "LinearReLU"))
    weighted(_get(nniqat, "LinearReLU"))
    for relu in (nn.ReLU, F.relu):
        c = _add(out, (F.linear, relu))
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
    c = _add(out, (nn.Linear, nn.BatchNorm1d))
    if c is not None:
        c.set_dtype_configs(dtype_configs).set_fuser_method(fuse_linear_bn)
        c.set_fused_module(_get(nni, "LinearBn1d"))
    weighted(_get(nni, "LinearBn1d"), _get(nniqat, "LinearBn1d"))
    weighted(_get(nniqat, "LinearBn1d"))
    return out


def get_conv_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    nn, F, nni, nniqat, nnqat, nnqr = m.nn, m.F, m.nni, m.nniqat, m.nnqat, m.nnqr
    out: list[BackendPatternConfig] = []
    for d in ("1d", "2d", "3d"):
        root, bn = _get(nn, "Conv" + d), _get(nn, "BatchNorm" + d)
        transpose = _get(nn, "ConvTranspose" + d)
        ref, ref_t = _get(nnqr, "Conv" + d), _get(nnqr, "ConvTranspose" + d)
        conv_relu, conv_bn = _get(nni, "ConvReLU" + d), _get(nni, "ConvBn" + d)
        conv_bn_relu = _get(nni, "ConvBnReLU" + d)
        qat, relu_qat = _get(nnqat, "Conv" + d), _get(nniqat, "ConvReLU" + d)
        bn_qat, bn_relu_qat = _get(nniqat, "ConvBn" + d), _get(nniqat, "ConvBnReLU" + d)
        func, func_t = _get(F, "conv" + d), _get(F, "conv_transpose" + d)
        if root is None:
            continue

        def weighted(pattern: Any, qat_mod: Any = None, obs: bool = True) -> None:
            c = _add(out, pattern)
            if c is None:
                return
            if obs:
                c.set_observation_type(_DIFF)
            c.set_dtype_configs(dtype_configs).set_root_module(root)  # noqa: B023
            c.set_reference_quantized_module(ref)  # noqa: B023
            if qat_mod is not None:
                c.set_qat_module(qat_mod)

        def plain(pattern: Any, obs: bool = True) -> BackendPatternConfig | None:
            c = _add(out, pattern)
            if c is not None:
                if obs:
                    c.set_observation_type(_DIFF)
                c.set_dtype_configs(dtype_configs)
            return c

        weighted(root, qat)
        weighted(qat)
        c = plain(func)
        if c is not None:
            c._set_input_type_to_index({"weight": 1, "bias": 2})
        for relu in (nn.ReLU, F.relu):
            c = plain((root, relu), obs=False)
            if c is not None:
                c.set_fuser_method(sequential_wrapper2("ConvReLU" + d)).set_fused_module(conv_relu)
        weighted(conv_relu, relu_qat)
        weighted(relu_qat)
        for relu in (nn.ReLU, F.relu):
            plain((func, relu))
        # torch registers these two again without an observation type; the later config wins
        c = plain(conv_relu, obs=False)
        if c is not None:
            c.set_qat_module(relu_qat)
        weighted(relu_qat, obs=False)
        c = plain((root, bn), obs=False)
        if c is not None:
            c.set_fuser_method(fuse_conv_bn).set_fused_module(conv_bn)
        for relu in (nn.ReLU, F.relu):
            c = plain((root, bn, relu), obs=False)
            if c is not None:
                if relu is F.relu:
                    c.set_root_module(root)
                c.set_fuser_method(fuse_conv_bn_relu).set_fused_module(conv_bn_relu)
        c = plain(conv_bn, obs=False)
        if c is not None:
            c.set_qat_module(bn_qat)
        c = plain(conv_bn_relu, obs=False)
        if c is not None:
            c.set_qat_module(bn_relu_qat)
        weighted(bn_qat)
        weighted(bn_relu_qat)
        c = plain(transpose, obs=False)
        if c is not None:
            c.set_root_module(transpose).set_reference_quantized_module(ref_t)
        c = plain((transpose, bn), obs=False)
        if c is not None:
            c.set_fuser_method(fuse_convtranspose_bn).set_root_module(transpose)
            c.set_reference_quantized_module(ref_t)
        c = plain(func_t, obs=False)
        if c is not None:
            c._set_input_type_to_index({"weight": 1, "bias": 2})
    return out


def get_cat_config(m: _Mods, dtype_configs: list[DTypeConfig]) -> BackendPatternConfig:
    return (
        BackendPatternConfig(m.torch.cat)
        .set_observation_type(_SHARE)
        .set_dtype_configs(dtype_configs)
    )


def get_ln_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    return [
        BackendPatternConfig(m.nn.LayerNorm)
        .set_observation_type(_DIFF)
        .set_dtype_configs(dtype_configs),
        BackendPatternConfig(m.F.layer_norm)
        .set_observation_type(_DIFF)
        .set_dtype_configs(dtype_configs)
        ._set_input_type_to_index({"weight": 2, "bias": 3}),
    ]


def get_default_op_configs(
    m: _Mods, dtype_configs: list[DTypeConfig]
) -> list[BackendPatternConfig]:
    nn, F = m.nn, m.F
    names = [
        "ELU",
        "LeakyReLU",
        "Hardswish",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "InstanceNorm3d",
        "Dropout",
        "PReLU",
    ]
    ops = [_get(nn, n) for n in names] + [F.elu, F.hardswish, F.leaky_relu, F.dropout]
    out: list[BackendPatternConfig] = []
    for op in ops:
        c = _add(out, op)
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
    for fn, w in ((_get(F, "group_norm"), 2), (_get(F, "instance_norm"), 3)):
        c = _add(out, fn)
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
            c._set_input_type_to_index({"weight": w, "bias": w + 1})
    return out


def _with_fixed_qparams(
    dtype_configs: list[DTypeConfig], constraints: DTypeWithConstraints
) -> list[DTypeConfig]:
    out = []
    for dc in dtype_configs:
        new = copy.deepcopy(dc)
        for cons in (new.input_dtype_with_constraints, new.output_dtype_with_constraints):
            if cons.dtype != constraints.dtype:
                continue
            if cons.scale_min_lower_bound is not None:
                raise ValueError(f"scale_min_lower_bound is invalid for fixed qparams ops: {dc}")
            if cons.scale_max_upper_bound is not None:
                raise ValueError(f"scale_max_upper_bound is invalid for fixed qparams ops: {dc}")
            cons.quant_min_lower_bound = constraints.quant_min_lower_bound
            cons.quant_max_upper_bound = constraints.quant_max_upper_bound
            cons.scale_exact_match = constraints.scale_exact_match
            cons.zero_point_exact_match = constraints.zero_point_exact_match
        out.append(new)
    return out


def get_fixed_qparams_op_configs(
    m: _Mods, dtype_configs: list[DTypeConfig]
) -> list[BackendPatternConfig]:
    return [
        BackendPatternConfig(op)
        .set_observation_type(_DIFF)
        .set_dtype_configs(_with_fixed_qparams(dtype_configs, cons))
        for op, cons in fixed_qparams_op_to_constraints(m).items()
    ]


def share_qparams_ops(m: _Mods) -> list[Any]:
    """Ops whose quantized output reuses the input's scale and zero point."""
    nn, F, t = m.nn, m.F, m.torch
    modules = [
        "AdaptiveAvgPool1d",
        "AdaptiveAvgPool2d",
        "AdaptiveAvgPool3d",
        "AvgPool1d",
        "AvgPool2d",
        "AvgPool3d",
        "Hardtanh",
        "Identity",
        "MaxPool1d",
        "MaxPool2d",
        "MaxPool3d",
        "PixelShuffle",
        "PixelUnshuffle",
        "ReLU",
        "ReLU6",
    ]
    funcs = [
        "adaptive_avg_pool2d",
        "adaptive_avg_pool3d",
        "hardtanh",
        "hardtanh_",
        "interpolate",
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "pixel_shuffle",
        "pixel_unshuffle",
        "relu",
        "relu6",
        "avg_pool2d",
        "avg_pool3d",
    ]
    torch_fns = [
        "adaptive_avg_pool1d",
        "avg_pool1d",
        "clamp",
        "flatten",
        "mean",
        "narrow",
        "repeat_interleave",
        "transpose",
        "squeeze",
        "stack",
        "unsqueeze",
    ]
    methods = [
        "contiguous",
        "clamp",
        "detach",
        "detach_",
        "mean",
        "permute",
        "repeat",
        "repeat_interleave",
        "reshape",
        "resize_",
        "relu",
        "relu_",
        "squeeze",
        "squeeze_",
        "transpose",
        "unsqueeze",
        "unsqueeze_",
        "view",
    ]
    ops: list[Any] = [_get(nn, n) for n in modules] + [_get(F, n) for n in funcs]
    ops += [_get(t, n) for n in torch_fns] + [operator.floordiv] + methods
    seen: list[Any] = []
    for op in ops:
        if op is not None and not any(op is s for s in seen):
            seen.append(op)
    return seen


def get_share_qparams_op_configs(
    m: _Mods, dtype_configs: list[DTypeConfig]
) -> list[BackendPatternConfig]:
    return [
        BackendPatternConfig(op).set_observation_type(_SHARE).set_dtype_configs(dtype_configs)
        for op in share_qparams_ops(m)
    ]


def get_bn_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    nn, F, nni = m.nn, m.F, m.nni
    out: list[BackendPatternConfig] = []
    pairs = [(nn.BatchNorm2d, "BNReLU2d"), (nn.BatchNorm3d, "BNReLU3d")]
    for bn, fused_name in pairs:
        for relu in (nn.ReLU, F.relu):
            c = _add(out, (bn, relu))
            if c is not None:
                c.set_dtype_configs(dtype_configs).set_fuser_method(sequential_wrapper2(fused_name))
                c.set_fused_module(_get(nni, fused_name))
        c = _add(out, bn)
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
    for _, fused_name in pairs:
        c = _add(out, _get(nni, fused_name))
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
    return out


def get_rnn_op_configs(m: _Mods, dtype_configs: list[DTypeConfig]) -> list[BackendPatternConfig]:
    out: list[BackendPatternConfig] = []
    for name in ("GRUCell", "LSTMCell", "RNNCell", "LSTM", "GRU"):
        c = _add(out, _get(m.nn, name))
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
            c.set_root_module(_get(m.nn, name))
            c.set_reference_quantized_module(_get(m.nnqr, name))
    return out


def get_embedding_op_configs(
    m: _Mods, dtype_configs: list[DTypeConfig]
) -> list[BackendPatternConfig]:
    out: list[BackendPatternConfig] = []
    for name in ("Embedding", "EmbeddingBag"):
        root, qat, ref = _get(m.nn, name), _get(m.nnqat, name), _get(m.nnqr, name)
        c = _add(out, root)
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs).set_qat_module(qat)
            c.set_root_module(root).set_reference_quantized_module(ref)
        c = _add(out, qat)
        if c is not None:
            c.set_observation_type(_DIFF).set_dtype_configs(dtype_configs)
            c.set_root_module(root).set_reference_quantized_module(ref)
    return out


def get_tensor_info_op_configs(
    m: _Mods, dtype_configs: list[DTypeConfig]
) -> list[BackendPatternConfig]:
    return [
        BackendPatternConfig(op)
        .set_observation_type(OT.INPUT_OUTPUT_NOT_OBSERVED)
        .set_dtype_configs(dtype_configs)
        for op in ("shape", "size")
    ]
