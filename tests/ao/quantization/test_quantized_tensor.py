"""Quantized tensors against torch: quantize/dequantize bit for bit, accessors, repr, ops."""

from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest

import ember
from tests.harness import raises_both

torch = pytest.importorskip("torch")
# torch 2.13 deprecates its quantized tensor creation functions (a UserWarning per call site)
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation")

QDTYPES = ("qint8", "quint8", "qint32")
ZP_RANGE = {"qint8": (-128, 128), "quint8": (0, 256), "qint32": (-1000, 1000)}


def _same_q(e, t) -> None:
    """Same quantized tensor: dtype, scheme, parameters, integers and dequantized floats."""
    assert e.is_quantized and t.is_quantized
    assert e.dtype.name == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert repr(e.qscheme()).split(".")[1] == str(t.qscheme()).split(".")[1]
    if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        assert e.q_scale() == t.q_scale()
        assert e.q_zero_point() == t.q_zero_point()
    else:
        np.testing.assert_array_equal(e.q_per_channel_scales().numpy(),
                                      t.q_per_channel_scales().numpy())
        for a, b in ((e.q_per_channel_scales(), t.q_per_channel_scales()),
                     (e.q_per_channel_zero_points(), t.q_per_channel_zero_points())):
            assert a.dtype.name == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(e.q_per_channel_zero_points().numpy(),
                                      t.q_per_channel_zero_points().numpy())
        assert e.q_per_channel_axis() == t.q_per_channel_axis()
    np.testing.assert_array_equal(e.int_repr().numpy(), t.int_repr().numpy())
    np.testing.assert_array_equal(e.dequantize().numpy(), t.dequantize().numpy())


def _same_any(e, t) -> None:
    """Quantized results as _same_q; plain ones (indices) by value and dtype."""
    if t.is_quantized:
        _same_q(e, t)
    else:
        assert not e.is_quantized and e.dtype.name == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def _inputs(rng, n, scale, ties):
    x = (rng.standard_normal(n) * rng.uniform(0.1, 300)).astype(np.float32)
    if ties:  # values on (or next to) the rounding midpoints
        x = (np.round(x / scale * 2) / 2 * scale).astype(np.float32)
    return x


@pytest.mark.parametrize("dt", QDTYPES)
def test_quantize_per_tensor_bit_exact(dt):
    rng = np.random.default_rng(0)
    for trial in range(60):
        n = int(rng.integers(1, 300))
        scale = float(rng.uniform(1e-4, 2)) if trial % 3 else float(2.0 ** rng.integers(-8, 3))
        x = _inputs(rng, n, scale, trial % 2 == 1)
        zp = int(rng.integers(*ZP_RANGE[dt]))
        e = ember.quantize_per_tensor(ember.tensor(x), scale, zp, getattr(ember, dt))
        t = torch.quantize_per_tensor(torch.tensor(x), scale, zp, getattr(torch, dt))
        _same_q(e, t)


@pytest.mark.parametrize("dt", QDTYPES)
def test_quantize_per_channel_bit_exact(dt):
    rng = np.random.default_rng(1)
    for trial in range(30):
        shape = (3, int(rng.integers(1, 40)), 2)
        axis = int(rng.integers(0, 3))
        c = shape[axis]
        scales = rng.uniform(1e-3, 1.5, c)
        zps = rng.integers(*ZP_RANGE[dt], c)
        x = (rng.standard_normal(shape) * 20).astype(np.float32)
        if trial % 2:
            x = (np.round(x * 2) / 2).astype(np.float32)
            scales = np.float64(2.0) ** rng.integers(-3, 2, c)
        e = ember.quantize_per_channel(ember.tensor(x), ember.tensor(scales),
                                       ember.tensor(zps), axis, getattr(ember, dt))
        t = torch.quantize_per_channel(torch.tensor(x), torch.tensor(scales),
                                       torch.tensor(zps), axis, getattr(torch, dt))
        _same_q(e, t)


