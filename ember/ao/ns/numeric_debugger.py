"""Layer-by-layer comparison of a float model and its FX-quantized version.

    report = compare_layers(float_model, quantized_model, [x1, x2])
    print(report)                  # one row per layer, worst SQNR first
    qmodel, report = quantize_with_float_fallback(float_model, calib, num_float_layers=2)

Layers are the quantized model's submodules (a fused conv-bn-relu is one layer, named as in
the graph); the float side is the same float model fused the same way, so that both sides
produce the same tensor at every layer. For each layer two SQNRs (dB, higher is better):
  cumulative: quantized model's output vs float model's output there (errors so far add up);
  local: the layer alone, fed the float model's input quantized with the qparams the
         quantized model used there (what keeping only this layer in float would recover;
         in reference and dynamic models the layer takes the float input as it is).
Differs from torch.ao.ns: one call, no model surgery, a printed table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ember

from ...fx import GraphModule
from ...nn.modules.module import Module

_E: Any = ember  # ops are published on ember at import time

__all__ = [
    "LayerReport",
    "NumericReport",
    "compare_layers",
    "compute_sqnr",
    "quantize_with_float_fallback",
]


def _np(t: Any) -> np.ndarray:
    if isinstance(t, ember.Tensor):
        if t.is_quantized:
            t = t.dequantize()
        return t.detach().numpy().astype(np.float64)
    return np.asarray(t, dtype=np.float64)


def compute_sqnr(x: Any, y: Any) -> float:
    """20 * log10(||x|| / ||x - y||) in dB (inf when y == x); quantized tensors are dequantized."""
    a, b = _np(x), _np(y)
    if a.shape != b.shape:
        raise ValueError(f"compute_sqnr: shapes differ: {a.shape} vs {b.shape}")
    signal = float(np.linalg.norm(a))
    noise = float(np.linalg.norm(a - b))
    if noise == 0.0:
        return math.inf
    if signal == 0.0:
        return -math.inf
    return 20.0 * math.log10(signal / noise)


@dataclass
class LayerReport:
    """One layer: its name, module type, and SQNRs in dB (averaged over the sample inputs)."""

    name: str
    kind: str
    cumulative_sqnr: float
    local_sqnr: float
    max_abs_error: float


@dataclass
class NumericReport:
    """Per-layer results, worst (lowest local SQNR) first, plus the model output's SQNR."""

    layers: list[LayerReport] = field(default_factory=list)
    output_sqnr: float = math.nan

    def worst(self, k: int) -> list[str]:
        """Names of the k layers with the lowest local SQNR."""
        return [r.name for r in self.layers[:k]]

    def __str__(self) -> str:
        head = (
            f"{'layer':<24} {'type':<26} {'local SQNR':>11} {'cumul. SQNR':>12} {'max |err|':>10}"
        )
        rows = [head, "-" * len(head)]
        for r in self.layers:
            rows.append(
                f"{r.name:<24} {r.kind:<26} {r.local_sqnr:>11.2f} "
                f"{r.cumulative_sqnr:>12.2f} {r.max_abs_error:>10.4g}"
            )
        rows.append(f"model output SQNR: {self.output_sqnr:.2f} dB")
        return "\n".join(rows)

    __repr__ = __str__


def _record(model: Module, names: Iterable[str]) -> tuple[dict[str, list[Any]], list[Any]]:
    """Hooks storing each named submodule's (input, output) per call."""
    seen: dict[str, list[Any]] = {n: [] for n in names}
    handles = []
    mods = dict(model.named_modules())
    for n in seen:

        def hook(mod: Any, args: Any, out: Any, n: str = n) -> None:
            seen[n].append((args[0] if args else None, out))

        handles.append(mods[n].register_forward_hook(hook))
    return seen, handles


def _float_twin(float_model: Module, quantized: GraphModule) -> GraphModule:
    """The float model traced and fused as prepare_fx did, so submodule names line up."""
    from ..quantization.quantize_fx import fuse_fx

    twin = fuse_fx(_copy_eval(float_model))
    missing = [n for n in _layer_names(quantized) if n not in dict(twin.named_modules())]
    if missing:
        raise ValueError(
            f"compare_layers: layers {missing} of the quantized model have no float counterpart"
            " (was the quantized model made from this float model by prepare_fx/convert_fx?)"
        )
    return twin


def _copy_eval(m: Module) -> Module:
    import copy

    c = copy.deepcopy(m)
    c.eval()
    return c


