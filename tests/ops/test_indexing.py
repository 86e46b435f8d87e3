"""Indexing behaviour the OpInfo rows cannot express: views vs copies, __setitem__ and its
autograd (CopySlices / IndexPutBackward0), in-place variants, gradcheck with fixed indices,
double backward, warnings, and the checks that replace NumPy's silent wrap-around."""

import warnings

import numpy as np
import pytest

import ember
from ember.ops.indexing import where_single
from tests.harness import gradcheck, raises_both, run_both, torch

rng = np.random.default_rng(0)


def f64(*shape):
    return rng.standard_normal(shape)


def idx(*v):
    return np.array(v, dtype=np.int64)


def gt(m, x, v=0.0):
    """x > v as a bool tensor of module m (comparison ops belong to another family)."""
    return m.tensor(x.detach().cpu().numpy() > v)


# ------------------------------------------------------------------ views and copies
@pytest.mark.parametrize("key", [0, -1, (1, 2), slice(1, 3), (slice(None), slice(0, 4, 2)),
                                 (None, 1), Ellipsis, (), (Ellipsis, 0, None)])
def test_basic_getitem_is_a_view(key):
    def f(m, x):
        v = x[key]
        assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        assert v._base is x
        return v.stride(), v.storage_offset(), tuple(v.shape)

    run_both(f, np.arange(24.0).reshape(2, 3, 4))


def test_write_through_basic_view_and_advanced_copy():
    x = ember.zeros(3, 4)
    x[1][2:].fill_(7)
    x[idx(0)].fill_(5)  # advanced: a copy, x is unchanged
    expected = np.zeros((3, 4), np.float32)
    expected[1, 2:] = 7
    np.testing.assert_array_equal(x.numpy(), expected)
    assert x[idx(0, 1)]._base is None


def test_zero_dim_int_tensor_and_numpy_ints_select():
    x = ember.arange(12).reshape(3, 4)
    for k in (ember.tensor(2), np.int64(2), np.array(2)):
        v = x[k]
        assert v._base is x._base and v.tolist() == [8, 9, 10, 11]


@pytest.mark.parametrize("key,name", [
    (0, "SelectBackward0"), (slice(1, 3), "SliceBackward0"), (slice(None), "SliceBackward0"),
    (Ellipsis, "AliasBackward0"), (None, "UnsqueezeBackward0"), ((0, slice(1, 3)), "SliceBackward0"),
    ((slice(1, 3), 0), "SelectBackward0"), ("idx", "IndexBackward0"), ("mask", "IndexBackward0"),
    ((0, "idx"), "IndexBackward0"), (True, "IndexBackward0")])
def test_getitem_grad_fn_names(key, name):
    for m in (ember, torch):
        y = m.ones(3, 4, requires_grad=True) * 2
        k = m.tensor([0, 2]) if key == "idx" else gt(m, y) if key == "mask" else \
            (key[0], m.tensor([0, 2])) if isinstance(key, tuple) and key[1] == "idx" else key
        assert type(y[k].grad_fn).__name__ == name


def test_getitem_gradcheck_and_repeated_indices_accumulate():
    i = ember.tensor([0, 2, 0, 0])
    gradcheck(lambda m, x: x[i], f64(3, 4))
    gradcheck(lambda m, x: x[1:, None, ::2], f64(3, 4))
    gradcheck(lambda m, x: x[0, :, ember.tensor([1, 1])], f64(2, 3, 4))
    mask = ember.tensor(rng.random((3, 4)) < 0.5)
    gradcheck(lambda m, x: x[mask], f64(3, 4))
    run_both(lambda m, x: x[m.tensor([0, 2, 0, 0])] * 2, f64(3, 4), grad=True)


def test_getitem_double_backward_matches_torch():
    def f(m, x):
        y = x[m.tensor([0, 1, 1])]
        y = (y * y)[:, 1:]
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True)
        return g

    run_both(f, f64(3, 4), grad=True)
    ember.autograd.gradgradcheck(lambda x: x[ember.tensor([0, 0, 2])][1:] * x[0],
                                 (ember.tensor(f64(3, 2), requires_grad=True),))


