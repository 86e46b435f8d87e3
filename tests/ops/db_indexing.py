"""OpInfo rows for indexing: __getitem__ (indexing.py), gather/scatter (scatter.py), index_*
(index_dim.py), masked_*, nonzero, take/put (masked.py).

Index arguments are int64/int32/bool NumPy arrays, so ember's numerical gradcheck (which turns
every array into a float64 input) is off in these rows; test_indexing.py runs gradcheck with
the indices closed over.
"""

from __future__ import annotations

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

ALL = ("float32", "float64", "int64", "int32", "uint8", "bool", "float16", "bfloat16",
       "complex64")
NUM = ("float32", "float64", "int64", "float16", "bfloat16")
FLT = ("float32", "float64")


def _maker(rng, dt):  # noqa: ANN001, ANN202
    return lambda *s: np.asarray(rand(rng, *s, dtype=dt))


def _i(*vals, dtype="int64"):  # noqa: ANN001, ANN202
    return np.array(vals, dtype=dtype)


def _perm_index(rng, shape, size, dim, dtype="int64"):  # noqa: ANN001, ANN202
    """Indices unique along `dim` (scatter without reduce is only defined for those)."""
    out = np.empty(shape, np.int64)
    moved = np.moveaxis(out, dim, -1)
    for pos in np.ndindex(moved.shape[:-1]):
        moved[pos] = rng.permutation(size)[:moved.shape[-1]]
    return out.astype(dtype)


def _fill_value(dt):  # noqa: ANN001, ANN202
    return True if dt == "bool" else 3 if dt in ("int64", "int32", "uint8") else 2.5


# ------------------------------------------------------------------ __getitem__
def _getitem_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    x = r(3, 4, 5)
    i2 = _i(0, 2, -1)
    return [
        S(x, 1), S(x, -1), S(x, (0, 1)), S(x, (0, 1, 2)), S(x, slice(1, 3)),
        S(x, (slice(None), slice(0, 5, 2))), S(x, (Ellipsis, 1)), S(x, (None, 0, None)),
        S(x, Ellipsis), S(x, ()), S(x, (slice(10, 20),)), S(x, (slice(-10, 2), 1)),
        S(x, (1, Ellipsis, slice(None, None, 3))),
        S(x, i2), S(x, (i2, i2)), S(x, (slice(None), i2)), S(x, (i2, slice(None), i2)),
        S(x, (0, slice(None), i2)), S(x, (i2, 0, i2)), S(x, (slice(None), i2, None, i2)),
        S(x, (Ellipsis, _i(1, 3), slice(None))), S(x, _i([0, 1], [2, 2])),
        S(x, _i(0, 1, dtype="int32")), S(x, rng.random((3, 4)) < 0.5),
        S(x, (slice(None), rng.random((4, 5)) < 0.5)), S(x, (rng.random(3) < 0.5, _i(0, 3))),
        S(x, (True,)), S(x, (1, False)), S(x, [0, 2]), S(x, [[0, 1], [1, 2]]),
        S(x, (i2, _i([0], [1], [3]))), S(x, _i(dtype="int64")), S(x, (0, i2, None)),
        S(r(), None), S(r(), Ellipsis), S(r(), True), S(r(5), np.array(2)),
        S(r(0, 3), _i(dtype="int64")), S(r(0, 3), (slice(None), 1)),
    ]


def _getitem_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 3)
    return [
        S(x, 3), S(x, (0, -4)), S(x, (0, 0, 0)), S(x, _i(0, 3)), S(x, (slice(None), _i(-4))),
        S(x, _i(0, 1, dtype="int16")), S(x, np.array([0.0, 1.0])), S(x, np.array([True, False])),
        S(x, (_i(0, 1), _i(0, 1, 2))), S(x, slice(None, None, -1)), S(x, slice(None, None, 0)),
        S(x, 1.5), S(np.asarray(rand(rng)), 0), S(np.asarray(rand(rng)), _i(0)),
        S(rand(rng, 0, 3), _i(0)),
    ]


def _getitem(m, x, key):  # noqa: ANN001, ANN202
    return x[key]


