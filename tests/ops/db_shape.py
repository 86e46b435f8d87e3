"""OpInfo rows for the shape families (ember/ops/shape.py, repeat.py, broadcast.py)."""

from __future__ import annotations

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

ALL = ("float32", "float64", "int64", "int32", "uint8", "bool", "float16", "bfloat16",
       "complex64")
COMMON = ("float32", "float64", "int64", "bool")


def _maker(rng, dt):  # noqa: ANN001, ANN202
    """rand() of a dtype; always an ndarray (complex 0-d comes back as a scalar otherwise)."""
    return lambda *s: np.asarray(rand(rng, *s, dtype=dt))


def _cat_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [
        S(r(2, 3), r(4, 3)),
        S(r(2, 3), r(2, 1), r(2, 4), dim=1),
        S(r(2, 3), r(2, 2), dim=-1),
        S(r(0, 3), r(2, 3)),                           # empty along the cat dim
        S(r(2, 3), r(0)),                              # legacy: (0,) tensors are skipped
        S(r(0), r(0)),
        S(r(3), rand(rng, 2, dtype="int64")),          # promotion across inputs
        S(r(2, 3), rand(rng, 2, 3, dtype="float64"), dim=1),
        S(r(1, 2, 3)),
    ]


def _cat_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [
        S(a, rand(rng)),                               # 0-d
        S(a, rand(rng, 2, 4)),                         # size mismatch off the cat dim
        S(a, rand(rng, 2)),                            # ndim mismatch
        S(a, a, dim=2),                                # dim out of range
        S(a, a, dim=-3),
        S(),                                           # no tensors
    ]


def _cat(name: str, kw: str = "dim"):  # noqa: ANN202
    def op(m, *ts, **kwargs):  # noqa: ANN001, ANN202
        if "dim" in kwargs and kw != "dim":
            kwargs[kw] = kwargs.pop("dim")
        return getattr(m, name)(list(ts), **kwargs)
    return op


def _stack_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [
        S(r(2, 3), r(2, 3)),
        S(r(2, 3), r(2, 3), r(2, 3), dim=2),
        S(r(2, 3), r(2, 3), dim=-1),
        S(r(), r()),                                   # 0-d inputs
        S(r(0, 3), r(0, 3), dim=1),
        S(r(3), rand(rng, 3, dtype="int64")),
    ]


def _stack_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2, 3), rand(rng, 3)), S(rand(rng, 2, 3), rand(rng, 2, 3), dim=3), S()]


def _hstack_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), r(2)), S(r(2, 3), r(2, 1)), S(r(), r(2)), S(r(2, 2, 3), r(2, 1, 3)),
            S(r(3), rand(rng, 2, dtype="int64"))]


def _vstack_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), r(2, 3)), S(r(2, 3), r(1, 3)), S(r(), r()), S(r(1, 2, 3), r(2, 2, 3))]


def _dstack_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), r(1, 3)), S(r(2, 3), r(2, 3, 2)), S(r(), r()), S(r(2, 3, 1, 2), r(2, 3, 2, 2))]


def _column_stack_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), r(3, 2)), S(r(3), r(3)), S(r(), r(1, 2)), S(r(2, 3, 2), r(2, 1, 2))]


def _stack_family_errors(rng):  # noqa: ANN001, ANN202
    return [S(), S(rand(rng, 2, 3), rand(rng, 3, 2))]


def _tri_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(4, 4)), S(r(3, 5), 1), S(r(5, 3), -1), S(r(2, 3, 3), diagonal=2),
            S(r(3, 3), -5), S(r(3, 3), 7), S(r(0, 3)), S(r(2, 0, 4))]


def _tri_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 3)), S(rand(rng))]


def _flip_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), [0]), S(r(3, 4), (0, 1)), S(r(2, 3, 4), [-1, 0]), S(r(3, 4), []),
            S(r(), [0]), S(r(), []), S(r(0, 3), [0, 1])]


def _flip_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [S(a, [0, 0]), S(a, [0, -2]), S(a, [2]), S(a, 1)]


def _fliplr_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4)), S(r(2, 3, 4)), S(r(0, 2))]


def _flipud_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3)), S(r(3, 4)), S(r(0, 2))]


