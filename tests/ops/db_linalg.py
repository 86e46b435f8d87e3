"""OpInfo rows for linear algebra (ember/ops/linalg.py, addmm.py, einsum.py, diag.py, cross.py)."""

from __future__ import annotations

import numpy as np

from tests.harness import rand
from tests.ops.opinfo import OpInfo, S

# torch's CPU kernels support these for products; the last one drives noncontig and out= tests
PRODUCT_DTYPES = ("float16", "bfloat16", "int64", "complex64", "float64", "float32")


def _r(rng: np.random.Generator, dt: str, *shape: int) -> np.ndarray:
    return rand(rng, *shape, dtype=dt)


def _scal(dt: str, f: float, i: int) -> float | int:
    """alpha/beta suited to the dtype (integer kernels truncate floats, addr rejects them)."""
    return i if dt.startswith(("int", "uint", "bool")) else f


def _f64(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rand(rng, *shape, dtype="float64")


# ------------------------------------------------------------------ matmul family
def matmul_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(3), r(3), desc="1-d @ 1-d"),
        S(r(2, 3), r(3, 4), desc="2-d @ 2-d"),
        S(r(3), r(3, 4), desc="1-d @ 2-d"),
        S(r(2, 3), r(3), desc="2-d @ 1-d"),
        S(r(4, 2, 3), r(3, 5), desc="batched @ 2-d (folded)"),
        S(r(4, 2, 3), r(3), desc="batched @ 1-d"),
        S(r(3), r(4, 3, 2), desc="1-d @ batched"),
        S(r(2, 3), r(4, 3, 2), desc="2-d @ batched"),
        S(r(4, 2, 3), r(4, 3, 2), desc="batched @ batched"),
        S(r(2, 1, 2, 3), r(5, 3, 4), desc="broadcast batch dims"),
        S(r(1, 3, 2, 3), r(2, 1, 3, 2), desc="broadcast both ways"),
        S(r(2, 0), r(0, 3), desc="k=0 gives zeros"),
        S(r(0), r(0), desc="empty dot"),
        S(r(0, 2, 3), r(3, 4), desc="empty batch"),
        S(r(2, 3, 0), r(2, 0, 4), desc="batched k=0"),
    ]


def matmul_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    b = lambda *s: _r(rng, "bool", *s)  # noqa: E731
    return [
        S(f(3), f(4)), S(f(2, 3), f(4)), S(f(3), f(4, 5)), S(f(2, 3), f(4, 5)),
        S(f(6, 2, 3), f(4, 5)), S(f(6, 2, 3), f(4)), S(f(6, 2, 3), f(6, 4, 5)),
        S(f(6, 2, 3), f(5, 3, 5)), S(f(3), f(5, 4, 4)),
        S(np.array(1.0, dtype=np.float32), f(3)), S(f(3), np.array(1.0, dtype=np.float32)),
        S(f(3), d(3)), S(f(2, 3), d(3)), S(f(3), d(3, 4)), S(f(2, 3), d(3, 4)),
        S(f(6, 2, 3), d(3, 5)), S(f(6, 2, 3), d(6, 3, 5)), S(f(2, 3), d(6, 3, 5)),
        S(b(2, 3), b(3, 4)), S(b(3), b(3)),
    ]


def mm_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(3, 4)), S(r(4, 1), r(1, 3)), S(r(2, 0), r(0, 3), desc="k=0"),
            S(r(0, 3), r(3, 2)), S(r(5, 7), r(7, 6))]


def mm_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(4, 5)), S(f(3), f(3, 4)), S(f(2, 3), f(2, 3, 4)), S(f(2, 3), d(3, 4)),
            S(_r(rng, "bool", 2, 3), _r(rng, "bool", 3, 4)),
            S(_r(rng, "int64", 2, 3), f(3, 4))]


def bmm_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(3, 2, 4), r(3, 4, 5)), S(r(1, 3, 3), r(1, 3, 1)), S(r(2, 3, 0), r(2, 0, 4)),
            S(r(0, 2, 3), r(0, 3, 4))]


