"""Eager-mode workflow: propagate_qconfig_, prepare, prepare_qat, convert, quantize,
quantize_qat, quantize_dynamic, add_quant_dequant, swap_module (torch.ao.quantization)."""

from __future__ import annotations

import copy
import inspect
import itertools
import warnings
from typing import Any

import ember

from ... import nn
from ...nn.modules.module import Module
from ..nn.intrinsic import _FusedModule
from ..nn.quantized import FloatFunctional
from .quantization_mappings import (
    get_default_dynamic_quant_module_mappings,
    get_default_qat_module_mappings,
    get_default_qconfig_propagation_list,
    get_default_static_quant_module_mappings,
)
from .stubs import DeQuantStub, QuantWrapper

__all__ = ["add_quant_dequant", "convert", "get_default_custom_config_dict", "prepare",
           "prepare_qat", "propagate_qconfig_", "quantize", "quantize_dynamic", "quantize_qat",
           "swap_module"]


def get_default_custom_config_dict() -> dict:
    """Custom-module mappings used when none are given (none by default in Ember)."""
    return {"float_to_observed_custom_module_class": {},
            "observed_to_quantized_custom_module_class": {}}


def _qconfig_module() -> Any:
    from . import qconfig
    return qconfig


def _propagate(module: Module, qconfig_dict: dict, parent: Any, prefix: str,
               custom: dict | None) -> None:
    qconfig = qconfig_dict.get(type(module), parent)
    qconfig = qconfig_dict.get(prefix, qconfig)
    qconfig = getattr(module, "qconfig", qconfig)
    qc = _qconfig_module()
    if hasattr(qc, "_assert_valid_qconfig"):
        qc._assert_valid_qconfig(qconfig, module)
    module.qconfig = qconfig
    skip_names = set((custom or {}).get("non_traceable_module_name", []))
    skip_types = set((custom or {}).get("non_traceable_module_class", []))
    for name, child in module.named_children():
        if custom is not None and (name in skip_names or type(child) in skip_types):
            continue
        _propagate(child, qconfig_dict, module.qconfig, f"{prefix}.{name}" if prefix else name,
                   custom)


def propagate_qconfig_(module: Module, qconfig_dict: dict | None = None,
                       prepare_custom_config_dict: dict | None = None) -> None:
    """Give every submodule a `qconfig`: its own, else by name or type from qconfig_dict, else
    its parent's. Modifies the module in place."""
    _propagate(module, qconfig_dict or {}, None, "", prepare_custom_config_dict)


def _observer_forward_hook(self: Module, input: Any, output: Any) -> Any:
    return self.activation_post_process(output)


def _observer_forward_pre_hook(self: Module, input: Any) -> Any:
    return self.activation_post_process(input[0])


def _is_activation_post_process(module: Any) -> bool:
    from . import observer
    kinds: list[type] = [observer.ObserverBase]
    try:
        from . import fake_quantize
        kinds.append(fake_quantize.FakeQuantizeBase)
    except ImportError:
        pass
    return isinstance(module, tuple(kinds))


def _needs_observation(m: Module) -> bool:
    return getattr(m, "qconfig", None) is not None


def _activation_is_memoryless(qconfig: Any) -> bool:
    act = qconfig.activation()
    obs = getattr(act, "activation_post_process", act)
    return getattr(obs, "averaging_constant", None) == 1


def _get_activation_post_process(qconfig: Any, special: Any = None) -> Module:
    return qconfig.activation() if special is None else special()


def _insert_activation_post_process(m: Module, special: Any = None) -> None:
    if _needs_observation(m) and not isinstance(m, DeQuantStub):
        m.add_module("activation_post_process", _get_activation_post_process(m.qconfig, special))
        if _activation_is_memoryless(m.qconfig):
            m.register_forward_pre_hook(_observer_forward_pre_hook, prepend=True)
        else:
            m.register_forward_hook(_observer_forward_hook, prepend=True)


def _special_act_post_process(module: Module) -> Any:
    """QAT-time fixed-qparams fake quantizers for sigmoid-like outputs, as torch inserts."""
    if not module.training:
        return None
    from . import fake_quantize as fq
    table = {nn.Hardsigmoid: "default_fixed_qparams_range_0to1_fake_quant",
             nn.Sigmoid: "default_fixed_qparams_range_0to1_fake_quant",
             nn.Softmax: "default_fixed_qparams_range_0to1_fake_quant",
             nn.Tanh: "default_fixed_qparams_range_neg1to1_fake_quant"}
    name = table.get(type(module))
    return None if name is None else getattr(fq, name, None)