# ------------------------------------------------------------------ gather / scatter
def _gather_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [
        S(r(3, 4), 1, rng.integers(0, 4, (3, 2))), S(r(3, 4), 0, rng.integers(0, 3, (2, 4))),
        S(r(3, 4), 0, rng.integers(0, 3, (2, 2))), S(r(3, 4), -1, rng.integers(0, 4, (2, 6))),
        S(r(2, 3, 4), 2, rng.integers(-0, 4, (2, 3, 5)).astype(np.int32)),
        S(r(), 0, np.array(0)), S(r(), 0, _i(0, 0)), S(r(3, 4), 1, np.zeros((3, 0), np.int64)),
        S(r(3, 4), 1, rng.integers(0, 4, (3, 2)), sparse_grad=False),
    ]


def _gather_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, 1, _i([0, 3])), S(x, 1, _i([0, -1])), S(x, 1, np.array([[0.0]])),
            S(x, 1, _i([0], [0], [0])), S(x, 1, _i(0, 1)), S(x, 2, _i([0])),
            S(x, 1, _i([0], dtype="int16"))]


def _scatter_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    v = _fill_value(dt)
    return [
        S(r(3, 5), 1, _perm_index(rng, (3, 2), 5, 1), r(3, 2)),
        S(r(3, 5), 0, _perm_index(rng, (2, 5), 3, 0), r(2, 5)),
        S(r(3, 5), 1, _perm_index(rng, (2, 3), 5, 1), r(3, 4)),   # src larger than index
        S(r(3, 5), 1, _perm_index(rng, (3, 2), 5, 1, "int32"), v),
        S(r(3, 5), -1, _perm_index(rng, (3, 2), 5, 1), value=v),
        S(r(), 0, np.array(0), r()), S(r(3, 4), 0, np.zeros((0, 4), np.int64), r(1, 4)),
        S(r(3, 5), 1, rng.integers(0, 5, (3, 4)), r(3, 4), reduce="add"),
        S(r(3, 5), 0, rng.integers(0, 3, (3, 5)), v, reduce="multiply"),
    ]


def _scatter_grad_samples(rng):  # noqa: ANN001, ANN202
    r = _maker(rng, "float64")
    return [S(r(3, 5), 1, _perm_index(rng, (3, 2), 5, 1), r(3, 2)),
            S(r(3, 5), 0, _perm_index(rng, (2, 5), 3, 0), r(2, 5)),
            S(r(3, 5), 1, _perm_index(rng, (2, 3), 5, 1), 1.5)]


def _scatter_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, 1, _i([0, 3]), rand(rng, 1, 2)), S(x, 1, _i([0]), rand(rng, 1, 1, dtype="float64")),
            S(x, 1, np.array([[0.0]]), 1.0), S(x, 1, _i([0]), np.asarray(rand(rng))),
            S(x, 1, _i([0], [1], [0]), 1.0), S(x, 1, _i([0, 1]), rand(rng, 1, 1)),
            S(x, 1, _i([0]), rand(rng, 1, 1), reduce="mean"), S(x, 1, _i(0, 1), 1.0)]


def _scatter_add_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 5), 1, rng.integers(0, 5, (3, 4)), r(3, 4)),
            S(r(3, 5), 0, rng.integers(0, 3, (4, 5)), r(4, 5)),
            S(r(3, 5), 1, rng.integers(0, 5, (2, 3)), r(3, 4)),
            S(r(3, 5), 1, rng.integers(0, 5, (3, 3)).astype(np.int32), r(3, 3)),
            S(r(), 0, np.array(0), r()), S(r(4), 0, _i(0, 0, 3, 0), r(4))]


def _scatter_add_grad_samples(rng):  # noqa: ANN001, ANN202
    r = _maker(rng, "float64")
    return [S(r(3, 5), 1, rng.integers(0, 5, (3, 4)), r(3, 4)),
            S(r(4), 0, _i(0, 0, 3, 0), r(4))]


def _scatter_reduce_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    out = []
    for red in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            out.append(S(r(3, 5), 1, rng.integers(0, 5, (3, 4)), r(3, 4), red,
                         include_self=inc))
    out.append(S(r(3, 5), 0, rng.integers(0, 3, (2, 5)), r(2, 6), "amax"))
    return out


