"""where / clamp / lerp / addcmul / addcdiv behaviour the OpInfo rows cannot express."""

import warnings

import numpy as np
import pytest

import ember
from tests.harness import gradcheck, raises_both, run_both, torch

R = np.random.default_rng(5)


def f64(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape)


def mask(*shape):
    return R.random(shape) < 0.5


# ------------------------------------------------------------------ where
def test_where_method_takes_self_as_input():
    run_both(lambda m, c, x, y: x.where(c, y), mask(3, 4), f64(3, 4), f64(4))
    run_both(lambda m, c, x: x.where(c, 0.5), mask(3, 4), f64(3, 4))


def test_where_number_operands_promote_like_torch():
    c = mask(5)
    for a, b in ((1, 0), (1.0, 0), (True, False), (1, 2.5), (1j, 0)):
        run_both(lambda m, c, a=a, b=b: m.where(c, a, b), c)
    run_both(lambda m, c, x: m.where(c, x, 2.5), c, np.arange(5, dtype=np.int32))
    run_both(lambda m, c, x: m.where(c, x, 1e10), c, f64(5).astype(np.float16))


def test_where_gradcheck_and_double_backward():
    c = mask(3, 4)

    def fn(m, x, y):
        return m.where(m.tensor(c), x, y * y)
    gradcheck(fn, f64(3, 4), f64(1, 4))
    xs = [ember.tensor(f64(3, 4), requires_grad=True), ember.tensor(f64(4), requires_grad=True)]
    assert ember.autograd.gradgradcheck(lambda x, y: ember.where(ember.tensor(c), x * x, y * y),
                                        tuple(xs))


def test_where_bit_select_matches_np_where_for_every_dtype():
    c = mask(4, 300)
    for d in ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
              "float64", "complex64", "complex128"):
        x = (R.uniform(-5, 5, (4, 300)) * (1 + 1j if d.startswith("complex") else 1)).astype(d)
        y = (R.uniform(-5, 5, (300,)) * (1 + 1j if d.startswith("complex") else 1)).astype(d)
        x.reshape(-1)[::7] = np.nan if d.startswith(("float", "complex")) else x.reshape(-1)[0]
        got = ember.where(ember.tensor(c), ember.tensor(x), ember.tensor(y)).numpy()
        want = np.where(c, x, y)
        assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=d[0] in "fc"), d
    # bfloat16 and non-contiguous operands
    run_both(lambda m, c, x, y: m.where(c, x.to(m.bfloat16), y.to(m.bfloat16)).float(),
             mask(8, 100), f64(8, 100).astype(np.float32), f64(100).astype(np.float32))
    run_both(lambda m, c, x, y: m.where(c.t(), x.t(), y), mask(100, 8), f64(100, 8), f64(100))