def bmm_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(3, 4)), S(f(2, 2, 3), f(3, 4)), S(f(2, 2, 3), f(3, 3, 4)),
            S(f(2, 2, 3), f(2, 4, 4)), S(f(2, 2, 3), d(2, 3, 4)),
            S(_r(rng, "bool", 2, 2, 3), _r(rng, "bool", 2, 3, 4)),
            S(f(5, 2, 3), f(1, 3, 4), desc="bmm does not broadcast")]


def mv_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(3)), S(r(5, 1), r(1)), S(r(2, 0), r(0), desc="k=0"), S(r(0, 3), r(3))]


def mv_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(4)), S(f(3), f(3)), S(f(2, 3), f(3, 1)), S(f(2, 3), d(3)),
            S(_r(rng, "bool", 2, 3), _r(rng, "bool", 3))]


def dot_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(3), r(3)), S(r(1), r(1)), S(r(0), r(0), desc="empty: 0"), S(r(17), r(17))]


def dot_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(3), f(4)), S(f(3, 1), f(3)), S(f(3), d(3)), S(f(3), f(3, 3)),
            S(_r(rng, "bool", 3), _r(rng, "bool", 3))]


def inner_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(4, 3)), S(r(3), r(3)), S(r(2, 2, 3), r(3)), S(r(3), r(2, 3)),
            S(r(2, 0), r(3, 0), desc="k=0"), S(np.asarray(r(1)[0]), r(2, 3), desc="0-d")]


def inner_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(4)), S(f(2, 3), d(3)), S(_r(rng, "bool", 2, 3), _r(rng, "bool", 3))]


def outer_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2), r(3)), S(r(1), r(4)), S(r(0), r(3)),
            S(r(3), _r(rng, "float64" if dt != "float64" else "float32", 2),
              desc="promotes like mul")]


def outer_errors(rng: np.random.Generator) -> list:
    f = lambda *s: _r(rng, "float32", *s)  # noqa: E731
    return [S(f(2, 2), f(3)), S(f(2), f(3, 1)), S(np.asarray(f(1)[0]), f(3))]


# ------------------------------------------------------------------ add-products
def addmm_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(2, 4), r(2, 3), r(3, 4)),
        S(r(4), r(2, 3), r(3, 4), beta=_scal(dt, 0.5, 2), alpha=_scal(dt, 1.5, 3),
          desc="broadcast input"),
        S(r(1, 1), r(2, 3), r(3, 4), beta=0, desc="beta=0"),
        S(np.asarray(r(1)[0]), r(2, 3), r(3, 4), alpha=0, desc="0-d input, alpha=0"),
        S(r(2, 3), r(2, 0), r(0, 3), beta=_scal(dt, 2.0, 2), desc="k=0"),
    ]


def addmm_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    i = lambda *s: _r(rng, "int64", *s)  # noqa: E731
    return [S(f(4), f(2, 3), f(4, 5)), S(f(3), f(2, 3), f(3, 4)), S(d(4), f(2, 3), f(3, 4)),
            S(f(1, 2, 4), f(2, 3), f(3, 4)), S(f(2, 4), f(3), f(3, 4)),
            S(f(2, 4), f(2, 3), d(3, 4)), S(f(2, 4), d(2, 3), f(3, 4)),
            S(f(2, 4), f(2, 3), f(3, 4), alpha=1j),
            S(i(2, 4), i(2, 3), i(3, 4), beta=1j),
            S(_r(rng, "bool", 2, 4), _r(rng, "bool", 2, 3), _r(rng, "bool", 3, 4))]


def addmv_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(2), r(2, 3), r(3)),
        S(r(1), r(2, 3), r(3), beta=_scal(dt, -0.5, -2), alpha=_scal(dt, 2.0, 2),
          desc="broadcast input"),
        S(np.asarray(r(1)[0]), r(2, 3), r(3), beta=0, desc="0-d input, beta=0"),
        S(r(2), r(2, 0), r(0), desc="k=0"),
    ]


def addmv_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2), f(2, 3), f(4)), S(f(3), f(2, 3), f(3)), S(f(1, 2), f(2, 3), f(3)),
            S(f(2), f(3), f(3)), S(d(2), f(2, 3), f(3)), S(f(2), f(2, 3), d(3)),
            S(_r(rng, "bool", 2), _r(rng, "bool", 2, 3), _r(rng, "bool", 3))]