def _scatter_reduce_grad_samples(rng):  # noqa: ANN001, ANN202
    out = []
    for red in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            src = rng.uniform(0.5, 2, (3, 4))
            if red == "prod":
                src[0, 1] = 0.0
            out.append(S(rng.uniform(0.5, 2, (3, 5)), 1, rng.integers(0, 5, (3, 4)), src, red,
                         include_self=inc))
    return out


def _scatter_reduce_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, 1, _i([0]), rand(rng, 1, 1), "foo"),
            S(x, 1, _i([0]), rand(rng, 1, 1, dtype="float64"), "sum"),
            S(x, 1, _i([4]), rand(rng, 1, 1), "amax")]


# ------------------------------------------------------------------ index_* ops
def _index_select_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), 0, _i(0, 2, 2)), S(r(3, 4), 1, _i(3, 0)), S(r(3, 4), -1, np.array(1)),
            S(r(3, 4), 0, _i(dtype="int64")), S(r(3, 4), 1, _i(1, 1, dtype="int32")),
            S(r(), 0, np.array(0)), S(r(), 0, _i(0)), S(r(2, 0, 3), 2, _i(2, 0))]


def _index_select_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, 0, _i(0, 5)), S(x, 0, _i(0, -1)), S(x, 0, np.array([0.0])),
            S(x, 0, _i([0, 1])), S(np.asarray(rand(rng)), 0, _i(0, 0)), S(x, 2, _i(0))]


def _index_add_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), 0, _i(0, 2, 0), r(3, 4)), S(r(3, 4), 1, _i(3, 0), r(3, 2), alpha=2),
            S(r(3, 4), 1, _i(1, dtype="int32"), r(3, 1)), S(r(3, 4), 0, np.array(1), r(1, 4)),
            S(r(), 0, np.array(0), r()), S(r(3, 4), 0, _i(dtype="int64"), r(0, 4))]


def _index_add_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 2)
    return [S(x, 0, _i(0, 0, 2), rand(rng, 3, 3)), S(x, 0, _i(0, 5), rand(rng, 2, 2)),
            S(x, 0, _i(0, -1), rand(rng, 2, 2)), S(x, 0, _i(0), rand(rng, 1, 2, dtype="float64")),
            S(x, 0, np.array([0.0]), rand(rng, 1, 2)), S(x, 0, _i([0]), rand(rng, 1, 2)),
            S(x, 0, np.array(0), rand(rng, 2))]


def _index_copy_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), 0, _i(2, 0), r(2, 4)), S(r(3, 4), 1, _i(3, 1, 0), r(3, 3)),
            S(r(3, 4), 0, np.array(1), r(1, 4)), S(r(), 0, np.array(0), r()),
            S(r(), 0, _i(0), r())]


def _index_copy_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 2)
    return [S(x, 0, _i(0, 5), rand(rng, 2, 2)), S(x, 0, _i(0, -1), rand(rng, 2, 2)),
            S(x, 0, _i(0, 2), rand(rng, 3, 2)), S(x, 0, _i(0), rand(rng, 1, 3)),
            S(x, 0, _i(0), rand(rng, 2)), S(x, 0, _i(0, dtype="int32"), rand(rng, 1, 2)),
            S(x, 0, _i([0]), rand(rng, 1, 2)), S(x, 0, _i(0), rand(rng, 1, 2, dtype="float64"))]


def _index_fill_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    v = _fill_value(dt)
    return [S(r(3, 4), 0, _i(0, 2), v), S(r(3, 4), 1, _i(-1, 0, 0), v),
            S(r(3, 4), 1, np.array(2), r()), S(r(3, 4), 0, _i(dtype="int64"), v),
            S(r(), 0, _i(0), v), S(r(2, 3, 4), -1, _i(1, 3), r())]


def _index_fill_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 2)
    return [S(x, 1, _i(0, 2), 1.0), S(x, 0, _i(-4), 1.0), S(x, 0, _i(0, dtype="int32"), 1.0),
            S(x, 0, _i([0]), 1.0), S(x, 0, _i(0), rand(rng, 1)),
            S(rand(rng, 3, dtype="int8"), 0, _i(0), 300)]