def _add_observer_(module: Module, propagation_list: set, non_leaf: set | None) -> None:
    for child in module.children():
        if type(child) is FloatFunctional:
            if _needs_observation(child):
                child.activation_post_process = _get_activation_post_process(child.qconfig)
        elif isinstance(child, _FusedModule):
            _insert_activation_post_process(child)
        elif non_leaf is not None and type(child) in non_leaf:
            _insert_activation_post_process(child)
        elif _needs_observation(child) and _special_act_post_process(child) is not None:
            _insert_activation_post_process(child, _special_act_post_process(child))
        else:
            _add_observer_(child, propagation_list, non_leaf)
    if (not module._modules and not isinstance(module, nn.Sequential)
            and type(module) in propagation_list):
        _insert_activation_post_process(module)


def prepare(model: Module, inplace: bool = False, allow_list: set | None = None,
            observer_non_leaf_module_list: set | None = None,
            prepare_custom_config_dict: dict | None = None) -> Module:
    """Propagate qconfigs and attach output observers to every quantizable leaf module."""
    if prepare_custom_config_dict and (
            prepare_custom_config_dict.get("float_to_observed_custom_module_class")):
        raise NotImplementedError("custom module classes in eager-mode prepare are not "
                                  "implemented in Ember")
    if not inplace:
        model = copy.deepcopy(model)
    propagation_list = allow_list or get_default_qconfig_propagation_list()
    propagate_qconfig_(model, None)
    if not any(getattr(m, "qconfig", None) for m in model.modules()):
        warnings.warn("None of the submodule got qconfig applied. Make sure you passed correct "
                      "configuration through `qconfig_dict` or by assigning the `.qconfig` "
                      "attribute directly on submodules", stacklevel=2)
    _add_observer_(model, propagation_list, observer_non_leaf_module_list)
    return model


def prepare_qat(model: Module, mapping: dict | None = None, inplace: bool = False) -> Module:
    """Swap modules for their QAT versions (fake-quantized weights) and attach fake quantizers
    to their outputs. The model should be in training mode."""
    if not model.training:
        raise AssertionError("prepare_qat only works on models in training mode")
    mapping = get_default_qat_module_mappings() if mapping is None else mapping
    if not inplace:
        model = copy.deepcopy(model)
    propagate_qconfig_(model, None)
    convert(model, mapping=mapping, inplace=True, remove_qconfig=False)
    prepare(model, observer_non_leaf_module_list=set(mapping.values()), inplace=True)
    return model


def _remove_activation_post_process(module: Module) -> None:
    if hasattr(module, "activation_post_process") and _is_activation_post_process(
            module.activation_post_process):
        delattr(module, "activation_post_process")
    for hooks, fn in ((module._forward_pre_hooks, _observer_forward_pre_hook),
                      (module._forward_hooks, _observer_forward_hook)):
        for key in [k for k, h in hooks.items() if h is fn]:
            hooks.pop(key)


def _remove_qconfig(module: Module) -> None:
    for child in module.children():
        _remove_qconfig(child)
    if hasattr(module, "qconfig"):
        del module.qconfig
    _remove_activation_post_process(module)


def swap_module(mod: Module, mapping: dict, custom_module_class_mapping: dict | None = None,
                use_precomputed_fake_quant: bool = False) -> Module:
    """The quantized (or QAT) replacement of `mod` from `mapping`, built with from_float.

    Forward pre-hooks and non-observer forward hooks move to the new module.
    """
    custom = custom_module_class_mapping or {}
    if getattr(mod, "qconfig", None) is None:
        return mod
    if type(mod) in custom:
        new_mod = custom[type(mod)].from_observed(mod)
    elif type(mod) in mapping:
        qmod = mapping[type(mod)]
        params = inspect.signature(qmod.from_float).parameters
        if "use_precomputed_fake_quant" in params:
            new_mod = qmod.from_float(mod, use_precomputed_fake_quant=use_precomputed_fake_quant)
        else:
            new_mod = qmod.from_float(mod)
    else:
        return mod
    for pre_hook in mod._forward_pre_hooks.values():
        if pre_hook is not _observer_forward_pre_hook:
            new_mod.register_forward_pre_hook(pre_hook)
    for hook in mod._forward_hooks.values():
        if hook is not _observer_forward_hook:
            new_mod.register_forward_hook(hook)
    return new_mod