def test_extremes_and_special_shapes():
    x = np.array([1e30, -1e30, 0.0, -0.0, 3.4e38, 1e-30], np.float32)
    for dt in QDTYPES:
        e = ember.quantize_per_tensor(ember.tensor(x), 0.01, 0, getattr(ember, dt))
        t = torch.quantize_per_tensor(torch.tensor(x), 0.01, 0, getattr(torch, dt))
        _same_q(e, t)
    for shape in [(), (0,), (0, 3), (2, 1, 3)]:
        a = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
        e = ember.quantize_per_tensor(ember.tensor(a), 0.05, 7, ember.quint8)
        t = torch.quantize_per_tensor(torch.tensor(a), 0.05, 7, torch.quint8)
        _same_q(e, t)
        assert repr(e) == repr(t).replace("torch.", "ember.")
    a = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    e = ember.quantize_per_tensor(ember.tensor(a).t(), 0.05, 7, ember.qint8)
    t = torch.quantize_per_tensor(torch.tensor(a).t(), 0.05, 7, torch.qint8)
    _same_q(e, t)


def test_scale_and_zero_point_as_tensors_and_lists():
    x = np.array([1.5, -0.3, 2.25], np.float32)
    e = ember.quantize_per_tensor(ember.tensor(x), ember.tensor(0.1), ember.tensor(2),
                                  ember.qint8)
    t = torch.quantize_per_tensor(torch.tensor(x), torch.tensor(0.1), torch.tensor(2),
                                  torch.qint8)
    _same_q(e, t)
    assert e.q_scale() == t.q_scale() == float(np.float32(0.1))
    es = ember.quantize_per_tensor([ember.tensor(x), ember.tensor(x * 2)],
                                   ember.tensor([0.1, 0.2]), ember.tensor([0, 1]), ember.quint8)
    ts = torch.quantize_per_tensor([torch.tensor(x), torch.tensor(x * 2)],
                                   torch.tensor([0.1, 0.2]), torch.tensor([0, 1]), torch.quint8)
    for a, b in zip(es, ts):
        _same_q(a, b)


@pytest.mark.parametrize("dt", ["qint8", "quint8"])
@pytest.mark.parametrize("reduce_range", [False, True])
def test_quantize_per_tensor_dynamic(dt, reduce_range):
    rng = np.random.default_rng(4)
    cases = [rng.standard_normal(50).astype(np.float32) * s for s in (1e-6, 0.01, 1, 100)]
    cases += [np.zeros(5, np.float32), np.full(4, 3.0, np.float32),
              -np.abs(rng.standard_normal(7)).astype(np.float32),
              np.abs(rng.standard_normal(7)).astype(np.float32)]
    for x in cases:
        e = ember.quantize_per_tensor_dynamic(ember.tensor(x), getattr(ember, dt), reduce_range)
        t = torch.quantize_per_tensor_dynamic(torch.tensor(x), getattr(torch, dt), reduce_range)
        _same_q(e, t)


def test_make_quantized_from_integers_and_dequantize_exact():
    rng = np.random.default_rng(5)
    for npdt in (np.int8, np.uint8, np.int32):
        info = np.iinfo(npdt)
        lo, hi = max(info.min, -2 ** 20), min(info.max, 2 ** 20)
        ir = rng.integers(lo, hi, 300, endpoint=True).astype(npdt)
        for scale, zp in [(0.0173, 3), (1.7, -5 if npdt != np.uint8 else 250), (2.0 ** -7, 0)]:
            e = ember._make_per_tensor_quantized_tensor(ember.tensor(ir), scale, zp)
            t = torch._make_per_tensor_quantized_tensor(torch.tensor(ir), scale, zp)
            _same_q(e, t)
        if npdt != np.int32:
            ir2 = ir[:120].reshape(4, 30)
            sc, zz = rng.uniform(0.01, 1, 4), rng.integers(0, 100, 4)
            e = ember._make_per_channel_quantized_tensor(ember.tensor(ir2), ember.tensor(sc),
                                                         ember.tensor(zz), 0)
            t = torch._make_per_channel_quantized_tensor(torch.tensor(ir2), torch.tensor(sc),
                                                         torch.tensor(zz), 0)
            _same_q(e, t)