def test_getitem_warnings():
    x = ember.zeros(3, 3)
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        x[[[0, 1], [1, 2]]]
    with pytest.warns(UserWarning, match="uint8 is now deprecated"):
        x[ember.tensor([1, 0, 1], dtype=ember.uint8)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x[[0, 1]]  # a plain list of ints is an index tensor: no warning


def test_getitem_out_of_bounds_never_wraps():
    raises_both(lambda m, x: x[m.tensor([3])], f64(3), match="index 3 is out of bounds")
    raises_both(lambda m, x: x[:, m.tensor([0, 5])], f64(2, 5),
                match="index 5 is out of bounds for dimension 0 with size 5")
    raises_both(lambda m, x: x[m.tensor([0]), m.tensor([7])], f64(2, 5),
                match="index 7 is out of bounds for dimension 1 with size 5")
    raises_both(lambda m, x: x[0, 5], f64(3, 3), match="index 5 is out of bounds for dimension 1")


# ------------------------------------------------------------------ __setitem__
SET_CASES = [
    (0, 1.5), ((slice(None), 1), 2), (slice(1, None), "t(2,4)"), ((0, slice(None)), "t(1,1,4)"),
    (Ellipsis, "t(4)"), ((None, 1), "t()"), ("idx", 3.0), ("idx", "t(2,4)"), ("idx", "t(4)"),
    (("idx", "idx"), "t(2)"), ((slice(None), "idx"), "t(3,1)"), ("mask", 0.0), ("mask", "t()"),
    ("mask", "t(1)"), (("mask1", slice(None)), "t(4)"), ((Ellipsis, "idx"), "t(1,1,2)"),
    ((0, "idx"), "t(2)"), ([0, 2], -1), (True, "t(4)"), (slice(5, 9), 1.0),
]


def _key(m, k, x):
    if k == "idx":
        return m.tensor([0, 2])
    if k == "mask":
        return gt(m, x)
    if k == "mask1":
        return m.tensor([True, False, True])
    if isinstance(k, tuple):
        return tuple(_key(m, e, x) for e in k)
    return k


def _val(m, v, dtype):
    if isinstance(v, str):
        shape = eval(v[1:]) if v != "t()" else ()  # noqa: S307 - a literal shape
        shape = shape if isinstance(shape, tuple) else (shape,)
        return m.tensor(np.arange(1, 1 + int(np.prod(shape)), dtype=np.float64).reshape(shape),
                        dtype=dtype)
    return v


@pytest.mark.parametrize("k,v", SET_CASES)
@pytest.mark.parametrize("dtname", ["float32", "int64"])
def test_setitem_values_match_torch(k, v, dtname):
    def f(m, x):
        dt = getattr(m, dtname)
        y = x.to(dt).clone()
        ver = y._version
        y[_key(m, k, y)] = _val(m, v, dt)
        assert y._version > ver
        return y

    run_both(f, rng.integers(-3, 3, (3, 4)).astype(np.float32))


@pytest.mark.parametrize("k,v", [c for c in SET_CASES if isinstance(c[1], str)])
def test_setitem_autograd_matches_torch(k, v):
    def f(m, a, w):
        y = a * 1  # a non-leaf: gradients flow to a (except where overwritten) and to w
        y[_key(m, k, y)] = _val(m, v, m.float64) * w.sum()
        return y

    run_both(f, f64(3, 4), f64(4), grad=True)


def test_setitem_into_zeros_gives_copyslices_or_indexput():
    for m in (ember, torch):
        w = m.tensor(f64(3), requires_grad=True)
        x = m.zeros(3, 3, dtype=m.float64)
        x[0] = w
        assert type(x.grad_fn).__name__ == "CopySlices"
        x2 = m.zeros(3, 3, dtype=m.float64)
        x2[m.tensor([0, 2])] = w
        assert type(x2.grad_fn).__name__ == "IndexPutBackward0"
        x3 = m.zeros(3, 3, dtype=m.float64)
        x3[1, m.tensor([0, 2])] = w[:2]
        assert type(x3.grad_fn).__name__ == "CopySlices"

    def f(m, w):
        x = m.zeros(3, 3, dtype=m.float64)
        x[0] = w
        x[m.tensor([2, 2])] = w * 2
        x[1, m.tensor([0, 1])] = w[1:]
        return x

    run_both(f, f64(3), grad=True)


def test_setitem_errors_match_torch():
    x = f64(3, 3).astype(np.float32)
    raises_both(lambda m, t: t.__setitem__(0, [1, 2, 3]), x, match="can't assign a list")
    raises_both(lambda m, t: t.__setitem__(0, m.ones(2, 3)), x)
    raises_both(lambda m, t: t.__setitem__(0, m.ones(2)), x, match="expanded size")
    raises_both(lambda m, t: t.__setitem__(m.tensor([0, 1]), m.ones(3, 3)), x,
                match="shape mismatch: value tensor of shape [3, 3]")
    raises_both(lambda m, t: t.__setitem__(m.tensor([0]), m.tensor([1, 2, 3])), x,
                match="Index put requires the source and destination dtypes match")
    raises_both(lambda m, t: t.__setitem__(m.tensor([0]), 1e40), x, match="overflow")
    raises_both(lambda m, t: t.__setitem__((0, 5), 1.0), x, match="out of bounds")
    raises_both(lambda m, t: t.__setitem__(m.tensor([0, 4]), 1.0), x, match="out of bounds")
    raises_both(lambda m, t: t.to(m.int8).__setitem__(0, 300), x, match="int8_t")
    raises_both(lambda m, t: t.requires_grad_().__setitem__(0, 1.0), x, match="leaf Variable")
    raises_both(lambda m, t: t.requires_grad_().__setitem__(m.tensor([0]), 1.0), x,
                match="leaf Variable")


def test_setitem_mask_with_one_value_casts_like_masked_fill():
    def f(m, x):
        y = x.clone()
        y[gt(m, x)] = m.tensor([2])  # int64 into float64: allowed through the masked_fill path
        y[..., m.tensor([True, False, True, False])] = m.tensor(-1, dtype=m.int32)
        return y

    run_both(f, f64(3, 4))
    raises_both(lambda m, x: x.__setitem__(m.tensor([True, False, True]).byte(), m.tensor([7])),
                f64(3).astype(np.float32), match="boolean masks")


# ------------------------------------------------------------------ in-place variants
def _perm(shape, size, dim):
    out = np.empty(shape, np.int64)
    moved = np.moveaxis(out, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:moved.shape[-1]]
    return out


INPLACE = [
    ("scatter_", lambda m, y, s: y.scatter_(1, m.tensor(P32), s[:, :2])),
    ("scatter_v", lambda m, y, s: y.scatter_(1, m.tensor(P32), 2.0)),
    ("scatter_add_", lambda m, y, s: y.scatter_add_(0, m.tensor([[0, 1, 0, 0, 2]]), s[:1])),
    ("scatter_reduce_", lambda m, y, s: y.scatter_reduce_(1, m.tensor([[0, 0], [1, 3], [4, 4]]),
                                                          s[:, :2], "amax",
                                                          include_self=False)),
    ("index_add_", lambda m, y, s: y.index_add_(0, m.tensor([0, 0, 2]), s, alpha=2)),
    ("index_copy_", lambda m, y, s: y.index_copy_(1, m.tensor([4, 1]), s[:, :2])),
    ("index_fill_", lambda m, y, s: y.index_fill_(1, m.tensor([4, 1]), -1.0)),
    ("index_fill_t", lambda m, y, s: y.index_fill_(1, m.tensor([4, 1]), s[0, 0])),
    ("masked_fill_", lambda m, y, s: y.masked_fill_(gt(m, s), 3.0)),
    ("masked_fill_t", lambda m, y, s: y.masked_fill_(gt(m, s[0]), s[1, 1])),
    ("index_put_", lambda m, y, s: y.index_put_((m.tensor([1, 1]),), s[:2], accumulate=True)),
    ("index_put_m", lambda m, y, s: y.index_put_((gt(m, s),), s.sum())),
    ("masked_scatter_", lambda m, y, s: y.masked_scatter_(gt(m, s), s * 3)),
    ("put_", lambda m, y, s: y.put_(m.tensor([0, 14, -1]), s[0, :3], accumulate=True)),
    ("tril_", lambda m, y, s: y.tril_(1)),
    ("triu_", lambda m, y, s: y.triu_(-1)),
]
P32 = _perm((3, 2), 5, 1)
P4 = _perm((3, 2), 4, 1)


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_values_version_and_self(name, fn):
    def f(m, x, s):
        y = x.clone()
        v = y._version
        assert fn(m, y, s) is y
        assert y._version > v
        return y

    run_both(f, f64(3, 5), f64(3, 5))


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_autograd_on_non_leaf_and_view(name, fn):
    def f(m, x, s):
        y = x * 1
        fn(m, y, s)
        z = (x * 1).t().t()  # a view of a non-leaf: the write rebases the base (CopySlices)
        fn(m, z, s)
        return y, z

    run_both(f, f64(3, 5), f64(3, 5), grad=True)


def test_inplace_on_leaf_that_requires_grad_raises():
    for _, fn in INPLACE:
        raises_both(lambda m, x, s, fn=fn: fn(m, x.requires_grad_(), s), f64(3, 5), f64(3, 5),
                    match="leaf Variable")


def test_masked_fill_inplace_cannot_broadcast_self():
    raises_both(lambda m, x: x.masked_fill_(m.tensor([[True], [False]]), 1.0), f64(3),
                match="doesn't match the broadcast shape")


# ------------------------------------------------------------------ gradcheck, double backward
GRADCHECK = [
    lambda m, x: m.gather(x, 1, m.tensor([[0, 0], [2, 1], [3, 3]])),
    lambda m, x: m.take_along_dim(x, m.tensor([[0], [2], [1]]), 1),
    lambda m, x: m.index_select(x, 1, m.tensor([3, 0, 3])),
    lambda m, x: m.take(x, m.tensor([[0, 11], [5, 5]])),
    lambda m, x: m.masked_select(x, m.tensor([True, False, True, True])),
    lambda m, x: m.masked_fill(x, m.tensor([True, False, True, False]), 0.5),
    lambda m, x: m.index_fill(x, 0, m.tensor([1]), -2.0),
    lambda m, x: m.scatter(x, 1, m.tensor(P4[:, :1]), 1.5),
]
GRADCHECK2 = [
    lambda m, x, s: m.scatter(x, 1, m.tensor(P4[:, :2]), s[:, :2]),
    lambda m, x, s: m.scatter_add(x, 1, m.tensor([[0, 0, 3], [1, 1, 1], [2, 0, 2]]), s[:, :3]),
    lambda m, x, s: m.index_add(x, 1, m.tensor([0, 0]), s[:, :2], alpha=3),
    lambda m, x, s: m.index_copy(x, 1, m.tensor([3, 1]), s[:, :2]),
    lambda m, x, s: m.index_put(x, (m.tensor([0, 0]), m.tensor([1, 2])), s[0, :2]),
    lambda m, x, s: m.index_put(x, (m.tensor([0, 0]),), s[:2], accumulate=True),
    lambda m, x, s: m.masked_fill(x, m.tensor([True, False, True, False]), s[0, 0]),
    lambda m, x, s: m.index_fill(x, 1, m.tensor([2, 2]), s[1, 1]),
    lambda m, x, s: m.masked_scatter(x, m.tensor([True, False, True, False]), s),
    lambda m, x, s: m.put(x, m.tensor([0, 7, -1]), s[0, :3]),
    lambda m, x, s: m.put(x, m.tensor([0, 0, 1]), s[0, :3], accumulate=True),
]


@pytest.mark.parametrize("i", range(len(GRADCHECK)))
def test_gradcheck_one_input(i):
    gradcheck(GRADCHECK[i], f64(3, 4))
    ember.autograd.gradgradcheck(lambda x: GRADCHECK[i](ember, x),
                                 (ember.tensor(f64(3, 4), requires_grad=True),))


@pytest.mark.parametrize("i", range(len(GRADCHECK2)))
def test_gradcheck_two_inputs(i):
    gradcheck(GRADCHECK2[i], f64(3, 4), f64(3, 4))
    ember.autograd.gradgradcheck(lambda x, s: GRADCHECK2[i](ember, x, s),
                                 (ember.tensor(f64(3, 4), requires_grad=True),
                                  ember.tensor(f64(3, 4), requires_grad=True)))


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradcheck(reduce, include_self):
    index = ember.tensor([[0, 0, 3], [1, 1, 1], [2, 0, 2]])
    x, s = rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (3, 3))
    gradcheck(lambda m, a, b: m.scatter_reduce(a, 1, index, b, reduce, include_self=include_self),
              x, s)


