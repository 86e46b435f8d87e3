"""Sorting and searching behaviour the OpInfo rows cannot express."""

import ember.return_types as rt
import numpy as np
import pytest

import ember
from tests.harness import raises_both, run_both

R = np.random.default_rng(11)


def test_stable_sort_on_many_ties():
    x = R.integers(0, 4, (3, 500)).astype(np.float32)
    run_both(lambda m, a: m.sort(a, dim=1, stable=True), x)
    run_both(lambda m, a: m.sort(a, dim=1, descending=True, stable=True), x)
    run_both(lambda m, a: a.sort(stable=True, dim=0, descending=True), x)
    run_both(lambda m, a: m.argsort(a, dim=-1, stable=True), x)
    run_both(lambda m, a: m.argsort(a, dim=0, descending=True, stable=True), x)


def test_unstable_sort_on_many_ties():
    # torch's order among ties is unspecified without stable=True (ember's is stable):
    # compare the values, and that the indices pick them
    x = R.integers(0, 4, (3, 500)).astype(np.float32)
    run_both(lambda m, a: m.sort(a, 1, descending=True).values, x)
    v, i = ember.sort(ember.tensor(x), 1, descending=True)
    np.testing.assert_array_equal(np.take_along_axis(x, i.numpy(), 1), v.numpy())
    assert (np.sort(i.numpy(), 1) == np.arange(500)).all()


def test_sort_special_values():
    x = np.array([np.nan, 1, np.inf, -np.inf, -0.0, 0.0, np.nan], np.float32)
    run_both(lambda m, a: m.sort(a), x)
    run_both(lambda m, a: m.sort(a, descending=True), x)
    run_both(lambda m, a: m.topk(a, 3), x)
    run_both(lambda m, a: m.topk(a, 3, largest=False), x)
    run_both(lambda m, a: m.kthvalue(a, 7), x)


def test_return_types_of_sorting_ops():
    x = ember.tensor([[3.0, 1.0, 2.0]])
    for r, cls in ((ember.sort(x), rt.sort), (ember.topk(x, 2), rt.topk),
                   (x.kthvalue(1), rt.kthvalue)):
        assert type(r) is cls and isinstance(r, tuple)
        v, i = r
        assert v is r.values and i is r.indices and i.dtype is ember.int64
    assert repr(ember.sort(x)).startswith("ember.return_types.sort(\nvalues=")


def test_topk_unsorted_has_the_same_elements():
    x = R.permutation(40).reshape(4, 10).astype(np.float64)

    def f(m, a):
        v, i = m.topk(a, 4, 1, sorted=False)
        vn, inn = v.numpy(), i.numpy()
        o = np.argsort(vn, 1)
        return m.tensor(np.take_along_axis(vn, o, 1)), m.tensor(np.take_along_axis(inn, o, 1))

    run_both(f, x)


def test_sort_out_tuple():
    def f(m, a):
        v, i = m.empty(0), m.empty(0, dtype=m.int64)
        r = m.sort(a, 0, out=(v, i))
        assert r[0] is v and r[1] is i
        return v, i
    run_both(f, R.standard_normal((4, 3)).astype(np.float32))

    def g(m, a):
        v, i = m.empty(0), m.empty(0, dtype=m.int64)
        m.topk(a, 2, out=(v, i))
        return v, i
    run_both(g, R.standard_normal((4, 3)).astype(np.float32))


def test_selection_grads_and_double_backward():
    x = R.permutation(24).reshape(2, 3, 4) / 3.0
    for f in (lambda m, a: m.sort(a, 1, descending=True), lambda m, a: m.topk(a, 2, 0),
              lambda m, a: m.kthvalue(a, 3, -1, True), lambda m, a: m.msort(a)):
        run_both(f, x, grad=True)
    for f in (lambda a: ember.sort(a, 1).values * a, lambda a: ember.topk(a, 2).values ** 2,
              lambda a: a.kthvalue(2, 0).values * a.sum(0)):
        t = ember.tensor(x[0], requires_grad=True)
        assert ember.autograd.gradgradcheck(f, (t,))


def test_unique_returns_plain_tuples_and_no_derivative():
    x = np.array([3.0, 1.0, 1.0, 2.0])
    e, _ = run_both(lambda m, a: m.unique(a, return_inverse=True), x)
    assert type(e) is tuple
    t = ember.tensor(x, requires_grad=True)
    u = ember.unique(t)
    assert u.requires_grad and u.grad_fn.name() == "Unique2Backward0"
    with pytest.raises(NotImplementedError, match="_unique2"):
        u.sum().backward()
    assert ember.unique(t, dim=0).grad_fn.name() == "UniqueDimBackward0"
    assert ember.unique_consecutive(t).grad_fn.name() == "UniqueConsecutiveBackward0"


def test_unique_methods_and_positional_args():
    x = R.integers(0, 5, (4, 6))
    run_both(lambda m, a: a.unique(True, True, True), x)
    run_both(lambda m, a: a.unique(dim=1, return_counts=True), np.concatenate([x, x], 1))
    run_both(lambda m, a: a.unique_consecutive(True, True, 0), np.repeat(x, 2, 0))


def test_searchsorted_forms():
    seq = np.array([1, 3, 5, 7])
    run_both(lambda m, s: m.searchsorted(s, 6), seq)
    run_both(lambda m, s: m.searchsorted(s, 6, right=True), seq)
    run_both(lambda m, s, v: m.searchsorted(s, v, side="right", out_int32=True), seq,
             np.array([[3, 9], [0, 7]]))
    run_both(lambda m, s, v: m.searchsorted(s, v), seq.astype(np.float32), np.array([3, 6, 9]))
    run_both(lambda m, v, b: m.bucketize(v, b, right=True), np.array([[1.0, 5.0], [7.5, -1]]),
             seq)
    run_both(lambda m, b: m.bucketize(3, b), seq)
    raises_both(lambda m, s, v: m.searchsorted(s, v, side="left", right=True), seq, seq)


def test_sort_of_noncontiguous_and_transposed():
    x = R.standard_normal((4, 5))
    run_both(lambda m, a: m.sort(a.t(), 1), x, grad=True)
    run_both(lambda m, a: m.topk(a[:, ::2], 2), x, grad=True)


def test_fast_path_records_nothing():
    x = ember.tensor(R.standard_normal((3, 4)))
    v, i = ember.sort(x)
    assert v.grad_fn is None and not i.requires_grad
    with ember.no_grad():
        y = ember.tensor(R.standard_normal(4), requires_grad=True)
        assert ember.topk(y, 2).values.grad_fn is None
