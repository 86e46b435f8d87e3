"""Arithmetic ops: promotion corner cases, operators, in-place rules, division by zero, graph
nodes; compared against torch."""

import numpy as np
import pytest

import ember
from tests.harness import dt, raises_both, run_both

rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, (3, 4))
Y = rng.uniform(0.5, 2, (3, 4))
IA = rng.integers(-5, 6, (3, 4))


def test_int_tensor_plus_float_scalar_is_float32():
    e, _ = run_both(lambda m, i: i + 1.5, IA)
    assert e.dtype is ember.float32
    e, _ = run_both(lambda m, i: 2.5 * i, IA)
    assert e.dtype is ember.float32


def test_uint8_plus_out_of_range_int_wraps():
    u = np.array([0, 1, 200, 255], np.uint8)
    e, _ = run_both(lambda m, x: x + 1000, u)
    assert e.dtype is ember.uint8
    assert e.tolist() == [(v + 1000) % 256 for v in (0, 1, 200, 255)]
    run_both(lambda m, x: x - 300, u)
    run_both(lambda m, x: x * -1, u)
    run_both(lambda m, x: m.add(x, 3, alpha=-3), u)


def test_half_tensor_with_float64_0d_tensor_stays_half():
    h = rng.uniform(-2, 2, (4,)).astype(np.float16)
    e, _ = run_both(lambda m, x, s: x + s, h, np.array(1.25))
    assert e.dtype is ember.float16
    e, _ = run_both(lambda m, x, s: x * s, h, np.array(3))
    assert e.dtype is ember.float16
    e, _ = run_both(lambda m, x, s: s - x, h, np.array(0.5))
    assert e.dtype is ember.float16


def test_int_divided_by_int_is_float32():
    e, _ = run_both(lambda m, a, b: a / b, IA, IA + 10)
    assert e.dtype is ember.float32
    e, _ = run_both(lambda m, a: a / 2, IA)
    assert e.dtype is ember.float32
    run_both(lambda m, a: 7 / a, IA + 10)
    run_both(lambda m, a: m.true_divide(a, -3), np.array([5, 7, 200], np.uint8))


def test_bool_minus_bool_raises():
    b = np.array([True, False])
    raises_both(lambda m, x: x - x, b, match="two bool tensors")
    raises_both(lambda m, x: m.sub(x, True), b, match="two bool tensors")
    raises_both(lambda m, x: x - 1, b, match="with a bool tensor")
    raises_both(lambda m, x: x - True, X, match="with a bool tensor")
    raises_both(lambda m, x: True - x, X, match="with a bool tensor")
    raises_both(lambda m, x: x.clone().sub_(True), X, match="with a bool tensor")
    raises_both(lambda m, x: x.clone().__isub__(x.clone()), b)


