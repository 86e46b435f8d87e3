"""OpInfo rows for the creation ops (ember/ops/creation.py)."""

from __future__ import annotations

from tests.harness import ALL_DTYPES, dt, rand
from tests.ops.opinfo import OpInfo, S

NUMERIC = tuple(d for d in ALL_DTYPES if d != "bool")
REAL = ("uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
FLOATS = ("float16", "bfloat16", "float32", "float64")


def _factory_samples(rng, d):  # noqa: ANN001, ANN202
    return [S(2, 3, dtype=dt(d)), S((2, 3), dtype=dt(d)), S([0, 4], dtype=dt(d)),
            S((), dtype=dt(d)), S(4, dtype=dt(d))]


def _full_samples(rng, d):  # noqa: ANN001, ANN202
    v = {"bool": True, "uint8": 7, "int8": -7, "int16": 300, "int32": -70000,
         "int64": 2**40, "complex64": 1.5 - 2j, "complex128": -0.5 + 1j}.get(d, 2.75)
    return [S((2, 3), v, dtype=dt(d)), S([4], v, dtype=dt(d)), S((), v, dtype=dt(d)),
            S((0, 2), v, dtype=dt(d))]


def _like_samples(rng, d):  # noqa: ANN001, ANN202
    x = rand(rng, 2, 3, dtype="float32")
    return [S(rand(rng, 2, 3, dtype=d if d not in ("bfloat16",) else "float32")),
            S(x, dtype=dt(d)), S(rand(rng, 0, 3)), S(rand(rng))]


def _full_like_samples(rng, d):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2, 3), 1.5, dtype=dt(d)) if d != "bool" else
            S(rand(rng, 2, 3), True, dtype=dt(d)),
            S(rand(rng, 2, 3, dtype="int64"), 3), S(rand(rng, 4), 0.25)]


def _arange_samples(rng, d):  # noqa: ANN001, ANN202
    if d in ("uint8", "int8", "int16", "int32", "int64"):
        return [S(10, dtype=dt(d)), S(2, 20, 3, dtype=dt(d)), S(20, 2, -3, dtype=dt(d)),
                S(0, 0, dtype=dt(d)), S(0.5, 9.7, 1.5, dtype=dt(d))]
    return [S(10, dtype=dt(d)), S(0, 1, 0.1, dtype=dt(d)), S(-1, 1, 0.3, dtype=dt(d)),
            S(10, -3.5, -0.7, dtype=dt(d)), S(1.5, 1.5, dtype=dt(d)),
            S(-3.3, 7.9, 0.37, dtype=dt(d))]


def _linspace_samples(rng, d):  # noqa: ANN001, ANN202
    lo = 0 if d == "uint8" else -2.25  # a negative float end overflows uint8 in torch
    return [S(0, 10, 5, dtype=dt(d)), S(-1, 1, 7, dtype=dt(d)), S(0, 1, 1, dtype=dt(d)),
            S(0, 1, 0, dtype=dt(d)), S(3.5, lo, 100, dtype=dt(d)), S(-7.5, 9.25, 37, dtype=dt(d))
            if d != "uint8" else S(7.5, 99.25, 37, dtype=dt(d)), S(2, 2, 4, dtype=dt(d))]


def _logspace_samples(rng, d):  # noqa: ANN001, ANN202
    return [S(0, 2, 5, dtype=dt(d)), S(-1, 1, 7, 2.0, dtype=dt(d)), S(0, 1, 1, dtype=dt(d)),
            S(0, 1, 0, dtype=dt(d)), S(1, 0.5, 9, base=3, dtype=dt(d))]


def _eye_samples(rng, d):  # noqa: ANN001, ANN202
    return [S(3, dtype=dt(d)), S(2, 4, dtype=dt(d)), S(4, 2, dtype=dt(d)), S(0, dtype=dt(d)),
            S(3, 0, dtype=dt(d))]


def _empty_samples(rng, d):  # noqa: ANN001, ANN202
    return [S((2, 3), (1, 2), dtype=dt(d)), S((2, 3), (3, 1), dtype=dt(d)),
            S((2, 3), (0, 1), dtype=dt(d)), S((0, 3), (1, 1), dtype=dt(d)),
            S((), (), dtype=dt(d))]


