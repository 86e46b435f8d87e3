"""Version counters and in-place ops under autograd, against torch."""

import numpy as np
import pytest

import ember
from tests.harness import run_both, torch


def arr(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_version_counter_shared_by_views_and_bumped_in_place():
    x = ember.zeros(4)
    v = x.view(2, 2)
    assert x._version == v._version == 0
    v.add_(1)
    assert x._version == v._version == 1
    x.mul_(2)
    assert v._version == 2
    np.testing.assert_allclose(v.numpy(), 2 * np.ones((2, 2)))


def test_modified_saved_tensor_raises_with_names_and_versions():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        h = x * 2
        y = h * h
        h.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as e:
            y.sum().backward()
        assert "version 1; expected version 0" in str(e.value)
        assert "[3]" in str(e.value)


def test_in_place_on_leaf_requiring_grad_raises():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.add_(1)
        with m.no_grad():
            x.add_(1)  # allowed without grad mode
        assert x._version == 1


def test_in_place_on_view_of_leaf_raises():
    for m in (ember, torch):
        x = m.ones(3, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match="view of a leaf Variable"):
            x[0].mul_(2) if m is torch else x.select(0, 0).mul_(2)


def test_in_place_arith_on_non_leaf_gradients():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        h = x * 1
        h.mul_(y)
        h.add_(x, alpha=2)
        h.sub_(3)
        h.div_(y + 5)
        h.sum().backward()
        return h, x.grad, y.grad

    run_both(f, arr(3, 4), arr(3, 4, seed=1))


def test_in_place_on_view_of_non_leaf_uses_copy_slices():
    def f(m, x, w):
        x.requires_grad_()
        w.requires_grad_()
        base = x * 2
        v = base.select(0, 1)
        v.mul_(w)
        assert base.grad_fn.name().endswith("CopySlices")
        (base * base).sum().backward()
        return base, x.grad, w.grad

    run_both(f, arr(3, 4), arr(4, seed=2))


def test_copy_into_view_of_tensor_without_grad():
    def f(m, w):
        w.requires_grad_()
        z = m.zeros(3, 4)
        z.select(0, 2).copy_(w * 3)
        assert z.requires_grad and z.grad_fn.name().endswith("CopySlices")
        (z * z).sum().backward()
        return z, w.grad

    run_both(f, arr(4))


def test_narrow_view_in_place_then_base_gradient():
    def f(m, x):
        x.requires_grad_()
        b = x.clone()
        b.narrow(1, 1, 2).mul_(10)
        b.sum().backward()
        return x.grad

    run_both(f, arr(2, 4))


def test_in_place_dtype_cast_rules():
    for m in (ember, torch):
        i = m.ones(3, dtype=m.int64)
        with pytest.raises(RuntimeError, match="can't be cast"):
            i.add_(1.5)
        with pytest.raises(RuntimeError, match="can't be cast"):
            i.div_(2)
        f = m.ones(3)
        f.add_(m.ones(3, dtype=m.int64))
        assert f.dtype == m.float32


def test_in_place_broadcast_shape_error():
    for m in (ember, torch):
        x = m.ones(3)
        with pytest.raises(RuntimeError):
            x.add_(m.ones(2, 3))


def test_in_place_on_expanded_tensor_raises():
    for m in (ember, torch):
        x = m.ones(1, 3).expand(2, 3)
        with pytest.raises(RuntimeError):
            x.add_(1)


def test_operators_in_place_keep_identity():
    x = ember.ones(3)
    y = x
    y += 1
    y *= 3
    y -= 1
    y /= 5
    assert y is x
    np.testing.assert_allclose(x.numpy(), np.ones(3))
    assert x._version == 4
