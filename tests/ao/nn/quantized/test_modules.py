"""Small quantized modules against torch: ReLU6, Hardswish, BatchNorm2d, Quantize,
DeQuantize, QFunctional, Embedding and EmbeddingBag."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.ao.nn.quantized as ennq
from tests.ao.nn.qhelpers import assert_same_ints, ember_repr, to_ember

torch = pytest.importorskip("torch")
tnnq = pytest.importorskip("torch.ao.nn.quantized")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation")


def _qx(shape, scale=0.05, zp=100, seed=0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy((rng.standard_normal(shape) * 3).astype(np.float32))
    return torch.quantize_per_tensor(x, scale, zp, torch.quint8)


def test_relu6_keeps_qparams():
    qx = _qx((4, 50), scale=0.1, zp=30)
    t, e = tnnq.ReLU6(), ennq.ReLU6()
    assert_same_ints(e(to_ember(qx)), t(qx), tie_frac=0.0)
    assert repr(e) == repr(t)


def test_hardswish():
    qx = _qx((40, 60))
    t, e = tnnq.Hardswish(0.03, 20), ennq.Hardswish(0.03, 20)
    assert_same_ints(e(to_ember(qx)), t(qx))
    assert repr(e) == repr(t)


def test_batchnorm2d():
    rng = np.random.default_rng(1)
    t, e = tnnq.BatchNorm2d(3), ennq.BatchNorm2d(3)
    for name in ("weight", "bias", "running_mean"):
        v = rng.standard_normal(3).astype(np.float32)
        getattr(t, name).data.copy_(torch.from_numpy(v))
        getattr(e, name).data.copy_(ember.from_numpy(v))
    var = rng.uniform(0.5, 2, 3).astype(np.float32)
    t.running_var.copy_(torch.from_numpy(var))
    e.running_var.copy_(ember.from_numpy(var))
    t.scale, t.zero_point = torch.tensor(0.07), torch.tensor(80)
    e.scale, e.zero_point = ember.tensor(0.07), ember.tensor(80)
    qx = _qx((2, 3, 5, 5))
    assert_same_ints(e(to_ember(qx)), t(qx))
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)


def test_quantize_dequantize():
    t, e = tnnq.Quantize(0.1, 2, torch.quint8), ennq.Quantize(0.1, 2, ember.quint8)
    x = np.random.default_rng(2).standard_normal((3, 7)).astype(np.float32)
    q = e(ember.from_numpy(x))
    assert_same_ints(q, t(torch.from_numpy(x)), tie_frac=0.0)
    assert repr(e) == ember_repr(repr(t))
    assert list(e.state_dict()) == list(t.state_dict())
    np.testing.assert_array_equal(ennq.DeQuantize()(q).numpy(),
                                  tnnq.DeQuantize()(t(torch.from_numpy(x))).numpy())
    assert repr(ennq.DeQuantize()) == repr(tnnq.DeQuantize())
    with pytest.raises(RuntimeError, match="DeQuantize expects a quantized input"):
        ennq.DeQuantize()(ember.from_numpy(x))


@pytest.mark.parametrize("op", ["add", "mul", "add_relu"])
def test_qfunctional_binary(op):
    t, e = tnnq.QFunctional(), ennq.QFunctional()
    t.scale, t.zero_point = 0.09, 70
    e.scale, e.zero_point = 0.09, 70
    a, b = _qx((3, 40), seed=3), _qx((3, 40), scale=0.04, zp=90, seed=4)
    assert_same_ints(getattr(e, op)(to_ember(a), to_ember(b)), getattr(t, op)(a, b))


def test_qfunctional_cat_repr_and_state():
    t, e = tnnq.QFunctional(), ennq.QFunctional()
    t.scale, t.zero_point = 0.09, 70
    e.scale, e.zero_point = 0.09, 70
    a, b = _qx((3, 4), seed=5), _qx((2, 4), scale=0.04, zp=90, seed=6)
    assert_same_ints(e.cat([to_ember(a), to_ember(b)]), t.cat([a, b]))
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    with pytest.raises(NotImplementedError, match="add_scalar"):
        e.add_scalar(to_ember(a), 1.0)
    assert repr(ennq.FloatFunctional()) == repr(tnnq.FloatFunctional())


def _embedding_weight(rng, n, d):
    w = torch.from_numpy(rng.standard_normal((n, d)).astype(np.float32))
    lo, hi = w.amin(1), w.amax(1)
    scales = (hi - lo) / 255
    zps = -lo / scales
    return torch.quantize_per_channel(w, scales, zps, 0, torch.quint8)


def test_embedding_and_bag():
    rng = np.random.default_rng(9)
    qw = _embedding_weight(rng, 10, 6)
    t, e = tnnq.Embedding(10, 6), ennq.Embedding(10, 6)
    t.set_weight(qw)
    e.set_weight(to_ember(qw))
    idx = np.array([[1, 3, 9], [0, 0, 2]])
    np.testing.assert_allclose(e(ember.from_numpy(idx)).numpy(),
                               t(torch.from_numpy(idx)).numpy(), rtol=1e-6, atol=1e-6)
    assert repr(e) == ember_repr(repr(t))
    tb, eb = tnnq.EmbeddingBag(10, 6, mode="sum"), ennq.EmbeddingBag(10, 6, mode="sum")
    tb.set_weight(qw)
    eb.set_weight(to_ember(qw))
    flat, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4])
    np.testing.assert_allclose(
        eb(ember.from_numpy(flat), ember.from_numpy(off)).numpy(),
        tb(torch.from_numpy(flat), torch.from_numpy(off)).numpy(), rtol=1e-5, atol=1e-5)
    assert repr(eb) == ember_repr(repr(tb))
    with pytest.raises(IndexError):
        e(ember.tensor([10]))
