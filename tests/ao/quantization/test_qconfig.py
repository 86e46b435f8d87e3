"""QConfigs and the quantized engine against torch: the same observers, built the same way."""

from __future__ import annotations

import warnings

import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ATTRS = ("dtype", "qscheme", "quant_min", "quant_max", "reduce_range", "ch_axis", "bins",
         "averaging_constant", "is_dynamic", "has_customized_qrange", "is_symmetric_quant",
         "is_per_channel")


def _describe(obs) -> dict:
    """What an observer or fake quantize is: its class and configuration, torch's spelling."""
    d = {"type": type(obs).__name__}
    for a in ATTRS:
        if hasattr(obs, a):
            d[a] = str(getattr(obs, a)).replace("ember.", "torch.")
    eps = getattr(obs, "eps", None)
    if eps is not None:
        d["eps"] = float(eps.reshape(-1)[0]) if hasattr(eps, "reshape") else float(eps)
    inner = getattr(obs, "activation_post_process", None)
    if inner is not None:
        d["observer"] = _describe(inner)
    return d


def _same_qconfig(e, t) -> None:
    assert type(e).__name__ == type(t).__name__
    for part in ("activation", "weight"):
        ec, tc = getattr(e, part), getattr(t, part)
        if tc is None:
            assert ec is None
            continue
        assert _describe(ec()) == _describe(tc()), part


@pytest.mark.parametrize("backend", ["fbgemm", "x86", "qnnpack", "onednn"])
def test_default_qconfigs_per_backend(backend):
    _same_qconfig(ember.ao.quantization.get_default_qconfig(backend),
                  torch.ao.quantization.get_default_qconfig(backend))
    for version in (0, 1):
        _same_qconfig(ember.ao.quantization.get_default_qat_qconfig(backend, version),
                      torch.ao.quantization.get_default_qat_qconfig(backend, version))
    _same_qconfig(ember.quantization.get_default_qconfig(backend),
                  torch.quantization.get_default_qconfig(backend))


NAMED = ["default_qconfig", "default_debug_qconfig", "default_per_channel_qconfig",
         "default_dynamic_qconfig", "float16_dynamic_qconfig", "float16_static_qconfig",
         "per_channel_dynamic_qconfig", "float_qparams_weight_only_qconfig",
         "float_qparams_weight_only_qconfig_4bit", "default_quint8_weight_qconfig",
         "default_qat_qconfig", "default_dynamic_qat_qconfig", "default_weight_only_qconfig",
         "default_activation_only_qconfig", "default_qat_qconfig_v2",
         "default_reuse_input_qconfig", "default_symmetric_qnnpack_qconfig",
         "default_per_channel_symmetric_qnnpack_qconfig", "default_symmetric_qnnpack_qat_qconfig",
         "default_per_channel_symmetric_qnnpack_qat_qconfig", "default_embedding_qat_qconfig",
         "default_embedding_qat_qconfig_4bit"]


@pytest.mark.parametrize("name", NAMED)
def test_named_qconfigs_match_torch(name):
    _same_qconfig(getattr(ember.ao.quantization.qconfig, name),
                  getattr(torch.ao.quantization.qconfig, name))


def test_unknown_backend_lists_the_known_ones():
    for fn in ("get_default_qconfig", "get_default_qat_qconfig"):
        with pytest.raises(AssertionError, match="fbgemm.*x86.*qnnpack.*onednn"):
            getattr(ember.ao.quantization, fn)("tpu")
        with pytest.raises(AssertionError):
            getattr(torch.ao.quantization, fn)("tpu")
    with pytest.raises(AssertionError, match="Version"):
        ember.ao.quantization.get_default_qconfig("x86", version=3)


