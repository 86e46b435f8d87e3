"""OpInfo rows for arithmetic ops (ember/ops/arith.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

F3 = ("float16", "bfloat16", "float32")


def _gen(r, d, lo=-3, hi=3):
    return lambda *s: np.asarray(rand(r, *s, dtype=d, low=lo, high=hi))


def _nonzero(r, d, *shape):
    x = np.asarray(rand(r, *shape, dtype=d))
    return np.where(x == 0, np.ones_like(x), x) if d != "bool" else x


def _pairs(a, b):
    return [S(a(3, 4), b(3, 4)), S(a(3, 1), b(1, 4), desc="broadcast"), S(a(2, 3, 4), b(4)),
            S(a(3), b(), desc="0-d other"), S(a(), b(3), desc="0-d input"), S(a(), b()),
            S(a(0, 3), b(3), desc="empty")]


def _mixed(r, d, a):
    """Promotion: other dtypes, 0-d tensors of a higher category, Python scalars."""
    out = [S(a(3, 4), rand(r, 3, 4, dtype="int64"), desc="mixed dtypes"),
           S(rand(r, 3, dtype="int32"), a(3)), S(a(3), np.asarray(rand(r, dtype="float64")),
                                                 desc="0-d float64 does not widen"),
           S(a(3), 2), S(a(3), -3), S(a(3), 2.5), S(a(3), True), S(4, a(3)), S(1.5, a(3, 2))]
    if d == "uint8":
        out += [S(a(3), 1000, desc="out-of-range int wraps"), S(a(3), -1)]
    if d == "float32":  # a complex result: not in the float64 (gradient) samples
        out.append(S(a(3), 1.5j, desc="complex scalar"))
    return out


def _arith_samples(r, d):
    a = _gen(r, d)
    return _pairs(a, a) + _mixed(r, d, a)


def _alpha_samples(name):
    def f(r, d):
        a = _gen(r, d)
        out = _arith_samples(r, d)
        if d != "bool":
            out += [S(a(3, 4), a(3, 4), alpha=2), S(a(3, 1), a(4), alpha=-3),
                    S(a(3), 2, alpha=3), S(a(3), a(3), alpha=0)]
        if d.startswith("float") or d == "bfloat16":
            out += [S(a(3), a(3), alpha=0.5), S(a(3), 1.5, alpha=-0.25)]
        if d == "bool":
            out += [S(a(3), a(3), alpha=True), S(a(3), a(3), alpha=2), S(a(3), a(3), alpha=0)]
        if name in ("sub", "rsub"):
            out = [s for s in out if not any(_is_bool(v) for v in s.args)]
        return out
    return f


def _is_bool(v):
    """Subtraction with any bool operand (tensor or Python bool) is an error in torch."""
    return isinstance(v, bool) or (isinstance(v, np.ndarray) and v.dtype == bool)


def _alpha_errors(name):
    def f(r):
        i = rand(r, 3, dtype="int64")
        out = [S(i, i, alpha=0.5), S(i, 1, alpha=1.5), S(rand(r, 2, 3), rand(r, 3, 2)),
               S(rand(r, 3), None), S(rand(r, 3), "a"),
               S(rand(r, 3, dtype="bool"), rand(r, 3, dtype="bool"), alpha=1.5),
               S(rand(r, 3), rand(r, 3), alpha=True), S(i, i, alpha=1.0),
               S(rand(r, 3), 1, alpha=1j)]
        if name == "sub":
            b = rand(r, 3, dtype="bool")
            out += [S(b, b), S(b, True), S(True, b), S(b, 1), S(rand(r, 3), True),
                    S(rand(r, 3, dtype="int64"), b)]
        return out
    return f


def _div_samples(mode):
    def f(r, d):
        a = _gen(r, d, -5, 5)
        kw = {} if mode == "none" else {"rounding_mode": mode}
        if d in F3 + ("float64",):
            b = _gen(r, d, -3, 3)
        else:
            b = lambda *s: _nonzero(r, d, *s)
        out = [S(*s.args, desc=s.desc, **kw) for s in _pairs(a, b)]
        out += [S(a(3, 4), 2, **kw), S(a(3, 4), -3, **kw), S(a(3), 2.5, **kw),
                S(7, b(3), **kw), S(-2.5, b(3), **kw),
                S(a(3, 4), _nonzero(r, "int64", 3, 4), **kw)]
        if d in F3 + ("float64",):
            z = np.array([1, -1, 0, 7.5, -7.5, 0.3], np.float32 if d == "bfloat16" else d)
            w = np.array([0, 0, 0, -2.5, 2.5, 0.1], np.float32 if d == "bfloat16" else d)
            out.append(S(z, w, desc="division by zero, exact and inexact quotients", **kw))
        else:
            out.append(S(np.array([7, -7, 7, -7, 0], d if d != "uint8" else "int16"),
                         np.array([2, 2, -2, -2, 3], d if d != "uint8" else "int16"),
                         desc="signs", **kw))
        return out
    return f


def _div_errors(r):
    i = rand(r, 3, dtype="int64")
    z = np.zeros(3, np.int64)
    return [S(i, z, rounding_mode="floor"), S(i, z, rounding_mode="trunc"),
            S(i, 0, rounding_mode="floor"), S(i, 0, rounding_mode="trunc"),
            S(rand(r, 3), 2.0, rounding_mode="round"), S(rand(r, 2, 3), rand(r, 3, 2)),
            S(rand(r, 3), None)]


_NUM = F3 + ("bool", "uint8", "int8", "int16", "int32", "int64", "complex64", "float64")
_NOBOOL = tuple(d for d in _NUM if d != "bool")
_REAL = tuple(d for d in _NOBOOL if d != "complex64")

OPS = [
    OpInfo("add", samples=_alpha_samples("add"), dtypes=_NUM, out=True, inplace=True,
           error_samples=_alpha_errors("add")),
    OpInfo("sub", samples=_alpha_samples("sub"), dtypes=_NOBOOL, out=True, inplace=True,
           error_samples=_alpha_errors("sub")),
    OpInfo("rsub", samples=lambda r, d: [s for s in _alpha_samples("rsub")(r, d)
                                         if isinstance(s.args[0], np.ndarray)],
           dtypes=_NOBOOL, error_samples=lambda r: [S(rand(r, 3, dtype="bool"),
                                                      rand(r, 3, dtype="bool")),
                                                    S(rand(r, 3), True)]),
    OpInfo("mul", samples=_arith_samples, dtypes=_NUM, out=True, inplace=True,
           error_samples=lambda r: [S(rand(r, 2, 3), rand(r, 3, 2)), S(rand(r, 3), None)]),
    OpInfo("div", samples=_div_samples("none"), dtypes=_NUM, out=True, inplace=True,
           error_samples=_div_errors),
    OpInfo("div", samples=_div_samples("trunc"), dtypes=_REAL, out=True, inplace=True,
           error_samples=_div_errors),
    OpInfo("div", samples=_div_samples("floor"), dtypes=_REAL, out=True, inplace=True,
           error_samples=_div_errors),
    OpInfo("true_divide", samples=_div_samples("none"), dtypes=("int64", "float32", "float64"),
           out=True, inplace=True),
    OpInfo("floor_divide", samples=_div_samples("none"), dtypes=_REAL, out=True, inplace=True,
           grad=False,
           error_samples=lambda r: [S(rand(r, 3, dtype="int64"), 0)]),
    OpInfo("neg", samples=lambda r, d: [S(_gen(r, d)(3, 4)), S(_gen(r, d)()),
                                        S(_gen(r, d)(0, 2))],
           dtypes=_NOBOOL, out=True, inplace=True,
           error_samples=lambda r: [S(rand(r, 3, dtype="bool"))]),
]