def test_scatter_reduce_prod_gradient_with_zeros_matches_torch():
    s = rng.uniform(0.5, 2, (3, 3))
    s[0, 0] = s[1, 1] = 0.0
    x = rng.uniform(0.5, 2, (3, 4))
    x[2, 2] = 0.0
    for inc in (True, False):
        run_both(lambda m, a, b, inc=inc: m.scatter_reduce(
            a, 1, m.tensor([[0, 0, 3], [1, 1, 1], [2, 0, 2]]), b, "prod", include_self=inc),
            x, s, grad=True)


def test_scatter_with_reduce_has_no_derivative():
    x = ember.ones(2, 3, requires_grad=True)
    with pytest.warns(UserWarning, match="deprecated"):
        y = x.scatter(1, ember.tensor([[0], [1]]), ember.ones(2, 1), reduce="add")
    assert y.grad_fn.name() == "NotImplemented"
    with pytest.raises(NotImplementedError):
        y.sum().backward()


@pytest.mark.parametrize("fn,name", [
    (lambda m, x: m.gather(x, 1, m.tensor([[0], [1], [2]])), "GatherBackward0"),
    (lambda m, x: x.scatter(1, m.tensor([[0], [1], [2]]), 1.0), "ScatterBackward1"),
    (lambda m, x: x.scatter(1, m.tensor([[0], [1], [2]]), x), "ScatterBackward0"),
    (lambda m, x: x.scatter_add(1, m.tensor([[0], [1], [2]]), x), "ScatterAddBackward0"),
    (lambda m, x: x.scatter_reduce(1, m.tensor([[0], [1], [2]]), x, "sum"),
     "ScatterReduceBackward0"),
    (lambda m, x: x.index_select(0, m.tensor([1])), "IndexSelectBackward0"),
    (lambda m, x: x.index_add(0, m.tensor([1]), x[:1]), "IndexAddBackward0"),
    (lambda m, x: x.index_copy(0, m.tensor([1]), x[:1]), "IndexCopyBackward0"),
    (lambda m, x: x.index_fill(0, m.tensor([1]), 2.0), "IndexFillBackward0"),
    (lambda m, x: x.index_fill(0, m.tensor([1]), x[0, 0]), "IndexFillBackward1"),
    (lambda m, x: x.index_put((m.tensor([1]),), x[0]), "IndexPutBackward0"),
    (lambda m, x: x.masked_fill(gt(m, x), 2.0), "MaskedFillBackward0"),
    (lambda m, x: x.masked_fill(gt(m, x), x[0, 0]), "MaskedFillBackward1"),
    (lambda m, x: x.masked_scatter(gt(m, x), x), "MaskedScatterBackward0"),
    (lambda m, x: x.masked_select(gt(m, x)), "MaskedSelectBackward0"),
    (lambda m, x: x.take(m.tensor([1])), "TakeBackward0"),
    (lambda m, x: x.put(m.tensor([1]), x[0, :1]), "PutBackward0"),
    (lambda m, x: m.take_along_dim(x, m.tensor([[1]]), 1), "GatherBackward0"),
])
def test_backward_node_names(fn, name):
    for m in (ember, torch):
        x = m.ones(3, 4, requires_grad=True) * 1
        assert type(fn(m, x).grad_fn).__name__ == name or fn(m, x).grad_fn.name() == name


