"""The numeric debugger: SQNR like torch.ao.ns, per-layer report, float fallback."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
from ember.ao.ns import compare_layers, compute_sqnr, quantize_with_float_fallback

from ..quantization.fx.models import build_pair

torch = pytest.importorskip("torch")
pytest.importorskip("ember.ao.quantization.qconfig")

from ember.ao.quantization import get_default_qconfig_mapping  # noqa: E402
from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: E402


def _quantize(name: str) -> tuple[object, object, list[object]]:
    em, _, data = build_pair(name)
    xs = [ember.from_numpy(d) for d in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prepare_fx(build_pair(name)[0], get_default_qconfig_mapping("x86"), (xs[0],))
        for x in xs:
            p(x)
        return em, convert_fx(p), xs


def test_compute_sqnr_matches_torch_ns() -> None:
    from torch.ao.ns.fx.utils import compute_sqnr as torch_sqnr

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    y = x + 0.01 * rng.standard_normal((4, 7)).astype(np.float32)
    ours = compute_sqnr(ember.from_numpy(x), ember.from_numpy(y))
    theirs = float(torch_sqnr(torch.from_numpy(x), torch.from_numpy(y)))
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert compute_sqnr(ember.from_numpy(x), ember.from_numpy(x)) == math.inf
    q = ember.quantize_per_tensor(ember.from_numpy(x), 0.05, 0, ember.qint8)
    assert compute_sqnr(ember.from_numpy(x), q) > 20  # quantized tensors are dequantized
    with pytest.raises(ValueError, match="shapes differ"):
        compute_sqnr(ember.from_numpy(x), ember.from_numpy(x[:2]))


@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt"])
def test_report_rows(name: str) -> None:
    em, q, xs = _quantize(name)
    report = compare_layers(em, q, xs)
    called = {n.target for n in q.graph.nodes if n.op == "call_module"}
    quantized = {
        n for n, m in q.named_modules() if n in called and ".quantized" in type(m).__module__
    }
    assert {r.name for r in report.layers} == quantized
    local = [r.local_sqnr for r in report.layers]
    assert local == sorted(local)  # worst first
    assert all(10 < s < 80 for s in local)
    assert 10 < report.output_sqnr < 80
    text = str(report)
    assert text.splitlines()[0].split()[:2] == ["layer", "type"]
    assert report.worst(2) == [r.name for r in report.layers[:2]]
    # the first quantized layer sees the same quantized input either way: local == cumulative
    first = next(n.target for n in q.graph.nodes if n.op == "call_module")
    row = next(r for r in report.layers if r.name == first)
    assert row.local_sqnr == pytest.approx(row.cumulative_sqnr)


def test_float_fallback_keeps_worst_layers_in_float() -> None:
    em, _, data = build_pair("mlp")
    xs = [ember.from_numpy(d) for d in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q, report = quantize_with_float_fallback(em, xs, num_float_layers=2)
    worst = report.worst(2)
    mods = dict(q.named_modules())
    for name in worst:
        assert ".quantized" not in type(mods[name]).__module__, name
    after = compare_layers(em, q, xs)
    assert not set(worst) & {r.name for r in after.layers}
    assert after.output_sqnr > report.output_sqnr  # the MLP's worst layers cost accuracy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q2, _ = quantize_with_float_fallback(em, xs, min_sqnr=math.inf)
    assert not compare_layers(em, q2, xs).layers  # every layer below +inf: all float
    with pytest.raises(ValueError, match="empty"):
        quantize_with_float_fallback(em, [])


def test_unrelated_models_are_rejected() -> None:
    em, q, xs = _quantize("mlp")
    other, _, _ = build_pair("cnn")
    with pytest.raises(ValueError, match="no float counterpart"):
        compare_layers(other, q, xs)


def test_reference_and_dynamic_models() -> None:
    """Reference models (fused modules holding reference Linear) and dynamic models report
    every weighted layer too."""
    from ember.ao.quantization import QConfigMapping, default_dynamic_qconfig
    from ember.ao.quantization.quantize_fx import convert_to_reference_fx

    em, _, data = build_pair("mlp")
    xs = [ember.from_numpy(d) for d in data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = prepare_fx(build_pair("mlp")[0], get_default_qconfig_mapping("x86"), (xs[0],))
        for x in xs:
            p(x)
        ref = convert_to_reference_fx(p)
        pd = prepare_fx(
            build_pair("mlp")[0], QConfigMapping().set_global(default_dynamic_qconfig), (xs[0],)
        )
        dyn = convert_fx(pd)
    for model in (ref, dyn):
        report = compare_layers(em, model, xs)
        assert {r.name for r in report.layers} == {"fc1", "fc2", "fc3", "out"}
        assert all(20 < r.cumulative_sqnr < 80 for r in report.layers)
