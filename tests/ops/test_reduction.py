"""Reduction, scan and statistics behaviour the OpInfo rows cannot express."""

import pickle
import warnings

import ember.return_types as rt
import numpy as np
import pytest

import ember
from tests.harness import raises_both, run_both, torch

R = np.random.default_rng(7)


def x64(*shape):
    return R.uniform(-2, 2, shape)


def _gg(fn, *arrays):
    xs = [ember.tensor(a, requires_grad=True) for a in arrays]
    assert ember.autograd.gradgradcheck(fn, tuple(xs))


# ------------------------------------------------------------------ return types
def test_return_types_are_named_tuples():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    r = ember.max(x, 1)
    assert isinstance(r, tuple) and type(r) is rt.max
    assert r._fields == ("values", "indices")
    v, i = r
    assert v is r.values and i is r.indices and r[0] is v
    assert v.tolist() == [5.0, 7.0] and i.tolist() == [1, 0]
    text = repr(r)
    assert text.startswith("ember.return_types.max(\nvalues=tensor(")
    assert "\nindices=tensor([1, 0]))" in text
    assert ember.aminmax(x)._fields == ("min", "max")
    for name in ("min", "cummax", "cummin", "median", "nanmedian", "mode", "sort", "topk",
                 "kthvalue"):
        assert getattr(rt, name)._fields == ("values", "indices")


def test_return_types_pickle_and_import():
    r = ember.sort(ember.tensor([3.0, 1.0, 2.0]))
    assert type(r) is rt.sort
    r2 = pickle.loads(pickle.dumps(r))
    assert type(r2) is rt.sort and r2.indices.tolist() == [1, 2, 0]


def test_plain_tuples_where_torch_has_them():
    x = x64(3, 4)
    run_both(lambda m, a: type(m.var_mean(a, 1)) is tuple, x)
    assert type(ember.std_mean(ember.tensor(x))) is tuple


# ------------------------------------------------------------------ dtype= and out=
@pytest.mark.parametrize("op", ["sum", "nansum", "mean", "nanmean"])
def test_dtype_argument(op):
    x = R.uniform(-1, 1, (40, 50)).astype(np.float32)
    run_both(lambda m, a: getattr(m, op)(a, 1, dtype=m.float64), x, rtol=1e-12, atol=1e-12)
    run_both(lambda m, a: getattr(m, op)(a, dtype=m.float64), x, rtol=1e-12, atol=1e-12)


def test_dtype_argument_ints_and_scans():
    i = R.integers(-9, 9, (3, 5))
    run_both(lambda m, a: m.sum(a, dtype=m.int32), i)
    run_both(lambda m, a: m.sum(a, 0, dtype=m.float16), i)
    run_both(lambda m, a: m.mean(a, 0, dtype=m.float32), i)
    run_both(lambda m, a: m.prod(a, 1, dtype=m.float64), i)
    run_both(lambda m, a: m.prod(a, dtype=m.float32), i.astype(np.float64))
    run_both(lambda m, a: m.cumsum(a, 1, dtype=m.float64), i)
    run_both(lambda m, a: m.cumprod(a, 0, dtype=m.float32), i)
    run_both(lambda m, a: m.sum(a, dtype=m.bool), i)
    run_both(lambda m, a: a.norm(2, 1, True, dtype=m.float64), x64(3, 4).astype(np.float32))
    raises_both(lambda m, a: m.norm(a, dtype=m.float32), x64(3))


def test_grad_with_dtype_argument():
    x = x64(3, 4).astype(np.float32)
    run_both(lambda m, a: m.sum(a, 1, dtype=m.float64), x, grad=True)
    run_both(lambda m, a: m.cumprod(a, 1, dtype=m.float64), x, grad=True)
    run_both(lambda m, a: m.prod(a, 0, dtype=m.float64), x, grad=True)
    run_both(lambda m, a: m.norm(a, 3, 1, dtype=m.float64), x, grad=True)


@pytest.mark.parametrize("op", ["sum", "prod", "cumsum", "cumprod", "nansum"])
def test_autograd_refuses_integer_results(op):
    def f(m, a):
        return getattr(m, op)(a, 0, dtype=m.int32)

    e = ember.tensor(x64(3, 4), requires_grad=True)
    t = torch.tensor(x64(3, 4), requires_grad=True)
    with pytest.raises(RuntimeError):
        f(torch, t)
    with pytest.raises(RuntimeError, match="Autograd not support dtype: Int"):
        f(ember, e)