# ------------------------------------------------------------------ misc semantics
def test_where_single_argument_is_nonzero_as_tuple():
    for a in (f64(3, 4) > 0, np.array(3), np.array(0), np.zeros((2, 0))):
        t = torch.where(torch.tensor(a))
        e = where_single(ember.tensor(a))
        assert len(e) == len(t)
        for x, y in zip(e, t, strict=True):
            assert x.dtype is ember.int64 and x.tolist() == y.tolist()


def test_dim_wise_ops_check_bounds_where_numpy_would_wrap():
    raises_both(lambda m, x: m.gather(x, 0, m.tensor([[-1]])), f64(3, 2), match="index -1")
    raises_both(lambda m, x: m.scatter_add(x, 0, m.tensor([[-1]]), x), f64(3, 2))
    raises_both(lambda m, x: x.index_select(0, m.tensor([-1])), f64(3, 2))
    raises_both(lambda m, x: x.index_add(0, m.tensor([-1]), x[:1]), f64(3, 2))
    raises_both(lambda m, x: x.index_copy(0, m.tensor([-1]), x[:1]), f64(3, 2))
    # torch reads out of bounds here; ember raises instead of returning garbage
    with pytest.raises(RuntimeError, match="index 7 is out of bounds"):
        ember.take_along_dim(ember.zeros(2, 3), ember.tensor([[0, 7]]), 1)


