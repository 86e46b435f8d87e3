"""Default float -> observed/QAT/quantized module mappings used by prepare/convert."""

from __future__ import annotations

import copy
from typing import Any

from ... import nn
from ..nn import intrinsic as nni
from ..nn import qat as nnqat
from ..nn import quantized as nnq
from ..nn.intrinsic import qat as nniqat
from ..nn.intrinsic import quantized as nniq
from ..nn.quantized import dynamic as nnqd
from .stubs import DeQuantStub, QuantStub

__all__ = ["DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS", "DEFAULT_QAT_MODULE_MAPPINGS",
           "DEFAULT_STATIC_QUANT_MODULE_MAPPINGS", "get_default_dynamic_quant_module_mappings",
           "get_default_qat_module_mappings", "get_default_qconfig_propagation_list",
           "get_default_static_quant_module_mappings", "get_dynamic_quant_module_class",
           "get_embedding_qat_module_mappings", "get_embedding_static_quant_module_mappings",
           "get_static_quant_module_class", "no_observer_set"]

DEFAULT_STATIC_QUANT_MODULE_MAPPINGS: dict[Any, Any] = {
    QuantStub: nnq.Quantize,
    DeQuantStub: nnq.DeQuantize,
    nn.BatchNorm2d: nnq.BatchNorm2d,
    nn.Dropout: nnq.Dropout,
    nn.Conv1d: nnq.Conv1d,
    nn.Conv2d: nnq.Conv2d,
    nn.Embedding: nnq.Embedding,
    nn.EmbeddingBag: nnq.EmbeddingBag,
    nn.Hardswish: nnq.Hardswish,
    nn.Linear: nnq.Linear,
    nn.modules.linear.NonDynamicallyQuantizableLinear: nnq.Linear,
    nn.ReLU6: nnq.ReLU6,
    nnq.FloatFunctional: nnq.QFunctional,
    nni.BNReLU2d: nniq.BNReLU2d,
    nni.ConvReLU1d: nniq.ConvReLU1d,
    nni.ConvReLU2d: nniq.ConvReLU2d,
    nni.LinearReLU: nniq.LinearReLU,
    nniqat.ConvBn2d: nnq.Conv2d,
    nniqat.ConvBnReLU2d: nniq.ConvReLU2d,
    nniqat.ConvReLU2d: nniq.ConvReLU2d,
    nniqat.LinearReLU: nniq.LinearReLU,
    nnqat.Linear: nnq.Linear,
    nnqat.Conv1d: nnq.Conv1d,
    nnqat.Conv2d: nnq.Conv2d,
}

DEFAULT_QAT_MODULE_MAPPINGS: dict[Any, Any] = {
    nn.Conv1d: nnqat.Conv1d,
    nn.Conv2d: nnqat.Conv2d,
    nn.Linear: nnqat.Linear,
    nn.modules.linear.NonDynamicallyQuantizableLinear: nnqat.Linear,
    nni.ConvBn2d: nniqat.ConvBn2d,
    nni.ConvBnReLU2d: nniqat.ConvBnReLU2d,
    nni.ConvReLU2d: nniqat.ConvReLU2d,
    nni.LinearReLU: nniqat.LinearReLU,
}

DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS: dict[Any, Any] = {
    nn.GRUCell: nnqd.GRUCell,
    nn.Linear: nnqd.Linear,
    nn.modules.linear.NonDynamicallyQuantizableLinear: nnqd.Linear,
    nn.LSTM: nnqd.LSTM,
    nn.GRU: nnqd.GRU,
    nn.LSTMCell: nnqd.LSTMCell,
    nn.RNNCell: nnqd.RNNCell,
    nn.EmbeddingBag: nnq.EmbeddingBag,
    nn.Embedding: nnq.Embedding,
}

# Sequential is in the propagation list so a qconfig set on it reaches its children
_INCLUDE_QCONFIG_PROPAGATE_LIST: set = {nn.Sequential}


def no_observer_set() -> set:
    """Module types that get no output observer (none of Ember's modules need it)."""
    return set()


def get_default_static_quant_module_mappings() -> dict:
    return copy.deepcopy(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS)


def get_embedding_static_quant_module_mappings() -> dict:
    mapping = copy.deepcopy(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS)
    mapping[nn.EmbeddingBag] = nnq.EmbeddingBag
    mapping[nn.Embedding] = nnq.Embedding
    return mapping


def get_static_quant_module_class(float_module_class: Any,
                                  additional_static_quant_mapping: dict | None = None,
                                  is_reference: bool = False) -> Any:
    """The quantized module class for a float module class; KeyError-like assert if none."""
    if is_reference:
        raise NotImplementedError("reference quantized modules are not implemented in Ember")
    mapping = {**DEFAULT_STATIC_QUANT_MODULE_MAPPINGS, **(additional_static_quant_mapping or {})}
    cls = mapping.get(float_module_class)
    if cls is None:
        raise AssertionError(f"Floating point module class {float_module_class} does not have "
                             "a corresponding quantized module class")
    return copy.deepcopy(cls)


def get_dynamic_quant_module_class(float_module_class: Any,
                                   additional_dynamic_quant_mapping: dict | None = None) -> Any:
    mapping = {**DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS,
               **(additional_dynamic_quant_mapping or {})}
    cls = mapping.get(float_module_class)
    if cls is None:
        raise AssertionError(f"Floating point module class {float_module_class} does not have "
                             "a corresponding quantized module class")
    return copy.deepcopy(cls)


def get_default_qat_module_mappings() -> dict:
    return copy.deepcopy(DEFAULT_QAT_MODULE_MAPPINGS)


def get_embedding_qat_module_mappings() -> dict:
    raise NotImplementedError("QAT Embedding/EmbeddingBag (torch.ao.nn.qat.Embedding) are not "
                              "implemented in Ember")


def get_default_dynamic_quant_module_mappings() -> dict:
    return DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS


def get_default_qconfig_propagation_list() -> set:
    """Module types that receive a qconfig from their parent during propagation."""
    return (set(DEFAULT_STATIC_QUANT_MODULE_MAPPINGS) | set(DEFAULT_QAT_MODULE_MAPPINGS)
            | set(DEFAULT_DYNAMIC_QUANT_MODULE_MAPPINGS) | _INCLUDE_QCONFIG_PROPAGATE_LIST)
