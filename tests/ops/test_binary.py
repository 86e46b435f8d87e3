"""Binary math ops: behaviour the OpInfo rows cannot express (operators, graph node names,
double backward, torch's special cases), compared against torch."""

import numpy as np
import pytest

import ember
from tests.harness import assert_close, raises_both, run_both, to_numpy, torch

rng = np.random.default_rng(0)
X = rng.uniform(0.5, 2, (3, 4))
Y = rng.uniform(-2, 2, (3, 4))
IA = rng.integers(-5, 6, (3, 4))
POS_I = rng.integers(1, 6, (3, 4))


@pytest.mark.parametrize("fn", [
    lambda m, x, y: x ** y,
    lambda m, x, y: x ** 2,
    lambda m, x, y: 2 ** y,
    lambda m, x, y: 2.5 ** y,
    lambda m, x, y: x ** -1.5,
    lambda m, x, y: x % y,
    lambda m, x, y: y % 0.7,
])
def test_operators_match_torch_with_grads(fn):
    run_both(fn, X, Y, grad=True)


@pytest.mark.parametrize("fn", [
    lambda m, i, j: i ** j,
    lambda m, i, j: i ** 3,
    lambda m, i, j: 2 ** j,
    lambda m, i, j: i % j,
    lambda m, i, j: -7 % j,
    lambda m, i, j: i % 4,
    lambda m, i, j: i ** 0.5,
])
def test_integer_operators(fn):
    run_both(fn, IA, POS_I)


def test_in_place_operators_return_self_and_bump_version():
    def f(m, x, i):
        for op in (lambda t: t.__ipow__(2), lambda t: t.__imod__(3)):
            for t in (x.clone(), i.clone()):
                v = t._version
                r = op(t)
                assert r is t and t._version == v + 1
        a = x.clone()
        a **= 0.5
        b = i.clone()
        b %= 4
        return a, b

    run_both(f, X, IA)


def test_in_place_pow_on_int_with_float_or_negative_exponent_raises():
    raises_both(lambda m, i: i.clone().pow_(0.5), IA, match="can't be cast")
    raises_both(lambda m, i: i.clone().__ipow__(-1), IA,
                match="Integers to negative integer powers are not allowed.")


def test_pow_integer_negative_scalar_exponent_message():
    e = raises_both(lambda m, i: m.pow(i, -2), IA)
    assert str(e) == "Integers to negative integer powers are not allowed."


def test_remainder_with_scalar_dividend_has_no_derivative():
    x = rng.uniform(1, 2, (3,))
    run_both(lambda m, y: m.remainder(5, y), x)
    run_both(lambda m, y: m.remainder(-3, y), x.astype(np.int64) + 1)

    def back(m, y):
        y.requires_grad_(True)
        out = m.remainder(5, y)
        assert out.requires_grad
        out.sum().backward()

    raises_both(back, x, match="derivative for aten::remainder is not implemented")


def test_heaviside_backward_raises_like_torch():
    def back(m, x, v):
        x.requires_grad_(True)
        out = m.heaviside(x, v)
        assert out.requires_grad
        out.sum().backward()

    raises_both(back, Y, X, match="derivative for aten::heaviside is not implemented")


def test_float_power_in_place_needs_float64_self():
    raises_both(lambda m, x: x.float().float_power_(2), X, match="float_power_ has dtype Float")
    run_both(lambda m, x: x.clone().float_power_(m.tensor([1, 2, 3, 4])), X)
    run_both(lambda m, x: m.float_power(x.float(), 2), X, grad=True)


