"""gradcheck/gradgradcheck and anomaly detection."""

import numpy as np
import pytest

import ember
from ember.autograd.gradcheck import GradcheckError


def test_gradcheck_passes_for_correct_ops():
    x = ember.tensor(np.random.default_rng(0).standard_normal((3, 2)), requires_grad=True)
    y = ember.tensor(np.random.default_rng(1).standard_normal((2,)) + 3, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: (a * b / (b + a * a + 4)).sum(0), (x, y))
    assert ember.autograd.gradgradcheck(lambda a, b: a * a * b, (x, y))


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 * t * g

    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert not ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False)


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError):
        ember.autograd.gradcheck(lambda a: a * 2, (ember.ones(2, dtype=ember.float64),))


def test_anomaly_mode_reports_nan_and_forward_trace():
    class NanBack(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning):
        with ember.autograd.detect_anomaly():
            y = NanBack.apply(x)
            assert "traceback_" in y.grad_fn.metadata
            with pytest.raises(RuntimeError, match="returned nan values"):
                y.sum().backward()


def test_anomaly_mode_warns_with_forward_stack_on_error():
    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    x = ember.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Traceback of forward call"):
        with ember.autograd.detect_anomaly():
            y = Boom.apply(x)
            with pytest.raises(ValueError):
                y.sum().backward()