def test_quint4x2_packs_int_repr():
    x = np.array([1.5, 0.7, -0.2, 0.3, 9.0], np.float32)
    e = ember.quantize_per_tensor(ember.tensor(x), 0.1, 1, ember.quint4x2)
    t = torch.quantize_per_tensor(torch.tensor(x), 0.1, 1, torch.quint4x2)
    np.testing.assert_array_equal(e.int_repr().numpy(), t.int_repr().numpy())
    np.testing.assert_array_equal(e.dequantize().numpy(), t.dequantize().numpy())
    assert repr(e) == repr(t).replace("torch.", "ember.")


def test_dtypes_and_qschemes():
    for name in ("qint8", "quint8", "qint32", "quint4x2"):
        e, t = getattr(ember, name), getattr(torch, name)
        assert repr(e) == repr(t).replace("torch.", "ember.")
        assert e.is_floating_point == t.is_floating_point
        assert e.is_complex == t.is_complex
        assert e.itemsize == t.itemsize
        assert pickle.loads(pickle.dumps(e)) is e
    for name in ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                 "per_channel_symmetric", "per_channel_affine_float_qparams"):
        assert repr(getattr(ember, name)) == repr(getattr(torch, name)).replace("torch.",
                                                                                 "ember.")
    with pytest.raises(RuntimeError, match="quantized"):
        ember.promote_types(ember.qint8, ember.float32)


def test_repr_matches_torch():
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((2, 3, 4)) * 3).astype(np.float32)
    for dt in ("qint8", "quint8", "qint32"):
        e = ember.quantize_per_tensor(ember.tensor(x), 0.1, 2, getattr(ember, dt))
        t = torch.quantize_per_tensor(torch.tensor(x), 0.1, 2, getattr(torch, dt))
        assert repr(e) == repr(t).replace("torch.", "ember.")
    sc = np.array([0.1, 0.2, 0.3])
    e = ember.quantize_per_channel(ember.tensor(x), ember.tensor(sc), ember.tensor([0, 1, 2]),
                                   1, ember.qint8)
    t = torch.quantize_per_channel(torch.tensor(x), torch.tensor(sc), torch.tensor([0, 1, 2]),
                                   1, torch.qint8)
    assert repr(e) == repr(t).replace("torch.", "ember.")


def _pair(x, scale=0.1, zp=3, dt="quint8"):
    return (ember.quantize_per_tensor(ember.tensor(x), scale, zp, getattr(ember, dt)),
            torch.quantize_per_tensor(torch.tensor(x), scale, zp, getattr(torch, dt)))


STRUCTURAL = [
    lambda m, q: q.view(6, 4), lambda m, q: q.reshape(4, -1), lambda m, q: q.flatten(),
    lambda m, q: q.flatten(1), lambda m, q: q.transpose(0, 2), lambda m, q: q.permute(2, 0, 1),
    lambda m, q: q.transpose(0, 1).contiguous(), lambda m, q: q.clone(),
    lambda m, q: q.detach(), lambda m, q: q.unsqueeze(1), lambda m, q: q[:, 1:, ::2],
    lambda m, q: q[1], lambda m, q: q[0, 1, 2], lambda m, q: q.select(1, 2),
    lambda m, q: q.narrow(2, 1, 2), lambda m, q: q.expand(3, 2, 3, 4),
    lambda m, q: q.chunk(2, 2)[1], lambda m, q: q.split(1, 1)[2],
    lambda m, q: q.unbind(0)[1], lambda m, q: q.flip(1), lambda m, q: q.repeat(1, 2, 1),
    lambda m, q: q.index_select(2, m.tensor([3, 0])), lambda m, q: m.stack([q, q], 1),
    lambda m, q: m.cat([q, q], 2), lambda m, q: q.max(), lambda m, q: q.min(1)[0],
    lambda m, q: q.topk(2).values, lambda m, q: q.sort(1).values,
    lambda m, q: m.relu(q), lambda m, q: m.nn.functional.relu(q),
    lambda m, q: m.nn.functional.relu6(q), lambda m, q: m.nn.functional.hardtanh(q, -0.5, 0.7),
    lambda m, q: m.clamp(q, -0.3, 0.2), lambda m, q: q.to("cpu"), lambda m, q: q.cpu(),
    lambda m, q: m.nn.functional.max_pool2d(q, 2),
    lambda m, q: m.nn.functional.max_pool2d(q, 3, 1, 1),
    lambda m, q: m.max_pool2d(q, (1, 2)), lambda m, q: q.squeeze(0),
    lambda m, q: q.unflatten(2, (2, 2)), lambda m, q: q.movedim(0, 2),
    lambda m, q: m.nn.functional.max_pool1d(q[0], 2),
    lambda m, q: q.swapaxes(0, 1), lambda m, q: q.reshape(4, 6).reshape_as(q),
    lambda m, q: q[:, :1].expand_as(q), lambda m, q: q.contiguous().view(4, 6).view_as(q),
    lambda m, q: q.moveaxis(0, 1), lambda m, q: q.swapdims(0, 2), lambda m, q: q.clip(-0.5, 0.5),
    lambda m, q: m.nn.functional.hardtanh_(q.clone()), lambda m, q: m.concat([q, q], 1),
    lambda m, q: m.concatenate([q, q]), lambda m, q: m.nn.functional.relu6(q.clone(), True),
    lambda m, q: m.nn.functional.hardsigmoid(q.clone(), inplace=True),
    lambda m, q: q.clamp(min=0.1), lambda m, q: q.clamp(max=-0.1), lambda m, q: q.max(1)[0],
    lambda m, q: q.argsort(1),
    lambda m, q: q.masked_fill(q.dequantize() > 0.5, 0.33),
    lambda m, q: q.clone().masked_fill_(q.dequantize() < 0, m.tensor(-0.21)),
]