def _geometry(t):  # noqa: ANN001, ANN202
    # strides of empty tensors are checked in test_creation (a known _tensor.py gap)
    return t.shape, t.dtype, t.stride() if t.numel() else None, t.device.type


OPS = [
    OpInfo("zeros", _factory_samples, dtypes=ALL_DTYPES, grad=False, method=False, out=True,
           error_samples=lambda rng: [S(2, -1), S(-3), S(2.0), S((2, 3.0)), S(True)]),
    OpInfo("ones", _factory_samples, dtypes=ALL_DTYPES, grad=False, method=False, out=True,
           error_samples=lambda rng: [S(-1, 2), S("a")]),
    OpInfo("empty", _factory_samples, op=lambda m, *a, **k: _geometry(m.empty(*a, **k)),
           dtypes=ALL_DTYPES, grad=False, method=False,
           error_samples=lambda rng: [S(2, -1), S(1.5)]),
    OpInfo("full", _full_samples, dtypes=ALL_DTYPES, grad=False, method=False, out=True,
           error_samples=lambda rng: [S((2,), 300, dtype=dt("uint8")), S((2,), -256,
                                      dtype=dt("uint8")), S(3, 1.0), S((2,), 1e300,
                                      dtype=dt("float32")), S((2,), float("nan"),
                                      dtype=dt("int32")), S((2,), 2**63), S((2,), 1 + 1j,
                                      dtype=dt("float32")), S((-1,), 1.0), S((2,), "a")]),
    OpInfo("zeros_like", _like_samples, dtypes=ALL_DTYPES, grad=False, method=False),
    OpInfo("ones_like", _like_samples, dtypes=ALL_DTYPES, grad=False, method=False),
    OpInfo("empty_like", _like_samples, op=lambda m, *a, **k: _geometry(m.empty_like(*a, **k)),
           dtypes=ALL_DTYPES, grad=False, method=False),
    OpInfo("full_like", _full_like_samples, dtypes=ALL_DTYPES, grad=False, method=False,
           error_samples=lambda rng: [S(rand(rng, 2).astype("uint8"), 300),
                                      S(rand(rng, 2), 1j)]),
    OpInfo("arange", _arange_samples, dtypes=REAL, grad=False, method=False, out=True,
           rtol=0, atol=0,
           error_samples=lambda rng: [S(0, 1, 0), S(5, 0), S(0, 5, -1), S(0, float("inf")),
                                      S(0, float("nan")), S(3, dtype=dt("bool")),
                                      S(3, dtype=dt("complex64")), S(1j),
                                      S(0, 1, 0.1, dtype=dt("int64"))]),
    OpInfo("linspace", _linspace_samples, dtypes=NUMERIC, grad=False, method=False, out=True,
           rtol=0, atol=0,
           error_samples=lambda rng: [S(0, 1, -1), S(0, 1, 2.0), S(0, 1, 3, dtype=dt("bool")),
                                      S(0, 300, 5, dtype=dt("uint8"))]),
    # float32, half and complex logspace use torch's own vectorised pow: a few ulps apart.
    OpInfo("logspace", _logspace_samples, dtypes=REAL + ("complex64", "complex128"),
           grad=False, method=False, out=True, rtol=2e-6, atol=0,
           error_samples=lambda rng: [S(0, 1, -1), S(0, 1, 3, dtype=dt("bool"))]),
    OpInfo("eye", _eye_samples, dtypes=ALL_DTYPES, grad=False, method=False, out=True,
           error_samples=lambda rng: [S(-1), S(2, -1), S(2.0)]),
    OpInfo("empty_strided", _empty_samples,
           op=lambda m, *a, **k: _geometry(m.empty_strided(*a, **k)), dtypes=ALL_DTYPES,
           grad=False, method=False,
           error_samples=lambda rng: [S((2, 3), (1,)), S((2, -3), (1, 2)), S((2, 3), (-1, 2)),
                                      S(2, 1)]),
]
