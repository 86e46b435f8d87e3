"""prepare_fx / convert_fx against torch's on the same models, weights and calibration data.

Checked per model: the prepared and converted graphs' node kinds, every observer's scale and
zero point, every quantize node's and quantized module's output qparams, the int_repr of each
quantized layer's output and the final outputs. Integers must be equal except at rounding ties
(float sums accumulated in another order land on the other side of .5): those are counted,
must be off by one, and stay under a small bound per layer.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember

from .canon import func_name, node_kinds
from .models import build_pair

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
tqfx = pytest.importorskip("torch.ao.quantization.quantize_fx")
eq = pytest.importorskip("ember.ao.quantization.qconfig")  # the observers/qconfigs must exist

from ember.ao.quantization.qconfig_mapping import get_default_qconfig_mapping  # noqa: E402
from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: E402

# off-by-one integers allowed per quantized tensor (ties), as a fraction of its elements.
# The CNN, MLP and GPT block see none; the op zoo's mean over 2x2 windows lands exactly on .5
# for 4 of 96 outputs, which torch's float sum rounds one way and ember the other.
TIE_FRACTION = 0.05


def _quantize_both(name: str, backend: str = "x86") -> dict[str, Any]:
    em, tm, data = build_pair(name)
    ex_e, ex_t = (ember.from_numpy(data[0]),), (torch.from_numpy(data[0]),)
    pe = prepare_fx(em, get_default_qconfig_mapping(backend), ex_e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(tm, tq.get_default_qconfig_mapping(backend), ex_t)
    prepared_kinds = (node_kinds(ember, pe), node_kinds(torch, pt))
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    obs_e = {n: m.calculate_qparams() for n, m in pe.named_modules() if "activation_post" in n}
    obs_t = {n: m.calculate_qparams() for n, m in pt.named_modules() if "activation_post" in n}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce = convert_fx(pe)
        ct = tqfx.convert_fx(pt)
    return {
        "em": em,
        "tm": tm,
        "data": data,
        "prepared": prepared_kinds,
        "obs": (obs_e, obs_t),
        "ce": ce,
        "ct": ct,
    }


@pytest.fixture(scope="module", params=["cnn", "mlp", "gpt"])
def quantized(request: Any) -> dict[str, Any]:
    return _quantize_both(request.param)


def test_prepared_graph_node_kinds(quantized: dict[str, Any]) -> None:
    ours, theirs = quantized["prepared"]
    assert ours == theirs


def test_observer_qparams(quantized: dict[str, Any]) -> None:
    # the float model runs in the prepared graph: a sum accumulated in another order can move
    # an observed min/max by one ulp, so scales agree to float32 rounding, zero points exactly
    obs_e, obs_t = quantized["obs"]
    assert sorted(obs_e) == sorted(obs_t)
    for name in obs_e:
        (se, ze), (st, zt) = obs_e[name], obs_t[name]
        np.testing.assert_allclose(se.numpy(), st.numpy(), rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(ze.numpy(), zt.numpy(), err_msg=name)


def test_converted_graph_node_kinds(quantized: dict[str, Any]) -> None:
    assert node_kinds(ember, quantized["ce"]) == node_kinds(torch, quantized["ct"])


def _qparams_in_graph(fw: Any, gm: Any) -> list[tuple[float, int]]:
    """(scale, zero point) of every quantize node, quantized op and module, in graph order."""
    mods = dict(gm.named_modules(remove_duplicate=False))
    out = []
    for n in gm.graph.nodes:
        name = func_name(fw, n.target) if n.op == "call_function" else ""
        if name == "torch.quantize_per_tensor":
            out.append(tuple(getattr(gm, a.target) for a in n.args[1:3]))
        elif name.startswith("quantized.") and len(n.args) == 4:
            out.append(tuple(getattr(gm, a.target) for a in n.args[2:4]))
        elif n.op == "call_module" and hasattr(mods[n.target], "zero_point"):
            m = mods[n.target]
            out.append((m.scale, m.zero_point))
    return [(float(s), int(z)) for s, z in out]


def test_converted_qparams(quantized: dict[str, Any]) -> None:
    ours, theirs = (
        _qparams_in_graph(ember, quantized["ce"]),
        _qparams_in_graph(torch, quantized["ct"]),
    )
    assert [z for _, z in ours] == [z for _, z in theirs]
    np.testing.assert_allclose([s for s, _ in ours], [s for s, _ in theirs], rtol=1e-6)
    assert len(ours) >= 3


def _int_outputs(fw: Any, gm: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """int_repr of every quantized submodule's output on x, by module name."""
    seen: dict[str, np.ndarray] = {}
    handles = []
    for name, mod in gm.named_modules():
        if name and "Quantized" in type(mod).__name__ + getattr(mod, "_get_name", str)():

            def hook(m: Any, a: Any, out: Any, name: str = name) -> None:
                seen[name] = out.int_repr().numpy().astype(np.int64)

            handles.append(mod.register_forward_hook(hook))
    with fw.no_grad():
        gm(fw.from_numpy(x))
    for h in handles:
        h.remove()
    return seen