GRAD_FN_CASES = [
    lambda m, x, y: m.pow(x, 2),
    lambda m, x, y: m.pow(x, y),
    lambda m, x, y: m.pow(2, y),
    lambda m, x, y: m.float_power(x, y),
    lambda m, x, y: m.remainder(x, 1.5),
    lambda m, x, y: m.remainder(x, y),
    lambda m, x, y: m.fmod(x, 1.5),
    lambda m, x, y: m.fmod(x, y),
    lambda m, x, y: m.atan2(x, y),
    lambda m, x, y: m.arctan2(x, y),
    lambda m, x, y: m.maximum(x, y),
    lambda m, x, y: m.minimum(x, y),
    lambda m, x, y: m.fmax(x, y),
    lambda m, x, y: m.fmin(x, y),
    lambda m, x, y: m.hypot(x, y),
    lambda m, x, y: m.copysign(x, y),
    lambda m, x, y: m.copysign(x, -1.0),
    lambda m, x, y: m.xlogy(x, y),
    lambda m, x, y: m.xlogy(2.0, y),
    lambda m, x, y: m.xlogy(x, 3.0),
    lambda m, x, y: m.logaddexp(x, y),
    lambda m, x, y: m.logaddexp2(x, y),
    lambda m, x, y: m.ldexp(x, y),
    lambda m, x, y: m.nextafter(x, y),
]


@pytest.mark.parametrize("i", range(len(GRAD_FN_CASES)))
def test_grad_fn_names_and_edges_match_torch(i):
    fn = GRAD_FN_CASES[i]

    def f(m, x, y):
        x.requires_grad_(True)
        y.requires_grad_(True)
        out = fn(m, x, y)
        name = out.grad_fn.name().replace("torch::autograd::", "")
        return name, len(out.grad_fn.next_functions)

    run_both(f, X, Y)


@pytest.mark.parametrize("fn", [
    lambda m, x, y: m.pow(x, y),
    lambda m, x, y: m.pow(x, 3) * y,
    lambda m, x, y: m.pow(1.5, y) * x,
    lambda m, x, y: m.atan2(x, y),
    lambda m, x, y: m.hypot(x, y),
    lambda m, x, y: m.xlogy(y, x),
    lambda m, x, y: m.logaddexp(x, y),
    lambda m, x, y: m.logaddexp2(x, y),
    lambda m, x, y: m.ldexp(x, y),
    lambda m, x, y: m.maximum(x, y) * y,
    lambda m, x, y: m.copysign(x, y) * x,
    lambda m, x, y: m.remainder(x, y) * x,
])
def test_double_backward_matches_torch(fn):
    """Backward formulas are written with ember ops: second derivatives flow."""
    def f(m, x, y):
        x.requires_grad_(True)
        y.requires_grad_(True)
        out = fn(m, x, y)
        gx, gy = m.autograd.grad(out.sum(), (x, y), create_graph=True)
        return m.autograd.grad((gx * gx).sum() + (gy * x).sum(), (x, y), allow_unused=True)

    run_both(f, X, Y, rtol=1e-5)


def test_pow_zero_base_gradients_follow_torch():
    base = np.array([0.0, 0.0, 0.0, -1.0, 2.0, 0.0])
    exp = np.array([0.0, 2.0, -1.0, 2.0, 0.0, 0.5])
    run_both(lambda m, a, b: m.pow(a, b), base, exp, grad=True)
    run_both(lambda m, b: m.pow(0, b), exp, grad=True)
    run_both(lambda m, b: m.pow(-2, b), exp, grad=True)
    run_both(lambda m, a: m.pow(a, 0), base, grad=True)


def test_maximum_splits_gradient_on_ties():
    a = np.array([1.0, 2.0, 3.0, np.nan])
    b = np.array([1.0, 1.0, 4.0, 1.0])
    run_both(lambda m, x, y: m.maximum(x, y), a, b, grad=True)
    run_both(lambda m, x, y: m.minimum(x, y), a, b, grad=True)
    x = ember.tensor(a, requires_grad=True)
    ember.maximum(x, ember.tensor(b)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 1.0, 0.0, 1.0])


