"""nn.init against torch: exact fans, gains and errors; distribution statistics of draws."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from ember.nn import init
from tests.harness import raises_both, to_numpy, torch

SHAPES = [(3, 5), (8, 4, 3), (6, 2, 3, 5), (2, 3, 2, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_fan_out_exact(shape):
    e = init._calculate_fan_in_and_fan_out(ember.empty(*shape))
    t = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert e == t
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(ember.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 3),
                                  ("selu",), ("conv_transpose3d",)])
def test_calculate_gain(args):
    assert init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)


def test_errors_match():
    raises_both(lambda m: m.nn.init.calculate_gain("swish"), match="Unsupported nonlinearity")
    raises_both(lambda m: m.nn.init.calculate_gain("leaky_relu", True), match="negative_slope")
    raises_both(lambda m: m.nn.init.xavier_uniform_(m.empty(3)), match="Fan in and fan out")
    raises_both(lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="x"),
                match="Mode x not supported")
    raises_both(lambda m: m.nn.init.eye_(m.empty(3, 3, 3)), match="2 dimensions")
    raises_both(lambda m: m.nn.init.dirac_(m.empty(3, 3)), match="3, 4, or 5")
    raises_both(lambda m: m.nn.init.dirac_(m.empty(3, 3, 3), groups=2), match="divisible")
    raises_both(lambda m: m.nn.init.orthogonal_(m.empty(3)), match="2 or more")
    raises_both(lambda m: m.nn.init.sparse_(m.empty(3), 0.1), match="2 dimensions")


def _stats(fn, shape=(400, 500), **kw):
    g = ember.Generator().manual_seed(0)
    t = ember.empty(*shape)
    out = fn(t, generator=g, **kw)
    assert out is t
    return to_numpy(t).astype(np.float64)


def test_uniform_normal_constant():
    a = _stats(init.uniform_, a=-2.0, b=3.0)
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.02
    assert abs(a.std() - 5 / math.sqrt(12)) < 0.01
    a = _stats(init.normal_, mean=1.0, std=0.5)
    assert abs(a.mean() - 1) < 0.01 and abs(a.std() - 0.5) < 0.01
    t = ember.empty(3, 4)
    init.constant_(t, 2.5)
    assert (to_numpy(t) == 2.5).all()
    init.ones_(t)
    assert (to_numpy(t) == 1).all()
    init.zeros_(t)
    assert (to_numpy(t) == 0).all()


@pytest.mark.parametrize("fn,kw", [("xavier_uniform_", {"gain": 2.0}), ("xavier_normal_", {}),
                                   ("kaiming_uniform_", {"a": math.sqrt(5)}),
                                   ("kaiming_normal_", {"mode": "fan_out",
                                                        "nonlinearity": "relu"}),
                                   ("kaiming_uniform_", {"nonlinearity": "tanh"})])
def test_scaled_inits_match_torch_statistics(fn, kw):
    shape = (64, 32, 3, 3)
    torch.manual_seed(0)
    tt = getattr(torch.nn.init, fn)(torch.empty(*shape), **kw).numpy().astype(np.float64)
    ee = _stats(getattr(init, fn), shape=shape, **kw)
    assert abs(ee.std() / tt.std() - 1) < 0.02
    assert abs(ee.mean()) < 3 * tt.std() / math.sqrt(ee.size)
    if "uniform" in fn:
        assert abs(np.abs(ee).max() / np.abs(tt).max() - 1) < 1e-3


@pytest.mark.parametrize("kw", [{}, {"mean": 0.0, "std": 0.02, "a": -0.04, "b": 0.04},
                                {"mean": 1.0, "std": 1.0, "a": 3.0, "b": 4.0},
                                {"a": -0.5, "b": 0.1}])
def test_trunc_normal_statistics(kw):
    torch.manual_seed(0)
    tt = torch.nn.init.trunc_normal_(torch.empty(300, 300), **kw).numpy().astype(np.float64)
    ee = _stats(init.trunc_normal_, shape=(300, 300), **kw)
    a, b = kw.get("a", -2.0), kw.get("b", 2.0)
    assert ee.min() >= a and ee.max() <= b
    assert abs(ee.mean() - tt.mean()) < 0.02 * (b - a)
    assert abs(ee.std() / tt.std() - 1) < 0.03


def test_trunc_normal_far_mean_warns():
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(ember.empty(10), mean=10.0)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal(shape):
    t = ember.empty(*shape)
    init.orthogonal_(t, gain=2.0)
    a = to_numpy(t).reshape(shape[0], -1).astype(np.float64)
    small = a @ a.T if a.shape[0] <= a.shape[1] else a.T @ a
    np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-5)


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 2), ((6, 3, 3, 3), 1), ((4, 2, 3, 3, 3), 2),
                                          ((2, 4, 5, 5), 1)])
def test_eye_and_dirac_exact(shape, groups):
    e = init.dirac_(ember.empty(*shape), groups=groups)
    t = torch.nn.init.dirac_(torch.empty(*shape), groups=groups)
    np.testing.assert_array_equal(to_numpy(e), t.numpy())
    e = init.eye_(ember.empty(3, 5))
    np.testing.assert_array_equal(to_numpy(e), torch.nn.init.eye_(torch.empty(3, 5)).numpy())


def test_sparse():
    t = init.sparse_(ember.empty(10, 6), 0.35, std=0.5)
    zeros = (to_numpy(t) == 0).sum(0)
    assert (zeros >= math.ceil(0.35 * 10)).all()


def test_inits_work_on_parameters_without_recording_grad():
    p = ember.nn.Parameter(ember.empty(4, 3))
    for fn in (init.kaiming_uniform_, init.xavier_normal_, init.normal_, init.ones_,
               init.trunc_normal_, init.orthogonal_):
        fn(p)
        assert p.grad_fn is None and p.is_leaf and p.requires_grad
    init.eye_(p)
    init.constant_(p, 3)
    assert (to_numpy(p.detach()) == 3).all()


def test_zero_element_warns_and_deprecated_aliases():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(ember.empty(0, 3))
    with pytest.warns(FutureWarning, match="nn.init.uniform_"):
        init.uniform(ember.empty(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.uniform_(ember.empty(2))


def test_generator_reproducible():
    a = init.kaiming_normal_(ember.empty(5, 5), generator=ember.Generator().manual_seed(3))
    b = init.kaiming_normal_(ember.empty(5, 5), generator=ember.Generator().manual_seed(3))
    np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_half_precision_targets():
    for dt in (ember.float16, ember.bfloat16, ember.float64):
        t = init.xavier_uniform_(ember.empty(30, 40, dtype=dt))
        assert t.dtype is dt
        bound = math.sqrt(6 / 70)
        assert float(t.abs().max()) <= bound * 1.01
        init.orthogonal_(t)
        init.trunc_normal_(t)