def test_index_put_argument_types():
    x = np.zeros((3, 2), np.float32)
    raises_both(lambda m, t: t.index_put(m.tensor([1]), m.tensor(1.0)), x)
    raises_both(lambda m, t: t.index_put((m.tensor([1]), None), m.tensor(1.0)), x)
    raises_both(lambda m, t: t.index_put((m.tensor([1]),), 1.0), x)
    run_both(lambda m, t: m.index_put_(t.clone(), (m.tensor([1]),), m.tensor(2.0)), x)
    run_both(lambda m, t: t.index_put([m.tensor([1, 1])], m.tensor([1.0, 2.0]), True), x)


def test_masked_fill_value_checks_and_dtypes():
    for dt, v in (("int8", 300), ("uint8", -256), ("uint8", 256), ("float16", 7e4),
                  ("int64", float("nan")), ("int32", 2**40)):
        raises_both(lambda m, x, dt=dt, v=v: x.to(getattr(m, dt)).masked_fill(gt(m, x, -9), v),
                    f64(2), match="without overflow")
    for dt, v in (("uint8", -1), ("bool", 2.5), ("int64", 2.5), ("int32", True),
                  ("complex64", 1 + 2j), ("float16", float("nan")), ("float32", float("-inf"))):
        run_both(lambda m, x, dt=dt, v=v: x.to(getattr(m, dt)).masked_fill(gt(m, x), v),
                 f64(2, 3))
    run_both(lambda m, x: x.masked_fill(gt(m, x), m.tensor(2.5, dtype=m.float64)),
             f64(2, 3).astype(np.float32))