def _convert(module: Module, mapping: dict, is_reference: bool, custom: dict,
             use_precomputed_fake_quant: bool) -> Module:
    reassign = {}
    for name, mod in module.named_children():
        if not isinstance(mod, _FusedModule) and type(mod) not in custom:
            _convert(mod, mapping, is_reference, custom, use_precomputed_fake_quant)
        reassign[name] = swap_module(mod, mapping, custom, use_precomputed_fake_quant)
    for key, value in reassign.items():
        module._modules[key] = value
    return module


def convert(module: Module, mapping: dict | None = None, inplace: bool = False,
            remove_qconfig: bool = True, is_reference: bool = False,
            convert_custom_config_dict: dict | None = None,
            use_precomputed_fake_quant: bool = False) -> Module:
    """Swap observed (or QAT) submodules for quantized ones using their observers' qparams."""
    if is_reference:
        raise NotImplementedError("convert(is_reference=True): reference quantized modules are "
                                  "not implemented in Ember")
    mapping = get_default_static_quant_module_mappings() if mapping is None else mapping
    custom = (convert_custom_config_dict or {}).get("observed_to_quantized_custom_module_class",
                                                    {})
    if not inplace:
        module = copy.deepcopy(module)
    _convert(module, mapping, is_reference, custom, use_precomputed_fake_quant)
    if remove_qconfig:
        _remove_qconfig(module)
    return module


def quantize(model: Module, run_fn: Any, run_args: Any, mapping: dict | None = None,
             inplace: bool = False) -> Module:
    """Post-training static quantization: prepare, run_fn(model, *run_args) to calibrate,
    convert."""
    mapping = get_default_static_quant_module_mappings() if mapping is None else mapping
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    prepare(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, mapping, inplace=True)
    return model


def quantize_qat(model: Module, run_fn: Any, run_args: Any, inplace: bool = False) -> Module:
    """Quantization-aware training: prepare_qat, run_fn(model, *run_args) to train, convert."""
    if not inplace:
        model = copy.deepcopy(model)
    model.train()
    prepare_qat(model, inplace=True)
    run_fn(model, *run_args)
    convert(model, inplace=True)
    return model


def _default_dynamic_spec(dtype: Any) -> dict:
    qc = _qconfig_module()
    if dtype == ember.qint8:
        q = qc.default_dynamic_qconfig
    elif dtype == ember.float16:
        q = qc.float16_dynamic_qconfig
    elif dtype == ember.quint8:
        return {nn.EmbeddingBag: qc.float_qparams_weight_only_qconfig,
                nn.Embedding: qc.float_qparams_weight_only_qconfig}
    else:
        raise ValueError(f"Don't know how to quantize with default settings for {dtype}. "
                         "Provide full qconfig please")
    return {t: q for t in (nn.Linear, nn.LSTM, nn.GRU, nn.LSTMCell, nn.RNNCell, nn.GRUCell)}


def quantize_dynamic(model: Module, qconfig_spec: Any = None, dtype: Any = None,
                     mapping: dict | None = None, inplace: bool = False) -> Module:
    """Replace Linear/LSTM/GRU/cells (or the types in qconfig_spec) by dynamically quantized
    versions: int8 (or float16) weights, activations quantized per call."""
    dtype = ember.qint8 if dtype is None else dtype
    qc = _qconfig_module()
    if qconfig_spec is None:
        qconfig_spec = _default_dynamic_spec(dtype)
    elif isinstance(qconfig_spec, set):
        defaults = {ember.qint8: "default_dynamic_qconfig",
                    ember.float16: "float16_dynamic_qconfig",
                    ember.quint8: "float_qparams_weight_only_qconfig"}
        if dtype not in defaults:
            raise RuntimeError(f"Unknown dtype specified for quantize_dynamic: {dtype}")
        qconfig_spec = dict(zip(qconfig_spec, itertools.repeat(getattr(qc, defaults[dtype]))))
    mapping = get_default_dynamic_quant_module_mappings() if mapping is None else mapping
    if not inplace:
        model = copy.deepcopy(model)
    model.eval()
    propagate_qconfig_(model, qconfig_spec)
    convert(model, mapping, inplace=True)
    return model


def add_quant_dequant(module: Module) -> Module:
    """Wrap every leaf module that has a qconfig in a QuantWrapper (in place; returns it)."""
    if not module._modules and getattr(module, "qconfig", None):
        return QuantWrapper(module)
    for name, child in module.named_children():
        module._modules[name] = add_quant_dequant(child)
    return module
