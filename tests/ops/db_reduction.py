"""OpInfo rows for reductions, scans and statistics (ember/ops/reduction.py, statistics.py)."""

import numpy as np

from tests.harness import rand as _rand
from tests.ops.opinfo import OpInfo, S

FLOATS = ("float16", "bfloat16", "float32", "float64")
ALL = ("bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64")
NUMERIC = ("uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64")


def rand(r, *shape, dtype="float32"):
    return np.asarray(_rand(r, *shape, dtype=dtype))  # harness gives a NumPy scalar for 0-d complex


def _np(d):
    return np.float32 if d == "bfloat16" else d


def _zeros(r, x):
    """Some exact zeros (for any/all/count_nonzero, prod and cumprod gradients)."""
    x = x.copy()
    x.reshape(-1)[r.random(x.size) < 0.3] = 0
    return x


def _nan(x):
    if x.dtype.kind != "f":
        return x
    x = x.copy()
    x.reshape(-1)[::4] = np.nan
    return x


def _distinct(r, *shape, dtype="float32"):
    """Distinct values exact in every dtype (for ops whose index choice among ties varies)."""
    n = int(np.prod(shape))
    v = r.permutation(n) - n // 2
    if dtype in ("bool", "uint8"):
        v = v + n // 2
    if dtype.startswith("float") or dtype == "bfloat16":
        v = v / 4
    return v.reshape(shape).astype(_np(dtype))


def _ties(r, *shape, dtype="float32"):
    return r.integers(0, 3, shape).astype(_np(dtype))


def _red(r, d, tuple_dims=True, empty_full=True, extra=()):
    """Samples of a dim reduction: no dim, int / negative / tuple dims, keepdim, empty, 0-d."""
    x, y = rand(r, 3, 4, dtype=d), rand(r, 3, 4, 5, dtype=d)
    e = rand(r, 0, 3, dtype=d)
    s = [S(rand(r, 4, dtype=d)), S(x, 1), S(y), S(y, 1), S(y, -1, True), S(y, dim=0),
         S(e, 1), S(rand(r, dtype=d)), S(rand(r, dtype=d), 0), S(rand(r, dtype=d), -1, True)]
    if tuple_dims:
        s += [S(y, (0, 2)), S(y, (-1, 0), keepdim=True)]
    if empty_full:
        s += [S(e), S(e, 0)]
    return s + list(extra)


def _idx(r, d, f=_distinct):
    """Samples of a selection along a dim (values and indices)."""
    return [S(f(r, 3, 4, dtype=d), 1), S(f(r, 4, dtype=d), 0), S(f(r, 2, 3, 4, dtype=d), -1, True),
            S(f(r, 2, 3, 4, dtype=d), dim=0), S(rand(r, dtype=d), 0), S(rand(r, dtype=d), -1, True),
            S(rand(r, 0, 3, dtype=d), 1)]


def _scan(r, d):
    return [S(rand(r, 3, 4, dtype=d), 1), S(rand(r, 4, dtype=d), 0), S(rand(r, 2, 3, 4, dtype=d), -3),
            S(rand(r, 0, 3, dtype=d), 0), S(rand(r, 0, 3, dtype=d), 1), S(rand(r, dtype=d), 0),
            S(rand(r, dtype=d), -1)]


def _var_samples(r, d):
    x, y = rand(r, 3, 4, dtype=d), rand(r, 2, 3, 4, dtype=d)
    return [S(x), S(x, 1), S(y, -1, keepdim=True), S(y, (0, 2)), S(y, 1, False), S(y, 1, True, True),
            S(x, False), S(y, correction=0), S(y, 1, correction=2), S(y, 0, correction=0.5),
            S(y, dim=None, correction=1, keepdim=True), S(y, unbiased=False), S(rand(r, 1, 3, dtype=d), 1),
            S(rand(r, 0, 3, dtype=d), 1), S(rand(r, dtype=d), 0)]


def _var_errors(r):
    return [S(rand(r, 3, 4, dtype="int64")), S(rand(r, 3, 4), 1, True, correction=1),
            S(rand(r, 3, 4), 2), S(rand(r, 3, 4), (0, 0))]


def _norm_samples(r, d):
    x, y = rand(r, 3, 4, dtype=d), rand(r, 2, 3, 4, dtype=d)
    e = rand(r, 0, 3, dtype=d)
    return [S(x), S(x, 1), S(y, 2, 1), S(y, 1, (0, 1)), S(y, float("inf")), S(y, -float("inf"), 1),
            S(y, 0), S(y, 3, 1, True), S(y, 0.5, 2), S(y, -1.5, 1), S(y, "fro", (0, 1)),
            S(y, "fro", 1), S(y, 2.5, ()), S(y, p=None, dim=-1), S(e, 2), S(e, 1, 1), S(e, 0),
            S(e, float("inf"), 1), S(rand(r, dtype=d)), S(rand(r, dtype=d), 3, 0, True)]