def test_where_uint8_condition_warns_like_torch():
    c = np.array([0, 2, 1], dtype=np.uint8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        run_both(lambda m, c, x: m.where(c, x, -x), c, f64(3))
    assert sum("uint8 condition" in str(x.message) for x in w) == 2  # torch and ember


def test_where_condition_only_is_nonzero():
    if "nonzero" not in ember._ops.FUNCTIONS:
        pytest.skip("nonzero is not implemented yet")
    run_both(lambda m, c: m.where(c), mask(3, 4))


def test_where_out():
    def f(m, c, x):
        out = m.empty(0, dtype=m.float64)
        return m.where(c, x, -x, out=out) is out, out
    run_both(f, mask(3), f64(3))


# ------------------------------------------------------------------ clamp
def test_clamp_gradient_masks_include_the_bounds():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    lo = np.array([1.0, 1.0, 1.0, 4.0, 4.0, 6.0])
    hi = np.array([3.0, 3.0, 3.0, 2.0, 2.0, 5.0])
    run_both(lambda m, x, a, b: m.clamp(x, a, b), x, lo, hi, grad=True)
    run_both(lambda m, x, a: m.clamp(x, min=a), x, lo, grad=True)
    run_both(lambda m, x, b: m.clamp(x, max=b), x, hi, grad=True)
    run_both(lambda m, x, a: m.clamp_min(x, a), x, lo, grad=True)
    run_both(lambda m, x, b: m.clamp_max(x, b), x, hi, grad=True)
    for lo_s, hi_s in ((1.0, 3.0), (3.0, 1.0), (None, 2.0), (2.0, None)):
        run_both(lambda m, x, lo_s=lo_s, hi_s=hi_s: m.clamp(x, lo_s, hi_s), x, grad=True)
    run_both(lambda m, x: m.clamp(x, 0.0, 2.0), np.array([np.nan, 1.0, np.inf]), grad=True)


def test_clamp_grad_fn_names():
    x = ember.tensor(f64(3), requires_grad=True)
    t = ember.tensor(f64(3))
    assert ember.clamp(x, 0, 1).grad_fn.name() == "ClampBackward1"
    assert ember.clamp(x, min=0).grad_fn.name() == "ClampBackward1"
    assert ember.clamp(x, t).grad_fn.name() == "ClampBackward0"
    assert ember.clamp_min(x, 0).grad_fn.name() == "ClampMinBackward0"
    assert ember.clamp_min(x, t).grad_fn.name() == "ClampMinBackward1"
    assert ember.clamp_max(x, 0).grad_fn.name() == "ClampMaxBackward0"
    assert ember.clamp_max(x, t).grad_fn.name() == "ClampMaxBackward1"


def test_clamp_double_backward():
    def second(m, x, lo):
        y = m.clamp(x * x, lo) * m.clamp(x, -0.5, 0.5)
        g, = m.autograd.grad(y.sum(), x, create_graph=True)
        return (g * g).sum()
    run_both(second, f64(3, 4), f64(4, lo=0, hi=1), grad=True)


def test_clamp_promotion():
    run_both(lambda m, x: m.clamp(x, 0.5), np.array([1, 2, 3]))
    run_both(lambda m, x: m.clamp(x, True), np.array([0, 2, 3]))
    run_both(lambda m, x, t: m.clamp(x, t), np.array([1, 2, 3]), np.array(1.5))
    run_both(lambda m, x, t: m.clamp(x, t), f64(3).astype(np.float16), np.array(0.5, np.float32))
    run_both(lambda m, x, t: m.clamp(x, t), f64(3).astype(np.float16), f64(3).astype(np.float32))


def test_clamp_inplace_fast_path():
    def f(m, x):
        y = x.clone()
        v = y[:, 1]
        v.clamp_(-0.5, 0.5)
        y.clamp_min_(-1.0)
        y.clip_(max=1.5)
        return y
    run_both(f, f64(3, 4, lo=-3, hi=3))
    x = ember.tensor(f64(4))
    ver = x._version
    assert x.clamp_(0, 1) is x and x._version > ver
    raises_both(lambda m, x: x.clamp_(0.5), np.array([1, 2]))
    raises_both(lambda m, x: x.clamp_(min=m.tensor([0.5, 0.5])), np.array([1, 2]))
    run_both(lambda m, x: x.clone().clamp_(-1, 1), f64(3))  # int bounds on a float tensor
    raises_both(lambda m, x: x.expand(3, 2).clamp_(0, 1), f64(1, 2))  # overlapping memory
    raises_both(lambda m, x: x.requires_grad_().clamp_(0, 1), f64(3))
    raises_both(lambda m, x: x.clamp_(0, 1e39), f64(3).astype(np.float32))


def test_clamp_inplace_with_grad_through_graph():
    def f(m, x, lo):
        y = x * 1.5
        y.clamp_(lo)
        y.clamp_max_(1.0)
        return y
    run_both(f, f64(3, 4), f64(4, lo=-1, hi=0), grad=True)


# ------------------------------------------------------------------ lerp
def test_lerp_endpoints_are_exact():
    x, e = f64(50).astype(np.float32), f64(50).astype(np.float32)
    run_both(lambda m, x, e: (m.lerp(x, e, 0.0), m.lerp(x, e, 1.0), m.lerp(x, e, 0.5)), x, e,
             rtol=0, atol=0)
    for wt in (0.3, 0.7, -1.2, 0.49999, 2.5):  # both formulas, with the weight in float32
        run_both(lambda m, x, e, wt=wt: m.lerp(x, e, wt), x, e, rtol=0, atol=0)
    w = np.array([0.0, 1.0, 0.49, 0.51, -3.0, 3.0] * 5, dtype=np.float32)
    run_both(lambda m, x, e, w: m.lerp(x, e, w), x[:30], e[:30], w, rtol=0, atol=0)


def test_lerp_gradients_and_names():
    run_both(lambda m, x, e, w: m.lerp(x, e, w), f64(3, 4), f64(4), f64(3, 1), grad=True)
    x = ember.tensor(f64(3), requires_grad=True)
    assert ember.lerp(x, x * 2, 0.3).grad_fn.name() == "LerpBackward0"
    assert ember.lerp(x, x * 2, ember.tensor(0.3, dtype=ember.float64)).grad_fn.name() == \
        "LerpBackward1"
    assert ember.autograd.gradgradcheck(
        lambda a, b, w: ember.lerp(a * a, b, w * w),
        tuple(ember.tensor(f64(3), requires_grad=True) for _ in range(3)))


def test_lerp_complex_gradients():
    c = (f64(3, 4) + 1j * f64(3, 4))

    def f(m, x, e):
        y = m.lerp(x, e, 0.3)
        return y.real * 2 + y.imag * 3
    run_both(f, c, c[::-1].copy(), grad=True)


def test_lerp_inplace():
    run_both(lambda m, x, e: x.clone().lerp_(e, 0.25), f64(3, 4), f64(4))
    raises_both(lambda m, x, e: x.clone().lerp_(e, 0.25), f64(1), f64(3))


# ------------------------------------------------------------------ addcmul, addcdiv
@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addcmul_addcdiv_values_and_gradients(name):
    run_both(lambda m, a, b, c: getattr(m, name)(a, b, c, value=-1.5), f64(3, 4), f64(3, 1),
             f64(4, lo=0.5, hi=2), grad=True)
    gradcheck(lambda m, a, b, c: getattr(m, name)(a, b, c, value=0.5), f64(2, 3), f64(3),
              f64(2, 1, lo=0.5, hi=2))
    assert ember.autograd.gradgradcheck(
        lambda a, b, c: getattr(ember, name)(a, b * b, c, value=2.0),
        tuple(ember.tensor(f64(3, lo=0.5, hi=2), requires_grad=True) for _ in range(3)))


def test_addcmul_addcdiv_rounding_matches_torch_exactly():
    a, b, c = (f64(40).astype(np.float32) for _ in range(3))
    for v in (0.7, -1.3, 3):
        run_both(lambda m, a, b, c, v=v: (m.addcmul(a, b, c, value=v),
                                          m.addcdiv(a, b, c + 3, value=v)), a, b, c,
                 rtol=0, atol=0)


def test_addcmul_integer_value_truncates_like_torch():
    i = np.array([1, 2, 3])
    run_both(lambda m, a: m.addcmul(a, a, a, value=1.7), i)
    run_both(lambda m, a: m.addcmul(a, a, a, value=True), i)
    run_both(lambda m, a, f: m.addcdiv(a, f, a, value=3), i, f64(3))


def test_addcmul_inplace():
    run_both(lambda m, a, b: a.clone().addcmul_(b, b, value=2), f64(3, 4), f64(4))
    run_both(lambda m, a, b: a.clone().addcdiv_(b, b + 3, value=2), f64(3, 4), f64(4))
    raises_both(lambda m, a, b: a.clone().addcdiv_(b, b), np.array([1, 2]), f64(2))


def test_addcmul_complex_gradients():
    c = f64(3, 4) + 1j * f64(3, 4)

    def f(m, a, b):
        y = m.addcmul(a, b, a, value=0.5 - 1j)
        return y.real + y.imag * 2
    run_both(f, c, c[::-1].copy(), grad=True)


def test_half_precision_math_in_float32():
    h = f64(50).astype(np.float16)
    run_both(lambda m, a, b: (m.addcmul(a, b, b, value=0.1), m.lerp(a, b, 0.3),
                              m.addcdiv(a, b, b + 4)), h, h[::-1].copy())


def test_meta_device_shapes():
    x = ember.empty(3, 4, device="meta")
    assert ember.where(ember.empty(4, dtype=ember.bool, device="meta"), x, 0.0).shape == (3, 4)
    assert ember.clamp(x, 0, 1).device.type == "meta"


_ = torch
