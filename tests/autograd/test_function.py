"""autograd.Function in both torch styles, compared with torch."""

import numpy as np
import pytest

import ember
from tests.harness import run_both, torch


def make_cube(m):
    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x * x * x * k

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x * ctx.k, None

    return Cube


def make_split(m):
    class Split(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2, x * 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable()

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    return Split


def test_function_forward_backward_matches_torch():
    def f(m, x):
        x.requires_grad_()
        y = make_cube(m).apply(x, 2.0)
        y.sum().backward()
        return y, x.grad

    run_both(f, np.linspace(-2, 2, 7))


def test_function_node_name_and_needs_input_grad():
    seen = {}

    class MyOp(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = ember.ones(2, requires_grad=True)
    out = MyOp.apply(a, ember.ones(2))
    assert seen["needs"] == (True, False)
    assert out.grad_fn.name() == "MyOpBackward"
    assert not out.grad_fn.next_functions[1][0]
    assert "MyOpBackward" in repr(out)


def test_setup_context_style_and_multiple_outputs():
    def f(m, x):
        x.requires_grad_()
        a, b = make_split(m).apply(x)
        (a * b).sum().backward()
        return a, b, x.grad

    run_both(f, np.arange(4.0))


def test_unused_output_gets_zero_grad_by_default():
    def f(m, x):
        x.requires_grad_()
        a, _ = make_split(m).apply(x)
        a.sum().backward()
        return x.grad

    run_both(f, np.arange(3.0))


def test_set_materialize_grads_false_passes_none():
    got = {}

    class Two(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got["g2"] = g2
            return g1

    x = ember.ones(2, requires_grad=True)
    a, _ = Two.apply(x)
    a.sum().backward()
    assert got["g2"] is None
    np.testing.assert_allclose(x.grad.numpy(), [1, 1])


def test_mark_dirty_in_place_function():
    def f(m, x):
        class Double(m.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                t.mul_(2)
                ctx.mark_dirty(t)
                return t

            @staticmethod
            def backward(ctx, g):
                return g * 2

        leaf = x.requires_grad_()
        y = leaf * 1
        z = Double.apply(y)
        assert z is y
        z.sum().backward()
        return leaf.grad

    run_both(f, np.arange(3.0))


def test_mark_non_differentiable():
    class ArgMaxish(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = ember.zeros(1, dtype=ember.float32)
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gi):
            return g * 2

    x = ember.ones(3, requires_grad=True)
    y, idx = ArgMaxish.apply(x)
    assert y.requires_grad and not idx.requires_grad


def test_wrong_number_of_gradients_raises():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_missing_backward_raises_not_implemented():
    class NoBack(ember.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    a = ember.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError):
        NoBack.apply(a).sum().backward()


def test_saved_tensor_modified_in_place_raises():
    Cube = make_cube(ember)
    x = ember.ones(3, requires_grad=True)
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_once_differentiable_and_double_backward():
    def f(m, x):
        class Sq(m.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t)
                return t * t

            @staticmethod
            def backward(ctx, g):
                (t,) = ctx.saved_tensors
                return 2 * t * g

        x.requires_grad_()
        (g,) = m.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
        (g2,) = m.autograd.grad(g.sum(), x)
        return g, g2

    run_both(f, np.array([1.0, -2.0, 3.0]))
    from ember.autograd import once_differentiable

    class Once(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            assert not ember.is_grad_enabled()
            return g * 3

    x = ember.ones(2, requires_grad=True)
    Once.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_function_returning_input_unchanged_gets_new_node():
    class Ident(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = ember.ones(2, requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 5])


def test_function_under_no_grad_records_nothing():
    Cube = make_cube(ember)
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = Cube.apply(x, 1.0)
    assert y.grad_fn is None and not y.requires_grad
    assert torch is not None
