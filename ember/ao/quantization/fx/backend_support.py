"""Whether the backend supports a matched pattern with the dtypes its QConfig asks for."""

from __future__ import annotations

from typing import Any

import ember

from ....fx import Node
from ..backend_config import BackendConfig
from .utils import default_root_node_getter, node_arg_is_bias, node_arg_is_weight

__all__ = ["supported_by_backend"]


def _fp32_ctr() -> Any:
    from ..observer import PlaceholderObserver

    return PlaceholderObserver.with_args(dtype=ember.float32)


def _qconfig_satisfies(qconfig: Any, cons: Any, is_activation: bool = True) -> bool:
    """The QConfig's observer respects the backend's quant range / scale constraints."""
    if qconfig is None or cons.dtype is None:
        return True
    ctr = qconfig.activation if is_activation else qconfig.weight
    app = ctr()
    if app.dtype != cons.dtype:
        return True
    obs = getattr(app, "activation_post_process", app)
    qmin, qmax = getattr(obs, "quant_min", None), getattr(obs, "quant_max", None)
    if cons.quant_min_lower_bound is not None and cons.quant_max_upper_bound is not None:
        if qmin is None or qmax is None:
            return False
        if qmin < cons.quant_min_lower_bound or qmax > cons.quant_max_upper_bound:
            return False
    if cons.scale_min_lower_bound is not None:
        eps = getattr(obs, "eps", None)
        if eps is None or float(eps) < cons.scale_min_lower_bound:
            return False
    if cons.scale_exact_match is not None and cons.zero_point_exact_match is not None:
        from ..fake_quantize import FixedQParamsFakeQuantize
        from ..observer import FixedQParamsObserver

        if not isinstance(app, (FixedQParamsObserver, FixedQParamsFakeQuantize)):
            return False
        scale, zp = app.calculate_qparams()
        if float(scale) != cons.scale_exact_match or int(zp) != cons.zero_point_exact_match:
            return False
    return True


def _input_supported(ctx: Any, arg: Any, node: Node, qconfig: Any, dc: Any) -> bool:
    if isinstance(arg, (list, tuple)):
        return all(_input_supported(ctx, a, node, qconfig, dc) for a in arg)
    if not isinstance(arg, Node):
        return True
    info = node.meta["target_dtype_info"]
    if node_arg_is_weight(node, arg):
        w_dtype, _ = ctx.dtype_of(info.get("weight_obs_or_fq_ctr"))
        return dc.weight_dtype is None or (
            w_dtype == dc.weight_dtype
            and _qconfig_satisfies(qconfig, dc.weight_dtype_with_constraints, False)
        )
    if node_arg_is_bias(node, arg):
        b_dtype, _ = ctx.dtype_of(info.get("bias_obs_or_fq_ctr"))
        return dc.bias_dtype is None or b_dtype == dc.bias_dtype
    dtype, dyn = ctx.dtype_of(info.get("input_act_obs_or_fq_ctr"))
    return dc.input_dtype is None or (
        dc.input_dtype == dtype
        and bool(dc.is_dynamic) == bool(dyn)
        and _qconfig_satisfies(qconfig, dc.input_dtype_with_constraints)
    )


def _output_supported(ctx: Any, node: Node, qconfig: Any, dc: Any) -> bool:
    ctr = node.meta["target_dtype_info"].get("output_act_obs_or_fq_ctr", _fp32_ctr())
    dtype, dyn = ctx.dtype_of(ctr)
    if dyn:
        dtype = ember.float32
    return dc.output_dtype is None or (
        dtype == dc.output_dtype and _qconfig_satisfies(qconfig, dc.output_dtype_with_constraints)
    )


def supported_by_backend(
    ctx: Any, pattern: Any, matched: Any, qconfig: Any, backend: BackendConfig
) -> bool:
    if pattern is None:
        return True
    cfg = backend._pattern_complex_format_to_config[pattern]
    root = (cfg._root_node_getter or default_root_node_getter)(matched)
    out_node = matched[0]
    for dc in cfg.dtype_configs:
        ok = all(
            _input_supported(ctx, a, root, qconfig, dc)
            for a in list(root.args) + list(root.kwargs.values())
        )
        if ok and _output_supported(ctx, out_node, qconfig, dc):
            return True
    return False
