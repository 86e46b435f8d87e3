"""Tensor.new_* factories: dtype/device default to the tensor's, compared with torch."""

import numpy as np
import pytest

from tests.harness import dt, raises_both, run_both

X = np.arange(6.0).reshape(2, 3)
XI = np.arange(6).reshape(2, 3)


@pytest.mark.parametrize("x", [X, XI, X.astype(np.float32)])
def test_shapes_dtypes_and_values(x):
    run_both(lambda m, t: (t.new_zeros(2, 3), t.new_zeros((4,)), t.new_ones([1, 2]),
                           t.new_full((2, 2), 7), t.new_full((0,), 1.5), t.new_tensor([1, 2]),
                           t.new_tensor(3.5), t.new_empty(2, 0).shape, t.new_empty(()).shape,
                           t.new_empty(3).dtype, t.new_empty_strided((2, 2), (1, 2)).stride()),
             x)


def test_dtype_override_and_requires_grad():
    run_both(lambda m, t: (t.new_zeros(2, dtype=m.int32), t.new_ones(2, dtype=m.bool),
                           t.new_full((2,), 2.5, dtype=m.float32), t.new_tensor([1, 2],
                           dtype=m.float16), t.new_ones(3, requires_grad=True).requires_grad,
                           t.new_zeros(1).requires_grad, t.new_empty(2).is_leaf), X)
    run_both(lambda m, t, d: t.new_zeros(2, dtype=d).dtype, X, dt("complex64"))


def test_zero_dim_and_noncontiguous_source():
    run_both(lambda m, t: (t.new_ones(2), t.new_zeros(()).dim()), np.array(2.0))
    run_both(lambda m, t: t.t().new_zeros(3, 2).stride(), X)


def test_bad_sizes_raise_like_torch():
    raises_both(lambda m, t: t.new_zeros(2.5), X)
    raises_both(lambda m, t: t.new_ones("a"), X)
    raises_both(lambda m, t: t.new_full((2,), [1, 2]), X)
    raises_both(lambda m, t: t.new_empty(-1), X)

