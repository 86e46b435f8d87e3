"""The backward engine against torch: accumulation, retain_graph, grad(), create_graph."""

import gc

import numpy as np
import pytest

import ember
from tests.harness import assert_close, run_both, torch


def x_np(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_backward_accumulates_into_leaves():
    def f(m, x, y):
        (x * y + x).sum().backward()
        (x * 2).sum().backward()
        return x.grad, y.grad

    x, y = x_np(3, 4), x_np(3, 4, seed=1)
    run_both(lambda m, a, b: f(m, a.requires_grad_(), b.requires_grad_()), x, y)


def test_broadcast_gradients_are_reduced_to_input_shape():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        (x * y / (y + 3.0) - x).mean().backward()
        return x.grad, y.grad

    run_both(f, x_np(2, 1, 4), x_np(3, 1, seed=1))


def test_grad_dtype_follows_input_dtype_under_promotion():
    x = ember.ones(3, dtype=ember.float32, requires_grad=True)
    y = ember.ones(3, dtype=ember.float64, requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.dtype is ember.float32 and y.grad.dtype is ember.float64


def test_second_backward_without_retain_graph_raises():
    x = ember.ones(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    def f(m, x):
        x.requires_grad_()
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    run_both(f, x_np(5))


def test_backward_on_non_scalar_needs_gradient():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
            (x * 2).backward()


def test_backward_with_explicit_gradient():
    def f(m, x, g):
        x.requires_grad_()
        (x * x).backward(g)
        return x.grad

    run_both(f, x_np(2, 3), x_np(2, 3, seed=2))


def test_gradient_shape_mismatch_raises():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="Mismatch in shape"):
            (x * 2).backward(m.ones(4))


def test_no_requires_grad_raises():
    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="does not require grad"):
            m.ones(3).sum().backward()


def test_autograd_grad_returns_without_accumulating():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        z = (x * y).sum()
        gx, = m.autograd.grad(z, x)
        assert x.grad is None and y.grad is None
        return gx

    run_both(f, x_np(4), x_np(4, seed=3))


def test_autograd_grad_of_intermediate_and_allow_unused():
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        u = m.ones(3, requires_grad=True)
        h = x * 3
        z = (h * h).sum()
        gh, = m.autograd.grad(z, h, retain_graph=True)
        np.testing.assert_allclose(gh.detach().numpy(), 6 * np.ones(3))
        with pytest.raises(RuntimeError, match="appears to not have been used"):
            m.autograd.grad(z, [x, u], retain_graph=True)
        gx, gu = m.autograd.grad(z, [x, u], allow_unused=True)
        assert gu is None
        np.testing.assert_allclose(gx.numpy(), 18 * np.ones(3))


def test_materialize_grads():
    x = ember.ones(3, requires_grad=True)
    u = ember.ones(2, requires_grad=True)
    _, gu = ember.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    assert gu.shape == (2,) and not gu.numpy().any()


def test_double_backward_matches_torch():
    def f(m, x):
        x.requires_grad_()
        y = (x * x * x).sum()
        g, = m.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        g2, = m.autograd.grad((g * g).sum(), x)
        return g, g2

    run_both(f, x_np(5))


def test_double_backward_through_division():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        z = (x / y).sum()
        gx, gy = m.autograd.grad(z, [x, y], create_graph=True)
        return m.autograd.grad((gx * gy).sum(), [x, y])

    run_both(f, x_np(3) + 3, x_np(3, seed=5) + 3)


def test_backward_inputs_argument_limits_accumulation():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        (x * y).sum().backward(inputs=[x])
        assert y.grad is None
        return x.grad

    run_both(f, x_np(3), x_np(3, seed=4))


def test_shared_subgraph_gradients_sum():
    def f(m, x):
        x.requires_grad_()
        h = x * 2
        out = (h * h + h * 3 - h / 2).sum()
        out.backward()
        return x.grad

    run_both(f, x_np(3, 3))


def test_grad_fn_names_and_next_functions():
    x = ember.ones(2, requires_grad=True)
    y = (x * 2 + x).sum()
    assert y.grad_fn.name() == "SumBackward0"
    add = y.grad_fn.next_functions[0][0]
    assert add.name() == "AddBackward0"
    names = sorted(n.name() for n, _ in add.next_functions if n)
    assert names == ["AccumulateGrad", "MulBackward0"]
    acc = [n for n, _ in add.next_functions if n.name() == "AccumulateGrad"][0]
    assert acc.variable is x
    t = torch.ones(2, requires_grad=True)
    ty = (t * 2 + t).sum()
    assert ty.grad_fn.name() == "SumBackward0"
    torch_names = sorted(n.name().replace("torch::autograd::", "")
                         for n, _ in ty.grad_fn.next_functions[0][0].next_functions if n)
    assert torch_names == names


def test_requires_grad_propagation_and_is_leaf():
    x = ember.ones(2, requires_grad=True)
    c = ember.ones(2)
    y = x * c
    assert y.requires_grad and not y.is_leaf and x.is_leaf and c.is_leaf
    assert not (c * 2).requires_grad
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.ones(2, dtype=ember.int64).requires_grad_()


def test_grad_modes():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        with ember.enable_grad():
            assert (x * 2).requires_grad
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad and ember.is_inference_mode_enabled()

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)


def test_non_leaf_grad_access_warns():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf"):
        assert y.grad is None


def test_retain_grad_on_non_leaf():
    def f(m, x):
        x.requires_grad_()
        h = x * 3
        h.retain_grad()
        (h * h).sum().backward()
        return h.grad, x.grad

    run_both(f, x_np(4))


def test_graph_is_freed_after_backward():
    x = ember.ones(100, requires_grad=True)
    import weakref

    y = x * x
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    assert node() is not None and node()._saved is None  # saved tensors released
    del y
    gc.collect()
    assert node() is None


def test_memory_stays_flat_over_many_steps():
    import tracemalloc

    w = ember.tensor(np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32),
                     requires_grad=True)
    x = ember.tensor(np.random.default_rng(1).standard_normal((16, 64)).astype(np.float32))

    def step():
        h = (x.unsqueeze(2) * w.unsqueeze(0)).sum(1)
        loss = (h * h).mean()
        loss.backward()
        with ember.no_grad():
            w.sub_(w.grad * 0.001)
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(1000):
        step()
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 200_000, f"memory grew by {grown} bytes over 1000 steps"


def test_ember_matches_torch_on_chain_of_views_and_arith():
    def f(m, x, y):
        x.requires_grad_()
        y.requires_grad_()
        z = (x.view(2, 6).t() * y).reshape(3, 4).unsqueeze(0).expand(2, 3, 4)
        return (z.transpose(1, 2) * 2).sum(0).flatten()

    run_both(f, x_np(3, 4), x_np(6, 1, seed=7), grad=True)


def test_assert_close_helper_detects_differences():
    with pytest.raises(AssertionError):
        assert_close(ember.ones(2), torch.zeros(2))
    with pytest.raises(AssertionError):
        assert_close(ember.ones(2, dtype=ember.float64), torch.ones(2))


def test_two_outputs_of_one_node_as_roots():
    def f(m, x):
        x.requires_grad_()
        v, mu = m.var_mean(x, 1)
        return m.autograd.grad([v, mu], [x], [m.ones(3, dtype=x.dtype), m.ones(3, dtype=x.dtype)])

    run_both(f, x_np(3, 4))