def _assert_ints_match(a: np.ndarray, b: np.ndarray, what: str) -> int:
    diff = np.abs(a - b)
    assert diff.max(initial=0) <= 1, f"{what}: integers differ by {diff.max()}"
    ties = int(np.count_nonzero(diff))
    assert ties <= max(1, TIE_FRACTION * a.size), f"{what}: {ties}/{a.size} off by one"
    return ties


def test_layer_int_repr_and_outputs(quantized: dict[str, Any]) -> None:
    ce, ct, data = quantized["ce"], quantized["ct"], quantized["data"]
    rng = np.random.default_rng(7)
    x = (data[0] + 0.1 * rng.standard_normal(data[0].shape)).astype(np.float32)
    ie, it = _int_outputs(ember, ce, x), _int_outputs(torch, ct, x)
    assert ie and sorted(ie) == sorted(it)
    ties = sum(_assert_ints_match(ie[name], it[name], name) for name in ie)
    print(f"off-by-one integers (rounding ties) over all layers: {ties}")
    with ember.no_grad(), torch.no_grad():
        ye = ce(ember.from_numpy(x)).numpy()
        yt = ct(torch.from_numpy(x)).numpy()
    # the final output is a dequantized tensor: recover its integers through the output scale
    last = _qparams_in_graph(torch, ct)[-1]
    _assert_ints_match(
        np.rint(ye / last[0]).astype(np.int64), np.rint(yt / last[0]).astype(np.int64), "output"
    )


def _mapping(fw: Any, qmod: Any, kind: str) -> Any:
    m = qmod.get_default_qconfig_mapping("x86")
    if kind == "skip_fc2_and_add":
        m.set_module_name("fc2", None).set_object_type(fw.add, None)
    elif kind == "regex_and_order":
        m.set_module_name_regex("fc[13]", None)
        m.set_module_name_object_type_order("", fw.nn.Linear, 3, None)
    return m


@pytest.mark.parametrize("kind", ["skip_fc2_and_add", "regex_and_order"])
def test_qconfig_mapping_rules_match_torch(kind: str) -> None:
    from ember.ao.quantization import qconfig_mapping as eqm

    em, tm, data = build_pair("mlp")
    pe = prepare_fx(em, _mapping(ember, eqm, kind), (ember.from_numpy(data[0]),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(tm, _mapping(torch, tq, kind), (torch.from_numpy(data[0]),))
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    with ember.no_grad(), torch.no_grad():
        ye, yt = ce(ember.from_numpy(data[1])).numpy(), ct(torch.from_numpy(data[1])).numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-5, atol=1e-6)


def test_reference_model_matches_torch() -> None:
    from ember.ao.quantization.quantize_fx import convert_to_reference_fx

    em, tm, data = build_pair("cnn")
    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), (ember.from_numpy(data[0]),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.get_default_qconfig_mapping("x86"), (torch.from_numpy(data[0]),)
        )
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        re_, rt = convert_to_reference_fx(pe), tqfx.convert_to_reference_fx(pt)
    assert node_kinds(ember, re_) == node_kinds(torch, rt)
    kinds = [k for _, k in node_kinds(ember, re_)]
    assert "torch.quantize_per_tensor" in kinds and "dequantize" in kinds
    with ember.no_grad(), torch.no_grad():
        ye, yt = re_(ember.from_numpy(data[1])).numpy(), rt(torch.from_numpy(data[1])).numpy()
    # reference models compute in float around quantize/dequantize: equal to float rounding
    scale = float(np.abs(yt).max()) / 128
    assert np.abs(ye - yt).max() <= scale