def test_out_for_dim_overloads():
    x = x64(3, 4)

    def single(op, *args):
        def f(m, a):
            out = m.empty(0, dtype=m.float64)
            res = getattr(m, op)(a, *args, out=out)
            assert res is out
            return out
        return f

    for op, args in (("sum", (1,)), ("prod", (0, True)), ("var", (1,)), ("std", ((0, 1),)),
                     ("mean", (1,)), ("amax", ((0, 1),)), ("logsumexp", (1,)),
                     ("cumsum", (0,)), ("norm", (2, 1))):
        run_both(single(op, *args), x)

    def pair(op, *args):
        def f(m, a):
            v, i = m.empty(0, dtype=m.float64), m.empty(0, dtype=m.int64)
            res = getattr(m, op)(a, *args, out=(v, i))
            assert res[0] is v and res[1] is i
            return v, i
        return f

    for op, args in (("max", (1,)), ("min", (0, True)), ("median", (1,)), ("nanmedian", (0,)),
                     ("mode", (1,)), ("cummax", (1,)), ("cummin", (0,))):
        run_both(pair(op, *args), x)


# ------------------------------------------------------------------ semantics
def test_sum_dims_semantics():
    x = x64(2, 3, 4)
    run_both(lambda m, a: m.sum(a, dim=()), x)
    run_both(lambda m, a: m.sum(a, [], keepdim=True), x)
    run_both(lambda m, a: m.any(a > 0, dim=()), x)
    run_both(lambda m, a: m.count_nonzero(a > 0, dim=()), x)
    run_both(lambda m, a: m.amax(a, ()), x)


def test_engine_reduces_broadcast_grads_with_sum():
    run_both(lambda m, a, b: (a * b).sum(), x64(3, 1, 4), x64(2, 1), grad=True)
    run_both(lambda m, a, b: (a + b).mean(-1), x64(4), x64(3, 1), grad=True)


def test_half_precision_accumulates_in_float32():
    ones = np.ones(5000, np.float16)
    run_both(lambda m, a: m.sum(a), ones)           # a float16 accumulator stops at 2048
    run_both(lambda m, a: m.mean(a), ones)
    run_both(lambda m, a: m.cumsum(a, 0)[-1], ones)
    run_both(lambda m, a: m.var(a), np.linspace(0, 8, 4000).astype(np.float16))


def test_integer_sums_are_int64_and_wrap_like_torch():
    big = np.full(4, 2 ** 62, np.int64)
    run_both(lambda m, a: m.sum(a), big)
    run_both(lambda m, a: m.prod(a), np.full(3, 2 ** 30, np.int64))
    run_both(lambda m, a: m.sum(a), np.full(300, 200, np.uint8))
    run_both(lambda m, a: m.cumsum(a, 0), np.full(300, 200, np.uint8))


def test_uint8_any_all_keep_uint8():
    u = np.array([[0, 3], [1, 1]], np.uint8)
    e, _ = run_both(lambda m, a: m.any(a, 1), u)
    assert e.dtype is ember.uint8
    e, _ = run_both(lambda m, a: m.all(a), u)
    assert e.dtype is ember.uint8


def test_max_min_ties_and_nan():
    run_both(lambda m, a: m.max(a, 0), np.array([1.0, 3.0, 3.0, 0.0]))
    run_both(lambda m, a: m.min(a, 0), np.array([1.0, 0.0, 3.0, 0.0]))
    run_both(lambda m, a: m.max(a, 0), np.array([1.0, np.nan, 2.0, np.nan]))
    run_both(lambda m, a: m.argmin(a), np.array([1.0, np.nan, np.nan]))
    run_both(lambda m, a: m.cummax(a, 0), np.array([1.0, np.nan, 0.0, 5.0]))
    run_both(lambda m, a: m.cummin(a, 0), np.array([1.0, np.nan, 0.0, np.nan]))


def test_full_max_grad_is_split_among_ties():
    x = np.array([[1.0, 3.0], [3.0, -1.0]])
    for f in (lambda m, a: a.max(), lambda m, a: a.min(), lambda m, a: m.amax(a, (0, 1)),
              lambda m, a: m.aminmax(a).max, lambda m, a: m.median(a), lambda m, a: a.amin(1),
              lambda m, a: m.max(a, 1).values):
        run_both(f, x, grad=True)
    run_both(lambda m, a: a.max(), np.array([1.0, np.nan, np.nan]), grad=True)
    run_both(lambda m, a: a.median(), np.array([2.0, 1.0, 2.0]), grad=True)


