"""PrepareCustomConfig, ConvertCustomConfig, FuseCustomConfig: the extra knobs of the fx flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..quant_type import QuantType, _get_quant_type_to_str, _quant_type_from_str

__all__ = [
    "ConvertCustomConfig",
    "FuseCustomConfig",
    "PrepareCustomConfig",
    "StandaloneModuleConfigEntry",
]


@dataclass
class StandaloneModuleConfigEntry:
    """How one standalone submodule is prepared (None fields fall back to the parent's)."""

    qconfig_mapping: Any
    example_inputs: tuple[Any, ...]
    prepare_custom_config: PrepareCustomConfig | None
    backend_config: Any


def _nonempty_repr(obj: Any) -> str:
    return f"{type(obj).__name__}({ {k: v for k, v in obj.__dict__.items() if len(v) > 0} })"


def _coerce(obj: Any, cls: type, key: str, what: str) -> Any:
    if obj is None or isinstance(obj, cls):
        return obj
    if isinstance(obj, dict):
        return cls.from_dict(obj)  # type: ignore[attr-defined]
    raise ValueError(f"Expected {what} in prepare_custom_config_dict[\"{key}\"], got '{type(obj)}'")


class PrepareCustomConfig:
    """Custom settings of prepare_fx / prepare_qat_fx."""

    def __init__(self) -> None:
        self.standalone_module_names: dict[str, StandaloneModuleConfigEntry] = {}
        self.standalone_module_classes: dict[type, StandaloneModuleConfigEntry] = {}
        self.float_to_observed_mapping: dict[QuantType, dict[type, type]] = {}
        self.non_traceable_module_names: list[str] = []
        self.non_traceable_module_classes: list[type] = []
        self.input_quantized_indexes: list[int] = []
        self.output_quantized_indexes: list[int] = []
        self.preserved_attributes: list[str] = []

    def __repr__(self) -> str:
        return _nonempty_repr(self)

    def set_standalone_module_name(
        self,
        module_name: str,
        qconfig_mapping: Any,
        example_inputs: tuple[Any, ...],
        prepare_custom_config: PrepareCustomConfig | None,
        backend_config: Any,
    ) -> PrepareCustomConfig:
        """Prepare the submodule `module_name` on its own (as its own graph)."""
        self.standalone_module_names[module_name] = StandaloneModuleConfigEntry(
            qconfig_mapping, example_inputs, prepare_custom_config, backend_config
        )
        return self

    def set_standalone_module_class(
        self,
        module_class: type,
        qconfig_mapping: Any,
        example_inputs: tuple[Any, ...],
        prepare_custom_config: PrepareCustomConfig | None,
        backend_config: Any,
    ) -> PrepareCustomConfig:
        """Prepare every submodule of `module_class` on its own."""
        self.standalone_module_classes[module_class] = StandaloneModuleConfigEntry(
            qconfig_mapping, example_inputs, prepare_custom_config, backend_config
        )
        return self

    def set_float_to_observed_mapping(
        self, float_class: type, observed_class: type, quant_type: QuantType = QuantType.STATIC
    ) -> PrepareCustomConfig:
        """Swap `float_class` modules for `observed_class.from_float(...)` (static only)."""
        if quant_type != QuantType.STATIC:
            raise ValueError(
                "set_float_to_observed_mapping is currently only supported for static quantization"
            )
        self.float_to_observed_mapping.setdefault(quant_type, {})[float_class] = observed_class
        return self

    def set_non_traceable_module_names(self, module_names: list[str]) -> PrepareCustomConfig:
        """Submodules traced as leaves (called, not entered) and left in float."""
        self.non_traceable_module_names = module_names
        return self

    def set_non_traceable_module_classes(self, module_classes: list[type]) -> PrepareCustomConfig:
        """Submodule classes traced as leaves and left in float."""
        self.non_traceable_module_classes = module_classes
        return self

    def set_input_quantized_indexes(self, indexes: list[int]) -> PrepareCustomConfig:
        """Graph inputs that arrive already quantized."""
        self.input_quantized_indexes = indexes
        return self

    def set_output_quantized_indexes(self, indexes: list[int]) -> PrepareCustomConfig:
        """Graph outputs returned quantized."""
        self.output_quantized_indexes = indexes
        return self

    def set_preserved_attributes(self, attributes: list[str]) -> PrepareCustomConfig:
        """Attributes copied onto the GraphModule though forward does not use them."""
        self.preserved_attributes = attributes
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PrepareCustomConfig:
        """Build from torch's legacy prepare_custom_config_dict."""
        from ..backend_config import BackendConfig
        from ..qconfig_mapping import QConfigMapping

        conf = cls()
        for key, setter in (
            ("standalone_module_name", conf.set_standalone_module_name),
            ("standalone_module_class", conf.set_standalone_module_class),
        ):
            for name, qc, example_inputs, pcc, bc in d.get(key, []):
                setter(
                    name,
                    _coerce(qc, QConfigMapping, key, "QConfigMapping"),
                    example_inputs,
                    _coerce(pcc, PrepareCustomConfig, key, "PrepareCustomConfig"),
                    _coerce(bc, BackendConfig, key, "BackendConfig"),
                )
        for qt_name, mapping in d.get("float_to_observed_custom_module_class", {}).items():
            for float_class, observed_class in mapping.items():
                conf.set_float_to_observed_mapping(
                    float_class, observed_class, _quant_type_from_str(qt_name)
                )
        conf.set_non_traceable_module_names(d.get("non_traceable_module_name", []))
        conf.set_non_traceable_module_classes(d.get("non_traceable_module_class", []))
        conf.set_input_quantized_indexes(d.get("input_quantized_idxs", []))
        conf.set_output_quantized_indexes(d.get("output_quantized_idxs", []))
        conf.set_preserved_attributes(d.get("preserved_attributes", []))
        return conf

    def to_dict(self) -> dict[str, Any]:
        """The legacy dictionary form (only the keys that are set)."""

        def entry(key: Any, e: StandaloneModuleConfigEntry) -> tuple[Any, ...]:
            return (
                key,
                e.qconfig_mapping.to_dict() if e.qconfig_mapping else None,
                e.example_inputs,
                e.prepare_custom_config.to_dict() if e.prepare_custom_config else None,
                e.backend_config,
            )

        d: dict[str, Any] = {}
        if self.standalone_module_names:
            d["standalone_module_name"] = [
                entry(k, e) for k, e in self.standalone_module_names.items()
            ]
        if self.standalone_module_classes:
            d["standalone_module_class"] = [
                entry(k, e) for k, e in self.standalone_module_classes.items()
            ]
        if self.float_to_observed_mapping:
            d["float_to_observed_custom_module_class"] = {
                _get_quant_type_to_str(qt): m for qt, m in self.float_to_observed_mapping.items()
            }
        for key, value in (
            ("non_traceable_module_name", self.non_traceable_module_names),
            ("non_traceable_module_class", self.non_traceable_module_classes),
            ("input_quantized_idxs", self.input_quantized_indexes),
            ("output_quantized_idxs", self.output_quantized_indexes),
            ("preserved_attributes", self.preserved_attributes),
        ):
            if value:
                d[key] = value
        return d


class ConvertCustomConfig:
    """Custom settings of convert_fx."""

    def __init__(self) -> None:
        self.observed_to_quantized_mapping: dict[QuantType, dict[type, type]] = {}
        self.preserved_attributes: list[str] = []

    def __repr__(self) -> str:
        return _nonempty_repr(self)

    def set_observed_to_quantized_mapping(
        self, observed_class: type, quantized_class: type, quant_type: QuantType = QuantType.STATIC
    ) -> ConvertCustomConfig:
        """Swap observed custom modules for `quantized_class.from_observed(...)`."""
        self.observed_to_quantized_mapping.setdefault(quant_type, {})[observed_class] = (
            quantized_class
        )
        return self

    def set_preserved_attributes(self, attributes: list[str]) -> ConvertCustomConfig:
        self.preserved_attributes = attributes
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConvertCustomConfig:
        conf = cls()
        for qt_name, mapping in d.get("observed_to_quantized_custom_module_class", {}).items():
            for observed_class, quantized_class in mapping.items():
                conf.set_observed_to_quantized_mapping(
                    observed_class, quantized_class, _quant_type_from_str(qt_name)
                )
        conf.set_preserved_attributes(d.get("preserved_attributes", []))
        return conf

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.observed_to_quantized_mapping:
            d["observed_to_quantized_custom_module_class"] = {
                _get_quant_type_to_str(qt): m
                for qt, m in self.observed_to_quantized_mapping.items()
            }
        if self.preserved_attributes:
            d["preserved_attributes"] = self.preserved_attributes
        return d


class FuseCustomConfig:
    """Custom settings of fuse_fx."""

    def __init__(self) -> None:
        self.preserved_attributes: list[str] = []

    def __repr__(self) -> str:
        return _nonempty_repr(self)

    def set_preserved_attributes(self, attributes: list[str]) -> FuseCustomConfig:
        self.preserved_attributes = attributes
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FuseCustomConfig:
        return cls().set_preserved_attributes(d.get("preserved_attributes", []))

    def to_dict(self) -> dict[str, Any]:
        if not self.preserved_attributes:
            return {}
        return {"preserved_attributes": self.preserved_attributes}