def test_qconfig_construction_rules():
    q = ember.ao.quantization
    with pytest.raises(ValueError, match="observer instance"):
        q.QConfig(activation=q.MinMaxObserver(), weight=q.default_weight_observer)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        dyn = q.QConfigDynamic(weight=q.default_weight_observer)
    assert any(issubclass(x.category, FutureWarning) for x in w)
    assert dyn.activation is ember.nn.Identity
    assert q.qconfig_equals(q.get_default_qconfig("fbgemm"), q.get_default_qconfig("x86"))
    assert not q.qconfig_equals(q.get_default_qconfig("fbgemm"),
                                q.get_default_qconfig("qnnpack"))
    assert q.qconfig_equals(None, None) and not q.qconfig_equals(q.default_qconfig, None)
    from ember.ao.quantization.qconfig import _activation_is_memoryless

    assert _activation_is_memoryless(q.default_dynamic_qat_qconfig)
    assert not _activation_is_memoryless(q.default_qat_qconfig)
    with pytest.raises(NotImplementedError, match="QConfigMapping"):
        q.get_default_qconfig_dict()


def test_legacy_namespace_is_the_same_objects():
    import ember.quantization.fake_quantize
    import ember.quantization.observer
    import ember.quantization.qconfig

    assert ember.quantization.MinMaxObserver is ember.ao.quantization.MinMaxObserver
    assert ember.quantization.observer is ember.ao.quantization.observer
    assert ember.quantization.fake_quantize.FakeQuantize is ember.ao.quantization.FakeQuantize
    for name in ember.ao.quantization.__all__:
        assert getattr(ember.quantization, name) is getattr(ember.ao.quantization, name)
    # every lower-case name torch's observer module exports (get_block_size belongs to the
    # experimental affine-quantization API, which ember does not have)
    missing = [n for n in torch.ao.quantization.observer.__all__
               if n[0].islower() and n != "get_block_size"
               and not hasattr(ember.ao.quantization.observer, n)]
    assert missing == []


def test_quantized_engine_like_torch():
    qe, te = ember.backends.quantized, torch.backends.quantized
    assert qe.engine == te.engine
    assert sorted(qe.supported_engines) == sorted(te.supported_engines)
    old = qe.engine
    try:
        for name in qe.supported_engines:
            qe.engine = name
            assert qe.engine == name
        with pytest.raises(RuntimeError, match="not a valid value.*qnnpack"):
            qe.engine = "tensorrt"
        with pytest.raises(RuntimeError, match="not supported"):
            qe.engine = "none"
    finally:
        qe.engine = old
    with pytest.raises(RuntimeError, match="Assignment not supported"):
        qe.supported_engines = ["x86"]


def test_qconfig_inspection_utils_match_torch():
    from torch.ao.quantization import utils as tu

    from ember.ao.quantization import utils as eu

    fns = ["get_quant_type", "activation_is_statically_quantized",
           "activation_is_dynamically_quantized", "activation_is_int8_quantized",
           "weight_is_quantized", "weight_is_statically_quantized",
           "op_is_int8_dynamically_quantized"]
    for name in ["default_qconfig", "default_dynamic_qconfig", "float16_dynamic_qconfig",
                 "per_channel_dynamic_qconfig", "float_qparams_weight_only_qconfig",
                 "default_qat_qconfig", "float16_static_qconfig"]:
        eq = getattr(ember.ao.quantization, name)
        tq = getattr(torch.ao.quantization, name)
        for fn in fns:
            assert int(getattr(eu, fn)(eq)) == int(getattr(tu, fn)(tq)), (name, fn)
        e_dt = [str(d).replace("ember.", "torch.") for d in eu.get_qconfig_dtypes(eq)]
        assert e_dt == [str(d) for d in tu.get_qconfig_dtypes(tq)]
    assert eu._parent_name("a.b.c") == ("a.b", "c") and eu._parent_name("a") == ("", "a")
    assert ember.ao.quantization.QuantType.DYNAMIC == 0
    assert ember.ao.quantization.get_combined_dict({"a": 1}, {"a": 2, "b": 3}) == \
        {"a": 2, "b": 3}
    seen = []
    ember.ao.quantization.default_eval_fn(seen.append, [(1, 0), (2, 0)])
    assert seen == [1, 2]
