"""OpInfo rows for binary math ops (ember/ops/binary.py, binary_ext.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

F3 = ("float16", "bfloat16", "float32")
FLOATS = F3 + ("float64",)
INTS = ("uint8", "int8", "int16", "int32", "int64")
NAN = np.nan


def _gen(r, d, lo=-3, hi=3):
    return lambda *s: np.asarray(rand(r, *s, dtype=d, low=lo, high=hi))


def _nonzero(r, d, *shape):
    """Divisors: no zeros (integer division by zero raises in torch)."""
    x = rand(r, *shape, dtype=d)
    if d != "bool":
        x = np.where(x == 0, np.ones_like(x), x)
    return x


def _pairs(a, b):
    """Tensor-tensor samples: same shape, broadcast both ways, 0-d, empty."""
    return [S(a(3, 4), b(3, 4)), S(a(3, 1), b(1, 4), desc="broadcast"),
            S(a(2, 3, 4), b(4), desc="broadcast rank"), S(a(3), b(), desc="0-d other"),
            S(a(), b(3), desc="0-d input"), S(a(), b(), desc="0-d both"),
            S(a(0, 3), b(3), desc="empty")]


def _with_specials(x, *vals):
    x = np.array(x, copy=True)
    flat = x.reshape(-1)
    for i, v in enumerate(vals):
        flat[i % flat.size] = v
    return x


def _is_float(d):
    return d in FLOATS


# ------------------------------------------------------------------ pow, float_power
def _pow_samples(r, d):
    if d == "bool":
        b = rand(r, 3, 4, dtype="bool")
        return [S(b, 2), S(b, True), S(b, False), S(b, 0.5), S(rand(r, 0, dtype="bool"), 3)]
    a = _gen(r, d)
    if _is_float(d) or d.startswith("complex"):
        pos = _gen(r, d, 0.2, 3)
        iexp = lambda *s: rand(r, *s, dtype="int64").astype(np.float32 if d == "bfloat16" else d)
        out = _pairs(pos, a) + [S(a(3, 4), iexp(3, 4), desc="negative base, integral exp")]
        out += [S(a(3, 4), e) for e in (2, 3, 0.5, -1, 0, -2.5, True)]
        out += [S(2, a(3, 4)), S(2.5, a(3)), S(-2, iexp(3)), S(0, a(3)),
                S(pos(3, 4), rand(r, 3, 4, dtype="int64")), S(rand(r, 3, dtype="int32"), a(3)),
                S(a(2, 2), np.float64(2.0), desc="numpy scalar exponent")]
        if _is_float(d):
            out.append(S(_with_specials(a(4), 0, 0), _with_specials(a(4), 0, -1), desc="0 ** e"))
        if d in ("float32", "float64"):
            out.append(S(a(3), 2j, desc="complex scalar"))
        return out
    e = lambda *s: r.integers(0, 5, s).astype(d)
    out = _pairs(a, e) + [S(a(3, 4), k) for k in (2, 0, 3, True, 2.5, 1.5j)]
    out += [S(2, e(3, 4)), S(2.5, e(3)), S(-1, e(3))]
    if d != "uint8":
        out.append(S(np.array([0, 1, -1, 2, -2, 3, -1], d), np.array([-1, -3, -3, -2, -1, 2, -4], d),
                     desc="negative integer tensor exponents"))
        out.append(S(-1, np.array([-1, -2, -3], d)))
    return out


def _pow_errors(r):
    return [S(rand(r, 3, dtype="int64"), -1), S(rand(r, 3, dtype="int64"), -2),
            S(rand(r, 3, dtype="bool"), rand(r, 3, dtype="bool")),
            S(True, rand(r, 3, dtype="bool")),
            S(rand(r, 3, dtype="uint8"), 300), S(rand(r, 2, 3), rand(r, 3, 2)),
            S(rand(r, 3), "a"), S(rand(r, 3), None)]


def _pow_grad(r):
    pos = _gen(r, "float64", 0.3, 2)
    a = _gen(r, "float64")
    return [S(pos(2, 3), a(2, 3)), S(pos(3, 1), a(1, 2)), S(a(2, 3), 2), S(pos(2, 3), 0.5),
            S(a(2, 3), 0), S(a(3), -1), S(2.0, a(2, 3)), S(pos(3), a()), S(a(0, 2), 2),
            S(_with_specials(pos(5), 0, 0, 0), _with_specials(a(5), 0, 2, -1), desc="0 ** e"),
            S(0, _with_specials(a(3), 0, 1, -1)), S(-2.0, a(3))]


def _float_power_samples(r, d):
    a, pos = _gen(r, d), _gen(r, d, 0.2, 3)
    out = _pairs(pos, a) + [S(a(3, 4), 2), S(a(3, 4), -1), S(pos(3), 0.5), S(2, a(3, 4)),
                            S(pos(3), rand(r, 3, dtype="int64"))]
    if d == "float32":  # complex results: not in the float64 (gradient) samples
        out += [S(a(3), 1j), S(1j, a(3))]
    return out


# ------------------------------------------------------------------ remainder, fmod
def _mod_samples(r, d):
    a = _gen(r, d, -5, 5)
    b = (lambda *s: _nonzero(r, d, *s)) if not _is_float(d) else _gen(r, d, -3, 3)
    out = _pairs(a, b)
    out += [S(a(3, 4), 2), S(a(3, 4), -3)]
    if _is_float(d):
        out += [S(a(3, 4), 1.5), S(a(3, 4), -0.7),
                S(np.array([-4, 4, -0.0, 3, -3, 5], np.float32 if d == "bfloat16" else d),
                  np.array([2, -2, 3, 0, np.inf, -np.inf], np.float32 if d == "bfloat16" else d),
                  desc="zero signs, zero and infinite divisors")]
    else:
        out += [S(a(3, 4), 7), S(rand(r, 3, dtype=d), 2.5)]
    out.append(S(a(3, 4), _nonzero(r, "int64", 3, 4), desc="mixed dtypes"))
    return out


def _mod_errors(name):
    def f(r):
        i = rand(r, 3, dtype="int64")
        out = [S(i, 0), S(i, np.array([1, 0, 2])), S(rand(r, 3, dtype="bool"), rand(r, 3, dtype="bool")),
               S(rand(r, 2, 3), rand(r, 3, 2)), S(rand(r, 3, dtype="complex64"), 2),
               S(rand(r, 3), "x")]
        if name == "fmod":
            out.append(S(5, rand(r, 3)))
        return out
    return f


def _mod_grad(r):
    a, b = _gen(r, "float64", -5, 5), _gen(r, "float64", 0.5, 3)
    return [S(a(2, 3), b(2, 3)), S(a(3, 1), -b(1, 2)), S(a(2, 3), 1.5), S(a(3), b()),
            S(a(0, 3), b(3))]


# ------------------------------------------------------------------ float two-tensor ops
def _two(r, d, lo=-3, hi=3, mixed=True):
    a = _gen(r, d, lo, hi)
    out = _pairs(a, a)
    if mixed:
        out.append(S(a(3, 4), rand(r, 3, 4, dtype="int64"), desc="mixed dtypes"))
        out.append(S(rand(r, 3, dtype="int32"), a(3)))
    return out


def _tensor_only_errors(name, types=("int64",)):
    def f(r):
        out = [S(rand(r, 3), 2), S(2.0, rand(r, 3)), S(rand(r, 2, 3), rand(r, 3, 2))]
        out += [S(rand(r, 3, dtype=t), rand(r, 3, dtype=t)) for t in types]
        return out
    return f


def _atan2_samples(r, d):
    out = _two(r, d)
    if _is_float(d):
        z = np.array([0, -0.0, 0, 1, -1, 0], np.float32 if d == "bfloat16" else d)
        out.append(S(z, z[::-1].copy(), desc="zeros with signs"))
    return out


def _minmax_samples(r, d):
    out = _two(r, d)
    if d != "bool":
        a = _gen(r, d)
        x, y = a(3, 4), a(3, 4)
        y[0, 1] = x[0, 1]
        y[2, 2] = x[2, 2]
        out.append(S(x, y, desc="ties"))
        if _is_float(d):
            out.append(S(_with_specials(a(6), NAN, 1, NAN, -np.inf),
                         _with_specials(a(6), 1, NAN, NAN, np.inf), desc="nan and inf"))
    return out


def _select_grad(r):
    a = _gen(r, "float64")
    x, y = a(3, 4), a(3, 4)
    y[0, 1], y[1, 2] = x[0, 1], x[1, 2]
    return [S(a(2, 3), a(2, 3)), S(a(3, 1), a(1, 2)), S(a(3), a()), S(a(0, 3), a(3)),
            S(x, y, desc="ties"),
            S(_with_specials(a(6), NAN, 1, NAN), _with_specials(a(6), 1, NAN, NAN), desc="nan")]


def _copysign_samples(r, d):
    a = _gen(r, d)
    out = _two(r, d) + [S(a(3, 4), -1), S(a(3, 4), 2.5), S(a(3, 4), -0.0), S(a(3), True)]
    if _is_float(d):
        out.append(S(_with_specials(a(6), 0, -0.0, 0, -0.0, NAN),
                     _with_specials(a(6), -1, 1, -0.0, 0.0, -1), desc="signed zeros, nan"))
    return out


def _copysign_grad(r):
    a = _gen(r, "float64")
    return [S(a(2, 3), a(2, 3)), S(a(3, 1), a(1, 2)), S(a(2, 3), -1.5), S(a(3), a()),
            S(_with_specials(a(4), 0, -0.0), a(4), desc="zero input")]


def _xlogy_samples(r, d):
    a, pos = _gen(r, d), _gen(r, d, 0.1, 4)
    out = _pairs(a, pos)
    out += [S(a(3, 4), a(3, 4), desc="negative other"), S(a(3, 4), 2), S(a(3, 4), 0.5),
            S(3, pos(3, 4)), S(0, a(3)), S(True, pos(3)),
            S(pos(3, 4), rand(r, 3, 4, dtype="int64"), desc="mixed dtypes")]
    if _is_float(d):
        out.append(S(_with_specials(a(6), 0, 0, 0, 2, 0, NAN),
                     _with_specials(a(6), 0, -1, NAN, 0, np.inf, 1), desc="zeros and nan"))
    return out


def _xlogy_grad(r):
    a, pos = _gen(r, "float64"), _gen(r, "float64", 0.2, 3)
    return [S(a(2, 3), pos(2, 3)), S(a(3, 1), pos(1, 2)), S(a(2, 3), 2.5), S(1.5, pos(2, 3)),
            S(a(3), pos()), S(_with_specials(a(5), 0, 0, 0, 2), _with_specials(pos(5), 0, -1, 2, 0),
                              desc="zeros")]


def _logaddexp_samples(r, d):
    out = _two(r, d, -10, 10)
    if _is_float(d):
        a = _gen(r, d)
        out.append(S(_with_specials(a(7), np.inf, -np.inf, np.inf, NAN, 0, 200, -200),
                     _with_specials(a(7), np.inf, -np.inf, -np.inf, 1, 0, 199, -201),
                     desc="infinities, nan, large"))
    return out


def _ldexp_samples(r, d):
    a = _gen(r, d)
    e = lambda *s: r.integers(-6, 7, s).astype(np.int64)
    return [S(a(3, 4), e(3, 4)), S(a(3, 1), e(1, 4)), S(a(2, 3, 4), e(4)), S(a(3), e()),
            S(a(), e(3)), S(a(0, 3), e(3)), S(a(3, 4), a(3, 4), desc="float exponent"),
            S(e(3, 4), e(3, 4), desc="int input"), S(a(3), rand(r, 3, dtype="int32"))]


def _ldexp_grad(r):
    a = _gen(r, "float64")
    return [S(a(2, 3), a(2, 3)), S(a(3, 1), a(1, 2)), S(a(3), a()), S(a(0, 3), a(3)),
            S(a(2, 3), r.integers(0, 4, (2, 3)), desc="int exponent (torch: 0 for negative ones)")]


def _nextafter_samples(r, d):
    a = _gen(r, d)
    x = a(3, 4)
    out = _pairs(a, a) + [S(x, x.copy(), desc="equal")]
    out.append(S(_with_specials(a(5), 0, 0, NAN, np.inf, 1), _with_specials(a(5), 1, -1, 0, 0, NAN),
                 desc="zeros, nan, inf"))
    return out


def _heaviside_samples(r, d):
    a = _gen(r, d)
    x = a(3, 4)
    x[0, :2] = 0
    out = _pairs(a, a) + [S(x, a(3, 4), desc="zeros")]
    if _is_float(d):
        out.append(S(_with_specials(a(4), NAN, 0, -0.0, np.inf), a(4), desc="nan input"))
    return out


def _gcd_samples(r, d):
    e = lambda *s: rand(r, *s, dtype=d)
    out = _pairs(e, e)
    if d != "uint8":
        out.append(S(np.array([-4, 0, 0, 6, -12], d), np.array([6, 0, -5, -4, -18], d),
                     desc="signs and zeros"))
    return out


def _row(name, samples, dtypes, **kw):
    return OpInfo(name, samples=samples, dtypes=dtypes, **kw)


_FLOAT_ERR = ("int64", "bool", "complex64")
OPS = [
    _row("pow", _pow_samples,
         ("float16", "bfloat16", "float32", "complex64", "bool", "uint8", "int8", "int64",
          "float64"),
         out=True, inplace=True, grad_samples=_pow_grad, error_samples=_pow_errors),
    _row("float_power", _float_power_samples, ("float32", "int64", "complex64", "float64"),
         out=True, inplace=True, error_samples=lambda r: [S(rand(r, 2, 3), rand(r, 3, 2)),
                                                          S(2, 3)]),
    _row("remainder", _mod_samples, F3 + INTS[::-1] + ("float64",), out=True, inplace=True,
         grad_samples=_mod_grad, error_samples=_mod_errors("remainder")),
    _row("fmod", _mod_samples, F3 + INTS[::-1] + ("float64",),
         out=True, inplace=True, grad_samples=_mod_grad, error_samples=_mod_errors("fmod")),
    _row("atan2", _atan2_samples, F3 + ("int64", "bool", "float64"), out=True, inplace=True,
         error_samples=_tensor_only_errors("atan2", ("complex64",))),
    _row("arctan2", _atan2_samples, ("int32", "float64"), out=True, inplace=True, gradcheck=False),
    _row("maximum", _minmax_samples, F3 + ("bool", "uint8", "int64", "float64"), out=True,
         grad_samples=_select_grad, error_samples=_tensor_only_errors("maximum", ("complex64",))),
    _row("minimum", _minmax_samples, F3 + ("bool", "int8", "int64", "float64"), out=True,
         grad_samples=_select_grad, error_samples=_tensor_only_errors("minimum", ("complex64",))),
    _row("fmax", _minmax_samples, F3 + ("bool", "int32", "float64"), out=True,
         grad_samples=_select_grad, error_samples=_tensor_only_errors("fmax", ("complex64",))),
    _row("fmin", _minmax_samples, F3 + ("bool", "int16", "float64"), out=True,
         grad_samples=_select_grad, error_samples=_tensor_only_errors("fmin", ("complex64",))),
    _row("hypot", lambda r, d: _two(r, d), FLOATS, out=True, inplace=True,
         error_samples=_tensor_only_errors("hypot", _FLOAT_ERR)),
    _row("copysign", _copysign_samples, FLOATS[:3] + ("int64", "bool", "float64"), out=True,
         inplace=True, grad_samples=_copysign_grad,
         error_samples=lambda r: [S(rand(r, 3, dtype="complex64"), 1.0), S(2.0, rand(r, 3)),
                                  S(rand(r, 2, 3), rand(r, 3, 2))]),
    _row("xlogy", _xlogy_samples, FLOATS[:3] + ("int64", "bool", "float64"), out=True,
         inplace=True, grad_samples=_xlogy_grad,
         error_samples=lambda r: [S(rand(r, 3, dtype="complex64"), 1.0), S(2, 3),
                                  S(rand(r, 2, 3), rand(r, 3, 2))]),
    _row("logaddexp", _logaddexp_samples, F3 + ("complex64", "float64"), out=True,
         error_samples=_tensor_only_errors("logaddexp", ("int64", "bool"))),
    _row("logaddexp2", _logaddexp_samples, FLOATS, out=True,
         error_samples=_tensor_only_errors("logaddexp2", _FLOAT_ERR)),
    _row("ldexp", _ldexp_samples, F3 + ("complex64", "float64"), out=True, inplace=True,
         grad_samples=_ldexp_grad, error_samples=_tensor_only_errors("ldexp", ())),
    _row("nextafter", _nextafter_samples, FLOATS, out=True, inplace=True,
         error_samples=_tensor_only_errors("nextafter", _FLOAT_ERR)),
    _row("heaviside", _heaviside_samples, F3 + ("int64", "bool", "uint8", "float64"),
         out=True, inplace=True, grad=False,
         error_samples=lambda r: [S(rand(r, 3), rand(r, 3, dtype="float64")),
                                  S(rand(r, 3), np.float64(1.0)), S(rand(r, 3), 1.0),
                                  S(rand(r, 3, dtype="complex64"), rand(r, 3, dtype="complex64")),
                                  S(rand(r, 2, 3), rand(r, 3, 2))]),
    _row("gcd", _gcd_samples, INTS, out=True, inplace=True, grad=False,
         error_samples=_tensor_only_errors("gcd", ("float32", "bool"))),
    _row("lcm", _gcd_samples, INTS, out=True, inplace=True, grad=False,
         error_samples=_tensor_only_errors("lcm", ("float32", "bool"))),
]