def _roll_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3, 4), 1), S(r(3, 4), -5), S(r(3, 4), 1, 0), S(r(3, 4), (1, -2), (0, 1)),
            S(r(2, 3, 4), [7], [-1]), S(r(), 3), S(r(0, 3), 1, 0), S(r(5), 2, dims=0),
            S(r(3, 4), shifts=(1, 1), dims=(1, 1))]


def _roll_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [S(a, (1, 2), 0), S(a, (1, 2)), S(a, 1, 2), S(a, [], []), S(rand(rng), 1, 0)]


def _rot90_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(2, 3)), S(r(2, 3), 2), S(r(2, 3), 3), S(r(2, 3), -1), S(r(2, 3), 0),
            S(r(2, 3), 5), S(r(2, 3, 4), 1, [1, 2]), S(r(2, 3, 4), 1, [2, 0]),
            S(r(2, 3), 1, [1, 0]), S(r(0, 3), 1)]


def _rot90_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [S(a, 1, [0]), S(a, 1, [0, 0]), S(rand(rng, 3), 1), S(a, 1, [0, 2]), S(a, 1, [0, -2])]


def _repeat_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), 2), S(r(3), 2, 2), S(r(2, 3), (2, 1)), S(r(2, 3), 1, 3, 1),
            S(r(), 3), S(r(), ()), S(r(2, 3), 0, 2), S(r(0, 2), 2, 2)]


def _repeat_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [S(a, 2), S(a, -1, 2)]


def _tile_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), (2,)), S(r(2, 3), (2,)), S(r(2, 3), (2, 1, 2)), S(r(2, 3), ()),
            S(r(), (3,)), S(r(2, 3), [0, 1])]


def _ri_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(3), 2), S(r(2, 3), 2), S(r(2, 3), 2, dim=1), S(r(2, 3), 3, dim=-2),
            S(r(2, 3), [1, 2], dim=0), S(r(2, 3), [0, 2, 1], dim=1), S(r(2, 3), [2], dim=1),
            S(r(), 3), S(r(2, 3), 0, dim=0), S(r(2, 3), 2, dim=0, output_size=4),
            S(r(2, 3), [1, 2], dim=0, output_size=3)]


def _ri_errors(rng):  # noqa: ANN001, ANN202
    a = rand(rng, 2, 3)
    return [S(a, -1), S(a, [1, 2, 3], dim=0), S(a, [1, -2], dim=0),
            S(a, 2, dim=0, output_size=3), S(a, [1, 2], dim=0, output_size=4), S(a, 2, dim=2)]


def _ri(m, x, reps, **kw):  # noqa: ANN001, ANN202
    return m.repeat_interleave(x, m.tensor(reps) if isinstance(reps, list) else reps, **kw)


def _bt_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(2, 1), r(3)), S(r(3), r(4, 1, 1), r(1, 3)), S(r(), r(2, 2)), S(r(2, 3), r(2, 3)),
            S(r(0, 1), r(3)), S(r(3))]


def _bt_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2), rand(rng, 3)), S(rand(rng, 2, 3), rand(rng, 3, 2))]


def _meshgrid_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(2), r(3)), S(r(2), r(3), indexing="xy"), S(r(2), r(3), r(4), indexing="xy"),
            S(r(), r(3)), S(r(4)), S(r(4), indexing="xy"), S(r(0), r(2))]


def _meshgrid_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2), rand(rng, 3), indexing="foo"),
            S(rand(rng, 2), rand(rng, 3, dtype="float64")), S(rand(rng, 2, 2), rand(rng, 3)),
            S()]


def _meshgrid(m, *ts, indexing="ij"):  # noqa: ANN001, ANN202
    return m.meshgrid(*ts, indexing=indexing)


def _atleast_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r()), S(r(3)), S(r(2, 3)), S(r(2, 3, 4)), S(r(2, 3, 4, 1)), S(r(), r(3), r(2, 3)),
            S(r(0))]


def _atleast(name: str):  # noqa: ANN202
    return lambda m, *ts: getattr(m, name)(*ts)


def _block_diag_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(2, 2), r(3), r()), S(r(2, 3)), S(r(2, 0), r(0, 3)), S(r(1, 2), r(2, 1), r(2, 2)),
            S(r(2, 2), rand(rng, 3, dtype="int64"))]


def _block_diag_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2, 2, 2)), S(rand(rng, 2), rand(rng, 2, 1, 1))]


