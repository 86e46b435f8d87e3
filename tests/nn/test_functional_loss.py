"""nn.functional losses against torch: values, gradients, gradcheck, double backward, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional  # noqa: F401
from tests.harness import as_dtype, gradcheck, raises_both, run_both

rng = np.random.default_rng(2)
REDS = ["mean", "sum", "none"]


def X(*shape: int, dtype: str = "float32") -> np.ndarray:
    return np.asarray(rng.standard_normal(shape).astype(dtype))


def P(*shape: int, dtype: str = "float32") -> np.ndarray:
    return np.asarray(rng.uniform(0.05, 0.95, shape).astype(dtype))


def T(c: int, *shape: int) -> np.ndarray:
    return np.asarray(rng.integers(0, c, shape).astype(np.int64))


def F(m):  # noqa: N802
    return m.nn.functional


# ------------------------------------------------------------------ cross_entropy / nll_loss
@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("ls", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_classes(red: str, ls: float, weighted: bool) -> None:
    w = P(5) if weighted else None
    t = T(5, 8)
    t[2] = -100
    t[5] = 3
    run_both(lambda m, x, w: F(m).cross_entropy(x, m.tensor(t), weight=w if w is None else
                                                w.detach(), reduction=red, label_smoothing=ls),
             X(8, 5), w, grad=True)
    gradcheck(lambda m, x: F(m).cross_entropy(x, m.tensor(t), weight=None if w is None else
                                              m.tensor(w, dtype=m.float64), reduction=red,
                                              label_smoothing=ls), X(8, 5))


@pytest.mark.parametrize("red", REDS)
def test_cross_entropy_kdim(red: str) -> None:
    t = T(4, 2, 3, 5)
    t[0, 1, 2] = 1
    run_both(lambda m, x, w: F(m).cross_entropy(x, m.tensor(t), weight=w.detach(), reduction=red,
                                                ignore_index=1), X(2, 4, 3, 5), P(4), grad=True)
    t2 = T(3, 2, 6)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor(t2), reduction=red,
                                             label_smoothing=0.1), X(2, 3, 6), grad=True)
    gradcheck(lambda m, x: F(m).cross_entropy(x, m.tensor(t2), reduction=red), X(2, 3, 6))


@pytest.mark.parametrize("red", REDS)
@pytest.mark.parametrize("ls", [0.0, 0.3])
def test_cross_entropy_probabilities(red: str, ls: float) -> None:
    tp = np.abs(X(6, 4))
    tp /= tp.sum(1, keepdims=True)
    run_both(lambda m, x, t: F(m).cross_entropy(x, t, reduction=red, label_smoothing=ls),
             X(6, 4), tp, grad=True)
    run_both(lambda m, x, t, w: F(m).cross_entropy(x, t, weight=w.detach(), reduction=red),
             X(6, 4), tp, P(4), grad=True)
    run_both(lambda m, x, t: F(m).cross_entropy(x, t, reduction=red), X(2, 4, 3), P(2, 4, 3),
             grad=True)
    gradcheck(lambda m, x, t: F(m).cross_entropy(x, t, reduction=red, label_smoothing=ls),
              X(6, 4), tp)


def test_cross_entropy_misc() -> None:
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor(2)), X(5), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor(2), reduction="none"), X(5), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2], dtype=m.uint8)), X(3, 4),
             grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.zeros(0, dtype=m.int64)), X(0, 3))
    run_both(lambda m, x: F(m).cross_entropy(x, m.zeros(0, dtype=m.int64), reduction="sum"),
             X(0, 3), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.full((4,), -100)), X(4, 3))
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0, 2, 1]), ignore_index=7),
             X(4, 3), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0, 2, 1])),
             as_dtype(X(4, 3), "float16"), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0, 2, 1]), label_smoothing=0.1),
             as_dtype(X(4, 3), "bfloat16"), grad=True)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor([1, 0, 2, 1]), size_average=False),
             X(4, 3), grad=True)
    big = X(1024, 65) * 3
    tb = T(65, 1024)
    run_both(lambda m, x: F(m).cross_entropy(x, m.tensor(tb)), big, grad=True)
    e = F(ember).cross_entropy(ember.tensor(X(4, 3), requires_grad=True),
                               ember.tensor([0, 1, 2, 1]))
    assert e.grad_fn.name() == "NllLossBackward0"


def test_cross_entropy_double_backward() -> None:
    x = X(4, 3, dtype="float64")
    t = T(3, 4)
    w = P(3, dtype="float64")
    tp = P(4, 3, dtype="float64")

    def second(m, target, **kw):
        xt = m.tensor(x, requires_grad=True)
        (g,) = m.autograd.grad(F(m).cross_entropy(xt, target, **kw).sum(), xt,
                               create_graph=True)
        return g.detach(), m.autograd.grad((g * g * m.tensor(x)).sum(), xt)

    run_both(lambda m: second(m, m.tensor(t), weight=m.tensor(w), label_smoothing=0.2))
    run_both(lambda m: second(m, m.tensor(t), reduction="none"))
    run_both(lambda m: second(m, m.tensor(tp), label_smoothing=0.1))


@pytest.mark.parametrize("red", REDS)
def test_nll_loss(red: str) -> None:
    t = T(4, 6)
    t[1] = -100
    run_both(lambda m, x, w: F(m).nll_loss(x, m.tensor(t), weight=w.detach(), reduction=red),
             X(6, 4), P(4), grad=True)
    raises_both(lambda m, x, w: F(m).nll_loss(x, m.tensor(t), weight=w.requires_grad_()),
                X(6, 4), P(4))
    t4 = T(3, 2, 4, 5)
    run_both(lambda m, x: F(m).nll_loss(x, m.tensor(t4), reduction=red, ignore_index=0),
             X(2, 3, 4, 5), grad=True)
    gradcheck(lambda m, x: F(m).nll_loss(x, m.tensor(t), reduction=red), X(6, 4))
    e = F(ember).nll_loss(ember.tensor(X(2, 3, 4, 5), requires_grad=True), ember.tensor(t4))
    assert e.grad_fn.name() == "NllLoss2DBackward0"


def test_class_loss_errors() -> None:
    x = X(4, 3)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1]), reduction="foo"), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1]), weight=m.ones(2)), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1]),
                                                label_smoothing=1.5), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.ones(4, 3, dtype=m.int64)), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 5, 1])), x,
                match="Target 5 is out of bounds.")
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, -1, 1])), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2])), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0., 1., 2., 1.])), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1], dtype=m.int32)), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1]),
                                                weight=m.ones(3, dtype=m.float64)), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.rand(4, 3), ignore_index=1), x)
    raises_both(lambda m, x: F(m).cross_entropy(x, m.zeros(2, 5, dtype=m.int64)), X(2, 3, 4))
    raises_both(lambda m, x: F(m).nll_loss(x, m.zeros(4, 1, dtype=m.int64)), x)
    raises_both(lambda m, x: F(m).nll_loss(x, m.tensor(0)), X())
    raises_both(lambda m, x: F(m).cross_entropy(x, m.tensor([0, 1, 2, 1])),
                np.ones((4, 3), np.int64))


# ------------------------------------------------------------------ regression losses
REG = {
    "mse": lambda m, x, t, red: F(m).mse_loss(x, t, reduction=red),
    "l1": lambda m, x, t, red: F(m).l1_loss(x, t, reduction=red),
    "smooth_l1": lambda m, x, t, red: F(m).smooth_l1_loss(x, t, reduction=red, beta=0.5),
    "smooth_l1_b0": lambda m, x, t, red: F(m).smooth_l1_loss(x, t, reduction=red, beta=0.0),
    "huber": lambda m, x, t, red: F(m).huber_loss(x, t, reduction=red, delta=0.7),
    "bce_logits": lambda m, x, t, red: F(m).binary_cross_entropy_with_logits(x, t,
                                                                             reduction=red),
    "kl": lambda m, x, t, red: F(m).kl_div(x, t.abs(), reduction=red),
    "kl_log": lambda m, x, t, red: F(m).kl_div(x, t, reduction=red, log_target=True),
}


@pytest.mark.parametrize("name", list(REG))
@pytest.mark.parametrize("red", REDS)
def test_regression_losses(name: str, red: str) -> None:
    f = REG[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m, x, t: f(m, x, t, red), X(4, 5), X(4, 5), grad=True)
        run_both(lambda m, x, t: f(m, x, t, red), X(3, 2, dtype="float64"),
                 X(3, 2, dtype="float64"), grad=True)
        gradcheck(lambda m, x, t: f(m, x, t, red), X(3, 4), X(3, 4))


def test_regression_misc() -> None:
    with pytest.warns(UserWarning, match="different to the input size"):
        run_both(lambda m, x, t: F(m).mse_loss(x, t), X(3, 4), X(4), grad=True)
    run_both(lambda m, x, t: F(m).mse_loss(x, t, reduction="sum"), X(3, 4),
             X(3, 4, dtype="float64"), grad=True)
    run_both(lambda m, x, t: F(m).mse_loss(x, t.long()), X(3, 4), X(3, 4))
    run_both(lambda m, x, t, w: (F(m).mse_loss(x, t, weight=w), F(m).l1_loss(x, t, weight=w),
                                 F(m).huber_loss(x, t, weight=w)), X(3, 4), X(3, 4), P(3, 4),
             grad=True)
    run_both(lambda m, x, t: F(m).mse_loss(x, t), X(0, 3), X(0, 3))
    run_both(lambda m, x, t: F(m).smooth_l1_loss(x, t), as_dtype(X(3, 4), "bfloat16"),
             as_dtype(X(3, 4), "bfloat16"), grad=True)
    run_both(lambda m, x, t: F(m).mse_loss(x, t, size_average=False), X(3, 4), X(3, 4))
    e = F(ember).mse_loss(ember.tensor(X(2), requires_grad=True), ember.tensor(X(2)))
    assert e.grad_fn.name() == "MseLossBackward0"
    raises_both(lambda m, x, t: F(m).mse_loss(x, t), X(3), X(2))
    raises_both(lambda m, x, t: F(m).mse_loss(x, t, reduction="avg"), X(3), X(3))
    raises_both(lambda m, x, t: F(m).smooth_l1_loss(x, t, beta=-1.0), X(3), X(3))
    raises_both(lambda m, x, t: F(m).huber_loss(x, t, delta=0.0), X(3), X(3))
    raises_both(lambda m, x, t: F(m).mse_loss(x, t, weight=m.ones(2)), X(3), X(3))

    xa, ta = X(3, 4, dtype="float64"), X(3, 4, dtype="float64")

    def second(m, name):
        x = m.tensor(xa, requires_grad=True)
        (g,) = m.autograd.grad(REG[name](m, x, m.tensor(ta), "mean") ** 2, x, create_graph=True)
        return m.autograd.grad((g * g).sum(), x)

    for name in ("mse", "smooth_l1", "huber", "bce_logits"):
        run_both(lambda m, name=name: second(m, name))


# ------------------------------------------------------------------ binary cross-entropy
@pytest.mark.parametrize("red", REDS)
def test_binary_cross_entropy(red: str) -> None:
    run_both(lambda m, x, t: F(m).binary_cross_entropy(x, t, reduction=red), P(4, 3), P(4, 3),
             grad=True)
    run_both(lambda m, x, t, w: F(m).binary_cross_entropy(x, t, weight=w.detach(),
                                                          reduction=red),
             P(4, 3), P(4, 3), P(3), grad=True)
    gradcheck(lambda m, x, t: F(m).binary_cross_entropy(x, t, reduction=red), P(4, 3), P(4, 3))
    run_both(lambda m, x, t: F(m).binary_cross_entropy(x, t, reduction=red),
             np.array([0.0, 1.0, 0.5], np.float32), np.array([1.0, 0.0, 1.0], np.float32))


@pytest.mark.parametrize("red", REDS)
def test_bce_with_logits(red: str) -> None:
    x = X(4, 3) * 30
    run_both(lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t, reduction=red), x,
             P(4, 3), grad=True, atol=1e-4)
    run_both(lambda m, x, t, w, pw: F(m).binary_cross_entropy_with_logits(
        x, t, weight=w.detach(), pos_weight=pw.detach(), reduction=red),
        X(4, 3), P(4, 3), P(4, 1), P(3) * 3, grad=True)
    run_both(lambda m, x, t, pw: F(m).binary_cross_entropy_with_logits(
        x, t, pos_weight=pw.detach(), reduction=red), X(4, 3), P(4, 3), P(3) * 3, grad=True)
    gradcheck(lambda m, x, t: F(m).binary_cross_entropy_with_logits(
        x, t, pos_weight=m.tensor([0.5, 2.0, 3.0], dtype=m.float64), reduction=red),
        X(4, 3), P(4, 3))
    run_both(lambda m, x, t: m.binary_cross_entropy_with_logits(x, t, None, None, 2), X(4, 3),
             P(4, 3), grad=True)


def test_bce_errors() -> None:
    raises_both(lambda m, x, t: F(m).binary_cross_entropy(x, t), np.array([1.5], np.float32),
                np.array([1.0], np.float32))
    raises_both(lambda m, x, t: F(m).binary_cross_entropy(x, t), P(2), P(1))
    raises_both(lambda m, x, t: F(m).binary_cross_entropy(x, t), P(2), P(2, dtype="float64"))
    raises_both(lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t), P(2), P(1))
    raises_both(lambda m, x, t: F(m).binary_cross_entropy(
        x, t, weight=m.ones(2, requires_grad=True)), P(2), P(2))


# ------------------------------------------------------------------ kl_div
def test_kl_div() -> None:
    lp = np.log(P(4, 5))
    tp = P(4, 5)
    for red in ("batchmean", "sum", "none"):
        run_both(lambda m, x, t, red=red: F(m).kl_div(x, t, reduction=red), lp, tp, grad=True)
        run_both(lambda m, x, t, red=red: F(m).kl_div(x, t, reduction=red, log_target=True),
                 lp, np.log(tp), grad=True)
    with pytest.warns(UserWarning, match="batchmean"):
        F(ember).kl_div(ember.tensor(lp), ember.tensor(tp))
    run_both(lambda m, x, t: m.kl_div(x, t, 2), lp, tp, grad=True)
    run_both(lambda m, x, t: F(m).kl_div(x, t, reduction="batchmean"), np.asarray(np.log(P())), P(),
             grad=True)
    run_both(lambda m, x, t: F(m).kl_div(x, t, reduction="none"), lp,
             np.where(tp > 0.5, tp, 0).astype(np.float32), grad=True)
