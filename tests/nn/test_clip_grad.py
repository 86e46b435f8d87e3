"""clip_grad_norm_, clip_grad_value_, get_total_norm and parameter/vector conversion vs torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import assert_close, to_numpy, torch

RNG = np.random.default_rng(0)
ARRAYS = [RNG.standard_normal(s).astype(np.float32) for s in ((3, 4), (5,), (2, 2, 2), ())]
GRADS = [RNG.standard_normal(a.shape).astype(np.float32) * 3 for a in ARRAYS]


def params(m, dtype="float32", with_none=True):
    ps = []
    for a, g in zip(ARRAYS, GRADS):
        p = m.nn.Parameter(m.tensor(a).to(getattr(m, dtype)))
        p.grad = m.tensor(g).to(getattr(m, dtype))
        ps.append(p)
    if with_none:
        ps.append(m.nn.Parameter(m.ones(2, dtype=getattr(m, dtype))))  # no grad: skipped
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    nt = float(norm_type) if norm_type == "inf" else norm_type
    e, t = params(ember), params(torch)
    ne = ember.nn.utils.clip_grad_norm_(e, max_norm, norm_type=nt)
    nt_ = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=nt)
    assert_close(ne, nt_, rtol=1e-5)
    for a, b in zip(e, t):
        if b.grad is None:
            assert a.grad is None
        else:
            assert_close(a.grad, b.grad, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float64", "float16", "bfloat16"])
def test_clip_grad_norm_dtypes(dtype):
    e, t = params(ember, dtype), params(torch, dtype)
    assert_close(ember.nn.utils.clip_grad_norm_(e, 1.0), torch.nn.utils.clip_grad_norm_(t, 1.0),
                 rtol=2e-2, atol=2e-2)
    for a, b in zip(e[:-1], t[:-1]):
        assert_close(a.grad, b.grad, rtol=2e-2, atol=2e-2)


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    p = ember.nn.Parameter(ember.ones(3))
    p.grad = ember.full((3,), 4.0)
    total = ember.nn.utils.clip_grad_norm_(p, 1.0)
    assert abs(float(total) - math.sqrt(48)) < 1e-5
    np.testing.assert_allclose(to_numpy(p.grad), np.full(3, 4 / (math.sqrt(48) + 1e-6)),
                               rtol=1e-6)
    e0 = ember.nn.utils.clip_grad_norm_([], 1.0)
    t0 = torch.nn.utils.clip_grad_norm_([], 1.0)
    assert_close(e0, t0)
    with pytest.warns(UserWarning, match="empty generator"):
        ember.nn.utils.clip_grad_norm_((q for q in []), 1.0)
    p.grad = ember.tensor([1.0, math.nan, 2.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        ember.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    tp = torch.nn.Parameter(torch.ones(3))
    tp.grad = torch.tensor([1.0, math.inf, 2.0])
    p.grad = ember.tensor([1.0, math.inf, 2.0])
    assert_close(ember.nn.utils.clip_grad_norm_([p], 1.0, foreach=False),
                 torch.nn.utils.clip_grad_norm_([tp], 1.0, foreach=False))
    assert_close(p.grad, tp.grad)


def test_clip_grad_norm_is_not_recorded_and_deprecated_alias():
    e = params(ember)
    total = ember.nn.utils.clip_grad_norm_(e, 1.0)
    assert not total.requires_grad and total.grad_fn is None
    with pytest.warns(FutureWarning):
        ember.nn.utils.clip_grad_norm(params(ember), 1.0)


def test_get_total_norm_and_clip_grads_with_norm():
    e, t = params(ember, with_none=False), params(torch, with_none=False)
    ne = ember.nn.utils.get_total_norm([p.grad for p in e], 3.0)
    nt = torch.nn.utils.get_total_norm([p.grad for p in t], 3.0)
    assert_close(ne, nt, rtol=1e-5)
    ember.nn.utils.clip_grads_with_norm_(e, 2.0, ne)
    torch.nn.utils.clip_grads_with_norm_(t, 2.0, nt)
    for a, b in zip(e, t):
        assert_close(a.grad, b.grad, rtol=1e-5)


@pytest.mark.parametrize("clip", [0.5, 2, 100.0])
def test_clip_grad_value(clip):
    e, t = params(ember), params(torch)
    assert ember.nn.utils.clip_grad_value_(e, clip) is None
    torch.nn.utils.clip_grad_value_(t, clip)
    for a, b in zip(e, t):
        if b.grad is not None:
            assert_close(a.grad, b.grad)
    single = ember.nn.Parameter(ember.ones(2))
    single.grad = ember.tensor([-5.0, 5.0])
    ember.nn.utils.clip_grad_value_(single, 1)
    assert to_numpy(single.grad).tolist() == [-1.0, 1.0]


def test_parameters_to_vector_and_back():
    def f(m):
        ps = params(m, with_none=False)
        v = m.nn.utils.parameters_to_vector(ps)
        (v * m.arange(v.numel(), dtype=v.dtype)).sum().backward()
        grads = [to_numpy(p.grad).tolist() for p in ps]
        new = m.arange(v.numel(), dtype=m.float32) * 0.5
        m.nn.utils.vector_to_parameters(new, ps)
        with m.no_grad():
            new[0] = 100.0  # the parameters view the vector, as in torch
        return to_numpy(v).tolist(), grads, [to_numpy(p).tolist() for p in ps], \
            [type(p).__name__ for p in ps], [tuple(p.shape) for p in ps]

    e, t = f(ember), f(torch)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-6)
    assert e[2:] == t[2:]
    for a, b in zip(e[1], t[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        ember.nn.utils.vector_to_parameters([1.0], params(ember))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.utils.parameters_to_vector(params(ember))
