"""OpInfo rows for the unary math library (ember/ops/unary.py, unary_misc.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

HALVES = ("float16", "bfloat16")
INTS = ("bool", "uint8", "int8", "int32", "int64")
FLOAT_OP = INTS + HALVES + ("complex64", "float64", "float32")      # ints promote to float
REAL_FLOAT_OP = INTS + HALVES + ("float64", "float32")
SAME_OP = ("uint8", "int8", "int16", "int32", "int64") + HALVES + ("float64", "float32")
INF, NAN = np.inf, np.nan
SPECIALS = (0.0, -0.0, INF, -INF, NAN, 1e-30, -1e-30, 1.0, -1.0, 0.5, -2.5, 40.0, -40.0)


def _specials(d, vals=SPECIALS):
    npd = np.float32 if d == "bfloat16" else d
    return np.array(vals, dtype=npd)


def _samples(lo, hi, specials=SPECIALS, extra=(), extra_float_only=False):
    """3x4, empty, 0-d, a broadcast-shaped 3-d tensor and (float dtypes) special values."""
    def gen(rng, d):
        def r(*s):
            return np.asarray(rand(rng, *s, dtype=d, low=lo, high=hi))
        out = [S(r(3, 4)), S(r(0, 3), desc="empty"), S(r(), desc="0-d"),
               S(r(2, 1, 3), desc="3-d")]
        if specials and (d.startswith("float") or d in HALVES):
            out.append(S(_specials(d, specials), desc="special values"))
        if not extra_float_only or d.startswith(("float", "complex")) or d in HALVES:
            out += [S(r(3, 4), **kw, desc=str(kw)) for kw in extra]
        return out
    return gen


def _grad(lo, hi, extra=()):
    def gen(rng):
        def r(*s):
            return np.asarray(rand(rng, *s, dtype="float64", low=lo, high=hi))
        return [S(r(3, 4)), S(r(0, 3)), S(r()), S(r(2, 1, 3))] + [S(r(3, 4), **kw)
                                                                    for kw in extra]
    return gen


def _errors(*dtypes, scalar=True, more=()):
    def gen(rng):
        out = [S(rand(rng, 3, dtype=d)) for d in dtypes]
        out += [S(rand(rng, 3, dtype=d), **kw) for d, kw in more]
        return out + ([S(1.5, desc="not a tensor")] if scalar else [])
    return gen


def U(name, dtypes, lo=-3.0, hi=3.0, glo=None, ghi=None, bad=(), grad=True, extra=(),
      specials=SPECIALS, extra_float_only=False, more_bad=(), **kw):
    """A unary row: forward samples in [lo, hi], gradient samples in [glo, ghi]."""
    glo = lo if glo is None else glo
    ghi = hi if ghi is None else ghi
    kw.setdefault("inplace", True)
    kw.setdefault("out", True)
    return OpInfo(name, samples=_samples(lo, hi, specials, extra, extra_float_only),
                  dtypes=dtypes, grad=grad, grad_samples=_grad(glo, ghi, extra) if grad else None,
                  error_samples=_errors(*bad, more=more_bad), **kw)


NO_COMPLEX = ("complex64",)
OPS = [
    # exponentials and logarithms
    U("exp", FLOAT_OP), U("exp2", FLOAT_OP), U("expm1", FLOAT_OP),
    U("log", FLOAT_OP, lo=-1, glo=0.1), U("log2", FLOAT_OP, lo=-1, glo=0.1),
    U("log10", FLOAT_OP, lo=-1, glo=0.1), U("log1p", FLOAT_OP, lo=-1.5, glo=-0.9),
    U("sqrt", FLOAT_OP, lo=-1, glo=0.1), U("rsqrt", FLOAT_OP, lo=-1, glo=0.1),
    U("reciprocal", FLOAT_OP, glo=0.2),
    # trigonometric and hyperbolic
    U("sin", FLOAT_OP), U("cos", FLOAT_OP), U("tan", FLOAT_OP, lo=-1.4, hi=1.4),
    U("asin", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("arcsin", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("acos", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("arccos", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("atan", FLOAT_OP), U("arctan", FLOAT_OP),
    U("sinh", FLOAT_OP), U("cosh", FLOAT_OP), U("tanh", FLOAT_OP),
    U("asinh", FLOAT_OP), U("arcsinh", FLOAT_OP),
    U("acosh", FLOAT_OP, lo=0.5, hi=4, glo=1.2), U("arccosh", FLOAT_OP, lo=0.5, hi=4, glo=1.2),
    U("atanh", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("arctanh", FLOAT_OP, lo=-1.2, hi=1.2, glo=-0.9, ghi=0.9),
    U("sigmoid", FLOAT_OP, lo=-20, hi=20, glo=-5, ghi=5),
    U("sinc", FLOAT_OP), U("deg2rad", REAL_FLOAT_OP, bad=NO_COMPLEX),
    U("rad2deg", REAL_FLOAT_OP, bad=NO_COMPLEX),
    U("logit", REAL_FLOAT_OP, lo=-0.2, hi=1.2, glo=0.05, ghi=0.95, bad=NO_COMPLEX,
      extra=({"eps": 0.1}, {"eps": 0.6})),
    # special functions
    U("erf", REAL_FLOAT_OP, lo=-5, hi=5, bad=NO_COMPLEX),
    U("erfc", REAL_FLOAT_OP, lo=-5, hi=5, bad=NO_COMPLEX),
    U("erfinv", REAL_FLOAT_OP, lo=-1.1, hi=1.1, glo=-0.95, ghi=0.95, bad=NO_COMPLEX),
    U("lgamma", REAL_FLOAT_OP, lo=-6, hi=6, glo=0.2, ghi=6, bad=NO_COMPLEX),
    U("digamma", REAL_FLOAT_OP, lo=-6, hi=6, glo=0.2, ghi=6, bad=NO_COMPLEX),
    U("i0", REAL_FLOAT_OP, lo=-8, hi=8, bad=NO_COMPLEX),
    # sign, abs, rounding
    U("abs", SAME_OP + ("complex64", "float32"), bad=("bool",)),
    U("absolute", SAME_OP + ("complex64", "float32"), bad=("bool",)),
    U("sign", ("bool",) + SAME_OP, bad=NO_COMPLEX),
    # torch's gradient of sgn for real input is a ZeroTensor the harness cannot read: complex
    # and real gradients are checked in test_unary.py
    U("sgn", ("bool",) + SAME_OP[:-1] + ("complex64", "float32"), grad=False),
    # no nan: torch's float32 -> bfloat16 conversion flips nan's sign bit, NumPy's does not
    U("signbit", ("bool",) + SAME_OP, grad=False, inplace=False, bad=NO_COMPLEX,
      specials=tuple(v for v in SPECIALS if v == v)),
    U("floor", SAME_OP, bad=("bool", "complex64")), U("ceil", SAME_OP, bad=("bool", "complex64")),
    U("trunc", SAME_OP, bad=("bool", "complex64")), U("fix", SAME_OP, bad=("bool", "complex64")),
    U("round", SAME_OP, lo=-300, hi=300, bad=("bool", "complex64"), extra_float_only=True,
      extra=({"decimals": 2}, {"decimals": -1}, {"decimals": 0}),
      more_bad=(("int64", {"decimals": 0}), ("int32", {"decimals": 2}))),
    U("frac", HALVES + ("float64", "float32"), bad=("int64", "bool", "complex64")),
    U("square", ("bool",) + SAME_OP[:-1] + ("complex64", "float32")),
    U("relu", SAME_OP, out=False, bad=("bool", "complex64")),
    U("positive", SAME_OP[:-1] + ("complex64", "float32"), bad=("bool",), inplace=False,
      out=False),
    U("nan_to_num", ("bool", "int64") + HALVES + ("complex64", "float64", "float32"),
      extra=({"nan": 1.5, "posinf": 100.0, "neginf": -100.0}, {"posinf": 1e10})),
    # predicates
    U("isnan", ("bool", "int64") + HALVES + ("complex64", "float64", "float32"), grad=False,
      inplace=False, out=False),
    U("isinf", ("bool", "int64") + HALVES + ("complex64", "float64", "float32"), grad=False,
      inplace=False, out=False),
    U("isfinite", ("bool", "int64") + HALVES + ("complex64", "float64", "float32"), grad=False,
      inplace=False, out=False),
    U("isreal", ("bool", "int64") + HALVES + ("complex64", "float64", "float32"), grad=False,
      inplace=False, out=False),
    U("isposinf", ("bool", "int64") + HALVES + ("float64", "float32"), grad=False,
      inplace=False, bad=NO_COMPLEX),
    U("isneginf", ("bool", "int64") + HALVES + ("float64", "float32"), grad=False,
      inplace=False, bad=NO_COMPLEX),
    # complex parts
    U("angle", FLOAT_OP, inplace=False),
    # torch's conj is a lazy view that .numpy() refuses: compare it resolved
    U("conj", SAME_OP[:-1] + ("complex64", "float32"), inplace=False, out=False,
      op=lambda m, x: m.conj(x).resolve_conj()),
    # conj_physical_ of a real tensor is a no-op without a version bump, as torch (test_unary)
    U("conj_physical", SAME_OP[:-1] + ("complex64", "float32"), inplace=False),
    U("real", SAME_OP[:-1] + ("complex64", "float32"), inplace=False, out=False, method=False),
    U("imag", ("complex64", "complex128"), inplace=False, out=False, method=False,
      grad=False, bad=("float32", "int64")),
]
