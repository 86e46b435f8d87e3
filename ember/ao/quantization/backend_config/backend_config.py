"""BackendConfig: which op patterns a backend can quantize, with which dtypes, and how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = [
    "BackendConfig",
    "BackendPatternConfig",
    "DTypeConfig",
    "DTypeWithConstraints",
    "ObservationType",
]

# A pattern is a module class, a function, a method name, or a tuple of them in execution
# order (simple format) / reversed nested order (complex format, used internally).
Pattern = Any


class ObservationType(Enum):
    """How the inputs and output of a matched pattern are observed."""

    OUTPUT_USE_DIFFERENT_OBSERVER_AS_INPUT = 0
    """Inputs and output get their own observers (conv, linear, add)."""
    OUTPUT_SHARE_OBSERVER_WITH_INPUT = 1
    """The output reuses the first input's observer (cat, maxpool, reshape)."""
    INPUT_OUTPUT_NOT_OBSERVED = 2
    """Neither is observed (x.shape, x.size())."""


@dataclass
class DTypeWithConstraints:
    """A dtype plus the quant range / scale constraints a backend puts on it."""

    dtype: Any = None
    quant_min_lower_bound: int | float | None = None
    quant_max_upper_bound: int | float | None = None
    scale_min_lower_bound: int | float | None = None
    scale_max_upper_bound: int | float | None = None
    scale_exact_match: float | None = None
    zero_point_exact_match: int | None = None


def _as_constraints(value: Any, what: str) -> DTypeWithConstraints:
    from ember._dtype import dtype as _dtype_cls

    if isinstance(value, DTypeWithConstraints):
        return value
    if value is not None and not isinstance(value, _dtype_cls):
        raise ValueError(f"Expected {what} to be a torch.dtype or DTypeWithConstraints")
    return DTypeWithConstraints(dtype=value)