@pytest.mark.parametrize("fn", range(len(STRUCTURAL)))
@pytest.mark.parametrize("dt", ["qint8", "quint8"])
def test_ops_on_quantized_tensors(fn, dt):
    f = STRUCTURAL[fn]
    x = (np.random.default_rng(fn).standard_normal((2, 3, 4)) * 3).astype(np.float32)
    e, t = _pair(x, 0.07, 5 if dt == "quint8" else -3, dt)
    _same_any(f(ember, e), f(torch, t))
    # non-contiguous input
    e2, t2 = _pair(x.transpose(0, 2, 1).copy(), 0.07, 5, dt)
    e2, t2 = e2.transpose(1, 2), t2.transpose(1, 2)
    assert not e2.is_contiguous() and not t2.is_contiguous()
    try:
        tr = f(torch, t2)
    except RuntimeError:  # view of a non-contiguous tensor
        with pytest.raises(RuntimeError):
            f(ember, e2)
        return
    _same_any(f(ember, e2), tr)


def test_views_share_storage_and_inplace_ops():
    x = np.linspace(-2, 2, 12, dtype=np.float32)
    e, t = _pair(x, 0.05, 128)
    ev, tv = e.view(3, 4), t.view(3, 4)
    ember.relu_(ev)
    torch.relu_(tv)
    _same_q(e, t)
    ember.nn.functional.relu(e[:5], inplace=True)
    e2, t2 = _pair(x, 0.05, 128)
    e2.fill_(0.33)
    t2.fill_(0.33)
    _same_q(e2, t2)
    e3, t3 = _pair(x[::-1].copy(), 0.05, 100)
    e2.copy_(e3)
    t2.copy_(t3)
    _same_q(e2, t2)
    e2.copy_(ember.tensor(x * 3))
    t2.copy_(torch.tensor(x * 3))
    _same_q(e2, t2)
    assert ember.equal(e2, copy.deepcopy(e2))
    _same_q(pickle.loads(pickle.dumps(e2)), t2)


def test_cat_requantizes_to_first_inputs_parameters():
    x = (np.random.default_rng(7).standard_normal((2, 3)) * 2).astype(np.float32)
    e1, t1 = _pair(x, 0.1, 2, "qint8")
    e2, t2 = _pair(x * 3, 0.2, -4, "qint8")
    _same_q(ember.cat([e1, e2]), torch.cat([t1, t2]))


def test_accessors_and_item():
    x = np.array([0.31, -1.2], np.float32)
    e, t = _pair(x, 0.1, 3, "qint8")
    assert e[0].item() == t[0].item()
    assert float(e[1]) == float(t[1])
    assert not e.is_floating_point() and not t.is_floating_point()
    assert e.element_size() == t.element_size()
    f = ember.tensor(x)
    assert ember.dequantize(f) is f and f.dequantize() is f
    assert not f.is_quantized and e.is_quantized