def test_functional_ops_match_torch() -> None:
    """F.linear (+F.relu) lowers to quantized.linear(_relu) with a prepacked weight; pooling and
    flatten run on the quantized tensor; integers equal torch's."""
    from .models import build_functional_pair

    em, tm, data = build_functional_pair()
    ee = lambda d: tuple(ember.from_numpy(a) for a in d)  # noqa: E731
    tt = lambda d: tuple(torch.from_numpy(a) for a in d)  # noqa: E731
    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), ee(data[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(tm, tq.get_default_qconfig_mapping("x86"), tt(data[0]))
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    with ember.no_grad(), torch.no_grad():
        for d in data:
            pe(*ee(d))
            pt(*tt(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    kinds = node_kinds(ember, ce)
    assert kinds == node_kinds(torch, ct)
    assert ("call_function", "quantized.linear_relu") in kinds
    assert ("call_function", "quantized.linear") in kinds
    assert ("call_function", "quantized.conv2d_relu") in kinds
    assert ("call_function", "quantized.conv1d") in kinds
    with ember.no_grad(), torch.no_grad():
        for a, b in zip(ce(*ee(data[1])), ct(*tt(data[1]))):
            a, b = a.numpy(), b.numpy()
            step = float(np.abs(b).max()) / 255
            _assert_ints_match(
                np.rint(a / step).astype(np.int64), np.rint(b / step).astype(np.int64), "output"
            )


@pytest.mark.parametrize("qconfig", ["default_dynamic_qconfig", "float16_dynamic_qconfig"])
@pytest.mark.parametrize("name", ["mlp", "gpt"])
def test_dynamic_quantization_matches_torch(name: str, qconfig: str) -> None:
    """A global dynamic qconfig: Linear (and fused LinearReLU) become dynamic quantized
    modules; everything else stays float."""
    from ember.ao import quantization as eaq

    em, tm, data = build_pair(name)
    pe = prepare_fx(
        em, eaq.QConfigMapping().set_global(getattr(eaq, qconfig)), (ember.from_numpy(data[0]),)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.QConfigMapping().set_global(getattr(tq, qconfig)), (torch.from_numpy(data[0]),)
        )
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    kinds = node_kinds(ember, ce)
    assert kinds == node_kinds(torch, ct)
    assert any(k.startswith("DynamicQuantizedLinear") for _, k in kinds)
    with ember.no_grad(), torch.no_grad():
        ye = ce(ember.from_numpy(data[1])).numpy()
        yt = ct(torch.from_numpy(data[1])).numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt", "ops"])
def test_each_quantized_op_on_torch_inputs(name: str) -> None:
    """With torch's calibration statistics copied into ember's observers, both converts start
    from identical qparams; every quantized op then runs on torch's inputs to it. Integers are
    equal except rounding ties, counted and bounded per op."""
    from .nodecheck import compare_nodes, copy_observers

    em, tm, data = build_pair(name)
    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), (ember.from_numpy(data[0]),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.get_default_qconfig_mapping("x86"), (torch.from_numpy(data[0]),)
        )
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    copy_observers(pe, pt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    assert _qparams_in_graph(ember, ce) == _qparams_in_graph(torch, ct)  # now bitwise
    counts = compare_nodes(ce, ct, (torch.from_numpy(data[1]),))
    assert len(counts) >= 4
    for node, (ties, size) in counts.items():
        assert ties <= max(1, TIE_FRACTION * size), f"{node}: {ties}/{size} off by one"
    total = sum(t for t, _ in counts.values())
    print(f"{name}: {total} off-by-one integers over {sum(s for _, s in counts.values())}")


def _sharing(gm: Any) -> list[list[str]]:
    """Observer attribute names grouped by the observer object they point to."""
    groups: dict[int, list[str]] = {}
    for name, mod in gm.named_modules(remove_duplicate=False):
        if name.startswith("activation_post_process_"):
            groups.setdefault(id(mod), []).append(name)
    return sorted(sorted(g) for g in groups.values())


@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt", "ops"])
def test_observer_sharing_matches_torch(name: str) -> None:
    """Which observers are one object (cat inputs, pooling/reshape outputs...) as in torch."""
    em, tm, data = build_pair(name)
    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), (ember.from_numpy(data[0]),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.get_default_qconfig_mapping("x86"), (torch.from_numpy(data[0]),)
        )
    ours = _sharing(pe)
    assert ours == _sharing(pt)
    if name == "mlp":  # torch.cat: both inputs and the output share one observer
        assert [
            "activation_post_process_2",
            "activation_post_process_5",
            "activation_post_process_6",
        ] in ours


def test_mean_differs_from_torch_only_at_exact_ties() -> None:
    """What a rounding tie looks like: the quantized mean of 2x2 windows (which the op zoo
    avoids) may land exactly on .5; torch's float sum rounds it one way, ember's the other.
    Everywhere else the integers are equal."""
    rng = np.random.default_rng(3)
    ints = rng.integers(0, 120, (64, 6, 2, 2)).astype(np.uint8)
    scale = 0.015406378544867039
    qe = ember._make_per_tensor_quantized_tensor(ember.from_numpy(ints), scale, 0)
    qt = torch._make_per_tensor_quantized_tensor(torch.from_numpy(ints), scale, 0)
    # channels-last, as the op zoo's tensor was: torch then sums in an order that rounds ties
    qt = qt.contiguous(memory_format=torch.channels_last)
    a = qe.mean(dim=(2, 3)).int_repr().numpy().astype(np.int64)
    b = qt.mean(dim=(2, 3)).int_repr().numpy().astype(np.int64)
    exact = ints.astype(np.float64).mean(axis=(2, 3))
    differ = a != b
    assert np.all(np.abs(a - b) <= 1)
    assert np.all(np.abs(exact[differ] % 1 - 0.5) < 1e-9)  # every difference is a tie
    assert 0 < differ.sum() <= TIE_FRACTION * a.size


@pytest.mark.parametrize("engine", ["x86", "fbgemm"])
@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt"])
def test_explicit_backend_configs_match_torch(name: str, engine: str) -> None:
    """The x86 and fbgemm BackendConfigs (no LayerNorm pattern; binary ops with or without a
    weight dtype) with their engine's default mapping give torch's graphs and outputs."""
    import importlib

    ebc = importlib.import_module(f"ember.ao.quantization.backend_config.{engine}")
    tbc = importlib.import_module(f"torch.ao.quantization.backend_config.{engine}")
    getter = f"get_{engine}_backend_config"
    em, tm, data = build_pair(name)
    pe = prepare_fx(
        em,
        get_default_qconfig_mapping(engine),
        (ember.from_numpy(data[0]),),
        backend_config=getattr(ebc, getter)(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm,
            tq.get_default_qconfig_mapping(engine),
            (torch.from_numpy(data[0]),),
            backend_config=getattr(tbc, getter)(),
        )
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce = convert_fx(pe, backend_config=getattr(ebc, getter)())
        ct = tqfx.convert_fx(pt, backend_config=getattr(tbc, getter)())
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    with ember.no_grad(), torch.no_grad():
        ye, yt = ce(ember.from_numpy(data[1])).numpy(), ct(torch.from_numpy(data[1])).numpy()
    step = float(np.abs(yt).max()) / 127
    assert np.abs(ye - yt).max() <= step
    assert np.count_nonzero(np.abs(ye - yt) > 1e-6) <= max(1, TIE_FRACTION * ye.size)