def _norm_errors(r):
    x = rand(r, 2, 3, 4)
    e = rand(r, 0, 3)
    return [S(rand(r, 3, dtype="int64")), S(x, "fro", (0, 1, 2)), S(x, "nuc"),
            S(x[0], "abc"), S(e, float("inf")), S(e, -1), S(e, float("inf"), 0), S(x, 2, 3)]


def _max_errors(name):
    def f(r):
        e = rand(r, 0, 3)
        return [S(e), S(e, 0), S(rand(r, 3, 4), 2), S(rand(r, 3, 4), -3, True),
                S(rand(r, 3, dtype="complex64"))]
    return f


OPS = [
    OpInfo("sum", lambda r, d: _red(r, d, extra=[
        S(rand(r, 3, 4, dtype=d), ()), S(rand(r, 3, 4, dtype=d), [], True),
        S(rand(r, 3, 4, dtype=d), None, True)]),
        dtypes=ALL + ("complex64",), out=False,
        error_samples=lambda r: [S(rand(r, 3), 1), S(rand(r, 3, 4), (0, 0)), S(rand(r), 1)]),
    OpInfo("mean", lambda r, d: _red(r, d, extra=[
        S(rand(r, 3, 4, dtype=d), ())]),
        dtypes=FLOATS + ("complex64",), out=True,
        error_samples=lambda r: [S(rand(r, 3, dtype="int64")), S(rand(r, 3, dtype="bool"), 0),
                                 S(rand(r, 3, 4), 2)]),
    OpInfo("nansum", lambda r, d: [S(_nan(s.args[0]), *s.args[1:], **s.kwargs) for s in _red(r, d)]
           + [S(np.full((2, 3), np.nan, _np(d)) if d in FLOATS else rand(r, 2, 3, dtype=d), 1)],
           dtypes=ALL, out=True,
           error_samples=lambda r: [S(rand(r, 3, dtype="complex64")), S(rand(r, 3), 1)]),
    OpInfo("nanmean", lambda r, d: [S(_nan(s.args[0]), *s.args[1:], **s.kwargs) for s in _red(r, d)]
           + [S(np.full((2, 3), np.nan, _np(d)), 1)], dtypes=FLOATS, out=True,
           error_samples=lambda r: [S(rand(r, 3, dtype="int64")), S(rand(r, 3, 4), (1, 1))]),
    OpInfo("prod", lambda r, d: [
        S(rand(r, 3, 4, dtype=d)), S(rand(r, 3, 4, dtype=d), 1), S(rand(r, 2, 3, 4, dtype=d), -1, True),
        S(rand(r, 2, 3, 4, dtype=d), dim=0), S(_zeros(r, rand(r, 4, 5, dtype=d)), 1),
        S(np.array([[0, 2, 3], [0, 0, 2], [1, 2, 3]], _np(d)), 1),
        S(np.array([[0, 2], [3, 4]], _np(d))), S(np.array([[0, 2], [0, 4]], _np(d))),
        S(rand(r, 0, 3, dtype=d)), S(rand(r, 0, 3, dtype=d), 0), S(rand(r, dtype=d)),
        S(rand(r, dtype=d), 0)],
        dtypes=ALL + ("complex64",), out=False,
        error_samples=lambda r: [S(rand(r, 3, 4), (0, 1)), S(rand(r, 3, 4), 2)]),
    OpInfo("max", lambda r, d: _red(r, d, tuple_dims=False, empty_full=False), dtypes=ALL, out=True,
           error_samples=_max_errors("max")),
    OpInfo("min", lambda r, d: _red(r, d, tuple_dims=False, empty_full=False), dtypes=ALL, out=True,
           error_samples=_max_errors("min")),
    OpInfo("amax", lambda r, d: _red(r, d, empty_full=False, extra=[
        S(_ties(r, 3, 4, dtype=d), 1), S(_ties(r, 2, 3, 4, dtype=d), (0, 2)), S(_ties(r, 3, 4, dtype=d)),
        S(rand(r, 3, 4, dtype=d), ())]), dtypes=ALL, out=True, error_samples=_max_errors("amax")),
    OpInfo("amin", lambda r, d: _red(r, d, empty_full=False, extra=[
        S(_ties(r, 3, 4, dtype=d), 1), S(_ties(r, 2, 3, 4, dtype=d), (0, 2)), S(_ties(r, 3, 4, dtype=d)),
        S(rand(r, 3, 4, dtype=d), ())]), dtypes=ALL, out=True, error_samples=_max_errors("amin")),
    OpInfo("aminmax", lambda r, d: [
        S(rand(r, 3, 4, dtype=d)), S(rand(r, 3, 4, dtype=d), dim=1), S(rand(r, 2, 3, 4, dtype=d), dim=-1, keepdim=True),
        S(rand(r, 2, 3, 4, dtype=d), keepdim=True), S(_ties(r, 3, 4, dtype=d), dim=0), S(rand(r, dtype=d)),
        S(rand(r, dtype=d), dim=0), S(rand(r, 0, 3, dtype=d), dim=1)], dtypes=ALL, out=True,
        error_samples=lambda r: [S(rand(r, 0, 3)), S(rand(r, 0, 3), dim=0), S(rand(r, 3), 0),
                                 S(rand(r, 3, 4), dim=2)]),
    OpInfo("argmax", lambda r, d: _red(r, d, tuple_dims=False, empty_full=False,
                                       extra=[S(rand(r, 3, 4, dtype=d), keepdim=True)]),
           dtypes=NUMERIC, grad=False, out=True,
           error_samples=lambda r: [S(rand(r, 0, 3)), S(rand(r, 0, 3), 0), S(rand(r, 3, dtype="bool")),
                                    S(rand(r, 3, dtype="complex64")), S(rand(r, 3), 1)]),
    OpInfo("argmin", lambda r, d: _red(r, d, tuple_dims=False, empty_full=False,
                                       extra=[S(rand(r, 3, 4, dtype=d), keepdim=True)]),
           dtypes=NUMERIC, grad=False, out=True,
           error_samples=lambda r: [S(rand(r, 0, 3)), S(rand(r, 0, 3), 0), S(rand(r, 3, dtype="bool"))]),
    OpInfo("any", lambda r, d: [S(_zeros(r, s.args[0]), *s.args[1:], **s.kwargs) for s in _red(r, d)]
           + [S(_zeros(r, rand(r, 3, 4, dtype=d)), ()), S(np.zeros((2, 3), _np(d)), 1)],
           dtypes=ALL, grad=False, out=True, error_samples=lambda r: [S(rand(r, 3), 1)]),
    OpInfo("all", lambda r, d: [S(_zeros(r, s.args[0]), *s.args[1:], **s.kwargs) for s in _red(r, d)]
           + [S(_zeros(r, rand(r, 3, 4, dtype=d)), ()), S(np.ones((2, 3), _np(d)), 1)],
           dtypes=ALL, grad=False, out=True, error_samples=lambda r: [S(rand(r, 3), (0, 0))]),
    OpInfo("count_nonzero", lambda r, d: [
        S(_zeros(r, rand(r, 3, 4, dtype=d))), S(_zeros(r, rand(r, 3, 4, dtype=d)), 0),
        S(_zeros(r, rand(r, 2, 3, 4, dtype=d)), (0, 2)), S(_zeros(r, rand(r, 3, 4, dtype=d)), ()),
        S(rand(r, 0, 3, dtype=d), 0), S(rand(r, dtype=d)), S(rand(r, dtype=d), 0)],
        dtypes=ALL, grad=False, error_samples=lambda r: [S(rand(r, 3), (0, 0)), S(rand(r, 3), 1)]),
    OpInfo("logsumexp", lambda r, d: [
        S(rand(r, 3, 4, dtype=d), 1), S(rand(r, 4, dtype=d), 0), S(rand(r, 2, 3, 4, dtype=d), -1, True),
        S(rand(r, 2, 3, 4, dtype=d), (0, 2)), S(rand(r, 0, 3, dtype=d), 0), S(rand(r, 0, 3, dtype=d), 1),
        S(rand(r, dtype=d), 0), S(rand(r, 3, 4, dtype=d) * 40, 1)]
        + ([S(np.array([[np.inf, 1], [-np.inf, -np.inf], [np.inf, np.inf]], _np(d)), 1)]
           if d in FLOATS else []),
        dtypes=("bool", "int64") + FLOATS, out=True,
        error_samples=lambda r: [S(rand(r, 3, 4), ()), S(rand(r, 3, 4), 2)]),
    OpInfo("cumsum", lambda r, d: [
        S(rand(r, 3, 4, dtype=d), 1), S(rand(r, 4, dtype=d), 0), S(rand(r, 2, 3, 4, dtype=d), -3),
        S(rand(r, 0, 3, dtype=d), 0),
        S(rand(r, 0, 3, dtype=d), 1), S(rand(r, dtype=d), 0), S(rand(r, dtype=d), -1)],
        dtypes=ALL + ("complex64",), out=True, inplace=True,
        error_samples=lambda r: [S(rand(r, 3, 4), 2), S(rand(r, 3, 4))]),
    OpInfo("cumprod", lambda r, d: [
        S(rand(r, 3, 4, dtype=d), 1), S(rand(r, 4, dtype=d), 0), S(rand(r, 2, 3, 4, dtype=d), -3),
        S(np.array([[0, 2, 3, 1], [2, 0, 0, 3], [1, 2, 3, 0]], _np(d)), 1),
        S(_zeros(r, rand(r, 3, 5, dtype=d)), 1),
        S(rand(r, 0, 3, dtype=d), 0),
        S(rand(r, dtype=d), 0)],
        dtypes=ALL + ("complex64",), out=True, inplace=True,
        error_samples=lambda r: [S(rand(r, 3, 4), 2)]),
    OpInfo("cummax", lambda r, d: _scan(r, d) + [
        S(_ties(r, 3, 6, dtype=d), 1), S(_nan(rand(r, 3, 5, dtype=d)), 1)], dtypes=ALL, out=True,
        error_samples=lambda r: [S(rand(r, 3, 4), 2), S(rand(r, 3, dtype="complex64"), 0)]),
    OpInfo("cummin", lambda r, d: _scan(r, d) + [
        S(_ties(r, 3, 6, dtype=d), 1), S(_nan(rand(r, 3, 5, dtype=d)), 1)], dtypes=ALL, out=True,
        error_samples=lambda r: [S(rand(r, 3, 4), 2)]),
    OpInfo("var", _var_samples, dtypes=FLOATS + ("complex64",), out=False, error_samples=_var_errors),
    OpInfo("std", _var_samples, dtypes=FLOATS + ("complex64",), out=False, error_samples=_var_errors),
    OpInfo("var_mean", _var_samples, dtypes=FLOATS + ("complex64",), method=False,
           error_samples=_var_errors),
    OpInfo("std_mean", _var_samples, dtypes=FLOATS + ("complex64",), method=False,
           error_samples=_var_errors),
    OpInfo("norm", _norm_samples, dtypes=("complex64",) + FLOATS, out=True, error_samples=_norm_errors),
    OpInfo("median", lambda r, d: [S(_distinct(r, 3, 4, dtype=d)), S(_distinct(r, 4, dtype=d))]
           + _idx(r, d) + [S(rand(r, 0, 3, dtype=d)), S(rand(r, dtype=d))]
           + ([S(_nan(_distinct(r, 3, 5, dtype=d)), 1), S(_nan(_distinct(r, 3, 5, dtype=d)))]
              if d in FLOATS else []),
           dtypes=("int64", "int32") + FLOATS, out=False,
           error_samples=lambda r: [S(rand(r, 0, 3), 0), S(rand(r, 3, dtype="bool")),
                                    S(rand(r, 3), 1), S(rand(r, 3), keepdim=True)]),
    OpInfo("nanmedian", lambda r, d: [S(_distinct(r, 3, 4, dtype=d)), S(_distinct(r, 4, dtype=d))]
           + _idx(r, d) + [S(rand(r, 0, 3, dtype=d)), S(rand(r, dtype=d))]
           + ([S(_nan(_distinct(r, 3, 5, dtype=d)), 1), S(_nan(_distinct(r, 3, 5, dtype=d))),
               S(np.full((2, 3), np.nan, _np(d)), 1), S(np.full((2, 3), np.nan, _np(d)))]
              if d in FLOATS else []),
           dtypes=("int64",) + FLOATS, out=False,
           error_samples=lambda r: [S(rand(r, 0, 3), 0), S(rand(r, 3, dtype="bool"))]),
    OpInfo("mode", lambda r, d: [S(_ties(r, 3, 6, dtype=d)), S(_ties(r, 3, 6, dtype=d), 0),
                                 S(_ties(r, 2, 3, 6, dtype=d), -1, True), S(_distinct(r, 3, 4, dtype=d), 1),
                                 S(rand(r, dtype=d)), S(rand(r, dtype=d), 0, True),
                                 S(rand(r, 0, 3, dtype=d), 1)],
           dtypes=("bool", "uint8", "int64") + FLOATS, out=True, gradcheck=False,
           error_samples=lambda r: [S(rand(r, 0, 3), 0), S(rand(r, 3), 1)]),
]
