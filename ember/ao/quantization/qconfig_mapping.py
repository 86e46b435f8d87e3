"""QConfigMapping: which QConfig applies to which op, and the default mappings per engine."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["QConfigMapping", "get_default_qat_qconfig_mapping", "get_default_qconfig_mapping"]

_GLOBAL_DICT_KEY = ""
_OBJECT_TYPE_DICT_KEY = "object_type"
_MODULE_NAME_REGEX_DICT_KEY = "module_name_regex"
_MODULE_NAME_DICT_KEY = "module_name"
_MODULE_NAME_OBJECT_TYPE_ORDER_DICT_KEY = "module_name_object_type_order"

_STYLE_ORDER = [
    "global_qconfig",
    "object_type_qconfigs",
    "module_name_regex_qconfigs",
    "module_name_qconfigs",
    "module_name_object_type_order_qconfigs",
]


class QConfigMapping:
    """Mapping from model ops to QConfigs.

    Match priority, lowest first: set_global, set_object_type, set_module_name_regex,
    set_module_name, set_module_name_object_type_order.
    """

    def __init__(self) -> None:
        self.global_qconfig: Any = None
        self.object_type_qconfigs: OrderedDict[Callable | str, Any] = OrderedDict()
        self.module_name_regex_qconfigs: OrderedDict[str, Any] = OrderedDict()
        self.module_name_qconfigs: OrderedDict[str, Any] = OrderedDict()
        self.module_name_object_type_order_qconfigs: OrderedDict[
            tuple[str, Callable | str, int], Any
        ] = OrderedDict()

    def set_global(self, global_qconfig: Any) -> QConfigMapping:
        """Set the QConfig of everything no other rule matches."""
        self.global_qconfig = global_qconfig
        return self

    def set_object_type(self, object_type: Callable | str, qconfig: Any) -> QConfigMapping:
        """Set the QConfig of a module class, a function, or a method name."""
        self.object_type_qconfigs[object_type] = qconfig
        return self

    def set_module_name_regex(self, module_name_regex: str, qconfig: Any) -> QConfigMapping:
        """Set the QConfig of modules whose qualified name matches; first registered wins."""
        self.module_name_regex_qconfigs[module_name_regex] = qconfig
        return self

    def set_module_name(self, module_name: str, qconfig: Any) -> QConfigMapping:
        """Set the QConfig of the module with this qualified name (and what it contains)."""
        self.module_name_qconfigs[module_name] = qconfig
        return self

    def set_module_name_object_type_order(
        self, module_name: str, object_type: Callable | str, index: int, qconfig: Any
    ) -> QConfigMapping:
        """Set the QConfig of the index-th call of object_type inside module_name."""
        self.module_name_object_type_order_qconfigs[(module_name, object_type, index)] = qconfig
        return self

    def __repr__(self) -> str:
        out = type(self).__name__ + " ("
        for style in _STYLE_ORDER:
            out += f"\n {style}"
            value = getattr(self, style)
            if isinstance(value, OrderedDict) and len(value) > 0:
                for key, qconfig in value.items():
                    out += f"\n  {key}: {qconfig}"
            else:
                out += f"\n  {value}"
        return out + "\n)"

    def to_dict(self) -> dict[str, Any]:
        """torch's legacy qconfig_dict form (lists of tuples)."""
        return {
            _GLOBAL_DICT_KEY: self.global_qconfig,
            _OBJECT_TYPE_DICT_KEY: list(self.object_type_qconfigs.items()),
            _MODULE_NAME_REGEX_DICT_KEY: list(self.module_name_regex_qconfigs.items()),
            _MODULE_NAME_DICT_KEY: list(self.module_name_qconfigs.items()),
            _MODULE_NAME_OBJECT_TYPE_ORDER_DICT_KEY: [
                (*k, v) for k, v in self.module_name_object_type_order_qconfigs.items()
            ],
        }

    @classmethod
    def from_dict(cls, qconfig_dict: dict[str, Any]) -> QConfigMapping:
        """Build from torch's legacy qconfig_dict (every key optional)."""
        conf = cls()
        if _GLOBAL_DICT_KEY in qconfig_dict:
            conf.set_global(qconfig_dict[_GLOBAL_DICT_KEY])
        for obj, qc in qconfig_dict.get(_OBJECT_TYPE_DICT_KEY, []):
            conf.set_object_type(obj, qc)
        for regex, qc in qconfig_dict.get(_MODULE_NAME_REGEX_DICT_KEY, []):
            conf.set_module_name_regex(regex, qc)
        for name, qc in qconfig_dict.get(_MODULE_NAME_DICT_KEY, []):
            conf.set_module_name(name, qc)
        for name, obj, index, qc in qconfig_dict.get(_MODULE_NAME_OBJECT_TYPE_ORDER_DICT_KEY, []):
            conf.set_module_name_object_type_order(name, obj, index, qc)
        return conf

    # -- lookups used by prepare -------------------------------------------------------------

    def _qconfig_for_object_type(self, object_type: Any, fallback: Any) -> Any:
        return self.object_type_qconfigs.get(object_type, fallback)

    def _qconfig_for_module_name_regex(self, module_name: str, fallback: Any) -> Any:
        for regex, qc in self.module_name_regex_qconfigs.items():
            if re.match(regex, module_name):
                return qc
        return fallback

    def _qconfig_for_module_name(self, module_name: str, fallback: Any) -> Any:
        """The qconfig of module_name or of its closest named parent."""
        if module_name in self.module_name_qconfigs:
            return self.module_name_qconfigs[module_name]
        if module_name == "":
            return fallback
        parent = module_name.rsplit(".", 1)[0] if "." in module_name else ""
        return self._qconfig_for_module_name(parent, fallback)