def _layer_names(quantized: GraphModule) -> list[str]:
    """Submodules of the quantized model that compute on quantized tensors (or are reference
    quantized modules), in graph order; float modules left in the model are not layers."""
    out = []
    mods = dict(quantized.named_modules())
    for node in quantized.graph.nodes:
        if node.op == "call_module":
            mod: Any = mods[str(node.target)]
            # a fused module of a reference model holds the reference module as its first child
            inner = (
                mod[0]
                if type(mod).__module__.startswith("ember.ao.nn.intrinsic.")
                and (hasattr(mod, "__getitem__"))
                else mod
            )
            if any(".quantized" in type(m).__module__ or "quantized_ops" in type(m).__module__
                   for m in (mod, inner)):  # fmt: skip
                out.append(str(node.target))
    return list(dict.fromkeys(out))


def _local_sqnr(qmod: Module, float_in: Any, q_in: Any, float_out: Any) -> float:
    """The quantized layer on the float input (quantized like the real input was)."""
    if not (isinstance(q_in, ember.Tensor) and q_in.is_quantized):
        return compute_sqnr(float_out, qmod(float_in))
    x = _E.quantize_per_tensor(
        float_in.detach(), float(q_in.q_scale()), int(q_in.q_zero_point()), q_in.dtype
    )
    return compute_sqnr(float_out, qmod(x))


def compare_layers(
    float_model: Module, quantized_model: GraphModule, inputs: Iterable[Any]
) -> NumericReport:
    """Compare every quantized layer with the float model on sample inputs (one per call).

    Each input is a tensor or a tuple of positional arguments.
    """
    twin = _float_twin(float_model, quantized_model)
    names = _layer_names(quantized_model)
    qmods = dict(quantized_model.named_modules())
    f_seen, f_handles = _record(twin, names)
    q_seen, q_handles = _record(quantized_model, names)
    out_sqnrs = []
    try:
        with ember.no_grad():
            for x in inputs:
                args = x if isinstance(x, tuple) else (x,)
                out_sqnrs.append(compute_sqnr(twin(*args), quantized_model(*args)))
    finally:
        for h in f_handles + q_handles:
            h.remove()
    report = NumericReport(output_sqnr=_mean(out_sqnrs))
    with ember.no_grad():
        for n in names:
            cum, loc, err = [], [], 0.0
            for (fi, fo), (qi, qo) in zip(f_seen[n], q_seen[n]):
                cum.append(compute_sqnr(fo, qo))
                loc.append(_local_sqnr(qmods[n], fi, qi, fo))
                err = max(err, float(np.max(np.abs(_np(fo) - _np(qo)))) if _np(fo).size else 0.0)
            m = qmods[n]
            kind = m._get_name() if hasattr(m, "_get_name") else type(m).__name__
            report.layers.append(LayerReport(n, kind, _mean(cum), _mean(loc), err))
    report.layers.sort(key=lambda r: (r.local_sqnr, r.cumulative_sqnr))
    return report


def _mean(v: list[float]) -> float:
    finite = [x for x in v if math.isfinite(x)]
    if not v:
        return math.nan
    return float(np.mean(finite)) if finite else v[0]


def quantize_with_float_fallback(
    float_model: Module,
    calibration_inputs: list[Any],
    qconfig_mapping: Any = None,
    num_float_layers: int = 1,
    min_sqnr: float | None = None,
    backend_config: Any = None,
) -> tuple[GraphModule, NumericReport]:
    """Quantize with prepare_fx/convert_fx, then again leaving the worst layers in float.

    The worst layers are the num_float_layers with the lowest local SQNR, or, if min_sqnr is
    given, every layer below it. Returns the new quantized model and the first model's report.
    """
    from ..quantization.qconfig_mapping import get_default_qconfig_mapping
    from ..quantization.quantize_fx import convert_fx, prepare_fx

    if qconfig_mapping is None:
        qconfig_mapping = get_default_qconfig_mapping()
    if not calibration_inputs:
        raise ValueError("quantize_with_float_fallback: calibration_inputs is empty")
    example = calibration_inputs[0]
    example = example if isinstance(example, tuple) else (example,)

    def build(mapping: Any) -> GraphModule:
        prepared = prepare_fx(
            _copy_eval(float_model), mapping, example, backend_config=backend_config
        )
        with ember.no_grad():
            for x in calibration_inputs:
                prepared(*(x if isinstance(x, tuple) else (x,)))
        return convert_fx(prepared, backend_config=backend_config)

    first = build(qconfig_mapping)
    report = compare_layers(float_model, first, calibration_inputs)
    if min_sqnr is not None:
        chosen = [r.name for r in report.layers if r.local_sqnr < min_sqnr]
    else:
        chosen = report.worst(num_float_layers)
    import copy

    mapping = copy.deepcopy(qconfig_mapping)
    for name in chosen:
        mapping.set_module_name(name, None)
    return build(mapping), report