QX = np.array([[0.31, -1.2, 2.0], [0.5, 0.0, -0.7]], np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, q: q + q, lambda m, q: q * 2, lambda m, q: q.sum(), lambda m, q: q.exp(),
    lambda m, q: q.argmax(), lambda m, q: q.abs(), lambda m, q: q.neg(),
    lambda m, q: q.zero_(), lambda m, q: m.nn.functional.softmax(q, 0),
    lambda m, q: q.int_repr().q_scale(), lambda m, q: m.ones(2).int_repr(), lambda m, q: q.roll(1),
    lambda m, q: q.clamp_(-0.5, 0.5), lambda m, q: q.clip_(0.1, 0.2),
    lambda m, q: m.nn.functional.max_pool2d(q[None], 1, return_indices=True),
    lambda m, q: m.quantize_per_tensor(q, 0.1, 0, m.qint8),
    lambda m, q: m.nn.functional.linear(q, q),
    lambda m, q: m.ones(2).qscheme(), lambda m, q: q.numpy(), lambda m, q: q.requires_grad_(),
    lambda m, q: m.quantize_per_tensor(m.ones(2, dtype=m.float64), 0.1, 0, m.qint8),
    lambda m, q: m.quantize_per_tensor(m.ones(2), 0.1, 300, m.qint8),
    lambda m, q: m.quantize_per_tensor(m.ones(2), 0.1, -1, m.quint8),
    lambda m, q: m.quantize_per_tensor(m.ones(2), 0.1, 0, m.int8),
    lambda m, q: m.quantize_per_channel(m.ones(2, 3), m.tensor([0.1, 0.2]),
                                        m.tensor([0, 1, 2]), 1, m.qint8),
    lambda m, q: m.quantize_per_channel(m.ones(2, 3), m.tensor([0.1, 0.2]),
                                        m.tensor([0, 1]), 1, m.qint8),
    lambda m, q: m.quantize_per_channel(m.ones(2, 3), m.tensor([0.1, 0.2]),
                                        m.tensor([0, 1]), 2, m.qint8),
    lambda m, q: q.q_per_channel_scales(), lambda m, q: m.cat([q, m.ones(2, 3)]),
    lambda m, q: m.cat([q, m.quantize_per_tensor(m.ones(2, 3), 0.1, 0, m.quint8)]),
    lambda m, q: m.ones(2, 3).copy_(q), lambda m, q: q.to(m.float32),
    lambda m, q: q.tolist(),
])
def test_errors_match_torch(fn):
    def run(m, x):
        return fn(m, m.quantize_per_tensor(x, 0.1, 2, m.qint8))

    raises_both(run, QX)


def test_per_channel_ops():
    x = np.random.default_rng(8).standard_normal((2, 3, 4)).astype(np.float32)
    sc = np.array([0.1, 0.2, 0.3])

    def mk(m):
        return m.quantize_per_channel(m.tensor(x), m.tensor(sc), m.tensor([0, 1, 2]), 1,
                                      m.qint8)

    for f in (lambda q: q.clone(), lambda q: q.contiguous(), lambda q: q.detach()):
        _same_q(f(mk(ember)), f(mk(torch)))
    with pytest.raises(NotImplementedError, match="per-channel"):
        mk(ember).view(6, 4)
    with pytest.raises(RuntimeError, match="per-tensor"):
        ember.cat([mk(ember), mk(ember)])