def baddbmm_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(3, 2, 4), r(3, 2, 5), r(3, 5, 4)),
        S(r(2, 4), r(3, 2, 5), r(3, 5, 4), beta=_scal(dt, 0.5, 2), alpha=_scal(dt, 2.5, -1),
          desc="broadcast input"),
        S(np.asarray(r(1)[0]), r(2, 2, 3), r(2, 3, 1), beta=0, desc="0-d input, beta=0"),
        S(r(2, 2, 4), r(2, 2, 0), r(2, 0, 4), desc="k=0"),
    ]


def batch_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 4), f(5, 2, 3), f(4, 3, 4)), S(f(2, 4), f(5, 2, 3), f(5, 4, 4)),
            S(f(3, 4), f(5, 2, 3), f(5, 3, 4)), S(d(2, 4), f(5, 2, 3), f(5, 3, 4)),
            S(f(2, 4), f(5, 2, 3), d(5, 3, 4)),
            S(_r(rng, "bool", 2, 4), _r(rng, "bool", 5, 2, 3), _r(rng, "bool", 5, 3, 4))]


def addbmm_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(2, 4), r(3, 2, 5), r(3, 5, 4)),
        S(r(4), r(3, 2, 5), r(3, 5, 4), beta=_scal(dt, 0.5, 2), alpha=_scal(dt, 2.5, 3),
          desc="broadcast input"),
        S(np.asarray(r(1)[0]), r(2, 2, 3), r(2, 3, 1), beta=0, desc="0-d input, beta=0"),
        S(r(2, 3), r(0, 2, 4), r(0, 4, 3), desc="empty batch: input only"),
    ]


def addr_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    other = "float64" if dt != "float64" else "float32"
    return [
        S(r(2, 3), r(2), r(3)),
        S(r(3), r(2), r(3), beta=_scal(dt, 0.5, 2), alpha=_scal(dt, 1.5, 3),
          desc="broadcast input"),
        S(np.asarray(r(1)[0]), r(2), r(3), beta=0, desc="0-d input, beta=0"),
        S(r(2, 3), r(2), _r(rng, other, 3), desc="promotes"),
    ]


def addr_errors(rng: np.random.Generator) -> list:
    f = lambda *s: _r(rng, "float32", *s)  # noqa: E731
    i = lambda *s: _r(rng, "int64", *s)  # noqa: E731
    return [S(f(2, 3), f(2), f(4)), S(f(2, 3), f(2, 1), f(3)), S(f(2, 3), f(2), f(3, 1)),
            S(i(2, 3), i(2), i(3), beta=0.5), S(i(2, 3), i(2), i(3), alpha=0.5),
            S(f(2, 3), f(2), f(3), alpha=1j)]


# ------------------------------------------------------------------ tensordot, kron, einsum
def tensordot_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(2, 3, 4), r(3, 4, 5)),
        S(r(2, 3, 4), r(4, 3, 5), dims=([1, 2], [1, 0])),
        S(r(2, 3), r(3, 4), dims=1),
        S(r(2, 3), r(3, 2), dims=0),
        S(r(2, 3), r(1, 5), dims=1, desc="size-1 contracted dim broadcasts"),
        S(r(2, 1), r(3, 5), dims=1),
        S(r(2, 0), r(0, 3), dims=1, desc="k=0"),
        S(r(3, 2), r(2, 3), dims=[[0, 1], [1, 0]]),
        S(r(3), r(3), dims=1),
    ]


def tensordot_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(4, 5), dims=1), S(f(2, 3), f(3, 5), dims=-1),
            S(f(2, 3), d(3, 5), dims=1), S(f(2, 3), f(3, 5), dims=([1], [0, 1])),
            S(f(2, 3), f(3, 5), dims=3), S(f(2, 2), f(2, 2), dims=([0, 0], [0, 1])),
            S(f(2, 2), f(2, 2), dims=([2], [0])), S(f(2, 3), f(3, 2), dims=(1, 0)),
            S(f(2, 3), f(3, 2), dims=1.0),
            S(_r(rng, "bool", 2, 3), _r(rng, "bool", 3, 2), dims=1)]


