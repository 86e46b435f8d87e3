"""OpInfo rows for multi-operand pointwise ops (ember/ops/pointwise.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

HALVES = ("float16", "bfloat16")
INF, NAN = np.inf, np.nan


def _gen(rng, d, lo=-3.0, hi=3.0):
    return lambda *s: np.asarray(rand(rng, *s, dtype=d, low=lo, high=hi))


def _away_from_zero(rng, d):
    """Divisors in +-[0.5, 3]: no zeros, and gradcheck stays well conditioned."""
    def gen(*s):
        x = np.asarray(rand(rng, *s, dtype=d, low=0.5, high=3.0))
        if d == "bool":
            return np.ones(s, dtype=bool)
        if d.startswith(("uint", "bool")):
            return np.asarray(np.where(x == 0, 1, x).astype(x.dtype))
        sign = np.where(rng.random(s) < 0.5, -1, 1).astype(x.dtype)
        return np.asarray(np.where(x == 0, 1, x) * sign)
    return gen


def _is_float(d):
    return d.startswith(("float", "complex")) or d in HALVES


def _npdt(d):
    return np.float32 if d == "bfloat16" else d


# ------------------------------------------------------------------ where
def _where_samples(rng, d):
    c = lambda *s: np.asarray(rng.random(s) < 0.5)  # noqa: E731
    x = _gen(rng, d)
    one = True if d == "bool" else (1.5 if _is_float(d) else 3)
    return [S(c(3, 4), x(3, 4), x(3, 4)), S(c(3, 1), x(1, 4), x(3, 4), desc="broadcast"),
            S(c(4), x(2, 3, 4), x(4), desc="broadcast rank"), S(c(3, 4), x(3, 4), one),
            S(c(3, 4), one, x(4), desc="number input"), S(c(), x(3), x(3), desc="0-d cond"),
            S(c(3), x(), x(), desc="0-d values"), S(c(0, 3), x(0, 3), x(3), desc="empty"),
            S(c(2, 50, 10), x(2, 50, 10), x(50, 10), desc="large (bit-select path)"),
            S(c(3, 4), x(3, 4), np.asarray(rand(rng, dtype="float64")), desc="0-d double")]


def _where_grad(rng):
    c = lambda *s: np.asarray(rng.random(s) < 0.5)  # noqa: E731
    x = _gen(rng, "float64")
    return [S(c(3, 4), x(3, 4), x(3, 4)), S(c(3, 1), x(1, 4), x(3, 4)), S(c(3, 4), x(3, 4), 0.5),
            S(c(2, 50, 10), x(2, 50, 10), x(50, 10))]


def _where_errors(rng):
    x = _gen(rng, "float32")
    return [S(x(3), x(3), x(3), desc="float condition"),
            S(rng.random(3) < 0.5, x(3), x(4), desc="shapes"),
            S(rng.random(3) < 0.5, x(3), [1.0, 2.0, 3.0], desc="list other"),
            S(rng.random(3) < 0.5, rand(rng, 3, dtype="int8"), 1000, desc="int8 overflow"),
            S(rng.random(3) < 0.5, x(3), 2 ** 70, desc="int too big")]


# ------------------------------------------------------------------ clamp
def _clamp_samples(name):
    def gen(rng, d):
        x = _gen(rng, d)
        xs = x(3, 4)
        if d == "bool":
            if name != "clamp":
                return [S(xs, 1), S(xs, x(3, 4)), S(x(0), 0)]
            return [S(xs, 0, 1), S(xs, min=x(3, 4)), S(x(0), 0, 1)]
        lo, hi = (-1.5, 1.0) if _is_float(d) else (2, 9) if d == "uint8" else (-1, 1)
        if name == "clamp_min":
            return [S(xs, lo), S(xs, x(3, 1)), S(x(), lo), S(x(0, 2), hi), S(xs, x())]
        if name == "clamp_max":
            return [S(xs, hi), S(xs, x(1, 4)), S(x(), hi), S(x(0, 2), lo), S(xs, 0.5)]
        out = [S(xs, lo, hi), S(xs, min=lo), S(xs, max=hi), S(xs, hi, lo, desc="min > max"),
               S(xs, x(3, 1), x(1, 4), desc="tensor bounds"), S(xs, x(4), desc="tensor min"),
               S(xs, None, x(3, 4), desc="tensor max"), S(x(), lo, hi), S(x(0, 2), lo, hi),
               S(x(2, 3, 4), x(4), x(3, 1)), S(xs, 0.5, desc="float bound")]
        if _is_float(d) and not d.startswith("complex"):
            sp = np.array([NAN, INF, -INF, 0.0, 2.0], dtype=_npdt(d))
            out += [S(sp, -1.0, 1.0), S(xs, NAN, 1.0),
                    S(xs, x(1, 4), np.full((3, 1), NAN, dtype=xs.dtype), desc="nan bound")]
        return out
    return gen


def _clamp_grad(name):
    def gen(rng):
        x = _gen(rng, "float64")
        if name == "clamp_min":
            return [S(x(3, 4), -0.5), S(x(3, 4), x(3, 1)), S(x(), 0.2)]
        if name == "clamp_max":
            return [S(x(3, 4), 0.5), S(x(3, 4), x(1, 4)), S(x(), 0.2)]
        return [S(x(3, 4), -1.0, 1.0), S(x(3, 4), x(3, 1), x(1, 4)), S(x(3, 4), min=-0.5),
                S(x(3, 4), max=0.5), S(x(3, 4), None, x(4)), S(x(3, 4), x(4), None),
                S(x(3, 4), 1.0, -1.0)]
    return gen


def _clamp_errors(name):
    def gen(rng):
        x = _gen(rng, "float32")
        out = [S(rand(rng, 3, dtype="complex64"), 0, 1) if name == "clamp" else
               S(rand(rng, 3, dtype="complex64"), 0),
               S(1.5, 0.5, desc="not a tensor") if name != "clamp" else S(1.5, 0, 1)]
        if name == "clamp":
            out += [S(x(3)), S(x(3), None, None), S(x(3), x(3), 1.0, desc="mixed bounds"),
                    S(x(3), 0.0, x(3), desc="mixed bounds"),
                    S(rand(rng, 3, dtype="uint8"), -1, 300, desc="uint8 overflow"),
                    S(np.asarray(rand(rng, 3, dtype="float16")), 1e10, desc="half overflow"),
                    S(rand(rng, 3, dtype="bool"), False, True, desc="bool numbers"),
                    S(x(3), x(4), desc="shapes"), S(x(3), 2 ** 70)]
        else:
            out += [S(x(3), None), S(rand(rng, 3, dtype="int8"), 300), S(x(3), x(4))]
        return out
    return gen


def _clamp_row(name, **kw):
    return OpInfo(name, samples=_clamp_samples("clamp" if name == "clip" else name),
                  dtypes=("bool", "uint8", "int32", "int64") + HALVES + ("float64", "float32"),
                  grad_samples=_clamp_grad("clamp" if name == "clip" else name),
                  error_samples=_clamp_errors("clamp" if name == "clip" else name),
                  inplace=True, out=True, **kw)


# ------------------------------------------------------------------ lerp
def _lerp_samples(rng, d):
    x = _gen(rng, d)
    w = _gen(rng, d, -0.5, 1.5)
    return [S(x(3, 4), x(3, 4), 0.3), S(x(3, 4), x(3, 4), 0.7), S(x(3, 4), x(3, 4), -1.2),
            S(x(3, 4), x(3, 4), 2), S(x(3, 4), x(3, 4), w(3, 4), desc="tensor weight"),
            S(x(3, 1), x(1, 4), w(3, 4), desc="broadcast"), S(x(3, 4), x(4), w(3, 1)),
            S(x(), x(3), 0.5, desc="0-d input"), S(x(3), x(3), w(), desc="0-d weight"),
            S(x(0, 3), x(3), 0.25, desc="empty"), S(x(2, 40, 10), x(40, 10), w(2, 40, 10))]


def _lerp_errors(rng):
    x = _gen(rng, "float32")
    return [S(rand(rng, 3, dtype="int64"), rand(rng, 3, dtype="int64"), 0.5),
            S(rand(rng, 3, dtype="int64"), rand(rng, 3, dtype="int64"),
              rand(rng, 3, dtype="int64")),
            S(x(3), rand(rng, 3, dtype="float64"), 0.5, desc="end dtype"),
            S(x(3), x(3), rand(rng, 3, dtype="float64"), desc="weight dtype"),
            S(x(3), x(3), 0.5j, desc="complex weight"), S(x(3), 2.0, 0.5, desc="number end"),
            S(x(3), x(4), 0.5, desc="shapes")]


# ------------------------------------------------------------------ addcmul, addcdiv
def _addc_samples(div):
    def gen(rng, d):
        x = _gen(rng, d)
        t = _away_from_zero(rng, d) if div else x
        v1 = 2 if not _is_float(d) or d == "bool" else 0.5
        out = [S(x(3, 4), x(3, 4), t(3, 4)), S(x(3, 4), x(3, 4), t(3, 4), value=v1),
               S(x(3, 1), x(1, 4), t(3, 4), desc="broadcast"),
               S(x(4), x(3, 1), t(1), value=3 if d == "uint8" else -1),
               S(x(), x(3), t(), desc="0-d"), S(x(0, 3), x(3), t(1, 3), desc="empty")]
        if not _is_float(d):
            out.append(S(x(3, 4), x(3, 4), t(3, 4), value=0.5, desc="float value truncates"))
        return out
    return gen


def _addc_grad(div):
    def gen(rng):
        x = _gen(rng, "float64")
        t = _away_from_zero(rng, "float64") if div else x
        return [S(x(3, 4), x(3, 4), t(3, 4)), S(x(3, 4), x(3, 4), t(3, 4), value=-0.7),
                S(x(3, 1), x(1, 4), t(3, 4), value=2)]
    return gen


def _addc_errors(div):
    def gen(rng):
        x = _gen(rng, "float32")
        b = rand(rng, 3, dtype="bool")
        out = [S(x(3), x(3), x(3), value=1j, desc="complex value"), S(1.0, x(3), x(3)),
               S(x(3), 1.0, x(3)), S(x(3), x(4), x(3), desc="shapes"), S(b, b, b)]
        if div:
            i = rand(rng, 3, dtype="int64")
            out += [S(i, i, i), S(x(3), i, i), S(x(3), b, b)]
        else:
            out += [S(rand(rng, 3, dtype="int8"), rand(rng, 3, dtype="int8"),
                      rand(rng, 3, dtype="int8"), value=1000, desc="int8 overflow")]
        return out
    return gen


def _addc_row(name, div):
    dtypes = ("complex64",) + HALVES + ("float64", "float32")
    if not div:
        dtypes = ("uint8", "int32", "int64") + dtypes
    return OpInfo(name, samples=_addc_samples(div), dtypes=dtypes, grad_samples=_addc_grad(div),
                  error_samples=_addc_errors(div), inplace=True, out=True)


OPS = [
    OpInfo("where", samples=_where_samples, grad_samples=_where_grad, gradcheck=False,
           dtypes=("bool", "uint8", "int64") + HALVES + ("complex64", "float64", "float32"),
           method=False, out=True, error_samples=_where_errors),
    _clamp_row("clamp"), _clamp_row("clip"), _clamp_row("clamp_min"), _clamp_row("clamp_max"),
    OpInfo("lerp", samples=_lerp_samples, dtypes=("complex64",) + HALVES + ("float64", "float32"),
           inplace=True, out=True, error_samples=_lerp_errors),
    _addc_row("addcmul", False), _addc_row("addcdiv", True),
]