def _index_put_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    m = rng.random((3, 4)) < 0.5
    m[0, 0] = True
    return [
        S(r(3, 4), (_i(0, 2),), r(2, 4)), S(r(3, 4), (_i(0, 2), _i(1, 3)), r(2)),
        S(r(3, 4), (_i(2, 0),), r(4)), S(r(3, 4), (_i(1, 1, 0),), r(3, 4), True),
        S(r(3, 4), (_i(1, 1), _i(0, 0)), r(), accumulate=True),
        S(r(3, 4), (m,), r()), S(r(3, 4), (m,), r(int(m.sum()))),
        S(r(3, 4), (rng.random(3) < 0.5,), r(4)), S(r(3, 4), (_i(0, 1, dtype="int32"),), r(1, 4)),
        S(r(2, 3, 4), (_i(0, 1), _i(2, 0)), r(4)),
    ]


def _index_put_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 2)
    return [S(x, (_i(5),), np.asarray(rand(rng))), S(x, (_i(1),), np.array(1)),
            S(x, (_i(0, 1),), rand(rng, 3, 3)), S(x, (np.array([0.0]),), rand(rng, 2)),
            S(x, (_i(0), _i(0), _i(0)), np.asarray(rand(rng))),
            S(x, (_i(0, 1),), rand(rng, 1, 2, 2))]


def _index_put(m, x, idx, vals, *a, **kw):  # noqa: ANN001, ANN202
    return m.index_put(x, idx, vals, *a, **kw)


# ------------------------------------------------------------------ masked ops
def _masked_fill_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    v = _fill_value(dt)
    return [S(r(3, 4), rng.random((3, 4)) < 0.5, v), S(r(3, 4), rng.random((3, 1)) < 0.5, v),
            S(r(3, 4), rng.random(4) < 0.5, r()), S(r(4), rng.random((2, 4)) < 0.5, v),
            S(r(3, 4), rng.random((3, 4)) < 0.5, np.array(1.5)), S(r(), np.array(True), v),
            S(r(0, 4), rng.random(4) < 0.5, v), S(r(3, 4), np.array(False), r())]


def _masked_fill_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, np.array([1, 0, 1]), 1.0), S(x, np.array([1, 0, 1], np.uint8), 1.0),
            S(x, np.array([True, False]), 1.0), S(x, np.array([True, False, True]), rand(rng, 1)),
            S(x, np.array([True, False, True]), 1e40), S(x, np.array([True, True, False]), 1 + 2j),
            S(rand(rng, 2, dtype="int8"), np.array([True, False]), 300)]


def _masked_scatter_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), rng.random((3, 4)) < 0.5, r(12)), S(r(3, 4), rng.random(4) < 0.5, r(3, 5)),
            S(r(4), rng.random((2, 4)) < 0.5, r(9)), S(r(), np.array(True), r(2)),
            S(r(3, 4), np.zeros((3, 4), bool), r(0))]


def _masked_scatter_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, np.array([1, 0], np.uint8), rand(rng, 6)), S(x, np.ones(3, bool), rand(rng, 5)),
            S(x, np.ones(3, bool), rand(rng, 6, dtype="float64")),
            S(x, np.ones(2, bool), rand(rng, 6))]


def _masked_select_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), rng.random((3, 4)) < 0.5), S(r(3, 4), rng.random(4) < 0.5),
            S(r(4), rng.random((2, 4)) < 0.5), S(r(), np.array(True)), S(r(0, 2), np.ones(2, bool))]


def _masked_select_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 2)
    return [S(x, np.array([1, 0], np.uint8)), S(x, np.ones(3, bool))]


def _nonzero_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    z = r(3, 4)
    z[1] = 0
    npdt = "float32" if dt == "bfloat16" else dt
    return [S(z), S(z, as_tuple=True), S(r(5)), S(r()), S(np.zeros((), npdt)),
            S(np.zeros((), npdt), as_tuple=True), S(np.ones((), npdt), as_tuple=True),
            S(r(2, 0)), S(r(2, 3, 2), as_tuple=True)]


# ------------------------------------------------------------------ take / put
def _take_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), _i([0, 11], [-1, 5])), S(r(3, 4), np.array(3)), S(r(), _i(0, -1)),
            S(r(5), _i(dtype="int64")), S(r(0), _i(dtype="int64"))]


def _take_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, _i(6)), S(x, _i(-7)), S(x, _i(0, dtype="int32")), S(rand(rng, 0), _i(0))]