def kron_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(3, 4)), S(r(2), r(3, 4)), S(r(2, 1, 3), r(2)),
            S(np.asarray(r(1)[0]), r(3, 2)), S(r(0, 2), r(2, 2))]


def einsum_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [
        S(r(3, 2, 4), r(3, 4, 2), eq="bij,bjk->bik"),
        S(r(2, 3), r(3, 4), eq="ij,jk"),
        S(r(3), r(3), eq="i,i"),
        S(r(2), r(3), eq="i,j->ij"),
        S(r(3, 3), eq="ii"),
        S(r(3, 3), eq="ii->i"),
        S(r(2, 3, 4), eq="ijk->kj"),
        S(r(3, 2), eq="ij"),
        S(r(2, 3, 4), r(4, 2), eq="...ij,...jk", desc="ellipsis broadcast"),
        S(r(2, 3, 4), r(4, 2), eq="...ij,jk->...ik"),
        S(r(2, 3, 4), eq="...ij->ij", desc="ellipsis summed"),
        S(r(1, 3), r(4, 3), eq="ij,ij->ij", desc="size-1 broadcast"),
        S(r(2, 3), r(3, 4), r(4, 2), eq="ij,jk,kl->il", desc="three operands"),
        S(r(3, 3, 2), r(2, 4), eq="iij,jk->ik", desc="diagonal then contraction"),
        S(r(2, 3, 2, 4), r(2, 3, 5, 4), eq="bhqd,bhkd->bhqk", desc="attention scores"),
        S(r(2, 3), r(4, 5), eq="ij,kl->i", desc="independent sums"),
        S(r(2, 3), r(3, 2), eq="Ab,bA", desc="upper-case labels"),
        S(r(2, 0), r(0, 3), eq="ij,jk->ik", desc="k=0"),
        S(r(3), r(2, 3), eq="...,...", desc="ellipsis only"),
    ]


def einsum_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), d(3, 4), eq="ij,jk"), S(f(2, 3), eq="ij,jk"),
            S(f(2, 3), f(3, 4), eq="ij"), S(f(2, 3), eq="ijk"), S(f(2, 3), eq="i"),
            S(f(2, 3), f(4, 4), eq="ij,jk"), S(f(2, 3), eq="ii"), S(f(2, 2), eq="ij->ii"),
            S(f(2, 2), eq="ij->k"), S(f(2, 2), eq="i1"), S(f(2, 3), eq="...i..."),
            S(f(4, 2, 3), f(5, 3, 2), eq="...ij,...jk"), S(f(3), eq="i->i->i"),
            S(f(2, 3), eq="i.j"), S(f(2, 3), eq="ij->i."), S(f(3), eq="...ij"),
            S(_r(rng, "bool", 3), _r(rng, "bool", 3), eq="i,i")]


# ------------------------------------------------------------------ trace, diag, cross, chain
def trace_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(3, 3)), S(r(3, 4)), S(r(4, 2)), S(r(0, 3))]


def diag_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(3)), S(r(3), 1), S(r(3), diagonal=-2), S(r(3, 4)), S(r(3, 4), 1),
            S(r(3, 4), -2), S(r(3, 4), 5), S(r(0))]


def diag_embed_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3)), S(r(3), 1), S(r(2, 3), 1, 0, 2), S(r(2, 3), -1, -1, -2),
            S(r(2, 3, 2), offset=-2, dim1=1, dim2=3), S(r(2, 0))]


def cross_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(2, 3), dim=1), S(r(3), r(3), dim=0), S(r(3, 2), r(3, 1), dim=0),
            S(r(4, 3), r(1, 3), dim=-1), S(r(2, 3, 4), r(2, 3, 4), dim=1),
            S(r(3, 2), r(3, 2), desc="default dim (deprecated)")]


def cross_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(4, 2), f(4, 2)), S(f(4, 2), f(4, 2), dim=0), S(f(3, 2), f(3, 4), dim=0),
            S(f(3), d(3), dim=0), S(f(3), f(2, 3), dim=-1), S(f(3), f(3), dim=2),
            S(_r(rng, "int64", 3), f(3), dim=0), S(_r(rng, "bool", 3), _r(rng, "bool", 3), dim=0)]