def _cartesian_samples(rng, dt):  # noqa: ANN001, ANN202
    r = _maker(rng, dt)
    return [S(r(2), r(3)), S(r(2), r(3), r(2)), S(r(4)), S(r(0), r(3))]


def _cartesian_errors(rng):  # noqa: ANN001, ANN202
    return [S(rand(rng, 2, 2), rand(rng, 3)), S(rand(rng, 2), rand(rng, 3, dtype="float64"))]


def _varargs(name: str):  # noqa: ANN202
    return lambda m, *ts, **kw: getattr(m, name)(*ts, **kw)


OPS = [
    OpInfo("cat", _cat_samples, op=_cat("cat"), dtypes=ALL, method=False, out=True,
           error_samples=_cat_errors),
    OpInfo("concat", _cat_samples, op=_cat("concat"), dtypes=COMMON, method=False, out=True),
    OpInfo("concatenate", _cat_samples, op=_cat("concatenate", "axis"), dtypes=COMMON,
           method=False, out=True),
    OpInfo("stack", _stack_samples, op=_cat("stack"), dtypes=ALL, method=False, out=True,
           error_samples=_stack_errors),
    OpInfo("hstack", _hstack_samples, op=_cat("hstack"), dtypes=COMMON, method=False,
           out=True, error_samples=_stack_family_errors),
    OpInfo("vstack", _vstack_samples, op=_cat("vstack"), dtypes=COMMON, method=False,
           out=True, error_samples=_stack_family_errors),
    OpInfo("row_stack", _vstack_samples, op=_cat("row_stack"), dtypes=("float32",),
           method=False, out=True),
    OpInfo("dstack", _dstack_samples, op=_cat("dstack"), dtypes=COMMON, method=False,
           out=True, error_samples=_stack_family_errors),
    OpInfo("column_stack", _column_stack_samples, op=_cat("column_stack"), dtypes=COMMON,
           method=False, out=True, error_samples=_stack_family_errors),
    OpInfo("tril", _tri_samples, dtypes=ALL, out=True, inplace=True, error_samples=_tri_errors),
    OpInfo("triu", _tri_samples, dtypes=ALL, out=True, inplace=True, error_samples=_tri_errors),
    OpInfo("flip", _flip_samples, dtypes=ALL, error_samples=_flip_errors),
    OpInfo("fliplr", _fliplr_samples, dtypes=COMMON,
           error_samples=lambda rng: [S(rand(rng, 3)), S(rand(rng))]),
    OpInfo("flipud", _flipud_samples, dtypes=COMMON, error_samples=lambda rng: [S(rand(rng))]),
    OpInfo("roll", _roll_samples, dtypes=ALL, error_samples=_roll_errors),
    OpInfo("rot90", _rot90_samples, dtypes=COMMON, error_samples=_rot90_errors),
    OpInfo("repeat", _repeat_samples, op=lambda m, x, *s: x.repeat(*s), dtypes=ALL,
           error_samples=_repeat_errors),
    OpInfo("tile", _tile_samples, dtypes=COMMON,
           error_samples=lambda rng: [S(rand(rng, 2, 3), 2)]),
    OpInfo("repeat_interleave", _ri_samples, op=_ri, dtypes=COMMON + ("int32",), method=False,
           error_samples=_ri_errors),
    OpInfo("broadcast_tensors", _bt_samples, op=_varargs("broadcast_tensors"), dtypes=COMMON,
           method=False, error_samples=_bt_errors),
    OpInfo("meshgrid", _meshgrid_samples, op=_meshgrid, dtypes=COMMON, method=False,
           error_samples=_meshgrid_errors),
    OpInfo("atleast_1d", _atleast_samples, op=_atleast("atleast_1d"), dtypes=COMMON,
           method=False),
    OpInfo("atleast_2d", _atleast_samples, op=_atleast("atleast_2d"), dtypes=COMMON,
           method=False),
    OpInfo("atleast_3d", _atleast_samples, op=_atleast("atleast_3d"), dtypes=COMMON,
           method=False),
    OpInfo("block_diag", _block_diag_samples, op=_varargs("block_diag"), dtypes=COMMON,
           method=False, error_samples=_block_diag_errors),
    OpInfo("cartesian_prod", _cartesian_samples, op=_varargs("cartesian_prod"), dtypes=COMMON,
           method=False, error_samples=_cartesian_errors),
]


