"""OpInfo rows for logical and bitwise ops (ember/ops/logical.py)."""

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

INTS = ("uint8", "int8", "int16", "int32", "int64")


def _gen(r, d):
    """Random values with plenty of zeros (truth values matter here)."""
    def g(*s):
        x = np.asarray(rand(r, *s, dtype=d))
        if d not in ("bool",) and x.size:
            x = np.where(r.random(x.shape) < 0.3, np.zeros_like(x), x)
        return x
    return g


def _pairs(a, b):
    return [S(a(3, 4), b(3, 4)), S(a(3, 1), b(1, 4), desc="broadcast"), S(a(2, 3, 4), b(4)),
            S(a(3), b(), desc="0-d other"), S(a(), b(3)), S(a(), b()), S(a(0, 3), b(3))]


def _logical_samples(r, d):
    a = _gen(r, d)
    out = _pairs(a, a) + [S(a(3, 4), _gen(r, "int64")(3, 4), desc="mixed dtypes"),
                          S(_gen(r, "bool")(3), a(3))]
    if d in ("float32", "float64"):
        out.append(S(np.array([np.nan, 0, -0.0, np.inf], d), np.array([1, np.nan, 1, 0], d),
                     desc="nan is true, -0 is false"))
    return out


def _logical_errors(r):
    return [S(rand(r, 3), 1), S(1, rand(r, 3)), S(rand(r, 2, 3), rand(r, 3, 2))]


def _not_samples(r, d):
    a = _gen(r, d)
    out = [S(a(3, 4)), S(a()), S(a(0, 3))]
    if d in ("float32", "float64"):
        out.append(S(np.array([np.nan, 0, -0.0, np.inf], d)))
    return out


def _bitwise_samples(r, d):
    a = _gen(r, d)
    out = _pairs(a, a) + [S(a(3, 4), 3), S(a(3, 4), True), S(a(3), -1),
                          S(a(3, 4), _gen(r, "int64")(3, 4), desc="mixed dtypes")]
    if d == "uint8":
        out += [S(a(3), 256, desc="out-of-range scalar wraps"), S(a(3), -2)]
    if d == "bool":
        out += [S(a(3), 3, desc="bool with int scalar is int64"), S(a(3), a(3).astype(np.int32))]
    return out


def _bitwise_errors(r):
    return [S(rand(r, 3), rand(r, 3)), S(rand(r, 3, dtype="int64"), 1.5),
            S(rand(r, 3, dtype="int64"), rand(r, 3)), S(rand(r, 2, 3, dtype="int64"),
                                                       rand(r, 3, 2, dtype="int64")),
            S(rand(r, 3, dtype="int64"), None)]


def _not_bitwise_samples(r, d):
    a = _gen(r, d)
    return [S(a(3, 4)), S(a()), S(a(0, 3))]


def _shift_samples(r, d):
    a = _gen(r, d)
    bits = np.dtype(d).itemsize * 8
    sh = lambda *s: r.integers(0, bits, s).astype(d)
    out = _pairs(a, sh) + [S(a(3, 4), 1), S(a(3, 4), 3), S(a(3), True),
                           S(a(4), np.array([bits - 1, bits, bits + 5, 0], np.int64),
                             desc="shifts at and past the width (promoted to int64)")]
    edge = np.array([1, -1, 5, -8, 127][: 5 if d != "uint8" else 3], d) if d != "uint8" else \
        np.array([1, 255, 128], d)
    out += [S(edge, bits - 1), S(edge, bits), S(edge, bits + 3), S(edge, 0)]
    if d != "uint8":
        out += [S(edge, -1, desc="negative shift"), S(edge, np.array(-2, d))]
        out.append(S(edge, np.array([0, bits, -1, bits - 1, 2], d)[: edge.size], desc="mixed"))
    return out


def _shift_errors(r):
    return [S(rand(r, 3), 1), S(rand(r, 3, dtype="bool"), rand(r, 3, dtype="bool")),
            S(rand(r, 3, dtype="int64"), 1.5), S(rand(r, 2, 3, dtype="int64"),
                                                 rand(r, 3, 2, dtype="int64"))]


_ANY = ("bool", "uint8", "int64", "float16", "bfloat16", "complex64", "float32")
_BITS = ("bool",) + INTS


def _row(name, samples, dtypes, **kw):
    return OpInfo(name, samples=samples, dtypes=dtypes, out=True, inplace=True, grad=False, **kw)


OPS = [
    _row("logical_and", _logical_samples, _ANY, error_samples=_logical_errors),
    _row("logical_or", _logical_samples, _ANY, error_samples=_logical_errors),
    _row("logical_xor", _logical_samples, _ANY, error_samples=_logical_errors),
    _row("logical_not", _not_samples, _ANY, error_samples=lambda r: [S(1), S(None)]),
    _row("bitwise_and", _bitwise_samples, _BITS, error_samples=_bitwise_errors),
    _row("bitwise_or", _bitwise_samples, _BITS, error_samples=_bitwise_errors),
    _row("bitwise_xor", _bitwise_samples, _BITS, error_samples=_bitwise_errors),
    _row("bitwise_not", _not_bitwise_samples, _BITS,
         error_samples=lambda r: [S(rand(r, 3)), S(rand(r, 3, dtype="complex64")), S(3)]),
    _row("bitwise_left_shift", _shift_samples, INTS, error_samples=_shift_errors),
    _row("bitwise_right_shift", _shift_samples, INTS, error_samples=_shift_errors),
]
