"""The default backend configs against torch's: same patterns, observation, dtypes, modules."""

from __future__ import annotations

from typing import Any

import pytest

import ember
from ember.ao.quantization.backend_config import (
    BackendConfig,
    BackendPatternConfig,
    DTypeConfig,
    DTypeWithConstraints,
    ObservationType,
    get_fbgemm_backend_config,
    get_native_backend_config,
)
from ember.ao.quantization.backend_config.x86 import get_x86_backend_config

from .canon import class_name, pattern_name

torch = pytest.importorskip("torch")
tbc = pytest.importorskip("torch.ao.quantization.backend_config")
pytest.importorskip("torch.ao.quantization.backend_config.utils")  # torch needs it imported


def _dtype(d: Any) -> Any:
    return None if d is None else str(d).rsplit(".", 1)[-1]


def _cons(c: Any) -> tuple:
    return (
        _dtype(c.dtype),
        c.quant_min_lower_bound,
        c.quant_max_upper_bound,
        c.scale_min_lower_bound,
        c.scale_max_upper_bound,
        c.scale_exact_match,
        c.zero_point_exact_match,
    )


def _summary(fw: Any, conf: Any) -> dict[Any, tuple]:
    out = {}
    for key, c in conf._pattern_complex_format_to_config.items():
        mods = tuple(
            None if m is None else class_name(m)
            for m in (c.root_module, c.qat_module, c.reference_quantized_module, c.fused_module)
        )
        dcs = tuple(
            (
                _cons(d.input_dtype_with_constraints),
                _cons(d.output_dtype_with_constraints),
                _cons(d.weight_dtype_with_constraints),
                _dtype(d.bias_dtype),
                d.is_dynamic,
            )
            for d in c.dtype_configs
        )
        out[pattern_name(fw, key)] = (
            c.observation_type.name,
            dcs,
            mods,
            c.fuser_method is not None,
            tuple(sorted(c._input_type_to_index.items())),
            tuple(sorted((k, v.name) for k, v in c._num_tensor_args_to_observation_type.items())),
        )
    return out


def _resolve(name: str) -> Any:
    import importlib

    mod, _, fn = name.rpartition(".")
    base = importlib.import_module(
        "torch.ao.quantization.backend_config" + ("." + mod if mod else "")
    )
    return getattr(base, fn)


def _missing_in_ember(name: Any) -> bool:
    """Whether a pattern names a module or function Ember does not have (3-d ops, ...)."""
    import ember.ao.nn.intrinsic as nni
    import ember.ao.nn.intrinsic.qat as nniqat
    import ember.ao.nn.qat as nnqat
    import ember.ao.nn.quantized.reference as nnqr

    if isinstance(name, tuple):
        return any(_missing_in_ember(x) for x in name)
    spaces = {
        "nn": ember.nn,
        "nni": nni,
        "nniqat": nniqat,
        "nnqat": nnqat,
        "nnqr": nnqr,
        "F": ember.nn.functional,
        "torch": ember,
    }
    ns, _, attr = name.partition(".")
    if ns in ("method", "operator"):
        return False
    return getattr(spaces[ns], attr, None) is None


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (get_native_backend_config, "get_native_backend_config"),
        (get_x86_backend_config, "x86.get_x86_backend_config"),
        (get_fbgemm_backend_config, "get_fbgemm_backend_config"),
    ],
)
def test_patterns_match_torch(ours: Any, theirs: Any) -> None:
    mine = _summary(ember, ours())
    theirs_fn = _resolve(theirs)
    ref = _summary(torch, theirs_fn())
    extra = set(mine) - set(ref)
    assert not extra, f"patterns torch does not have: {sorted(map(str, extra))}"
    missing = {k for k in set(ref) - set(mine) if not _missing_in_ember(k)}
    assert not missing, f"patterns of torch missing here: {sorted(map(str, missing))}"
    for k in mine:
        # a QAT/fused class Ember lacks is recorded as absent (None) on Ember's side
        mods = tuple(None if m is not None and _missing_in_ember(m) else m for m in ref[k][2])
        want = (*ref[k][:2], mods, *ref[k][3:])
        assert mine[k] == want, f"{k}: {mine[k]} != {want}"
    assert ours().name == theirs_fn().name


def test_pattern_order_and_override() -> None:
    conf = BackendConfig("b")
    first = BackendPatternConfig(ember.nn.Linear).set_observation_type(
        ObservationType.OUTPUT_SHARE_OBSERVER_WITH_INPUT
    )
    second = BackendPatternConfig(ember.nn.Linear)
    conf.set_backend_pattern_config(first).set_backend_pattern_config(second)
    assert conf.configs == [second]
    fused = BackendPatternConfig((ember.nn.Conv2d, ember.nn.BatchNorm2d, ember.nn.ReLU))
    conf.set_backend_pattern_config(fused)
    key = (ember.nn.ReLU, (ember.nn.BatchNorm2d, ember.nn.Conv2d))
    assert conf._pattern_complex_format_to_config[key] is fused
    with pytest.raises(ValueError, match="2 or 3 elements"):
        conf.set_backend_pattern_config(BackendPatternConfig((ember.add,) * 4))


def test_dict_round_trip() -> None:
    dc = DTypeConfig(
        input_dtype=ember.quint8,
        output_dtype=ember.quint8,
        weight_dtype=DTypeWithConstraints(ember.qint8, -127, 127),
        bias_dtype=ember.float,
    )
    d = dc.to_dict()
    assert d["input_dtype"] == DTypeWithConstraints(ember.quint8)
    assert DTypeConfig.from_dict(d) == dc
    with pytest.raises(ValueError, match="torch.dtype or DTypeWithConstraints"):
        DTypeConfig.from_dict({"input_dtype": "quint8"})
    conf = get_x86_backend_config()
    again = BackendConfig.from_dict(conf.to_dict())
    assert again.name == "x86"
    assert [c.to_dict() for c in again.configs] == [c.to_dict() for c in conf.configs]
    with pytest.raises(ValueError, match="dictionary"):
        BackendConfig.from_dict({"configs": [3]})
