"""FX graph mode quantization: prepare_fx, prepare_qat_fx, convert_fx, convert_to_reference_fx,
fuse_fx (torch.ao.quantization.quantize_fx's API).

Differences from torch: equalization and decomposed quantize ops raise NotImplementedError;
BackendConfig patterns naming modules Ember lacks (3-d ops) are absent.
"""

from __future__ import annotations

from typing import Any

from ...fx import GraphModule
from ...nn.modules.module import Module
from .backend_config import BackendConfig
from .fx.convert import convert
from .fx.custom_config import ConvertCustomConfig, FuseCustomConfig, PrepareCustomConfig
from .fx.fuse import fuse
from .fx.prepare import prepare
from .fx.tracer import QuantizationTracer
from .qconfig_mapping import QConfigMapping
from .quant_type import QuantType

__all__ = ["convert_fx", "convert_to_reference_fx", "fuse_fx", "prepare_fx", "prepare_qat_fx"]


def _preserved(model: Module, names: list[str]) -> dict[str, Any]:
    return {a: getattr(model, a) for a in names if hasattr(model, a)}


def _attach(model: Module, attrs: dict[str, Any]) -> None:
    for k, v in attrs.items():
        setattr(model, k, v)


def _check_is_graph_module(model: Module) -> None:
    if not isinstance(model, GraphModule):
        raise ValueError(
            "input model must be a GraphModule, Got type:" + str(type(model)) + " Please make "
            "sure to follow the tutorials."
        )


def _prepare_fx(
    model: Module,
    qconfig_mapping: QConfigMapping | dict[str, Any],
    is_qat: bool,
    example_inputs: tuple[Any, ...],
    prepare_custom_config: PrepareCustomConfig | dict[str, Any] | None,
    backend_config: BackendConfig | dict[str, Any] | None,
    is_standalone_module: bool = False,
) -> GraphModule:
    if prepare_custom_config is None:
        prepare_custom_config = PrepareCustomConfig()
    if isinstance(prepare_custom_config, dict):
        prepare_custom_config = PrepareCustomConfig.from_dict(prepare_custom_config)
    pcc = prepare_custom_config
    skipped_names = list(pcc.non_traceable_module_names)
    skipped_classes = list(pcc.non_traceable_module_classes)
    if not is_standalone_module:  # standalone and custom modules are handled at the top level
        skipped_names += list(pcc.standalone_module_names)
        skipped_classes += list(pcc.standalone_module_classes)
        skipped_classes += list(pcc.float_to_observed_mapping.get(QuantType.STATIC, {}))
    preserved = _preserved(model, pcc.preserved_attributes)
    tracer = QuantizationTracer(skipped_names, skipped_classes)
    gm = GraphModule(model, tracer.trace(model))
    fcc = FuseCustomConfig().set_preserved_attributes(pcc.preserved_attributes)
    gm = fuse(gm, is_qat, fcc, backend_config)
    prepared = prepare(
        gm,
        qconfig_mapping,
        is_qat,
        tracer.node_name_to_scope,
        example_inputs,
        pcc,
        None,
        backend_config,
        is_standalone_module,
    )
    _attach(prepared, preserved)
    return prepared


def fuse_fx(
    model: Module,
    fuse_custom_config: FuseCustomConfig | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
) -> GraphModule:
    """Trace model and fuse conv/bn/relu, linear/relu... (eval mode) as the backend allows."""
    from ...fx import symbolic_trace

    if fuse_custom_config is None:
        fuse_custom_config = FuseCustomConfig()
    if isinstance(fuse_custom_config, dict):
        fuse_custom_config = FuseCustomConfig.from_dict(fuse_custom_config)
    preserved = _preserved(model, fuse_custom_config.preserved_attributes)
    gm = fuse(symbolic_trace(model), False, fuse_custom_config, backend_config)
    _attach(gm, preserved)
    return gm


def prepare_fx(
    model: Module,
    qconfig_mapping: QConfigMapping | dict[str, Any],
    example_inputs: tuple[Any, ...],
    prepare_custom_config: PrepareCustomConfig | dict[str, Any] | None = None,
    _equalization_config: QConfigMapping | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
) -> GraphModule:
    """Trace an eval-mode model, fuse it and insert observers for post-training quantization.

    Run calibration data through the result, then call convert_fx.
    """
    if _equalization_config:
        raise NotImplementedError("prepare_fx: _equalization_config is not implemented in Ember")
    return _prepare_fx(
        model, qconfig_mapping, False, example_inputs, prepare_custom_config, backend_config
    )


def prepare_qat_fx(
    model: Module,
    qconfig_mapping: QConfigMapping | dict[str, Any],
    example_inputs: tuple[Any, ...],
    prepare_custom_config: PrepareCustomConfig | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
) -> GraphModule:
    """Like prepare_fx for a train-mode model: QAT modules and fake quantizers instead."""
    return _prepare_fx(
        model, qconfig_mapping, True, example_inputs, prepare_custom_config, backend_config
    )


def _convert_fx(
    graph_module: GraphModule,
    is_reference: bool,
    convert_custom_config: ConvertCustomConfig | dict[str, Any] | None,
    _remove_qconfig: bool,
    qconfig_mapping: QConfigMapping | dict[str, Any] | None,
    backend_config: BackendConfig | dict[str, Any] | None,
    keep_original_weights: bool = False,
) -> GraphModule:
    if convert_custom_config is None:
        convert_custom_config = ConvertCustomConfig()
    if isinstance(convert_custom_config, dict):
        convert_custom_config = ConvertCustomConfig.from_dict(convert_custom_config)
    _check_is_graph_module(graph_module)
    preserved = _preserved(graph_module, convert_custom_config.preserved_attributes)
    quantized = convert(
        graph_module,
        is_reference,
        convert_custom_config,
        False,
        _remove_qconfig,
        qconfig_mapping,
        backend_config,
        keep_original_weights=keep_original_weights,
    )
    _attach(quantized, preserved)
    return quantized


def convert_fx(
    graph_module: GraphModule,
    convert_custom_config: ConvertCustomConfig | dict[str, Any] | None = None,
    _remove_qconfig: bool = True,
    qconfig_mapping: QConfigMapping | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
    keep_original_weights: bool = False,
) -> GraphModule:
    """Convert a calibrated (or trained) prepared model into a quantized model (in place)."""
    return _convert_fx(
        graph_module,
        False,
        convert_custom_config,
        _remove_qconfig,
        qconfig_mapping,
        backend_config,
        keep_original_weights,
    )


def convert_to_reference_fx(
    graph_module: GraphModule,
    convert_custom_config: ConvertCustomConfig | dict[str, Any] | None = None,
    _remove_qconfig: bool = True,
    qconfig_mapping: QConfigMapping | dict[str, Any] | None = None,
    backend_config: BackendConfig | dict[str, Any] | None = None,
) -> GraphModule:
    """Convert to a reference quantized model: quantize/dequantize pairs around float ops."""
    return _convert_fx(
        graph_module, True, convert_custom_config, _remove_qconfig, qconfig_mapping, backend_config
    )