def _fixed_qparams_op_to_observer() -> dict[Any, Any]:
    import ember
    import ember.nn as nn
    import ember.nn.functional as F

    E: Any = ember
    from .observer import (
        default_fixed_qparams_range_0to1_observer as zero_one,
    )
    from .observer import (
        default_fixed_qparams_range_neg1to1_observer as sym,
    )

    return {
        nn.Hardsigmoid: zero_one,
        F.hardsigmoid: zero_one,
        "hardsigmoid": zero_one,
        "hardsigmoid_": zero_one,
        nn.Sigmoid: zero_one,
        E.sigmoid: zero_one,
        "sigmoid": zero_one,
        "sigmoid_": zero_one,
        nn.Softmax: zero_one,
        nn.Tanh: sym,
        E.tanh: sym,
        "tanh": sym,
        "tanh_": sym,
    }


def _get_default_qconfig_mapping(is_qat: bool, backend: str, version: int) -> QConfigMapping:
    import ember.nn as nn
    import ember.nn.functional as F

    from .fake_quantize import FixedQParamsFakeQuantize, default_weight_fake_quant
    from .observer import default_placeholder_observer, default_weight_observer
    from .qconfig import (
        QConfig,
        default_quint8_weight_qconfig,
        default_reuse_input_qconfig,
        get_default_qat_qconfig,
        get_default_qconfig,
    )

    if is_qat:
        qconfig = get_default_qat_qconfig(backend, version)
    else:
        qconfig = get_default_qconfig(backend, version)
    default_weight = default_weight_fake_quant if is_qat else default_weight_observer
    # fbgemm/x86 have no per-channel transposed conv: fall back to per-tensor weights there
    if backend in ("fbgemm", "x86"):
        qconfig_transpose = QConfig(activation=qconfig.activation, weight=default_weight)
    else:
        qconfig_transpose = qconfig
    # layer norm keeps float weights; quantizing them would add a quantize-dequantize pair
    qconfig_layernorm = QConfig(activation=qconfig.activation, weight=default_placeholder_observer)

    mapping = QConfigMapping().set_global(qconfig)
    mapping.set_object_type("reshape", default_reuse_input_qconfig)
    for name in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"):
        if hasattr(nn, name):
            mapping.set_object_type(getattr(nn, name), qconfig_transpose)
    for name in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
        if hasattr(F, name):
            mapping.set_object_type(getattr(F, name), qconfig_transpose)
    mapping.set_object_type(F.layer_norm, qconfig_layernorm)
    mapping.set_object_type(nn.LayerNorm, qconfig_layernorm)
    mapping.set_object_type(nn.PReLU, default_quint8_weight_qconfig)

    # one shared QConfig per fixed-qparams observer, as torch builds them
    by_observer: list[tuple[Any, Any]] = []
    for op, observer in _fixed_qparams_op_to_observer().items():
        found = [qc for obs, qc in by_observer if obs is observer]
        if found:
            fixed = found[0]
        else:
            act = FixedQParamsFakeQuantize.with_args(observer=observer) if is_qat else observer
            fixed = QConfig(activation=act, weight=default_weight)
            by_observer.append((observer, fixed))
        mapping.set_object_type(op, fixed)
    return mapping


def get_default_qconfig_mapping(backend: str = "x86", version: int = 0) -> QConfigMapping:
    """The default post-training QConfigMapping of an engine ('x86', 'fbgemm', 'qnnpack', ...)."""
    return _get_default_qconfig_mapping(False, backend, version)


def get_default_qat_qconfig_mapping(backend: str = "x86", version: int = 1) -> QConfigMapping:
    """The default quantization-aware-training QConfigMapping of an engine."""
    return _get_default_qconfig_mapping(True, backend, version)