def test_max_with_other_tensor_is_maximum():
    a, b = x64(3, 4), x64(4)
    run_both(lambda m, x, y: m.max(x, y), a, b, grad=True)
    run_both(lambda m, x, y: m.min(x, y), a, b, grad=True)
    run_both(lambda m, x, y: m.max(x, other=y), a, b)
    raises_both(lambda m, x: m.max(x, 1.0), a)


def test_var_degrees_of_freedom_warning():
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        r = ember.var(ember.tensor(1.0))
    assert np.isnan(r.item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.var(ember.tensor([1.0, 2.0]))


def test_nan_aware_reductions_with_grad():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]])
    run_both(lambda m, a: m.nanmean(a, 1), x, grad=True)
    run_both(lambda m, a: m.nansum(a), x, grad=True)
    run_both(lambda m, a: m.nanmedian(a, 1), x, grad=True)


def test_median_of_empty():
    run_both(lambda m, a: m.median(a), np.zeros((0, 2)))
    run_both(lambda m, a: m.median(a), np.zeros(0, np.int64))


def test_cumsum_inplace():
    def f(m, a):
        b = a.clone()
        assert b.cumsum_(1) is b
        return b
    run_both(f, x64(3, 4))
    run_both(lambda m, a: a.clone().cumprod_(0), R.integers(0, 255, (6,)).astype(np.uint8))
    run_both(lambda m, a: a.clone().cumsum_(0, dtype=m.int32), R.integers(0, 9, (6,)).astype(np.int32))
    raises_both(lambda m, a: a.clone().cumsum_(0, dtype=m.float64), x64(3).astype(np.float32))
    raises_both(lambda m, a: a.clone().cumsum_(0), np.array([True, False]))
    e = ember.tensor(x64(3))
    v = e._version
    e.cumsum_(0)
    assert e._version > v


def test_error_messages_name_the_op():
    e = ember.zeros(0, 3)
    for op in ("max", "amin", "argmax"):
        with pytest.raises((RuntimeError, IndexError), match=op):
            getattr(ember, op)(e)
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 0"):
        ember.median(e, 0)
    with pytest.raises(RuntimeError, match="mean"):
        ember.mean(ember.tensor([1, 2]))


def test_not_implemented_is_explicit():
    with pytest.raises(NotImplementedError, match="nuc"):
        ember.norm(ember.ones(2, 3), p="nuc")
    with pytest.raises(NotImplementedError, match="logsumexp"):
        ember.logsumexp(ember.ones(2, dtype=ember.complex64), 0)


# ------------------------------------------------------------------ double backward
@pytest.mark.parametrize("fn", [
    lambda x: x.sum(1) * x.sum(1),
    lambda x: x.mean((0, 1), keepdim=True) * x,
    lambda x: x.prod(1),
    lambda x: x.prod(),
    lambda x: x.cumsum(0) * x,
    lambda x: x.cumprod(1),
    lambda x: x.logsumexp(1),
    lambda x: x.var(0),
    lambda x: x.std(1, keepdim=True),
    lambda x: ember.var_mean(x, 1)[0] * ember.var_mean(x, 1)[1],
    lambda x: ember.std_mean(x)[0],
    lambda x: x.norm(),
    lambda x: x.norm(3, 1),
    lambda x: x.norm(1.5, 0),
    lambda x: x.norm(0.5, 1),
    lambda x: x.norm(float("inf"), 1) * x.sum(1),
    lambda x: x.amax(1) * x.amin(1),
    lambda x: ember.max(x, 1).values * x.sum(1),
    lambda x: x.cummax(1).values * x,
    lambda x: x.median(0).values * x.sum(0),
    lambda x: x.nansum(1) * x.sum(1),
], ids=lambda f: "")
def test_double_backward(fn):
    _gg(fn, x64(3, 4))


def test_double_backward_through_zeros():
    z = x64(3, 4)
    z[0, 1] = 0
    z[1, 0] = z[1, 2] = 0
    _gg(lambda x: x.prod(1), z)
    _gg(lambda x: x.cumprod(1), z)
    _gg(lambda x: x.prod(), np.array([0.5, 0.0, 2.0, 3.0]))
    run_both(lambda m, a: m.cumprod(a, 1), z, grad=True)


def test_sum_fast_path_records_nothing():
    x = ember.tensor(x64(3, 4))
    r = x.sum(1)
    assert r.grad_fn is None and not r.requires_grad
    with ember.no_grad():
        y = ember.tensor(x64(3), requires_grad=True)
        assert y.prod().grad_fn is None