def test_ldexp_integer_exponent_gradient_is_exact_where_torch_truncates():
    """Deviation: torch's LdexpBackward0 computes 2**other in integer arithmetic, so negative
    integer exponents give a zero gradient; ember gives the true derivative 2**other."""
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ember.ldexp(x, ember.tensor([-1, 0, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 1.0, 4.0])
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    torch.ldexp(tx, torch.tensor([-1, 0, 2])).sum().backward()
    assert tx.grad.tolist() == [0.0, 1.0, 4.0]


def test_out_accepts_wider_dtype_and_rejects_narrower():
    run_both(lambda m, i: m.pow(i, 2, out=m.empty(0, dtype=m.float64)), IA)
    run_both(lambda m, x, y: m.atan2(x, y, out=m.empty(0, dtype=m.complex64)), X, Y)
    raises_both(lambda m, x, y: m.atan2(x, y, out=m.empty(0, dtype=m.int64)), X, Y,
                match="can't be cast")
    # a float64 result into a float32 out= is allowed (same category)
    run_both(lambda m, x, y: m.maximum(x, y, out=m.empty(0)), X, Y)


def test_out_with_requires_grad_raises():
    def f(m, x, y):
        x.requires_grad_(True)
        return m.hypot(x, y, out=m.empty(0, dtype=m.float64))

    raises_both(f, X, Y, match="out=")


def test_broadcast_error_message_matches_torch():
    def f(m, x, y):
        return m.atan2(x, y)

    e = raises_both(f, rng.random((2, 3)), rng.random((4, 1, 2)))
    assert str(e) == ("The size of tensor a (3) must match the size of tensor b (2) at "
                      "non-singleton dimension 2")


def test_scalar_promotion_keeps_half_precision():
    h = rng.uniform(-2, 2, (4,)).astype(np.float16)
    for fn in (lambda m, x: x ** 2.5, lambda m, x: m.remainder(x, 0.3),
               lambda m, x: m.copysign(x, -1.0), lambda m, x: m.xlogy(x, 2.0),
               lambda m, x: m.fmod(x, 2), lambda m, x: m.pow(2, x)):
        e, t = run_both(fn, h)
        assert e.dtype is ember.float16


def test_integer_scalar_is_not_wrapped_when_the_result_is_float():
    u = np.array([5, 7, 200], np.uint8)
    for fn in (lambda m, x: m.copysign(x, -1), lambda m, x: m.xlogy(x, -1),
               lambda m, x: m.xlogy(-1, x), lambda m, x: m.remainder(x, -3),
               lambda m, x: m.fmod(x, 300), lambda m, x: m.pow(-2, x)):
        run_both(fn, u)


def test_pow_uint8_exponent_out_of_range_raises():
    raises_both(lambda m, x: m.pow(x, 300), np.array([2], np.uint8), match="overflow")
    run_both(lambda m, x: m.pow(x, 2 ** 40), np.array([2, 1, 0]))


def test_complex_pow_and_logaddexp():
    c = (rng.uniform(-2, 2, (5,)) + 1j * rng.uniform(-2, 2, (5,))).astype(np.complex64)
    d = (rng.uniform(-2, 2, (5,)) + 1j * rng.uniform(-2, 2, (5,))).astype(np.complex64)
    for fn in (lambda m, a, b: a ** b, lambda m, a, b: a ** 2, lambda m, a, b: 2 ** a,
               lambda m, a, b: m.logaddexp(a, b), lambda m, a, b: a ** 0.5):
        run_both(fn, c, d, rtol=1e-5)


def test_results_are_fresh_arrays_for_0d_inputs():
    """0-d operands make NumPy return scalars; results must still be writable tensors."""
    for out in (ember.tensor(2.0) ** 2, ember.atan2(ember.tensor(1.0), ember.tensor(2.0)),
                ember.maximum(ember.tensor(1), ember.tensor(2)),
                ember.remainder(ember.tensor(5.0), 3)):
        assert isinstance(out._data, np.ndarray) and out.dim() == 0
        out.add_(1)
        assert float(out) == float(to_numpy(out))


def test_gcd_lcm_in_place_and_values():
    a = np.array([12, -18, 0, 7, 0], np.int32)
    b = np.array([8, 12, 5, 0, 0], np.int32)
    run_both(lambda m, x, y: (m.gcd(x, y), m.lcm(x, y), x.clone().gcd_(y), x.clone().lcm_(y)),
             a, b)


def test_nan_handling_of_selection_ops():
    a = np.array([np.nan, 1.0, np.nan, -np.inf])
    b = np.array([1.0, np.nan, np.nan, np.inf])
    for name in ("maximum", "minimum", "fmax", "fmin"):
        e, t = run_both(lambda m, x, y, name=name: getattr(m, name)(x, y), a, b)
        assert_close(e, t)
