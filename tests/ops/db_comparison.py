"""OpInfo rows for comparisons (ember/ops/comparison.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

NAN = np.nan


def _gen(r, d):
    return lambda *s: np.asarray(rand(r, *s, dtype=d))


def _near(r, d, x):
    """An array equal to x in about half of its elements (comparisons need ties)."""
    y = np.asarray(rand(r, *x.shape, dtype=d))
    m = r.random(x.shape) < 0.5
    return np.where(m, x, y).astype(x.dtype)


def _cmp_samples(r, d):
    a = _gen(r, d)
    x = a(3, 4)
    out = [S(x, _near(r, d, x)), S(a(3, 1), a(1, 4), desc="broadcast"), S(a(2, 3, 4), a(4)),
           S(a(3), a(), desc="0-d other"), S(a(), a(3)), S(a(), a()), S(a(0, 3), a(3), desc="empty"),
           S(a(3, 4), 1), S(a(3, 4), 0.5), S(a(3, 4), True), S(a(3, 4), -1),
           S(a(3, 4), rand(r, 3, 4, dtype="int64"), desc="mixed dtypes"),
           S(rand(r, 3, dtype="int32"), a(3))]
    if d in ("float16", "bfloat16", "float32", "float64"):
        out.append(S(np.array([NAN, 1, NAN, np.inf, -np.inf, 0, -0.0], np.float32 if d == "bfloat16"
                              else d),
                     np.array([NAN, NAN, 1, np.inf, np.inf, -0.0, 0], np.float32 if d == "bfloat16"
                              else d), desc="nan, inf, signed zeros"))
    if d == "uint8":
        out += [S(np.array([255, 0, 1], np.uint8), -1, desc="out-of-range scalar wraps"),
                S(np.array([255, 0, 1], np.uint8), 256), S(np.array([255, 0, 1], np.uint8), 1.5)]
    if d == "int64":
        out += [S(np.array([16777217, 16777216]), 16777216.0, desc="compared in float32"),
                S(np.array([16777217, 16777216]), np.array(16777216.0), desc="0-d float64")]
    return out


def _eq_samples(r, d):
    out = _cmp_samples(r, d)
    if d == "complex64":
        c = _gen(r, d)(4)
        out += [S(c, c.copy()), S(c, 1j), S(rand(r, 4, dtype="float32"), 1.5j)]
    return out


def _cmp_errors(r):
    return [S(rand(r, 2, 3), rand(r, 3, 2)), S(rand(r, 3), None), S(rand(r, 3), "a"),
            S(rand(r, 3), [1, 2, 3]), S(2, rand(r, 3)),
            S(rand(r, 3, dtype="complex64"), rand(r, 3, dtype="complex64")),
            S(rand(r, 3), 1j)]


def _eq_errors(r):
    return [S(rand(r, 2, 3), rand(r, 3, 2)), S(rand(r, 3), None), S(2, rand(r, 3))]


ALL = ("bool", "uint8", "int8", "int16", "int32", "float16", "bfloat16", "float32", "int64",
       "float64")


def _cmp(name, eq_like=False, dtypes=ALL):
    return OpInfo(name, samples=_eq_samples if eq_like else _cmp_samples,
                  dtypes=dtypes + (("complex64", "float64") if eq_like else ()),
                  out=True, inplace=True, gradcheck=False,
                  error_samples=_eq_errors if eq_like else _cmp_errors)


def _equal_samples(r, d):
    a = _gen(r, d)
    x = a(3, 4)
    out = [S(x, x.copy()), S(x, _near(r, d, x)), S(a(3), a(4), desc="shapes differ"),
           S(a(1, 3), a(3), desc="broadcastable shapes are not equal"), S(a(), a()),
           S(a(0), a(0)), S(x, x.astype(np.float64), desc="different dtypes, same values")]
    if d in ("float32", "float64"):
        out.append(S(np.array([NAN, 1.0], d), np.array([NAN, 1.0], d), desc="nan != nan"))
    return out


def _close_samples(r, d):
    a = _gen(r, d)
    x = a(3, 4)
    eps = 1e-6 if d == "float64" else 1e-3
    fl = d in ("float16", "bfloat16", "float32", "float64")
    if fl:
        noise = x + (np.asarray(r.uniform(-1, 1, x.shape)) * eps).astype(x.dtype)
    else:
        noise = ~x if d == "bool" else x + 1
    # rtol, atol are given positionally: run_both has keyword arguments of those names
    out = [S(x, x.copy()), S(x, noise), S(x, noise, 1e-2), S(x, noise, 1e-5, 0.1),
           S(x, noise, 0, 0), S(a(3, 1), a(1, 4), 0.5, 0.5), S(a(), a()), S(a(0, 3), a(3)),
           S(x, noise, 1, 1), S(x, noise, 0.0, 1.5)]
    if fl:
        special = np.array([NAN, NAN, np.inf, np.inf, -np.inf, 1.0, 0.0], np.float32)
        other = np.array([NAN, 1.0, np.inf, -np.inf, -np.inf, np.inf, 1e-9], np.float32)
        cast = np.float32 if d == "bfloat16" else d
        out += [S(special.astype(cast), other.astype(cast)),
                S(special.astype(cast), other.astype(cast), equal_nan=True),
                S(np.array([1000.0], cast), np.array([1001.0], cast), desc="rounding in dtype")]
    return out


def _close_errors(r):
    x = rand(r, 3)
    return [S(x, x.astype(np.float64)), S(x, rand(r, 3, dtype="int64")), S(x, x, -1.0),
            S(x, x, 1e-5, -1e-3), S(x, 1.0), S(rand(r, 2, 3), rand(r, 3, 2))]


def _isin_samples(r, d):
    a = _gen(r, d)
    x, t = a(3, 4), a(5)
    return [S(x, t), S(x, t, invert=True), S(a(6), np.unique(a(4)), assume_unique=True),
            S(x, t[0].item()), S(t[1].item(), x), S(a(), t), S(x, a()), S(a(0, 2), t),
            S(x, a(0)), S(x, rand(r, 5, dtype="int64"), desc="mixed dtypes"),
            S(rand(r, 4, dtype="int32"), a(5))]


def _isin_errors(r):
    b = rand(r, 3, dtype="bool")
    return [S(b, b), S(rand(r, 3, dtype="int64"), b), S(rand(r, 3, dtype="int64"), True),
            S(rand(r, 3, dtype="complex64"), rand(r, 3, dtype="complex64")), S(1, 2)]


OPS = [
    _cmp("eq", True), _cmp("ne", True), _cmp("lt"), _cmp("le"), _cmp("gt"), _cmp("ge"),
    _cmp("greater", dtypes=("int32", "float64")), _cmp("greater_equal", dtypes=("float64",)),
    _cmp("less", dtypes=("uint8", "float64")), _cmp("less_equal", dtypes=("float64",)),
    _cmp("not_equal", True, dtypes=("bool",)),
    OpInfo("equal", samples=_equal_samples, dtypes=("bool", "int64", "float16", "float32",
                                                    "float64"),
           grad=False, error_samples=lambda r: [S(rand(r, 3), 1), S(1, rand(r, 3))]),
    OpInfo("isclose", samples=_close_samples,
           dtypes=("bool", "int64", "uint8", "float16", "bfloat16", "float32", "float64"),
           gradcheck=False, error_samples=_close_errors),
    OpInfo("allclose", samples=_close_samples, dtypes=("int64", "float16", "float32", "float64"),
           grad=False, error_samples=_close_errors),
    OpInfo("isin", samples=_isin_samples,
           dtypes=("uint8", "int8", "int64", "float16", "bfloat16", "float32", "float64"),
           method=False, out=True, gradcheck=False, error_samples=_isin_errors),
]
