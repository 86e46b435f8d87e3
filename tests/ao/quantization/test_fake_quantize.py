"""Fake quantization against torch: ops (values and straight-through gradients) and modules."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.harness import noncontig, raises_both, run_both

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RANGES = [(0, 255), (-128, 127), (0, 127), (-127, 127), (0, 15)]


def _inputs(rng, shape, scale, ties):
    x = (rng.standard_normal(shape) * rng.uniform(0.1, 100)).astype(np.float32)
    if ties:  # exactly on rounding midpoints, and on the clamp boundaries
        x = (np.round(x / scale * 2) / 2 * scale).astype(np.float32)
    return x


@pytest.mark.parametrize("qparams", ["float", "tensor"])
def test_per_tensor_values_and_gradients(qparams):
    rng = np.random.default_rng(0)
    for trial in range(40):
        qmin, qmax = RANGES[trial % len(RANGES)]
        scale = float(rng.uniform(1e-3, 2)) if trial % 3 else float(2.0 ** rng.integers(-6, 2))
        zp = int(rng.integers(qmin, qmax + 1))
        x = _inputs(rng, (int(rng.integers(1, 50)), 3), scale, trial % 2 == 1)

        def f(m, t, scale=scale, zp=zp, qmin=qmin, qmax=qmax):
            if qparams == "tensor":
                s, z = m.tensor([scale]), m.tensor([zp], dtype=m.int32)
            else:
                s, z = scale, zp
            return m.fake_quantize_per_tensor_affine(t, s, z, qmin, qmax)

        e, t = run_both(f, x, grad=True, rtol=0, atol=0)
        assert e.grad_fn.name() == type(t.grad_fn).__name__


def test_per_tensor_special_inputs():
    rng = np.random.default_rng(1)
    for x in (rng.standard_normal(()).astype(np.float32),
              np.zeros((0, 4), np.float32),
              noncontig(rng.standard_normal((3, 5)).astype(np.float32)),
              rng.standard_normal((2, 3)),                       # float64 stays float64
              np.array([1e30, -1e30, 0.0, 0.049999, 0.05, 0.15], np.float32)):
        run_both(lambda m, t: m.fake_quantize_per_tensor_affine(t, 0.1, 3, 0, 255), x,
                 grad=True, rtol=0, atol=0)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_per_channel_values_and_gradients(axis):
    rng = np.random.default_rng(2 + axis)
    for trial in range(15):
        qmin, qmax = RANGES[trial % len(RANGES)]
        shape = (3, 4, 5)
        c = shape[axis]
        scales = rng.uniform(1e-3, 1, c).astype(np.float32)
        zps = rng.integers(qmin, qmax + 1, c).astype(np.int32)
        x = _inputs(rng, shape, float(scales.min()), trial % 2 == 1)
        run_both(lambda m, t, s=scales, z=zps, lo=qmin, hi=qmax: m.fake_quantize_per_channel_affine(
            t, m.tensor(s), m.tensor(z), axis, lo, hi), x, grad=True, rtol=0, atol=0)
    s3, z3 = np.array([0.1, 0.2, 0.05], np.float32), np.array([0, 100, 255], np.int32)
    x = rng.standard_normal((4, 3, 2)).astype(np.float32)
    run_both(lambda m, t: m.fake_quantize_per_channel_affine(t, m.tensor(s3), m.tensor(z3), 1,
                                                             0, 255),
             noncontig(x), grad=True, rtol=0, atol=0)
    run_both(lambda m, t: m.fake_quantize_per_channel_affine(t, m.tensor(s3), m.tensor(z3), 1,
                                                             0, 255),
             np.zeros((0, 3), np.float32), rtol=0, atol=0)


def test_per_channel_float_zero_points():
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((4, 60)) * 3).astype(np.float32)
    s, z = rng.uniform(0.01, 0.1, 4).astype(np.float32), rng.uniform(0, 255, 4).astype(np.float32)
    run_both(lambda m, t: m.fake_quantize_per_channel_affine(t, m.tensor(s), m.tensor(z), 0, 0,
                                                             255),
             x, grad=True, rtol=0, atol=0)


def test_gradient_mask_is_taken_before_clamping():
    x = ember.tensor([-0.36, -0.34, 0.0, 25.45, 25.56, 100.0], requires_grad=True)
    y = ember.fake_quantize_per_tensor_affine(x, 0.1, 3, 0, 255)
    y.sum().backward()
    # q = round(x / 0.1) + 3: -0.36 -> -1 (out), -0.34 -> 0 (in), 25.45 -> 258 (out)
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    g, = ember.autograd.grad(ember.fake_quantize_per_tensor_affine(x, 0.1, 3, 0, 255).sum(),
                             x, create_graph=True)
    assert g.tolist() == [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]


X = np.random.default_rng(5).standard_normal((4, 3)).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, x: m.fake_quantize_per_tensor_affine(x, 0.1, 300, 0, 255),
    lambda m, x: m.fake_quantize_per_tensor_affine(x, 0.1, 3, 255, 0),
    lambda m, x: m.fake_quantize_per_tensor_affine(x.long(), 0.1, 3, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2]), m.tensor([3, 0, 1], dtype=m.int32), 1, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2, 0.3]), m.tensor([3, 0, 1]), 1, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2, 0.3]), m.tensor([3, 0, 300], dtype=m.int32), 1, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2, 0.3]), m.tensor([3, 0, 1], dtype=m.int32), 2, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2, 0.3]), m.tensor([3, 0, 1], dtype=m.int32), -1, 0, 255),
    lambda m, x: m.fake_quantize_per_channel_affine(
        x, m.tensor([0.1, 0.2, 0.3], dtype=m.float64), m.tensor([3, 0, 1], dtype=m.int32), 1,
        0, 255),
])
def test_bad_arguments_raise_like_torch(fn):
    raises_both(fn, X)


# ---------------------------------------------------------------------- modules
FAKE_QUANTS = ["default_fake_quant", "default_weight_fake_quant", "default_dynamic_fake_quant",
               "default_per_channel_weight_fake_quant", "default_histogram_fake_quant",
               "default_fused_act_fake_quant", "default_fused_wt_fake_quant",
               "default_fused_per_channel_wt_fake_quant",
               "fused_wt_fake_quant_range_neg_127_to_127",
               "fused_per_channel_wt_fake_quant_range_neg_127_to_127",
               "default_fixed_qparams_range_0to1_fake_quant",
               "default_fixed_qparams_range_neg1to1_fake_quant",
               "default_embedding_fake_quant"]


def _buffers_equal(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy(), err_msg=k)
        assert es[k].dtype.name == str(ts[k].dtype).split(".")[1], k


@pytest.mark.parametrize("name", FAKE_QUANTS)
def test_fake_quantize_modules_match_torch(name):
    e = getattr(ember.ao.quantization.fake_quantize, name)()
    t = getattr(torch.ao.quantization.fake_quantize, name)()
    assert repr(e) == repr(t).replace("torch.", "ember.")
    rng = np.random.default_rng(7)
    for step in range(5):
        x = (rng.standard_normal((6, 3, 2, 2)) * (step + 1)).astype(np.float32)
        xe = ember.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        ye, yt = e(xe), t(xt)
        np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
        w = rng.standard_normal(x.shape).astype(np.float32)
        ye.backward(ember.tensor(w))
        yt.backward(torch.tensor(w))
        np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())
        _buffers_equal(e, t)
        if step == 2:  # freeze the statistics, then turn quantization off
            e.apply(ember.ao.quantization.disable_observer)
            t.apply(torch.ao.quantization.disable_observer)
        if step == 3:
            e.apply(ember.ao.quantization.disable_fake_quant)
            t.apply(torch.ao.quantization.disable_fake_quant)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    for a, b in zip(e.calculate_qparams(), t.calculate_qparams()):
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy())


def test_fake_quantize_state_dict_round_trip_and_enable():
    q = ember.ao.quantization
    fq = q.default_per_channel_weight_fake_quant()
    fq(ember.randn(4, 3))
    fresh = q.default_per_channel_weight_fake_quant()
    fresh.load_state_dict(fq.state_dict())
    assert fresh.scale.tolist() == fq.scale.tolist()
    assert fresh.zero_point.tolist() == fq.zero_point.tolist()
    fresh.disable_observer()
    fresh.enable_observer()
    assert fresh.observer_enabled.tolist() == [1]
    fresh.apply(q.disable_fake_quant)
    x = ember.randn(4, 3)
    assert fresh(x) is x


def test_fused_op_matches_torch_directly():
    rng = np.random.default_rng(9)
    for per_row, sym in [(False, False), (False, True), (True, True), (True, False)]:
        state = {}
        for m in (ember, torch):
            running_min = m.tensor([] if per_row else float("inf"))
            running_max = m.tensor([] if per_row else float("-inf"))
            scale, zp = m.tensor([1.0]), m.tensor([0], dtype=m.int32)
            on = m.tensor([1])
            outs = []
            for i in range(4):
                x = (rng.standard_normal((3, 8)) * (i + 1)).astype(np.float32)
                outs.append(m.fused_moving_avg_obs_fake_quant(
                    m.tensor(x), on, on, running_min, running_max, scale, zp, 0.1,
                    -128 if sym else 0, 127 if sym else 255, 0, per_row, sym).numpy())
            state[m.__name__] = (outs, running_min.numpy(), running_max.numpy(),
                                 scale.numpy(), zp.numpy())
            rng = np.random.default_rng(9)
        for a, b in zip(state["ember"], state["torch"]):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_learnable_fake_quantize_is_not_implemented():
    from ember.ao.quantization.fake_quantize import _LearnableFakeQuantize

    with pytest.raises(NotImplementedError, match="Learnable"):
        _LearnableFakeQuantize()