def test_index_ops_method_forms_and_out():
    x = f64(3, 4)
    run_both(lambda m, t: t.index_put((m.tensor([0, 2]),), t[:2]), x)
    run_both(lambda m, t: t.put(m.tensor([0, 2]), t[0, :2], True), x)
    run_both(lambda m, t: t.nonzero(as_tuple=True), x)
    run_both(lambda m, t: t.argwhere(), x)

    def out(m, t):
        o = m.empty(0, dtype=m.int64)
        r = m.nonzero(gt(m, t), out=o)
        assert r is o
        return o

    run_both(out, x)


def test_fast_paths_return_fresh_memory_without_grad():
    x = ember.arange(12.0).reshape(3, 4)
    y = x.masked_fill(gt(ember, x, 5), 0.0)
    assert y.grad_fn is None and y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
    z = x.clone()
    assert z.masked_fill_(gt(ember, z, 5), 0.0) is z
    np.testing.assert_array_equal(y.numpy(), z.numpy())


def test_data_dependent_shapes_raise_on_meta():
    x = ember.empty(3, 4, device="meta")
    m = ember.empty(3, 4, dtype=ember.bool, device="meta")
    for fn in (lambda: x.nonzero(), lambda: x.masked_select(m), lambda: x[m]):
        with pytest.raises(NotImplementedError):
            fn()
    assert x[ember.tensor([0, 1], device="meta")].shape == (2, 4)
    assert x.gather(1, ember.empty(3, 2, dtype=ember.int64, device="meta")).shape == (3, 2)