def chain_samples(rng: np.random.Generator, dt: str) -> list:
    r = lambda *s: _r(rng, dt, *s)  # noqa: E731
    return [S(r(2, 3), r(3, 4), r(4, 2)), S(r(2, 3), r(3, 2)), S(r(3, 2), r(2, 4), r(4, 1), r(1, 3)),
            S(r(2, 3))]


def chain_errors(rng: np.random.Generator) -> list:
    f, d = (lambda *s: _r(rng, "float32", *s)), (lambda *s: _r(rng, "float64", *s))
    return [S(f(2, 3), f(4, 4)), S(f(2, 3), d(3, 4)), S(), S(f(3)), S(f(2, 3), f(3))]


def _einsum(m, *xs, eq):  # noqa: ANN001, ANN202
    return m.einsum(eq, *xs)


OPS = [
    OpInfo("matmul", matmul_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=matmul_errors),
    OpInfo("__matmul__", matmul_samples, op=lambda m, a, b: a @ b, dtypes=PRODUCT_DTYPES,
           method=False),
    OpInfo("mm", mm_samples, dtypes=PRODUCT_DTYPES + ("int32", "uint8"), out=True,
           error_samples=mm_errors),
    OpInfo("bmm", bmm_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=bmm_errors),
    OpInfo("mv", mv_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=mv_errors),
    OpInfo("dot", dot_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=dot_errors),
    OpInfo("vdot", dot_samples, dtypes=PRODUCT_DTYPES + ("complex128",), out=True,
           error_samples=dot_errors),
    OpInfo("inner", inner_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=inner_errors),
    OpInfo("outer", outer_samples, dtypes=("bool",) + PRODUCT_DTYPES, out=True,
           error_samples=outer_errors),
    OpInfo("ger", outer_samples, dtypes=("int64", "float32"), out=True,
           error_samples=outer_errors),
    OpInfo("addmm", addmm_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=addmm_errors),
    OpInfo("addmv", addmv_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=addmv_errors),
    OpInfo("baddbmm", baddbmm_samples, dtypes=PRODUCT_DTYPES, out=True,
           error_samples=batch_errors),
    OpInfo("addbmm", addbmm_samples, dtypes=PRODUCT_DTYPES, out=True, error_samples=batch_errors),
    # torch's own backward fails on the mixed-dtype sample, so gradients skip it
    OpInfo("addr", addr_samples, dtypes=("bool",) + PRODUCT_DTYPES, out=True,
           error_samples=addr_errors, grad_samples=lambda rng: addr_samples(rng, "float64")[:3]),
    OpInfo("tensordot", tensordot_samples, dtypes=PRODUCT_DTYPES, method=False, out=True,
           error_samples=tensordot_errors),
    OpInfo("kron", kron_samples, dtypes=("bool",) + PRODUCT_DTYPES, out=True),
    OpInfo("einsum", einsum_samples, op=_einsum, dtypes=PRODUCT_DTYPES, method=False,
           error_samples=einsum_errors),
    OpInfo("trace", trace_samples, dtypes=("int32", "uint8") + PRODUCT_DTYPES,
           error_samples=lambda rng: [S(_r(rng, "float32", 3)), S(_r(rng, "float32", 3, 3, 3)),
                                      S(_r(rng, "bool", 3, 3))]),
    OpInfo("diag", diag_samples, dtypes=("bool",) + PRODUCT_DTYPES, out=True,
           error_samples=lambda rng: [S(_r(rng, "float32", 2, 2, 2)),
                                      S(np.asarray(_r(rng, "float32", 1)[0]))]),
    OpInfo("diag_embed", diag_embed_samples, dtypes=("bool",) + PRODUCT_DTYPES,
           error_samples=lambda rng: [S(np.asarray(_r(rng, "float32", 1)[0])),
                                      S(_r(rng, "float32", 2, 3), 0, 1, 1),
                                      S(_r(rng, "float32", 3), 0, 0, 2)]),
    OpInfo("cross", cross_samples, dtypes=("float16", "int64", "complex64", "float64", "float32"),
           out=True, error_samples=cross_errors),
    OpInfo("chain_matmul", chain_samples, dtypes=("int64", "float64", "float32"), method=False,
           out=True, error_samples=chain_errors),
]
