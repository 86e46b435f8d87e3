"""OpInfo rows for sorting and searching (ember/ops/sorting.py)."""

import numpy as np

from tests.harness import rand as _rand
from tests.ops.opinfo import OpInfo, S

ORDERED = ("bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64")
NUMERIC = ("uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64")
FLOATS = ("float16", "bfloat16", "float32", "float64")


def rand(r, *shape, dtype="float32"):
    return np.asarray(_rand(r, *shape, dtype=dtype))


def _np(d):
    return np.float32 if d == "bfloat16" else d


def _distinct(r, *shape, dtype="float32"):
    """Distinct values, exact in every dtype: torch's choice among ties is unspecified."""
    n = int(np.prod(shape))
    v = r.permutation(n) - (0 if dtype in ("bool", "uint8") else n // 2)
    if dtype in FLOATS:
        v = v / 4
    return v.reshape(shape).astype(_np(dtype))


def _ties(r, *shape, dtype="float32"):
    return r.integers(0, 3, shape).astype(_np(dtype))


def _nan(x):
    x = x.copy()
    if x.dtype.kind == "f":
        x.reshape(-1)[::3] = np.nan
    return x


def _sort_samples(r, d):
    x = rand(r, 3, 5, dtype=d)
    return [S(x), S(x, 0), S(x, -1, True), S(x, descending=True), S(x, stable=True),
            S(x, dim=0, descending=True, stable=True), S(_ties(r, 4, 6, dtype=d), 1),
            S(_ties(r, 4, 6, dtype=d), 1, True), S(_nan(rand(r, 3, 6, dtype=d)), 1),
            S(_nan(rand(r, 3, 6, dtype=d)), 1, True), S(rand(r, 2, 3, 4, dtype=d), 1),
            S(rand(r, dtype=d)), S(rand(r, dtype=d), 0, True), S(rand(r, 0, 3, dtype=d)),
            S(rand(r, 0, 3, dtype=d), 0)]


def _topk_samples(r, d):
    x = _distinct(r, 3, 6, dtype=d)
    return [S(x, 2), S(x, 3, 0), S(x, 4, -1, False), S(x, 2, largest=False, sorted=True),
            S(x, 0), S(x, 6), S(_distinct(r, 2, 3, 4, dtype=d), 2, 1), S(rand(r, dtype=d), 1),
            S(rand(r, dtype=d), 0), S(rand(r, 0, 3, dtype=d), 2, 1), S(rand(r, 0, 3, dtype=d), 0, 0)]


def _kth_samples(r, d):
    x = _distinct(r, 3, 6, dtype=d)
    return [S(x, 2), S(x, 1, 0), S(x, 6, -1, True), S(x, 3, dim=1, keepdim=False),
            S(_distinct(r, 2, 3, 4, dtype=d), 2, 1), S(rand(r, dtype=d), 1), S(rand(r, dtype=d), 1, 0, True),
            S(rand(r, 0, 3, dtype=d), 1, 1)]


def _unique_samples(r, d):
    x = _ties(r, 4, 3, dtype=d) if d != "bool" else rand(r, 4, 3, dtype=d)
    rows = np.concatenate([x, x[:2]], 0)
    return [S(x), S(x, return_inverse=True), S(x, return_counts=True), S(x, True, True, True),
            S(x, sorted=False, return_inverse=True), S(rows, dim=0, return_inverse=True, return_counts=True),
            S(rows, dim=1, return_inverse=True, return_counts=True), S(rows.T, dim=-1),
            S(rand(r, 0, 3, dtype=d)), S(rand(r, 0, 3, dtype=d), return_inverse=True, return_counts=True),
            S(rand(r, 0, 3, dtype=d), dim=0), S(rand(r, dtype=d)), S(rand(r, dtype=d), return_inverse=True)]


def _unique_nan(r, d):
    if d not in FLOATS:
        return []
    x = np.array([1, np.nan, np.nan, 1, 2], _np(d))
    return [S(x, return_counts=True, return_inverse=True),
            S(np.array([[1, np.nan], [1, np.nan], [0, 1]], _np(d)), dim=0, return_counts=True)]


def _ucons_samples(r, d):
    x = _ties(r, 4, 3, dtype=d) if d != "bool" else rand(r, 4, 3, dtype=d)
    rows = np.repeat(x, [2, 1, 3, 1], axis=0)
    return [S(np.repeat(x.reshape(-1), 2)), S(x, return_inverse=True), S(x, True, True),
            S(rows, dim=0, return_inverse=True, return_counts=True), S(rows.T, True, True, 1),
            S(rand(r, 0, 3, dtype=d)), S(rand(r, 0, 3, dtype=d), dim=0), S(rand(r, dtype=d)),
            S(rand(r, dtype=d), return_inverse=True)]


def _unique_errors(r):
    return [S(rand(r), dim=0), S(rand(r, 0, 3), dim=1), S(rand(r, 2, 3), dim=2)]


def _search_samples(r, d):
    seq = np.sort(_distinct(r, 6, dtype=d))
    seq2 = np.sort(_distinct(r, 2, 6, dtype=d), axis=-1)
    v = rand(r, 3, 4, dtype=d) if d in FLOATS else r.integers(-4, 8, (3, 4)).astype(d)
    v2 = rand(r, 2, 5, dtype=d) if d in FLOATS else r.integers(-4, 8, (2, 5)).astype(d)
    out = [S(seq, v), S(seq, v, right=True), S(seq, v, side="right"), S(seq, v, side="left"),
           S(seq, v, out_int32=True), S(seq2, v2), S(seq2, v2, right=True), S(seq, seq),
           S(seq, seq, right=True), S(seq, 2), S(seq, rand(r, dtype=d)), S(seq, rand(r, 0, dtype=d)),
           S(seq[::-1].copy(), v, sorter=np.arange(5, -1, -1))]
    if d in FLOATS:
        out.append(S(seq, np.array([np.nan, 1.0, -np.inf, np.inf], _np(d))))
    return out


def _search_errors(r):
    seq2 = np.sort(rand(r, 2, 4), -1)
    return [S(seq2, rand(r, 1, 3)), S(seq2, rand(r, 3)), S(np.arange(4.0), rand(r, 3), side="up"),
            S(np.arange(4.0), rand(r, 3), side="left", right=True)]


def _bucket_samples(r, d):
    b = np.sort(_distinct(r, 6, dtype=d))
    v = rand(r, 3, 4, dtype=d) if d in FLOATS else r.integers(-4, 8, (3, 4)).astype(d)
    return [S(v, b), S(v, b, right=True), S(v, b, out_int32=True), S(b, b), S(b, b, right=True),
            S(rand(r, dtype=d), b), S(rand(r, 0, 2, dtype=d), b)]


OPS = [
    OpInfo("sort", _sort_samples, dtypes=ORDERED, out=True,
           error_samples=lambda r: [S(rand(r, 3, dtype="complex64")), S(rand(r, 3, 4), 2)]),
    OpInfo("argsort", _sort_samples, dtypes=ORDERED, grad=False,
           error_samples=lambda r: [S(rand(r, 3, 4), -3)]),
    OpInfo("msort", lambda r, d: [S(rand(r, 5, 3, dtype=d)), S(rand(r, 4, dtype=d)),
                                  S(_ties(r, 6, 2, dtype=d)), S(_nan(rand(r, 6, 2, dtype=d))),
                                  S(rand(r, dtype=d)), S(rand(r, 0, 3, dtype=d))],
           dtypes=ORDERED, out=True),
    OpInfo("topk", _topk_samples, dtypes=NUMERIC, out=True,
           error_samples=lambda r: [S(rand(r, 3, 4), 5), S(rand(r, 3, 4), -1), S(rand(r), 2),
                                    S(rand(r, 0, 3), 1, 0), S(rand(r, 3, dtype="bool"), 1),
                                    S(rand(r, 3, 4), 1, 2)]),
    OpInfo("kthvalue", _kth_samples, dtypes=NUMERIC, out=True,
           error_samples=lambda r: [S(rand(r, 3, 4), 0), S(rand(r, 3, 4), 5), S(rand(r, 0, 3), 1, 0),
                                    S(rand(r, 3, dtype="bool"), 1), S(rand(r), 2)]),
    OpInfo("unique", lambda r, d: _unique_samples(r, d) + _unique_nan(r, d), dtypes=ORDERED,
           grad=False, error_samples=_unique_errors),
    OpInfo("unique_consecutive", lambda r, d: _ucons_samples(r, d) + _unique_nan(r, d)[:1],
           dtypes=ORDERED, grad=False, error_samples=_unique_errors),
    OpInfo("searchsorted", _search_samples, dtypes=NUMERIC, grad=False, method=False, out=True,
           error_samples=_search_errors),
    OpInfo("bucketize", _bucket_samples, dtypes=NUMERIC, grad=False, method=False, out=True,
           error_samples=lambda r: [S(rand(r, 3), rand(r, 2, 3))]),
]
