"""Bad input to the FX quantization API raises torch's exception types and messages."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import ember

from .models import build_pair

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
tqfx = pytest.importorskip("torch.ao.quantization.quantize_fx")
pytest.importorskip("ember.ao.quantization.qconfig")

import ember.ao.quantization as eq  # noqa: E402
import ember.ao.quantization.quantize_fx as eqfx  # noqa: E402


def _raises_both(fe: Callable[[], Any], ft: Callable[[], Any], match: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception, match=match) as te:
            ft()
    with pytest.raises(type(te.value), match=match):
        fe()


def test_train_mode_fusion_needs_eval() -> None:
    em, tm, data = build_pair("cnn")
    em.train()
    tm.train()
    _raises_both(
        lambda: eqfx.prepare_fx(em, eq.get_default_qconfig_mapping(), (ember.from_numpy(data[0]),)),
        lambda: tqfx.prepare_fx(tm, tq.get_default_qconfig_mapping(), (torch.from_numpy(data[0]),)),
        "Fusion only for eval!",
    )


def test_convert_needs_a_prepared_graph_module() -> None:
    em, tm, _ = build_pair("mlp")
    _raises_both(lambda: eqfx.convert_fx(em), lambda: tqfx.convert_fx(tm), "must be a GraphModule")
    _raises_both(
        lambda: eqfx.convert_fx(ember.fx.symbolic_trace(em)),
        lambda: tqfx.convert_fx(torch.fx.symbolic_trace(tm)),
        "must be produced by prepare_fx",
    )


def test_unknown_backend_lists_the_known_ones() -> None:
    _raises_both(
        lambda: eq.get_default_qconfig_mapping("nope"),
        lambda: tq.get_default_qconfig_mapping("nope"),
        "backend: nope not supported",
    )


def test_mismatched_fused_qconfigs() -> None:
    em, tm, data = build_pair("mlp")
    _raises_both(
        lambda: eqfx.prepare_fx(
            em,
            eq.QConfigMapping().set_object_type(ember.nn.Linear, eq.default_dynamic_qconfig),
            (ember.from_numpy(data[0]),),
        ),
        lambda: tqfx.prepare_fx(
            tm,
            tq.QConfigMapping().set_object_type(torch.nn.Linear, tq.default_dynamic_qconfig),
            (torch.from_numpy(data[0]),),
        ),
        "During fusion, we need to specify the same qconfigs",
    )


def test_untraceable_model_points_at_non_traceable_configs() -> None:
    class U(ember.nn.Module):
        def forward(self, x: Any) -> Any:
            if x.sum() > 0:
                return x
            return -x

    with pytest.raises(ember.fx.TraceError, match="control flow"):
        eqfx.prepare_fx(U(), eq.get_default_qconfig_mapping(), (ember.ones(2),))


def test_not_implemented_parts_say_so() -> None:
    em, _, data = build_pair("mlp")
    with pytest.raises(NotImplementedError, match="_equalization_config"):
        eqfx.prepare_fx(
            em,
            eq.get_default_qconfig_mapping(),
            (ember.from_numpy(data[0]),),
            _equalization_config=eq.QConfigMapping().set_global(eq.default_qconfig),
        )
