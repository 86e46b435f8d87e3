"""Quantized Conv1d/Conv2d/ConvReLU2d against torch (fbgemm) on the same integers."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.ao.nn.intrinsic.quantized as enniq
import ember.ao.nn.quantized as ennq
from tests.ao.nn.qhelpers import assert_same_ints, ember_repr, to_ember

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


def _qweight(rng, shape, per_channel):
    w = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    if per_channel:
        scales = w.flatten(1).abs().amax(1).double() / 127.5 + 1e-4
        return torch.quantize_per_channel(w, scales, torch.zeros(shape[0], dtype=torch.long),
                                          0, torch.qint8)
    return torch.quantize_per_tensor(w, float(w.abs().max()) / 127.5, 0, torch.qint8)


CASES2D = [
    dict(cin=3, cout=4, k=3, stride=1, padding=0, dilation=1, groups=1),
    dict(cin=4, cout=6, k=3, stride=2, padding=1, dilation=1, groups=2),
    dict(cin=2, cout=5, k=(2, 3), stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=1),
    dict(cin=4, cout=4, k=3, stride=1, padding=1, dilation=1, groups=4),
]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("case", range(len(CASES2D)))
def test_conv2d_matches_torch(case, per_channel, relu):
    c = CASES2D[case]
    rng = np.random.default_rng(case)
    tcls, ecls = (tnniq.ConvReLU2d, enniq.ConvReLU2d) if relu else (tnnq.Conv2d, ennq.Conv2d)
    kw = dict(stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
              groups=c["groups"])
    t, e = tcls(c["cin"], c["cout"], c["k"], **kw), ecls(c["cin"], c["cout"], c["k"], **kw)
    k = c["k"] if isinstance(c["k"], tuple) else (c["k"], c["k"])
    qw = _qweight(rng, (c["cout"], c["cin"] // c["groups"], *k), per_channel)
    b = torch.from_numpy(rng.standard_normal(c["cout"]).astype(np.float32))
    t.set_weight_bias(qw, b)
    e.set_weight_bias(to_ember(qw), to_ember(b))
    t.scale, t.zero_point = 0.08, 50
    e.scale, e.zero_point = 0.08, 50
    x = torch.from_numpy(rng.standard_normal((2, c["cin"], 9, 8)).astype(np.float32))
    qx = torch.quantize_per_tensor(x, 0.02, 110, torch.quint8)
    assert_same_ints(e(to_ember(qx)), t(qx))
    assert repr(e) == ember_repr(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("per_channel", [False, True])
def test_conv1d_matches_torch(per_channel):
    rng = np.random.default_rng(7)
    t = tnnq.Conv1d(3, 5, 3, stride=2, padding=1, bias=False)
    e = ennq.Conv1d(3, 5, 3, stride=2, padding=1, bias=False)
    qw = _qweight(rng, (5, 3, 3), per_channel)
    t.set_weight_bias(qw, None)
    e.set_weight_bias(to_ember(qw), None)
    t.scale, t.zero_point = 0.05, 64
    e.scale, e.zero_point = 0.05, 64
    qx = torch.quantize_per_tensor(torch.randn(2, 3, 11), 0.03, 128, torch.quint8)
    assert_same_ints(e(to_ember(qx)), t(qx))
    assert repr(e) == ember_repr(repr(t))


def test_conv_state_dict_roundtrip_and_errors():
    rng = np.random.default_rng(8)
    e = ennq.Conv2d(2, 3, 3)
    e.set_weight_bias(to_ember(_qweight(rng, (3, 2, 3, 3), True)), ember.randn(3))
    e.scale, e.zero_point = 0.1, 5
    sd = e.state_dict()
    assert sd["weight"].is_quantized and not sd["bias"].is_quantized
    e2 = ennq.Conv2d(2, 3, 3)
    e2.load_state_dict(sd)
    qx = ember.quantize_per_tensor(ember.randn(1, 2, 5, 5), 0.05, 128, ember.quint8)
    np.testing.assert_array_equal(e2(qx).int_repr().numpy(), e(qx).int_repr().numpy())
    with pytest.raises(RuntimeError, match="QuantizedConv2d.*QuantStub"):
        e(ember.randn(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        e(ember.quantize_per_tensor(ember.randn(2, 5, 5), 0.05, 128, ember.quint8))
    with pytest.raises(NotImplementedError, match="padding_mode"):
        ennq.Conv2d(2, 3, 3, padding_mode="reflect")
