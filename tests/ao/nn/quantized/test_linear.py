"""Quantized Linear, LinearReLU and dynamic Linear against torch on the same integers."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.ao.nn.intrinsic.quantized as enniq
import ember.ao.nn.quantized as ennq
from tests.ao.nn.qhelpers import assert_same_ints, ember_repr, to_ember, to_torch

torch = pytest.importorskip("torch")
tnnq = pytest.importorskip("torch.ao.nn.quantized")
tnniq = pytest.importorskip("torch.ao.nn.intrinsic.quantized")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation")


@pytest.fixture(autouse=True)
def _fbgemm():
    old = torch.backends.quantized.engine
    torch.backends.quantized.engine = "fbgemm"
    yield
    torch.backends.quantized.engine = old


def _qweight(rng, n, k, per_channel):
    w = torch.from_numpy(rng.standard_normal((n, k)).astype(np.float32))
    if per_channel:
        scales = w.abs().amax(1).double() / 127.5 + 1e-4
        return torch.quantize_per_channel(w, scales, torch.zeros(n, dtype=torch.long), 0,
                                          torch.qint8)
    return torch.quantize_per_tensor(w, float(w.abs().max()) / 127.5, 0, torch.qint8)


def _pair(tcls, ecls, rng, k, n, per_channel, bias=True):
    qw = _qweight(rng, n, k, per_channel)
    b = torch.from_numpy(rng.standard_normal(n).astype(np.float32)) if bias else None
    t, e = tcls(k, n, bias), ecls(k, n, bias)
    t.set_weight_bias(qw, b)
    e.set_weight_bias(to_ember(qw), None if b is None else to_ember(b))
    return t, e


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("shape", [(4, 16), (2, 3, 40), (1, 700), (0, 8)])
def test_static_linear_matches_torch(shape, per_channel, relu):
    rng = np.random.default_rng(sum(shape))
    k, n = shape[-1], 12
    tcls, ecls = (tnniq.LinearReLU, enniq.LinearReLU) if relu else (tnnq.Linear, ennq.Linear)
    t, e = _pair(tcls, ecls, rng, k, n, per_channel)
    t.scale, t.zero_point = 0.04, 70
    e.scale, e.zero_point = 0.04, 70
    x = torch.from_numpy((rng.standard_normal(shape) * 2).astype(np.float32))
    qx = torch.quantize_per_tensor(x, 0.03, 120, torch.quint8)
    assert_same_ints(e(to_ember(qx)), t(qx), tie_frac=0.0)


def test_static_linear_without_bias_and_repr():
    rng = np.random.default_rng(0)
    t, e = _pair(tnnq.Linear, ennq.Linear, rng, 9, 4, False, bias=False)
    qx = torch.quantize_per_tensor(torch.randn(3, 9), 0.05, 128, torch.quint8)
    assert_same_ints(e(to_ember(qx)), t(qx), tie_frac=0.0)
    assert repr(e) == ember_repr(repr(t))
    assert e.bias() is None
    tr, er = _pair(tnniq.LinearReLU, enniq.LinearReLU, rng, 3, 2, True)
    assert repr(er) == ember_repr(repr(tr))


def test_float_input_names_the_module():
    e = ennq.Linear(4, 2)
    with pytest.raises(RuntimeError, match="QuantizedLinear.*float tensor.*QuantStub"):
        e(ember.randn(3, 4))
    with pytest.raises(RuntimeError, match="in_features=4"):
        e(ember.quantize_per_tensor(ember.randn(3, 5), 0.1, 0, ember.quint8))


@pytest.mark.parametrize("per_channel", [False, True])
def test_state_dict_keys_values_and_torch_roundtrip(per_channel):
    rng = np.random.default_rng(3)
    t, e = _pair(tnnq.Linear, ennq.Linear, rng, 6, 5, per_channel)
    t.scale, t.zero_point = 0.2, 3
    e.scale, e.zero_point = 0.2, 3
    tsd, esd = t.state_dict(), e.state_dict()
    assert list(tsd) == list(esd)
    assert esd["_packed_params.dtype"] == ember.qint8
    ew, eb = esd["_packed_params._packed_params"]
    tw, tb = tsd["_packed_params._packed_params"]
    np.testing.assert_array_equal(ew.int_repr().numpy(), tw.int_repr().numpy())
    np.testing.assert_array_equal(eb.numpy(), tb.numpy())
    assert float(esd["scale"]) == float(tsd["scale"])
    assert int(esd["zero_point"]) == int(tsd["zero_point"])
    assert str(esd["scale"].dtype)[6:] == str(tsd["scale"].dtype)[6:]
    assert str(esd["zero_point"].dtype)[6:] == str(tsd["zero_point"].dtype)[6:]
    # a state dict saved by torch loads into ember (and back): same outputs
    loaded = ennq.Linear(6, 5)
    sd = OrderedDict([
        ("scale", to_ember(tsd["scale"])), ("zero_point", to_ember(tsd["zero_point"])),
        ("_packed_params.dtype", ember.qint8),
        ("_packed_params._packed_params", (to_ember(tw), to_ember(tb)))])
    sd._metadata = tsd._metadata  # type: ignore[attr-defined]  # versions, as torch saves them
    loaded.load_state_dict(sd)
    qx = torch.quantize_per_tensor(torch.randn(4, 6), 0.05, 100, torch.quint8)
    assert_same_ints(loaded(to_ember(qx)), t(qx), tie_frac=0.0)
    back = tnnq.Linear(6, 5)
    tsd2 = OrderedDict([("scale", torch.tensor(0.2)), ("zero_point", torch.tensor(3)),
                        ("_packed_params.dtype", torch.qint8),
                        ("_packed_params._packed_params", (to_torch(ew), to_torch(eb)))])
    tsd2._metadata = esd._metadata  # type: ignore[attr-defined]
    back.load_state_dict(tsd2)
    assert_same_ints(e(to_ember(qx)), back(qx), tie_frac=0.0)


def test_state_dict_pickle_roundtrip():
    # ember.save does not write quantized tensors yet; pickle carries the state dict
    rng = np.random.default_rng(4)
    _, e = _pair(tnnq.Linear, ennq.Linear, rng, 6, 3, True)
    e.scale, e.zero_point = 0.1, 7
    e2 = ennq.Linear(6, 3)
    e2.load_state_dict(pickle.loads(pickle.dumps(e.state_dict())))
    qx = ember.quantize_per_tensor(ember.randn(2, 6), 0.05, 128, ember.quint8)
    np.testing.assert_array_equal(e2(qx).int_repr().numpy(), e(qx).int_repr().numpy())


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("shape", [(1, 768), (5, 33), (2, 4, 20), (0, 33)])
def test_dynamic_linear_bitwise(shape, per_channel):
    rng = np.random.default_rng(shape[-1])
    t, e = _pair(tnnq.dynamic.Linear, ennq.dynamic.Linear, rng, shape[-1], 7, per_channel)
    x = (rng.standard_normal(shape) * 3 + 0.5).astype(np.float32)
    got = e(ember.from_numpy(x)).numpy()
    np.testing.assert_array_equal(got, t(torch.from_numpy(x)).numpy())
    assert repr(e) == ember_repr(repr(t))


def test_dynamic_linear_float16():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((6, 10)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    t = tnnq.dynamic.Linear(10, 6, dtype=torch.float16)
    e = ennq.dynamic.Linear(10, 6, dtype=ember.float16)
    t.set_weight_bias(torch.from_numpy(w), torch.from_numpy(b))
    e.set_weight_bias(ember.from_numpy(w), ember.from_numpy(b))
    x = rng.standard_normal((3, 10)).astype(np.float32)
    np.testing.assert_allclose(e(ember.from_numpy(x)).numpy(), t(torch.from_numpy(x)).numpy(),
                               rtol=1e-5, atol=1e-5)
    assert repr(e) == ember_repr(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())


def test_dynamic_linear_rejects_quantized_input():
    e = ennq.dynamic.Linear(4, 2)
    with pytest.raises(RuntimeError, match="DynamicQuantizedLinear expects a float input"):
        e(ember.quantize_per_tensor(ember.randn(2, 4), 0.1, 0, ember.quint8))
