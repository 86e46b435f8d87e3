"""Observers against torch: same batches in, same min/max buffers and qparams out (exactly)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _q(m):
    return m.ao.quantization


def _batches(kind: str, rng: np.random.Generator, shape=(4, 6)) -> list[np.ndarray]:
    if kind == "random":
        return [(rng.standard_normal(shape) * s).astype(np.float32) for s in (1, 3, 0.5, 2)]
    if kind == "zeros":
        return [np.zeros(shape, np.float32)] * 2
    if kind == "constant":
        return [np.full(shape, 3.25, np.float32), np.full(shape, 3.25, np.float32)]
    if kind == "tiny":
        return [(1e-7 * rng.standard_normal(shape)).astype(np.float32) for _ in range(2)]
    if kind == "negative":
        return [-np.abs(rng.standard_normal(shape)).astype(np.float32) - 0.5 for _ in range(3)]
    if kind == "positive":
        return [np.abs(rng.standard_normal(shape)).astype(np.float32) + 2 for _ in range(3)]
    if kind == "growing":  # the range widens batch after batch
        return [(rng.standard_normal(shape) * (i + 1) + i).astype(np.float32) for i in range(4)]
    raise ValueError(kind)


KINDS = ["random", "zeros", "constant", "tiny", "negative", "positive", "growing"]

OBSERVERS = {
    "minmax": lambda q: q.MinMaxObserver(),
    "minmax_sym_qint8": lambda q: q.MinMaxObserver(dtype=q_dt(q, "qint8"),
                                                   qscheme=q_sch(q, "per_tensor_symmetric")),
    "minmax_sym_quint8": lambda q: q.MinMaxObserver(qscheme=q_sch(q, "per_tensor_symmetric")),
    "minmax_reduce": lambda q: q.MinMaxObserver(reduce_range=True),
    "minmax_custom": lambda q: q.MinMaxObserver(quant_min=0, quant_max=127),
    "minmax_custom_sym": lambda q: q.MinMaxObserver(
        quant_min=0, quant_max=15, qscheme=q_sch(q, "per_tensor_symmetric")),
    "minmax_eps": lambda q: q.MinMaxObserver(dtype=q_dt(q, "qint8"), eps=2 ** -12,
                                             qscheme=q_sch(q, "per_tensor_symmetric"),
                                             quant_min=-127, quant_max=127),
    "minmax_qint32": lambda q: q.MinMaxObserver(dtype=q_dt(q, "qint32")),
    "moving": lambda q: q.MovingAverageMinMaxObserver(),
    "moving_c": lambda q: q.MovingAverageMinMaxObserver(averaging_constant=0.3,
                                                        dtype=q_dt(q, "qint8")),
    "per_channel": lambda q: q.PerChannelMinMaxObserver(),
    "per_channel_ax1_sym": lambda q: q.PerChannelMinMaxObserver(
        ch_axis=1, dtype=q_dt(q, "qint8"), qscheme=q_sch(q, "per_channel_symmetric")),
    "per_channel_float_qparams": lambda q: q.PerChannelMinMaxObserver(
        qscheme=q_sch(q, "per_channel_affine_float_qparams")),
    "per_channel_reduce": lambda q: q.PerChannelMinMaxObserver(reduce_range=True),
    "moving_per_channel": lambda q: q.MovingAveragePerChannelMinMaxObserver(
        averaging_constant=0.25, ch_axis=1),
    "histogram": lambda q: q.HistogramObserver(),
    "histogram_reduce": lambda q: q.HistogramObserver(reduce_range=True),
    "histogram_sym": lambda q: q.HistogramObserver(dtype=q_dt(q, "qint8"),
                                                   qscheme=q_sch(q, "per_tensor_symmetric")),
    "histogram_small_bins": lambda q: q.HistogramObserver(bins=64, quant_min=0, quant_max=127),
}


def q_dt(q, name):
    return getattr(torch if q.__name__.startswith("torch") else ember, name)


def q_sch(q, name):
    return getattr(torch if q.__name__.startswith("torch") else ember, name)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same_qparams(e, t) -> None:
    es, ez = e
    ts, tz = t
    assert es.dtype.name == str(ts.dtype).split(".")[1]
    assert ez.dtype.name == str(tz.dtype).split(".")[1]
    np.testing.assert_array_equal(_np(es), _np(ts))
    np.testing.assert_array_equal(_np(ez), _np(tz))


def _feed_both(name: str, kind: str, seed: int = 0):
    e, t = OBSERVERS[name](_q(ember)), OBSERVERS[name](_q(torch))
    for b in _batches(kind, np.random.default_rng(seed)):
        assert e(ember.tensor(b)) is not None
        t(torch.tensor(b))
    return e, t


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(OBSERVERS))
def test_observer_matches_torch(name, kind):
    e, t = _feed_both(name, kind)
    np.testing.assert_array_equal(_np(e.min_val), _np(t.min_val))
    np.testing.assert_array_equal(_np(e.max_val), _np(t.max_val))
    if hasattr(t, "histogram"):
        np.testing.assert_array_equal(_np(e.histogram), _np(t.histogram))
    _same_qparams(e.calculate_qparams(), t.calculate_qparams())
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert (e.quant_min, e.quant_max) == (t.quant_min, t.quant_max)


@pytest.mark.parametrize("seed", range(6))
def test_histogram_observer_many_batches(seed):
    """Ranges that grow and shrink across batches exercise the upscaling of the histogram."""
    rng = np.random.default_rng(seed)
    e, t = ember.ao.quantization.HistogramObserver(), torch.ao.quantization.HistogramObserver()
    for i in range(6):
        b = (rng.standard_normal((16, 32)) * rng.uniform(0.2, 4) + rng.uniform(-2, 2))
        if i == 3:
            b[0, 0] = 40.0  # an outlier the L2 search should clip
        b = b.astype(np.float32)
        e(ember.tensor(b))
        t(torch.tensor(b))
        np.testing.assert_array_equal(_np(e.histogram), _np(t.histogram))
        _same_qparams(e.calculate_qparams(), t.calculate_qparams())


def test_histogram_observer_relu_like_activations():
    rng = np.random.default_rng(11)
    for ctor in ("x86", "qnnpack"):
        e = ember.ao.quantization.get_default_qconfig(ctor).activation()
        t = torch.ao.quantization.get_default_qconfig(ctor).activation()
        for _ in range(5):
            b = np.maximum(rng.standard_normal((8, 16, 5, 5)), 0).astype(np.float32) * 3
            e(ember.tensor(b))
            t(torch.tensor(b))
        _same_qparams(e.calculate_qparams(), t.calculate_qparams())


def test_uninitialised_and_empty_inputs():
    for name in ("minmax", "per_channel", "histogram", "moving"):
        e, t = OBSERVERS[name](_q(ember)), OBSERVERS[name](_q(torch))
        e(ember.zeros(0, 3))
        t(torch.zeros(0, 3))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            eq = e.calculate_qparams()
        assert any("must run observer" in str(x.message) for x in w)
        _same_qparams(eq, t.calculate_qparams())


def test_non_contiguous_and_float64_input():
    x = np.random.default_rng(3).standard_normal((5, 4, 3))
    for name in ("minmax", "per_channel_ax1_sym", "histogram", "moving_per_channel"):
        e, t = OBSERVERS[name](_q(ember)), OBSERVERS[name](_q(torch))
        e(ember.tensor(x.astype(np.float32)).transpose(0, 2))
        t(torch.tensor(x.astype(np.float32)).transpose(0, 2))
        e(ember.tensor(x))
        t(torch.tensor(x))
        _same_qparams(e.calculate_qparams(), t.calculate_qparams())


@pytest.mark.parametrize("name", sorted(OBSERVERS))
def test_state_dict_round_trip(name):
    e, t = _feed_both(name, "random", seed=5)
    sd = e.state_dict()
    assert list(sd) == list(t.state_dict())
    fresh = OBSERVERS[name](_q(ember))
    fresh.load_state_dict(sd)
    _same_qparams(fresh.calculate_qparams(), t.calculate_qparams())
    # a torch state dict loads too (same names, shapes and dtypes)
    fresh2 = OBSERVERS[name](_q(ember))
    fresh2.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    _same_qparams(fresh2.calculate_qparams(), t.calculate_qparams())
    again = pickle.loads(pickle.dumps(e))
    _same_qparams(again.calculate_qparams(), t.calculate_qparams())


def test_with_args_and_callable_args():
    q = ember.ao.quantization
    factory = q.MinMaxObserver.with_args(dtype=ember.qint8).with_args(quant_min=-8, quant_max=7)
    a, b = factory(), factory()
    assert a is not b and a.dtype is ember.qint8 and (a.quant_min, a.quant_max) == (-8, 7)
    calls = []

    def eps():
        calls.append(1)
        return 2.0 ** -(10 + len(calls))

    f2 = q.MinMaxObserver.with_callable_args(eps=eps).with_args(dtype=ember.qint8)
    o1, o2 = f2(), f2()
    assert float(o1.eps) == 2.0 ** -11 and float(o2.eps) == 2.0 ** -12
    assert f2(eps=0.5).eps.item() == 0.5
    assert "quant_min=-8" in repr(factory)


def test_default_observers_match_torch():
    names = ["default_observer", "default_weight_observer", "default_histogram_observer",
             "default_per_channel_weight_observer", "weight_observer_range_neg_127_to_127",
             "per_channel_weight_observer_range_neg_127_to_127",
             "default_dynamic_quant_observer", "default_float_qparams_observer",
             "default_float_qparams_observer_4bit", "default_placeholder_observer",
             "default_debug_observer", "default_fixed_qparams_range_0to1_observer",
             "default_fixed_qparams_range_neg1to1_observer", "default_reuse_input_observer"]
    for n in names:
        e = getattr(ember.ao.quantization.observer, n)()
        t = getattr(torch.ao.quantization.observer, n)()
        assert type(e).__name__ == type(t).__name__, n
        for attr in ("dtype", "qscheme", "quant_min", "quant_max", "reduce_range", "ch_axis",
                     "is_dynamic"):
            if hasattr(t, attr):
                assert str(getattr(e, attr)).replace("ember.", "torch.") == \
                    str(getattr(t, attr)), (n, attr)
        if hasattr(t, "eps") and isinstance(t.eps, torch.Tensor):
            np.testing.assert_array_equal(_np(e.eps), _np(t.eps))


def test_placeholder_recording_noop():
    q = ember.ao.quantization
    x = ember.randn(3)
    rec = q.RecordingObserver()
    assert rec(x) is x and rec(x * 2) is not None
    assert len(rec.get_tensor_value()) == 2
    for o in (q.PlaceholderObserver(dtype=ember.float16, is_dynamic=True), q.NoopObserver(),
              rec):
        assert o(x) is x
        with pytest.raises(Exception, match="should not be called"):
            o.calculate_qparams()
    assert repr(q.PlaceholderObserver(dtype=ember.quint8, is_dynamic=True)) == \
        repr(torch.ao.quantization.PlaceholderObserver(dtype=torch.quint8, is_dynamic=True)
             ).replace("torch.", "ember.")
    f = q.FixedQParamsObserver(scale=1.0 / 256, zero_point=0)
    s, z = f.calculate_qparams()
    assert s.item() == 1.0 / 256 and z.item() == 0 and z.dtype is ember.int32


@pytest.mark.parametrize("ctor", [
    lambda q, m: q.MinMaxObserver(qscheme=m.per_channel_affine),
    lambda q, m: q.PerChannelMinMaxObserver(qscheme=m.per_tensor_affine),
    lambda q, m: q.HistogramObserver(qscheme=m.per_channel_affine),
    lambda q, m: q.MinMaxObserver(qscheme=m.per_tensor_symmetric, reduce_range=True),
    lambda q, m: q.MovingAverageMinMaxObserver(is_dynamic=True),
    lambda q, m: q.PerChannelMinMaxObserver(is_dynamic=True),
    lambda q, m: q.HistogramObserver(is_dynamic=True),
])
def test_unsupported_configurations_raise_not_implemented(ctor):
    for m in (torch, ember):
        with pytest.raises(NotImplementedError):
            ctor(m.ao.quantization, m)


@pytest.mark.parametrize("ctor", [
    lambda q, m: q.MinMaxObserver(quant_min=1, quant_max=10),
    lambda q, m: q.MinMaxObserver(quant_min=5, quant_max=-5),
    lambda q, m: q.MinMaxObserver(dtype=m.qint8, quant_min=-200, quant_max=100),
    lambda q, m: q.MinMaxObserver(dtype=m.float32),
])
def test_bad_ranges_raise_assertion(ctor):
    for m in (torch, ember):
        with pytest.raises(AssertionError):
            ctor(m.ao.quantization, m)


def test_observer_state_dict_helpers():
    q = ember.ao.quantization
    model = ember.nn.Sequential(ember.nn.Linear(3, 2))
    model.activation_post_process = q.MinMaxObserver()
    model.activation_post_process(ember.randn(4, 3))
    sd = q.get_observer_state_dict(model)
    assert sorted(sd) == ["activation_post_process.eps", "activation_post_process.max_val",
                          "activation_post_process.min_val"]
    other = ember.nn.Sequential(ember.nn.Linear(3, 2))
    other.activation_post_process = q.MinMaxObserver()
    q.load_observer_state_dict(other, sd)
    assert other.activation_post_process.min_val.item() == \
        model.activation_post_process.min_val.item()