def test_in_place_int_with_float_raises():
    raises_both(lambda m, i: i.clone().add_(1.5), IA, match="can't be cast")
    raises_both(lambda m, i: i.clone().mul_(m.tensor(0.5)), IA, match="can't be cast")
    raises_both(lambda m, i: i.clone().div_(2), IA, match="can't be cast")

    def iadd(m, i):
        j = i.clone()
        j += 0.5
        return j

    raises_both(iadd, IA, match="can't be cast")


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_integer_division_by_zero_raises(mode):
    z = np.array([1, 0, 2])
    raises_both(lambda m, i: m.div(i, m.tensor(z), rounding_mode=mode), np.array([1, 2, 3]),
                match="ZeroDivisionError")
    raises_both(lambda m, i: m.div(i, 0, rounding_mode=mode), np.array([1, 2, 3]),
                match="ZeroDivisionError")
    raises_both(lambda m, i: i // 0, np.array([1, 2, 3]), match="ZeroDivisionError")


def test_float_division_by_zero_gives_inf_and_nan():
    a = np.array([1.0, -1.0, 0.0, 2.5])
    b = np.zeros(4)
    for mode in (None, "floor", "trunc"):
        run_both(lambda m, x, y, mode=mode: m.div(x, y, rounding_mode=mode), a, b)
    run_both(lambda m, i: i / 0, np.array([1, -1, 0]))


@pytest.mark.parametrize("fn", [
    lambda m, x, y: x + y, lambda m, x, y: x - y, lambda m, x, y: x * y,
    lambda m, x, y: x / y, lambda m, x, y: x // y, lambda m, x, y: -x, lambda m, x, y: +x,
    lambda m, x, y: 2 + x, lambda m, x, y: 2 - x, lambda m, x, y: 3 * x, lambda m, x, y: 3 / y,
    lambda m, x, y: 3 // y, lambda m, x, y: x + 1.5, lambda m, x, y: x * True,
    lambda m, x, y: x[0] + y, lambda m, x, y: x[:, :1] * y[0],
])
def test_operators_match_torch(fn):
    run_both(fn, X, Y)
    run_both(fn, IA, IA * 0 + 3)


@pytest.mark.parametrize("fn", [
    lambda m, x, y: x + y, lambda m, x, y: x - y, lambda m, x, y: x * y, lambda m, x, y: x / y,
    lambda m, x, y: 2 - x, lambda m, x, y: 3 / y, lambda m, x, y: -x,
    lambda m, x, y: m.add(x, y, alpha=2.5), lambda m, x, y: m.sub(x, y, alpha=-2),
    lambda m, x, y: m.rsub(x, y, alpha=3), lambda m, x, y: m.rsub(x, 2.0, alpha=3),
    lambda m, x, y: m.div(x, y, rounding_mode="floor"),
    lambda m, x, y: m.div(x, 1.5, rounding_mode="trunc"),
])
def test_gradients_match_torch(fn):
    run_both(fn, X, Y, grad=True)


def test_in_place_operators():
    def f(m, x, y):
        outs = []
        for op in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__"):
            t = x.clone()
            v = t._version
            r = getattr(t, op)(y)
            assert r is t and t._version > v
            outs.append(t)
        a = x.clone()
        a += 1
        a -= y[0]
        a *= 2
        a /= y
        return outs, a

    run_both(f, X, Y)


def test_in_place_broadcast_must_fit_self():
    raises_both(lambda m, x, y: x.clone()[0].add_(y), X, Y, match="doesn't match the broadcast")
    raises_both(lambda m, x: x.clone().mul_(m.ones(2, 3, 4)), X)


def test_in_place_with_grad_records_history():
    def f(m, x, y):
        x.requires_grad_(True)
        y.requires_grad_(True)
        a = x * 1
        a.add_(y, alpha=2)
        a.mul_(y)
        a.sub_(x)
        a.div_(y)
        return a

    run_both(f, X, Y, grad=True)


def test_floor_divide_has_no_derivative_but_div_floor_has_zero():
    def back(m, x):
        x.requires_grad_(True)
        (x // 2).sum().backward()

    raises_both(back, X, match="derivative for aten::floor_divide is not implemented")

    def zero(m, x):
        x.requires_grad_(True)
        out = m.div(x, 2, rounding_mode="floor")
        (g,) = m.autograd.grad(out.sum(), x)
        return g, out.grad_fn.name()

    run_both(zero, X)


@pytest.mark.parametrize("fn", [
    lambda m, x, y: x + y, lambda m, x, y: x + 2, lambda m, x, y: 2 + x, lambda m, x, y: x - y,
    lambda m, x, y: 2 - x, lambda m, x, y: m.rsub(x, y), lambda m, x, y: m.rsub(x, 2),
    lambda m, x, y: x * y, lambda m, x, y: x * 2, lambda m, x, y: x / y,
    lambda m, x, y: x / 2, lambda m, x, y: -x,
    lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
])
def test_grad_fn_names_and_edges(fn):
    def f(m, x, y):
        x.requires_grad_(True)
        y.requires_grad_(True)
        out = fn(m, x, y)
        return out.grad_fn.name(), len(out.grad_fn.next_functions)

    run_both(f, X, Y)


def test_alpha_rules():
    b = np.array([True, False])
    run_both(lambda m, x: m.add(x, x, alpha=2), b)
    run_both(lambda m, x: m.add(x, x, alpha=False), b)
    raises_both(lambda m, i: m.add(i, i, alpha=1.0), IA, match="alpha must not be a floating")
    raises_both(lambda m, x: m.add(x, x, alpha=True), X, match="Boolean alpha")
    raises_both(lambda m, x: m.sub(x, x, alpha=1j), X, match="complex")
    raises_both(lambda m, i: i.clone().add_(i, alpha=0.5), IA, match="alpha must not be")


def test_div_rounding_mode_errors_and_out():
    raises_both(lambda m, x: m.div(x, 2, rounding_mode="round"), X, match="rounding_mode")
    run_both(lambda m, x, y: m.div(x, y, rounding_mode="floor", out=m.empty(0, dtype=m.float64)),
             X, Y)
    run_both(lambda m, i: m.div(i, 3, rounding_mode="trunc", out=m.empty(0, dtype=m.int32)), IA)
    raises_both(lambda m, i: m.div(i, 3, out=m.empty(0, dtype=m.int64)), IA, match="can't be cast")


def test_zero_dim_results_are_writable_tensors():
    for out in (ember.tensor(2.0) + 1, ember.tensor(3) * ember.tensor(2), -ember.tensor(1.5),
                ember.tensor(7) / 2, ember.tensor(7) // 2):
        assert isinstance(out._data, np.ndarray) and out.dim() == 0
        out.add_(1)
    run_both(lambda m: (m.tensor(2.0) + 1).add_(1))


def test_broadcast_error_is_runtime_error_naming_the_sizes():
    e = raises_both(lambda m, x, y: x + y, np.ones((2, 3)), np.ones((3, 2)))
    assert "must match the size of tensor b" in str(e)
    raises_both(lambda m, x, y: m.div(x, y, rounding_mode="floor"), np.ones((2, 3)),
                np.ones((4,)))


def test_mixed_dtype_tensors():
    for a, b in ((np.int8, np.uint8), (np.int32, np.float16), (np.bool_, np.int16),
                 (np.float32, np.float64), (np.int64, np.complex64)):
        x = rng.integers(1, 5, (3,)).astype(a)
        y = rng.integers(1, 5, (3,)).astype(b)
        for fn in (lambda m, p, q: p + q, lambda m, p, q: p * q, lambda m, p, q: p / q):
            run_both(fn, x, y)


def test_reduced_precision_with_scalars_and_0d_tensors():
    run_both(lambda m, x: m.add(x, 1, out=m.empty(0, dtype=m.float64)), X)
    run_both(lambda m: m.tensor([1, 2]).to(m.float16) + m.tensor(1.5, dtype=m.float64))
    e, _ = run_both(lambda m, d: m.ones(2, dtype=d) * 2.5 - 0.25, dt("bfloat16"))
    assert e.dtype is ember.bfloat16


def test_scalar_subclasses_and_numpy_scalars():
    run_both(lambda m, x: x + np.float64(1.5), X.astype(np.float32))
    run_both(lambda m, x: x * np.int64(3), IA)
    raises_both(lambda m, x: x + "a", X)
    raises_both(lambda m, x: x * None, X)
