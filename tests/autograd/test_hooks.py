"""Tensor and node hooks, against torch."""

import numpy as np

import ember
from tests.harness import run_both, torch


def test_tensor_hook_can_replace_gradient():
    def f(m, x):
        x.requires_grad_()
        h = x * 2
        h.register_hook(lambda g: g * 10)
        x.register_hook(lambda g: g + 1)
        (h * 3).sum().backward()
        return x.grad

    run_both(f, np.arange(3.0))


def test_hook_handle_remove():
    def f(m, x):
        x.requires_grad_()
        handle = x.register_hook(lambda g: g * 100)
        handle.remove()
        (x * 2).sum().backward()
        return x.grad

    run_both(f, np.arange(3.0))


def test_hook_on_tensor_without_grad_raises():
    import pytest

    for m in (ember, torch):
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            m.ones(2).register_hook(lambda g: g)


def test_node_hooks_and_prehooks():
    calls = []
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    node = y.grad_fn
    node.register_prehook(lambda gout: calls.append("pre") or None)
    node.register_hook(lambda gin, gout: calls.append(("post", len(gin))) or None)
    y.sum().backward()
    assert calls == ["pre", ("post", 2)]


def test_post_accumulate_grad_hook():
    seen = []
    x = ember.ones(2, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (x * 4).sum().backward()
    np.testing.assert_allclose(seen[0], [4, 4])


def test_hooks_see_gradients_in_torch_order():
    def f(m, x):
        x.requires_grad_()
        order = []
        a = x * 2
        b = a * 3
        a.register_hook(lambda g: order.append("a"))
        b.register_hook(lambda g: order.append("b"))
        b.sum().backward()
        return order

    run_both(f, np.ones(2))
