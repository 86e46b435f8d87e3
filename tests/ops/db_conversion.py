"""OpInfo rows for copies and conversions (ember/ops/conversion.py)."""

from __future__ import annotations

import numpy as np

from tests.harness import ALL_DTYPES, dt, rand
from tests.ops.opinfo import OpInfo, S

SPECIAL = np.array([np.nan, np.inf, -np.inf, 1e10, -1e10, 300., -300., 2.7, -2.7, 255.9, 0.5,
                    -0.0, 127.5, -128.5], dtype=np.float32)


def _arrays(rng, d):  # noqa: ANN001, ANN202
    base = "float32" if d == "bfloat16" else d
    return [rand(rng, 3, 4, dtype=base), rand(rng, 5, dtype=base), rand(rng, dtype=base),
            rand(rng, 0, 3, dtype=base)]


def _unary_samples(rng, d):  # noqa: ANN001, ANN202
    return [S(a) for a in _arrays(rng, d)]


def _to_samples(rng, d):  # noqa: ANN001, ANN202
    xs = _arrays(rng, d)
    out = [S(xs[i % len(xs)], dt(t)) for i, t in enumerate(ALL_DTYPES)]
    if d.startswith("float"):
        out.append(S(SPECIAL if d != "float64" else SPECIAL.astype(np.float64), dt("int64")))
    return out


def _special_samples(rng, d):  # noqa: ANN001, ANN202
    s = [S(a) for a in _arrays(rng, d)]
    if d in ("float32", "float64"):
        s.append(S(SPECIAL.astype(d)))
    return s


def _grad_to_samples(rng):  # noqa: ANN001, ANN202
    x = rand(rng, 3, 4, dtype="float64")
    # (complex outputs are left out: harness.run_both draws no weights for them)
    return [S(x, dt("float32")), S(x, dt("float64")), S(x, dt("float16")),
            S(rand(rng, 5, dtype="float64"), dt("bfloat16"))]


def _method(name: str):  # noqa: ANN202
    return lambda m, x: getattr(x, name)()


OPS = [
    OpInfo("clone", _unary_samples, dtypes=ALL_DTYPES),
    OpInfo("contiguous", _unary_samples, dtypes=ALL_DTYPES, op=lambda m, x: x.contiguous()),
    OpInfo("detach", _unary_samples, dtypes=ALL_DTYPES, grad=False),
    # (gradients of to() are compared with torch; a numerical gradcheck in float32 would not
    # be meaningful)
    OpInfo("to", _to_samples, op=lambda m, x, d: x.to(d), dtypes=ALL_DTYPES, method=False,
           gradcheck=False, grad_samples=_grad_to_samples, rtol=0, atol=0),
    OpInfo("type_as", lambda rng, d: [S(a, rand(rng, 2, dtype="int32")) for a in
                                      _arrays(rng, d)],
           op=lambda m, x, y: x.type_as(y), dtypes=ALL_DTYPES, grad=False, method=False),
] + [
    OpInfo(name, _special_samples, op=_method(name), dtypes=ALL_DTYPES, method=False,
           grad=name in ("float", "double", "half", "bfloat16"), gradcheck=name == "double",
           rtol=0, atol=0)
    for name in ("float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte",
                 "bool", "cfloat", "cdouble")
]
