"""Comparisons: operators (incl. reflected and non-tensor operands), in-place variants under
autograd, Python-bool results, isclose's rules; compared against torch."""

import numpy as np
import pytest

import ember
from tests.harness import raises_both, run_both

rng = np.random.default_rng(0)
X = rng.integers(-3, 4, (3, 4)).astype(np.float32)
Y = rng.integers(-3, 4, (3, 4)).astype(np.float32)
IA = rng.integers(-3, 4, (3, 4))


@pytest.mark.parametrize("fn", [
    lambda m, x, y: x == y, lambda m, x, y: x != y, lambda m, x, y: x < y,
    lambda m, x, y: x <= y, lambda m, x, y: x > y, lambda m, x, y: x >= y,
    lambda m, x, y: 1 < x, lambda m, x, y: 1 == x, lambda m, x, y: 0.5 >= x,
    lambda m, x, y: x == 1, lambda m, x, y: x != True,  # noqa: E712 lambda m, x, y: x[0] < y,
    lambda m, x, y: x > np.float64(0.5),
])
def test_operators_match_torch(fn):
    run_both(fn, X, Y)
    run_both(fn, IA, IA[::-1].copy())


def test_non_number_operands():
    def f(m, x):
        return (x == None, x != None, x == "a", x != "a", x == [1, 2], x == object())  # noqa: E711

    run_both(f, X)
    raises_both(lambda m, x: x < None, X)
    raises_both(lambda m, x: x >= "a", X)
    raises_both(lambda m, x: m.eq(x, None), X)


def test_tensor_stays_hashable():
    a, b = ember.tensor([1.0]), ember.tensor([1.0])
    d = {a: 1, b: 2}
    assert d[a] == 1 and d[b] == 2 and len({a, b, a}) == 2


def test_results_do_not_require_grad():
    def f(m, x, y):
        x.requires_grad_(True)
        outs = (x == y, x < 1, m.isclose(x, y), m.gt(x, y))
        assert all(not o.requires_grad and o.grad_fn is None for o in outs)
        return outs

    run_both(f, X, Y)


@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_in_place_comparison_keeps_graph_with_zero_grad(name):
    def f(m, x, y):
        x.requires_grad_(True)
        a = x * 2
        getattr(a, name + "_")(y)
        b = x * 3
        getattr(b, name + "_")(0.5)
        (g,) = m.autograd.grad((a + b).sum(), x)
        return a, b, g, a.grad_fn.name(), b.grad_fn.name(), a.requires_grad

    run_both(f, X, Y)


def test_in_place_comparison_writes_self_dtype():
    run_both(lambda m, x, y: x.clone().lt_(y), X, Y)
    run_both(lambda m, i: i.clone().eq_(1.5), IA)
    run_both(lambda m, i: i.clone().ge_(m.tensor([0.5, 1.5, -2.5, 0.0])), IA)
    raises_both(lambda m, x: x.clone().lt_(m.ones(2, 3, 4)), X, match="doesn't match")


def test_out_of_other_dtypes():
    for d in ("float32", "int32", "bool", "complex64"):
        run_both(lambda m, x, y, d=d: m.le(x, y, out=m.empty(0, dtype=getattr(m, d))), X, Y)


def test_equal_and_allclose_return_python_bools():
    e, t = run_both(lambda m, x: (m.equal(x, x.clone()), m.allclose(x, x + 1e-9)), X)
    assert e == (True, True) and all(type(v) is bool for v in e)
    e, _ = run_both(lambda m, x, y: (m.equal(x, y), x.equal(x), x.allclose(y)), X, Y)
    assert all(type(v) is bool for v in e)


def test_isclose_integers_are_measured_in_float():
    """torch 2.13 compares integers exactly only when rtol == atol == 0; otherwise their
    error is computed in the default float dtype (float32 rounding included)."""
    run_both(lambda m, a, b: m.isclose(a, b, 0, 0.5), np.array([16777217, 3]),
             np.array([16777216, 4]))
    run_both(lambda m, a, b: m.isclose(a, b, 0, 0), np.array([16777217, 3]),
             np.array([16777216, 3]))
    run_both(lambda m, a, b: m.isclose(a, b, 0.1, 1), np.array([0, 200], np.uint8),
             np.array([255, 201], np.uint8))
    run_both(lambda m, a, b: m.isclose(a, b, 0, 1.5), np.array([True, False]),
             np.array([False, False]))


def test_isclose_equal_nan_and_infinities():
    a = np.array([np.nan, np.inf, -np.inf, np.inf, 1.0])
    b = np.array([np.nan, np.inf, -np.inf, -np.inf, np.inf])
    for eq_nan in (False, True):
        run_both(lambda m, x, y, e=eq_nan: m.isclose(x, y, equal_nan=e), a, b)
        run_both(lambda m, x, y, e=eq_nan: m.allclose(x, y, equal_nan=e), a[:3], b[:3])


def test_isin_dtypes_and_shapes():
    run_both(lambda m, a, b: m.isin(a, b), np.array([[1, 5], [2, 9]]), np.array([2.0, 9.5, 1.0]))
    run_both(lambda m, a: m.isin(a, 255), np.array([255, 3], np.uint8))
    run_both(lambda m, a: m.isin(a, -1), np.array([255, 3], np.uint8))
    run_both(lambda m, a: m.isin(2, a, invert=True), np.array([1, 2]))
    run_both(lambda m, a, b: m.isin(a, b, out=m.empty(0, dtype=m.bool)), np.array([1, 2, 3]),
             np.array([3]))
    raises_both(lambda m, a: m.isin(a, True), np.array([1, 2]), match="Bool")


def test_comparison_promotes_before_comparing():
    big = np.array([16777217, 16777216])
    run_both(lambda m, a: a == 16777216.0, big)  # float32 comparison: both equal
    run_both(lambda m, a: a == m.tensor(16777216.0, dtype=m.float64), big)
    run_both(lambda m, a: a < 256, np.array([255, 0], np.uint8))  # 256 wraps to 0 in uint8
    run_both(lambda m, a, b: a <= b, np.array([1, 2], np.int8), np.array([1.5, 2.0], np.float16))