class DTypeConfig:
    """Dtypes of the quantize ops around a reference pattern (input, output, weight, bias)."""

    def __init__(
        self,
        input_dtype: Any = None,
        output_dtype: Any = None,
        weight_dtype: Any = None,
        bias_dtype: Any = None,
        is_dynamic: bool | None = None,
    ) -> None:
        self.input_dtype_with_constraints = _as_constraints(input_dtype, "input_dtype")
        self.output_dtype_with_constraints = _as_constraints(output_dtype, "output_dtype")
        self.weight_dtype_with_constraints = _as_constraints(weight_dtype, "weight_dtype")
        self.bias_dtype = bias_dtype
        self.is_dynamic = is_dynamic

    @property
    def input_dtype(self) -> Any:
        return self.input_dtype_with_constraints.dtype

    @property
    def output_dtype(self) -> Any:
        return self.output_dtype_with_constraints.dtype

    @property
    def weight_dtype(self) -> Any:
        return self.weight_dtype_with_constraints.dtype

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypeConfig) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (
            f"DTypeConfig(input_dtype_with_constraints={self.input_dtype_with_constraints}, "
            f"output_dtype_with_constraints={self.output_dtype_with_constraints}, "
            f"weight_dtype_with_constraints={self.weight_dtype_with_constraints}, "
            f"bias_dtype={self.bias_dtype}, is_dynamic={self.is_dynamic})"
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DTypeConfig:
        """Build from {input_dtype, output_dtype, weight_dtype, bias_dtype, is_dynamic}."""
        return cls(
            _as_constraints(d.get("input_dtype"), "input_dtype"),
            _as_constraints(d.get("output_dtype"), "output_dtype"),
            _as_constraints(d.get("weight_dtype"), "weight_dtype"),
            d.get("bias_dtype"),
            d.get("is_dynamic"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The keys of from_dict whose value is set."""
        out: dict[str, Any] = {}
        if self.input_dtype is not None:
            out["input_dtype"] = self.input_dtype_with_constraints
        if self.output_dtype is not None:
            out["output_dtype"] = self.output_dtype_with_constraints
        if self.weight_dtype is not None:
            out["weight_dtype"] = self.weight_dtype_with_constraints
        if self.bias_dtype is not None:
            out["bias_dtype"] = self.bias_dtype
        if self.is_dynamic is not None:
            out["is_dynamic"] = self.is_dynamic
        return out


def _reversed_nested(config: BackendPatternConfig) -> Pattern:
    """(a, b) -> (b, a); (a, b, c) -> (c, (b, a)): the matcher walks from the last op back."""
    if config._pattern_complex_format is not None:
        return config._pattern_complex_format
    p = config.pattern
    if p is None:
        raise ValueError("Either 'pattern' or 'pattern_complex_format' must be specified")
    if not isinstance(p, tuple):
        return p
    if len(p) == 2:
        return (p[1], p[0])
    if len(p) == 3:
        return (p[2], (p[1], p[0]))
    raise ValueError(f"Expected a tuple with 2 or 3 elements, got: {p}")


class BackendConfig:
    """The set of BackendPatternConfigs a backend supports, keyed by pattern."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        # keyed by the reversed nested pattern so that a later config replaces an earlier one
        self._pattern_complex_format_to_config: dict[Pattern, BackendPatternConfig] = {}

    def __repr__(self) -> str:
        return f"BackendConfig({self.__dict__})"

    def set_name(self, name: str) -> BackendConfig:
        self.name = name
        return self

    def set_backend_pattern_config(self, config: BackendPatternConfig) -> BackendConfig:
        """Add a pattern config, replacing any earlier one for the same pattern."""
        self._pattern_complex_format_to_config[_reversed_nested(config)] = config
        return self

    def set_backend_pattern_configs(self, configs: list[BackendPatternConfig]) -> BackendConfig:
        for c in configs:
            self.set_backend_pattern_config(c)
        return self

    @property
    def configs(self) -> list[BackendPatternConfig]:
        return list(self._pattern_complex_format_to_config.values())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BackendConfig:
        conf = cls(d.get("name", ""))
        for c in d.get("configs", []):
            if isinstance(c, BackendPatternConfig):
                conf.set_backend_pattern_config(c)
            elif isinstance(c, dict):
                conf.set_backend_pattern_config(BackendPatternConfig.from_dict(c))
            else:
                raise ValueError("Expected backend_config_dict['configs'] to be a dictionary")
        return conf

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "configs": [c.to_dict() for c in self.configs]}


_OPTIONAL_FIELDS = [
    ("root_module", "root_module"),
    ("qat_module", "qat_module"),
    ("reference_quantized_module", "reference_quantized_module_for_root"),
    ("fused_module", "fused_module"),
    ("fuser_method", "fuser_method"),
    ("_root_node_getter", "root_node_getter"),
    ("_extra_inputs_getter", "extra_inputs_getter"),
]


class BackendPatternConfig:
    """How one pattern is observed, which dtypes it supports, and its fused/qat/ref modules."""

    def __init__(self, pattern: Pattern | None = None) -> None:
        self.pattern: Pattern | None = pattern
        self.observation_type = ObservationType.OUTPUT_USE_DIFFERENT_OBSERVER_AS_INPUT
        self.dtype_configs: list[DTypeConfig] = []
        self.root_module: type | None = None
        self.qat_module: type | None = None
        self.reference_quantized_module: type | None = None
        self.fused_module: type | None = None
        self.fuser_method: Callable | None = None
        self._root_node_getter: Callable | None = None
        self._extra_inputs_getter: Callable | None = None
        self._num_tensor_args_to_observation_type: dict[int, ObservationType] = {}
        self._input_type_to_index: dict[str, int] = {}
        self._pattern_complex_format: Pattern | None = None

    def __repr__(self) -> str:
        shown = {
            k: v
            for k, v in self.__dict__.items()
            if (v is not None and not isinstance(v, (list, dict)))
            or (isinstance(v, (list, dict)) and len(v) > 0)
        }
        return f"BackendPatternConfig({shown})"

    def set_pattern(self, pattern: Pattern) -> BackendPatternConfig:
        if self._pattern_complex_format is not None:
            raise ValueError("Only one of 'pattern' or 'pattern_complex_format' can be set")
        self.pattern = pattern
        return self

    def set_observation_type(self, observation_type: ObservationType) -> BackendPatternConfig:
        self.observation_type = observation_type
        return self

    def add_dtype_config(self, dtype_config: DTypeConfig) -> BackendPatternConfig:
        self.dtype_configs.append(dtype_config)
        return self

    def set_dtype_configs(self, dtype_configs: list[DTypeConfig]) -> BackendPatternConfig:
        self.dtype_configs = dtype_configs
        return self

    def set_root_module(self, root_module: type | None) -> BackendPatternConfig:
        self.root_module = root_module
        return self

    def set_qat_module(self, qat_module: type | None) -> BackendPatternConfig:
        self.qat_module = qat_module
        return self

    def set_reference_quantized_module(self, module: type | None) -> BackendPatternConfig:
        self.reference_quantized_module = module
        return self

    def set_fused_module(self, fused_module: type | None) -> BackendPatternConfig:
        self.fused_module = fused_module
        return self

    def set_fuser_method(self, fuser_method: Callable | None) -> BackendPatternConfig:
        self.fuser_method = fuser_method
        return self

    def _set_root_node_getter(self, getter: Callable | None) -> BackendPatternConfig:
        self._root_node_getter = getter
        return self

    def _set_extra_inputs_getter(self, getter: Callable | None) -> BackendPatternConfig:
        self._extra_inputs_getter = getter
        return self

    def _set_num_tensor_args_to_observation_type(
        self, mapping: dict[int, ObservationType]
    ) -> BackendPatternConfig:
        self._num_tensor_args_to_observation_type = mapping
        return self

    def _set_input_type_to_index(self, mapping: dict[str, int]) -> BackendPatternConfig:
        self._input_type_to_index = mapping
        return self

    def _set_pattern_complex_format(self, pattern: Pattern) -> BackendPatternConfig:
        if self.pattern is not None:
            raise ValueError("Only one of 'pattern' or 'pattern_complex_format' can be set")
        self._pattern_complex_format = pattern
        return self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BackendPatternConfig:
        conf = cls()
        if "pattern" in d:
            conf.set_pattern(d["pattern"])
        if "observation_type" in d:
            conf.set_observation_type(d["observation_type"])
        for dc in d.get("dtype_configs", []):
            if isinstance(dc, DTypeConfig):
                conf.add_dtype_config(dc)
            elif isinstance(dc, dict):
                conf.add_dtype_config(DTypeConfig.from_dict(dc))
            else:
                raise ValueError(
                    "Expected a list of DTypeConfigs in "
                    f"backend_pattern_config_dict[\"dtype_configs\"], got '{type(dc)}'"
                )
        for attr, key in _OPTIONAL_FIELDS:
            setattr(conf, attr, d.get(key))
        conf._num_tensor_args_to_observation_type = d.get("num_tensor_args_to_observation_type", {})
        conf._input_type_to_index = d.get("input_type_to_index", {})
        if "pattern_complex_format" in d:
            conf._set_pattern_complex_format(d["pattern_complex_format"])
        return conf

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "observation_type": self.observation_type,
            "dtype_configs": [c.to_dict() for c in self.dtype_configs],
        }
        if self.pattern is not None:
            out["pattern"] = self.pattern
        for attr, key in _OPTIONAL_FIELDS:
            if getattr(self, attr) is not None:
                out[key] = getattr(self, attr)
        if self._num_tensor_args_to_observation_type:
            out["num_tensor_args_to_observation_type"] = self._num_tensor_args_to_observation_type
        if self._input_type_to_index:
            out["input_type_to_index"] = self._input_type_to_index
        if self._pattern_complex_format is not None:
            out["pattern_complex_format"] = self._pattern_complex_format
        return out