@pytest.mark.parametrize("dt", ["quint8", "qint8"])
@pytest.mark.parametrize("hw", [(5, 7), (8, 8), (3, 4)])
def test_requantizing_ops_match_torch(dt, hw):
    rng = np.random.default_rng(hw[0] * 10 + hw[1])
    x = (rng.standard_normal((2, 3) + hw) * 3).astype(np.float32)
    e, t = _pair(x, 0.05, 7 if dt == "quint8" else -5, dt)
    fns = [lambda m, q: q.mean(), lambda m, q: q.mean((2, 3)),
           lambda m, q: q.mean(1, keepdim=True), lambda m, q: m.sigmoid(q),
           lambda m, q: m.tanh(q), lambda m, q: m.nn.functional.hardsigmoid(q),
           lambda m, q: m.nn.functional.gelu(q),
           lambda m, q: m.nn.functional.gelu(q, approximate="tanh"),
           lambda m, q: m.nn.functional.adaptive_avg_pool2d(q[0], 2)]
    for size in [(2, 3), 1, (None, 2), (4, 4), hw]:
        fns.append(lambda m, q, size=size: m.nn.functional.adaptive_avg_pool2d(q, size))
    for k, s, p, ceil, inc, div in itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1],
                                                     [False, True], [True, False], [None, 3]):
        kk = k if isinstance(k, tuple) else (k, k)
        if p <= min(kk) // 2:
            fns.append(lambda m, q, a=(k, s, p, ceil, inc, div):
                       m.nn.functional.avg_pool2d(q, *a))
    for f in fns:
        _same_q(f(ember, e), f(torch, t))


def test_checkpoints_hold_quantized_tensors_in_torchs_format(tmp_path):
    x = (np.random.default_rng(9).standard_normal((3, 4)) * 2).astype(np.float32)
    sc, zp = np.array([0.1, 0.2, 0.3]), np.array([0, 1, 2])

    def make(m):
        q = m.quantize_per_tensor(m.tensor(x), 0.05, 3, m.quint8)
        return {"q": q, "view": q[1:, ::2], "i32": m.quantize_per_tensor(m.tensor(x), 0.01, -7,
                                                                         m.qint32),
                "pc": m.quantize_per_channel(m.tensor(x), m.tensor(sc), m.tensor(zp), 0,
                                             m.qint8),
                "float_qparams": m.quantize_per_channel(
                    m.tensor(x), m.tensor(sc.astype(np.float32)),
                    m.tensor(zp.astype(np.float32) + 0.5), 0, m.quint8)}

    ember.save(make(ember), tmp_path / "e.pt")
    torch.save(make(torch), tmp_path / "t.pt")
    from_ember = torch.load(tmp_path / "e.pt")  # weights_only: torch's safe loader accepts it
    from_torch = ember.load(tmp_path / "t.pt")
    for k, t in make(torch).items():
        _same_q(from_torch[k], t)
        _same_q(make(ember)[k], from_ember[k])
    again = ember.load(tmp_path / "e.pt")
    for k, t in make(torch).items():
        _same_q(again[k], t)
    with pytest.raises(NotImplementedError, match="quint4x2"):
        ember.save(ember.quantize_per_tensor(ember.tensor(x), 0.1, 0, ember.quint4x2),
                   tmp_path / "x.pt")


def test_leaky_relu_matches_torch_up_to_ties():
    rng = np.random.default_rng(12)
    total = mismatched = 0
    for trial in range(40):
        dt = ("quint8", "qint8")[trial % 2]
        x = (rng.standard_normal(int(rng.integers(1, 300))) * 3).astype(np.float32)
        e, t = _pair(x, float(rng.uniform(0.01, 0.2)), 30 if dt == "quint8" else -10, dt)
        slope = (0.01, 0.1, 0.2)[trial % 3]
        eo = ember.nn.functional.leaky_relu(e, slope)
        to = torch.nn.functional.leaky_relu(t, slope)
        assert (eo.q_scale(), eo.q_zero_point()) == (to.q_scale(), to.q_zero_point())
        d = np.abs(eo.int_repr().numpy().astype(int) - to.int_repr().numpy().astype(int))
        assert d.max() <= 1  # only rounding ties may differ
        total += d.size
        mismatched += int((d != 0).sum())
    assert mismatched <= total // 500
    e, t = _pair(np.linspace(-3, 3, 200, dtype=np.float32), 0.05, 100)
    ember.nn.functional.leaky_relu(e, 0.1, inplace=True)
    torch.nn.functional.leaky_relu(t, 0.1, inplace=True)
    assert np.abs(e.int_repr().numpy().astype(int) - t.int_repr().numpy().astype(int)).max() <= 1