def _take_along_dim_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), rng.integers(0, 4, (3, 2)), 1), S(r(3, 4), rng.integers(0, 3, (1, 4)), 0),
            S(r(3, 4), rng.integers(0, 4, (1, 2)), dim=1), S(r(3, 1, 4), rng.integers(0, 4, (3, 2, 5)), 2),
            S(r(3, 4), rng.integers(0, 12, (5,)))]


def _take_along_dim_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, _i(0, 2), 0), S(x, _i([0, 2], dtype="int32"), 1), S(x, np.array([[0.0]]), 1),
            S(x, _i([0, 1], [1, 0], [2, 2]), 1)]


def _put_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), _i(0, 11, -2), r(3)), S(r(3, 4), _i([0, 1]), r(2)),
            S(r(3, 4), _i(1, 1, 5), r(3), accumulate=True), S(r(), _i(0), r(1)),
            S(r(3, 4), _i(dtype="int64"), r(0))]


def _put_errors(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3)
    return [S(x, _i(0, 6), rand(rng, 2)), S(x, _i(0, 1), rand(rng, 3)),
            S(x, _i(0, 1), rand(rng, 2, dtype="float64")), S(rand(rng, 0), _i(0), rand(rng, 1))]


def _put(m, x, idx, src, *a, **kw):  # noqa: ANN001, ANN202
    return m.put(x, idx, src, *a, **kw)


OPS = [
    OpInfo("__getitem__", _getitem_samples, op=_getitem, dtypes=ALL, method=False,
           gradcheck=False, error_samples=_getitem_errors),
    OpInfo("gather", _gather_samples, dtypes=ALL, out=True, gradcheck=False,
           error_samples=_gather_errors),
    OpInfo("scatter", _scatter_samples, dtypes=NUM + ("bool",), out=True, inplace=True,
           gradcheck=False, grad_samples=_scatter_grad_samples, error_samples=_scatter_errors),
    OpInfo("scatter_add", _scatter_add_samples, dtypes=NUM, out=True, inplace=True,
           gradcheck=False, grad_samples=_scatter_add_grad_samples),
    OpInfo("scatter_reduce", _scatter_reduce_samples, dtypes=("float32", "float64", "int64"),
           out=True, inplace=True, gradcheck=False, grad_samples=_scatter_reduce_grad_samples,
           error_samples=_scatter_reduce_errors, rtol=1e-5),
    OpInfo("index_select", _index_select_samples, dtypes=ALL, out=True, gradcheck=False,
           error_samples=_index_select_errors),
    OpInfo("index_add", _index_add_samples, dtypes=NUM, out=True, inplace=True,
           gradcheck=False, error_samples=_index_add_errors),
    OpInfo("index_copy", _index_copy_samples, dtypes=ALL, out=True, inplace=True,
           gradcheck=False, error_samples=_index_copy_errors),
    OpInfo("index_fill", _index_fill_samples, dtypes=ALL, inplace=True, gradcheck=False,
           error_samples=_index_fill_errors),
    OpInfo("index_put", _index_put_samples, op=_index_put, dtypes=ALL, method=False,
           inplace=True, gradcheck=False, error_samples=_index_put_errors),
    OpInfo("masked_fill", _masked_fill_samples, dtypes=ALL, inplace=True, gradcheck=False,
           error_samples=_masked_fill_errors),
    OpInfo("masked_scatter", _masked_scatter_samples, dtypes=ALL, inplace=True,
           gradcheck=False, error_samples=_masked_scatter_errors),
    OpInfo("masked_select", _masked_select_samples, dtypes=ALL, out=True, gradcheck=False,
           error_samples=_masked_select_errors),
    OpInfo("nonzero", _nonzero_samples, dtypes=ALL, grad=False, out=True),
    OpInfo("argwhere", lambda rng, dt: [s for s in _nonzero_samples(rng, dt) if not s.kwargs],
           dtypes=ALL, grad=False),
    OpInfo("take", _take_samples, dtypes=ALL, out=True, gradcheck=False,
           error_samples=_take_errors),
    OpInfo("take_along_dim", _take_along_dim_samples, dtypes=NUM, out=True, gradcheck=False,
           error_samples=_take_along_dim_errors),
    OpInfo("put", _put_samples, op=_put, dtypes=NUM, inplace=True, gradcheck=False,
           error_samples=_put_errors),
]
