"""The three workflows, ember vs torch on the same float weights and data: dynamic, static
(PTQ) and QAT. Observer qparams, weight and activation integers, outputs, QAT losses."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.ao.quantization as eq
from tests.ao.nn.qhelpers import assert_same_ints, to_ember
from tests.ao.quantization.qmodels import FUSE, copy_weights, mlp, randomize_bn, static_net

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation",
                                        "ignore::DeprecationWarning")


@pytest.fixture(autouse=True)
def _engine():
    old = torch.backends.quantized.engine
    torch.backends.quantized.engine = "fbgemm"
    yield
    torch.backends.quantized.engine = old


def _data(shape, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(n)]


@pytest.mark.parametrize("dtype", ["qint8", "float16"])
def test_dynamic_workflow(dtype):
    t, e = mlp(torch), mlp(ember)
    copy_weights(t, e)
    qt = torch.quantization.quantize_dynamic(t, {torch.nn.Linear}, dtype=getattr(torch, dtype))
    qe = ember.quantization.quantize_dynamic(e, {ember.nn.Linear}, dtype=getattr(ember, dtype))
    for i in (0, 2, 4):
        wt, we = qt[i].weight(), qe[i].weight()
        if dtype == "qint8":
            np.testing.assert_array_equal(we.int_repr().numpy(), wt.int_repr().numpy())
            assert we.q_scale() == wt.q_scale()
    for x in _data((8, 20)):
        got = qe(ember.from_numpy(x)).numpy()
        ref = qt(torch.from_numpy(x)).detach().numpy()
        if dtype == "qint8":
            # Tanh between the layers runs in float: allow its ulp differences to move a
            # later layer's dynamic qparams
            np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
        else:
            np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_dynamic_linear_layer_bitwise_from_float():
    t = torch.nn.Linear(64, 32)
    e = ember.nn.Linear(64, 32)
    copy_weights(t, e)
    qt = tq.quantize_dynamic(torch.nn.Sequential(t), {torch.nn.Linear})
    qe = eq.quantize_dynamic(ember.nn.Sequential(e), {ember.nn.Linear})
    for x in _data((16, 64), seed=3):
        np.testing.assert_array_equal(qe(ember.from_numpy(x)).numpy(),
                                      qt(torch.from_numpy(x)).numpy())


def _dynamic_rnn_pair(kind):
    kw = dict(num_layers=2, bidirectional=True) if kind in ("LSTM", "GRU") else {}
    t = getattr(torch.nn, kind)(6, 5, **kw)
    e = getattr(ember.nn, kind)(6, 5, **kw)
    copy_weights(t, e)
    qt = tq.quantize_dynamic(torch.nn.Sequential(t), {type(t)})
    qe = eq.quantize_dynamic(ember.nn.Sequential(e), {type(e)})
    return qt[0], qe[0]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "LSTMCell", "GRUCell", "RNNCell"])
def test_dynamic_rnns(kind):
    qt, qe = _dynamic_rnn_pair(kind)
    assert repr(qe).replace("ember.", "torch.") == repr(qt)
    shape = (7, 3, 6) if kind in ("LSTM", "GRU") else (3, 6)
    x = _data(shape, n=1, seed=5)[0]
    got, ref = qe(ember.from_numpy(x)), qt(torch.from_numpy(x))
    flat_g = [got] if not isinstance(got, tuple) else list(got)
    flat_r = [ref] if not isinstance(ref, tuple) else list(ref)
    while any(isinstance(v, tuple) for v in flat_g):
        flat_g = [u for v in flat_g for u in (v if isinstance(v, tuple) else (v,))]
        flat_r = [u for v in flat_r for u in (v if isinstance(v, tuple) else (v,))]
    for g, r in zip(flat_g, flat_r):
        np.testing.assert_allclose(g.numpy(), r.detach().numpy(), rtol=1e-4, atol=1e-4)


def _observed_pair(calib):
    t, e = static_net(torch), static_net(ember)
    randomize_bn(t)
    copy_weights(t, e)
    for m, q, mk in ((t, torch.quantization, torch.from_numpy),
                     (e, ember.quantization, ember.from_numpy)):
        m.eval()
        m.qconfig = q.get_default_qconfig("fbgemm")
        q.fuse_modules(m, FUSE, inplace=True)
        q.prepare(m, inplace=True)
        for x in calib:
            m(mk(x))
    return t, e


def _qparams(m):
    out = {}
    for name, mod in m.named_modules():
        if hasattr(mod, "activation_post_process") and hasattr(
                mod.activation_post_process, "calculate_qparams"):
            s, z = mod.activation_post_process.calculate_qparams()
            out[name] = (float(s), int(z))
    return out


def _collect_outputs(m):
    outs = {}
    for name, mod in m.named_modules():
        if name and not list(mod.children()):
            mod.register_forward_hook(
                lambda mod, i, o, name=name: outs.__setitem__(name, o))
    return outs


def test_static_workflow():
    calib = _data((8, 1, 8, 8), n=3)
    t, e = _observed_pair(calib)
    qt, qe = _qparams(t), _qparams(e)
    assert qt.keys() == qe.keys()
    for k in qt:
        assert qe[k][0] == pytest.approx(qt[k][0], rel=1e-5), k
        assert qe[k][1] == qt[k][1], k
    torch.quantization.convert(t, inplace=True)
    ember.quantization.convert(e, inplace=True)
    for name in ("conv", "conv2", "fc", "fc2"):
        wt, we = getattr(t, name).weight(), getattr(e, name).weight()
        np.testing.assert_array_equal(we.int_repr().numpy(), wt.int_repr().numpy())
    outs_t, outs_e = _collect_outputs(t), _collect_outputs(e)
    for x in _data((5, 1, 8, 8), n=2, seed=9):
        yt = t(torch.from_numpy(x))
        ye = e(ember.from_numpy(x))
        for name, ot in outs_t.items():
            if ot.is_quantized:
                assert_same_ints(outs_e[name], to_ember(ot))
        np.testing.assert_allclose(ye.numpy(), yt.numpy(), atol=2 * e.fc2.scale)
        # equal integers; the output scales may differ in the last float bit
        assert np.mean(np.isclose(ye.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)) > 0.99


def _qat_pair():
    t, e = static_net(torch), static_net(ember)
    randomize_bn(t)
    copy_weights(t, e)
    for m, q in ((t, torch.ao.quantization), (e, ember.quantization)):
        m.train()
        m.qconfig = q.get_default_qat_qconfig("fbgemm")
        q.fuse_modules_qat(m, FUSE, inplace=True)
        q.prepare_qat(m, inplace=True)
    return t, e


def test_qat_workflow_trajectory_and_convert():
    t, e = _qat_pair()
    opt_t = torch.optim.SGD(t.parameters(), lr=0.05, momentum=0.9)
    opt_e = ember.optim.SGD(e.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(1)
    for step in range(4):
        x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
        y = rng.integers(0, 10, 16)
        lt = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
        le = ember.nn.functional.cross_entropy(e(ember.from_numpy(x)), ember.from_numpy(y))
        # typically equal to 1e-7; a last-bit float difference can move one fake-quantized
        # value by a quantization step, hence the looser bound
        assert float(le) == pytest.approx(float(lt), rel=1e-3), step
        for opt, loss in ((opt_t, lt), (opt_e, le)):
            opt.zero_grad()
            loss.backward()
            opt.step()
    ct = torch.quantization.convert(t.eval(), inplace=False)
    ce = ember.quantization.convert(e.eval(), inplace=False)
    assert [type(c).__name__ for c in ce.modules()] == [type(c).__name__ for c in ct.modules()]
    x = rng.standard_normal((6, 1, 8, 8)).astype(np.float32)
    yt, ye = ct(torch.from_numpy(x)).numpy(), ce(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(ye, yt, atol=3 * ce.fc2.scale)
    assert np.mean(np.isclose(ye, yt, rtol=1e-5, atol=1e-6)) > 0.9


def test_quantize_and_quantize_qat_one_call():
    x = _data((4, 1, 8, 8), n=1, seed=11)[0]
    for kind in ("ptq", "qat"):
        t, e = static_net(torch), static_net(ember)
        copy_weights(t, e)
        outs = []
        for m, lib in ((t, torch), (e, ember)):
            q = lib.ao.quantization
            xx = lib.from_numpy(x)
            if kind == "ptq":
                m.qconfig = q.get_default_qconfig("fbgemm")
                qm = q.quantize(m, q.default_eval_fn, [[(xx, None)]])
            else:
                m.qconfig = q.get_default_qat_qconfig("fbgemm")
                qm = q.quantize_qat(m, lambda mod, data: [mod(d) for d in data], [[xx]])
            assert hasattr(m.conv, "weight") and not hasattr(m, "activation_post_process")
            outs.append(qm(xx).numpy())
        np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def _converted(lib, x):
    m = static_net(lib)
    q = lib.ao.quantization
    m.eval()
    m.qconfig = q.get_default_qconfig("fbgemm")
    q.fuse_modules(m, FUSE, inplace=True)
    q.prepare(m, inplace=True)
    m(lib.from_numpy(x))
    return q.convert(m, inplace=True)


def test_quantized_state_dict_files_both_ways(tmp_path):
    x = _data((4, 1, 8, 8), n=1, seed=12)[0]
    t = _converted(torch, x)
    ref = t(torch.from_numpy(x)).numpy()
    # torch.save -> ember.load (weights only) -> a converted ember model of the same shape
    torch.save(t.state_dict(), tmp_path / "t.pt")
    e = _converted(ember, x * 0.5)
    e.load_state_dict(ember.load(tmp_path / "t.pt"))
    np.testing.assert_array_equal(e(ember.from_numpy(x)).numpy(), ref)
    # ember.save -> torch.load (weights only) -> torch's converted model
    ember.save(e.state_dict(), tmp_path / "e.pt")
    t2 = _converted(torch, x * 2)
    t2.load_state_dict(torch.load(tmp_path / "e.pt", weights_only=True))
    np.testing.assert_array_equal(t2(torch.from_numpy(x)).numpy(), ref)
    # dynamic Linear layers too
    lt = tq.quantize_dynamic(mlp(torch), {torch.nn.Linear})
    torch.save(lt.state_dict(), tmp_path / "d.pt")
    le = eq.quantize_dynamic(mlp(ember), {ember.nn.Linear})
    le.load_state_dict(ember.load(tmp_path / "d.pt"))
    xd = _data((3, 20), n=1, seed=13)[0]
    np.testing.assert_allclose(le(ember.from_numpy(xd)).numpy(),
                               lt(torch.from_numpy(xd)).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_dynamic_embeddings_weight_only():
    class Net:
        @staticmethod
        def build(m):
            return m.nn.Sequential(m.nn.Embedding(12, 6), m.nn.Linear(6, 3))

    t, e = Net.build(torch), Net.build(ember)
    copy_weights(t, e)
    bag_t, bag_e = torch.nn.EmbeddingBag(12, 6, mode="mean"), ember.nn.EmbeddingBag(12, 6,
                                                                                     mode="mean")
    copy_weights(bag_t, bag_e)
    qt = tq.quantize_dynamic(t, {torch.nn.Embedding: tq.float_qparams_weight_only_qconfig,
                                 torch.nn.Linear: tq.default_dynamic_qconfig})
    qe = eq.quantize_dynamic(e, {ember.nn.Embedding: eq.float_qparams_weight_only_qconfig,
                                 ember.nn.Linear: eq.default_dynamic_qconfig})
    assert repr(qe).replace("ember.", "torch.") == repr(qt)
    np.testing.assert_array_equal(qe[0].weight().int_repr().numpy(),
                                  qt[0].weight().int_repr().numpy())
    idx = np.array([[1, 5, 11], [0, 0, 7]])
    np.testing.assert_allclose(qe(ember.from_numpy(idx)).numpy(),
                               qt(torch.from_numpy(idx)).detach().numpy(), rtol=1e-4, atol=1e-5)
    qbt = tq.quantize_dynamic(torch.nn.Sequential(bag_t), None, dtype=torch.quint8)[0]
    qbe = eq.quantize_dynamic(ember.nn.Sequential(bag_e), None, dtype=ember.quint8)[0]
    flat, off = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3])
    np.testing.assert_allclose(qbe(ember.from_numpy(flat), ember.from_numpy(off)).numpy(),
                               qbt(torch.from_numpy(flat), torch.from_numpy(off)).numpy(),
                               rtol=1e-5, atol=1e-6)