@pytest.mark.parametrize("fn", [
    lambda m: m.empty(3, dtype=m.qint8).sum(), lambda m: m.ones(3).to(m.qint8),
    lambda m: m.tensor([1, 2], dtype=m.qint8), lambda m: m.ones(2, dtype=m.quint8).sum(),
    lambda m: m.full((2,), 1.0, dtype=m.qint32).sum(),
])
def test_plain_tensors_of_quantized_dtypes_are_refused(fn):
    """torch raises (RuntimeError, or NotImplementedError once an op meets the result);
    ember refuses at creation, never handing out a tensor of raw integers."""
    with pytest.raises((RuntimeError, NotImplementedError)):
        fn(torch)
    with pytest.raises(RuntimeError, match="quantized dtype"):
        fn(ember)


def test_comparisons_see_dequantized_values():
    x = np.array([0.2, 0.4, 1.0, -0.6], np.float32)
    for fn in (lambda m, a, b: a == b, lambda m, a, b: a != b, lambda m, a, b: a < b,
               lambda m, a, b: a.ge(b), lambda m, a, b: a == 0.2,
               lambda m, a, b: a > m.tensor(x), lambda m, a, b: m.greater_equal(a, 0.4)):
        res = []
        for m in (ember, torch):
            a = m.quantize_per_tensor(m.tensor(x), 0.1, 10, m.quint8)
            b = m.quantize_per_tensor(m.tensor(x), 0.2, 5, m.quint8)
            res.append(fn(m, a, b).numpy())
        np.testing.assert_array_equal(res[0], res[1])
    assert (ember.quantize_per_tensor(ember.tensor(x), 0.1, 0, ember.qint8) == None) is False  # noqa: E711


def test_nearest_resampling_and_pixel_shuffle():
    x = (np.random.default_rng(13).standard_normal((1, 4, 3, 3)) * 2).astype(np.float32)
    e, t = _pair(x, 0.1, 5)
    for fn in (lambda m, q: m.nn.functional.interpolate(q, scale_factor=2, mode="nearest"),
               lambda m, q: m.nn.functional.interpolate(q, size=(5, 7)),
               lambda m, q: m.nn.functional.interpolate(q, scale_factor=2, mode="nearest-exact"),
               lambda m, q: m.nn.functional.pixel_shuffle(q, 2),
               lambda m, q: m.nn.functional.pixel_unshuffle(m.nn.functional.pixel_shuffle(q, 2),
                                                            2)):
        _same_q(fn(ember, e), fn(torch, t))
    with pytest.raises(NotImplementedError, match="bilinear"):
        ember.nn.functional.interpolate(e, scale_factor=2, mode="bilinear")


@pytest.mark.parametrize("dt", ["quint8", "quint4x2"])
def test_float_qparams_per_channel(dt):
    """Embedding weights: float zero points give per_channel_affine_float_qparams tensors."""
    rng = np.random.default_rng(14)
    for trial in range(20):
        x = (rng.standard_normal((5, int(rng.integers(2, 60)))) * 2).astype(np.float32)
        qmax = 255 if dt == "quint8" else 15
        s = ((x.max(1) - x.min(1)) / qmax).astype(np.float32)
        z = (-x.min(1) / s).astype(np.float32)
        if trial % 2:
            z = np.round(z * 2) / 2
        e = ember.quantize_per_channel(ember.tensor(x), ember.tensor(s), ember.tensor(z), 0,
                                       getattr(ember, dt))
        t = torch.quantize_per_channel(torch.tensor(x), torch.tensor(s), torch.tensor(z), 0,
                                       getattr(torch, dt))
        assert repr(e.qscheme()) == "ember.per_channel_affine_float_qparams"
        _same_q(e, t)
        assert repr(e) == repr(t).replace("torch.", "ember.")


def test_setitem_quantizes_the_value():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    e, t = _pair(x, 0.05, 40, "qint8")
    for m, q in ((ember, e), (torch, t)):
        q[0] = 0.52
        q[1, 1:3] = m.tensor([0.13, -0.27])
        q[2, ::2] = m.quantize_per_tensor(m.tensor([0.3, 0.9]), 0.1, 0, m.qint8)
    _same_q(e, t)


def test_random_factories_refuse_quantized_dtypes_like_torch():
    for m in (ember, torch):
        with pytest.raises(NotImplementedError):
            m.randn(3, dtype=m.qint8)
