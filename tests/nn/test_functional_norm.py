"""nn.functional normalisation against torch: layer_norm, rms_norm, group_norm, batch_norm,
normalize; values, gradients (input, weight, bias), gradcheck, double backward, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional  # noqa: F401
from tests.harness import as_dtype, gradcheck, noncontig, raises_both, run_both

rng = np.random.default_rng(1)


def X(*shape: int, dtype: str = "float32", scale: float = 2.0, shift: float = 0.5) -> np.ndarray:
    return np.asarray((rng.standard_normal(shape) * scale + shift).astype(dtype))


# ------------------------------------------------------------------ layer_norm
@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 8), (8,)), ((2, 3, 4), (3, 4)),
                                      ((5,), (5,)), ((16, 64, 128), (128,))])
@pytest.mark.parametrize("affine", ["none", "weight", "both", "bias"])
def test_layer_norm(shape: tuple, ns: tuple, affine: str) -> None:
    w = X(*ns) if affine in ("weight", "both") else None
    b = X(*ns) if affine in ("bias", "both") else None
    run_both(lambda m, x, w, b: m.nn.functional.layer_norm(x, ns, w, b, eps=1e-5),
             X(*shape), w, b, grad=True, atol=2e-5)


def test_layer_norm_variants() -> None:
    run_both(lambda m, x, w, b: m.layer_norm(x, [4], w, b), X(3, 4, dtype="float64"),
             X(4, dtype="float64"), X(4, dtype="float64"), grad=True)
    run_both(lambda m, x: m.nn.functional.layer_norm(x, (4,)), noncontig(X(3, 4)))
    run_both(lambda m, x: m.nn.functional.layer_norm(x, (4,), eps=0.5), X(3, 4), grad=True)
    run_both(lambda m, x: m.nn.functional.layer_norm(x, (4,)), X(0, 4), grad=True)
    run_both(lambda m, x, w, b: m.native_layer_norm(x, [4], w, b, 1e-5), X(2, 3, 4), X(4),
             X(4))
    for dt in ("float16", "bfloat16"):
        run_both(lambda m, x: m.nn.functional.layer_norm(x, (8,)), as_dtype(X(3, 8), dt),
                 grad=True)
    e = ember.nn.functional.layer_norm(ember.tensor(X(2, 3), requires_grad=True), (3,))
    assert e.grad_fn.name() == "NativeLayerNormBackward0"


def test_layer_norm_gradcheck_and_double_backward() -> None:
    gradcheck(lambda m, x, w, b: m.nn.functional.layer_norm(x, (4,), w, b), X(3, 4), X(4), X(4))
    gradcheck(lambda m, x: m.nn.functional.layer_norm(x, (2, 3)), X(2, 2, 3))
    x, w, b, gw = X(3, 5, dtype="float64"), X(5, dtype="float64"), X(5, dtype="float64"), \
        X(3, 5, dtype="float64")

    def second(m):
        ts = [m.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = m.nn.functional.layer_norm(ts[0], (5,), ts[1], ts[2])
        gs = m.autograd.grad((y * m.tensor(gw)).sum(), ts, create_graph=True)
        s = sum((g * g).sum() for g in gs)
        return [g.detach() for g in gs], m.autograd.grad(s, ts[:2])

    run_both(second)


def test_layer_norm_errors() -> None:
    raises_both(lambda m, x: m.nn.functional.layer_norm(x, (3,)), X(2, 4))
    raises_both(lambda m, x, w: m.nn.functional.layer_norm(x, (4,), w), X(2, 4), X(3))
    raises_both(lambda m, x: m.nn.functional.layer_norm(x, 4), X(2, 4))
    raises_both(lambda m, x, w: m.nn.functional.layer_norm(x, (4,), w), X(2, 4),
                X(4, dtype="float64"))
    raises_both(lambda m, x: m.nn.functional.layer_norm(x, (4,)),
                np.arange(8).reshape(2, 4))


# ------------------------------------------------------------------ rms_norm
def test_rms_norm() -> None:
    run_both(lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w), X(3, 4), X(4), grad=True)
    run_both(lambda m, x: m.nn.functional.rms_norm(x, (3, 4), eps=1e-3), X(2, 3, 4), grad=True)
    run_both(lambda m, x, w: m.rms_norm(x, [4], w), X(3, 4, dtype="float64"),
             X(4, dtype="float64"), grad=True)
    run_both(lambda m, x: m.nn.functional.rms_norm(x, (8,)), as_dtype(X(3, 8), "bfloat16"),
             grad=True)
    gradcheck(lambda m, x, w: m.nn.functional.rms_norm(x, (4,), w), X(3, 4), X(4))
    raises_both(lambda m, x: m.nn.functional.rms_norm(x, (3,)), X(2, 4))


# ------------------------------------------------------------------ group_norm
@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 8), 2), ((2, 4, 3, 3), 4),
                                          ((2, 4, 3, 3), 1)])
def test_group_norm(shape: tuple, groups: int) -> None:
    c = shape[1]
    run_both(lambda m, x, w, b: m.nn.functional.group_norm(x, groups, w, b), X(*shape), X(c),
             X(c), grad=True, atol=2e-5)
    run_both(lambda m, x: m.nn.functional.group_norm(x, groups), X(*shape), grad=True)
    gradcheck(lambda m, x, w, b: m.nn.functional.group_norm(x, groups, w, b), X(*shape), X(c),
              X(c))


def test_group_norm_misc() -> None:
    run_both(lambda m, x, w, b: m.group_norm(x, 2, w, b), X(2, 4, 3), X(4), X(4), grad=True)
    e = ember.nn.functional.group_norm(ember.tensor(X(2, 4, 3), requires_grad=True), 2)
    assert e.grad_fn.name() == "NativeGroupNormBackward0"
    raises_both(lambda m, x: m.nn.functional.group_norm(x, 2), X(2, 3, 4))
    raises_both(lambda m, x, w: m.nn.functional.group_norm(x, 3, w), X(2, 3, 4), X(2))
    raises_both(lambda m, x: m.nn.functional.group_norm(x, 1), X(3))
    raises_both(lambda m, x: m.nn.functional.group_norm(x, 3), X(1, 3, 1))

    xa, wa = X(2, 4, 3, dtype="float64"), X(4, dtype="float64")

    def second(m):
        x = m.tensor(xa, requires_grad=True)
        w = m.tensor(wa, requires_grad=True)
        (g,) = m.autograd.grad((m.nn.functional.group_norm(x, 2, w) ** 2).sum(), x,
                               create_graph=True)
        return m.autograd.grad((g * g).sum(), [x, w])

    run_both(second)


# ------------------------------------------------------------------ batch_norm
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm(shape: tuple, training: bool) -> None:
    c = shape[1]
    rm0, rv0 = X(c), np.abs(X(c)) + 0.5

    def f(m, x, w, b):
        rm, rv = m.tensor(rm0), m.tensor(rv0)
        y = m.nn.functional.batch_norm(x, rm, rv, w, b, training=training, momentum=0.3)
        return y, rm, rv

    run_both(f, X(*shape), X(c), X(c), grad=True, atol=2e-5)
    gradcheck(lambda m, x, w, b: m.nn.functional.batch_norm(
        x, None if training else m.tensor(rm0, dtype=m.float64),
        None if training else m.tensor(rv0, dtype=m.float64), w, b, training=training),
        X(*shape), X(c), X(c))


def test_batch_norm_misc() -> None:
    run_both(lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True), X(5, 3),
             grad=True)
    run_both(lambda m, x: m.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False),
             X(5, 3), grad=True)
    e = ember.nn.functional.batch_norm(ember.tensor(X(4, 3), requires_grad=True), None, None,
                                       training=True)
    assert e.grad_fn.name() == "NativeBatchNormBackward0"
    raises_both(lambda m, x: m.nn.functional.batch_norm(x, None, None), X(4, 3))
    raises_both(lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True), X(1, 3))
    raises_both(lambda m, x, r: m.nn.functional.batch_norm(x, r, r), X(4, 3), X(2))
    raises_both(lambda m, x: m.nn.functional.batch_norm(x, None, None, training=True, eps=0.0),
                X(4, 3))

    xa, wa = X(4, 3, 2, dtype="float64"), X(3, dtype="float64")

    def second(m):
        x = m.tensor(xa, requires_grad=True)
        w = m.tensor(wa, requires_grad=True)
        (g,) = m.autograd.grad((m.nn.functional.batch_norm(x, None, None, w, training=True)
                                ** 3).sum(), x, create_graph=True)
        return m.autograd.grad((g * g).sum(), [x, w])

    run_both(second)


# ------------------------------------------------------------------ normalize
def test_normalize() -> None:
    run_both(lambda m, x: m.nn.functional.normalize(x), X(3, 4), grad=True)
    run_both(lambda m, x: m.nn.functional.normalize(x, p=1.0, dim=0), X(3, 4), grad=True)
    run_both(lambda m, x: m.nn.functional.normalize(x, dim=-1), np.zeros((2, 3), np.float32),
             grad=True)
    gradcheck(lambda m, x: m.nn.functional.normalize(x, dim=1), X(3, 4))


def test_local_response_norm() -> None:
    for size in (1, 2, 3, 5):
        run_both(lambda m, x, size=size: m.nn.functional.local_response_norm(x, size), X(2, 6, 4),
                 grad=True)
    run_both(lambda m, x: m.nn.functional.local_response_norm(x, 3, 1e-2, 0.5, 2.0),
             X(2, 4, 3, 3), grad=True)
    gradcheck(lambda m, x: m.nn.functional.local_response_norm(x, 3, 0.1), X(1, 4, 3))
    raises_both(lambda m, x: m.nn.functional.local_response_norm(x, 2), X(2, 3))
