"""Linear algebra behaviour the OpInfo rows cannot express: exact error messages, grad_fn
names, complex and second-order gradients, alpha/beta semantics, in-place variants, memory
layouts, einsum forms and dtype rules, the meta device."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.harness import _build, assert_close, raises_both, run_both, to_numpy, torch
from tests.ops import db_linalg

RNG = np.random.default_rng(7)


def r(*shape: int, dtype: str = "float64") -> np.ndarray:
    if dtype.startswith("complex"):
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    if dtype.startswith("int"):
        return RNG.integers(-5, 5, shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ errors: same message
def _error_cases() -> list:
    cases = []
    for row in db_linalg.OPS:
        if row.error_samples is None:
            continue
        for i, s in enumerate(row.error_samples(np.random.default_rng(0))):
            cases.append(pytest.param(row, s, id=f"{row.name}-{i}"))
    return cases


@pytest.mark.parametrize("row,sample", _error_cases())
def test_error_message_is_torchs(row, sample) -> None:  # noqa: ANN001
    msgs = []
    for m in (torch, ember):
        args = [_build(m, a, False) for a in sample.args]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                row.call(m, *args, **sample.kwargs)
        msgs.append((type(info.value).__name__, str(info.value)))
    assert msgs[1] == msgs[0]


# ------------------------------------------------------------------ grad_fn names
@pytest.mark.parametrize("fn,shapes", [
    (lambda m, a, b: m.matmul(a, b), [(3,), (3,)]),
    (lambda m, a, b: m.matmul(a, b), [(3,), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(2, 3), (3,)]),
    (lambda m, a, b: m.matmul(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(5, 2, 3), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(5, 2, 3), (3,)]),
    (lambda m, a, b: m.matmul(a, b), [(5, 2, 3), (5, 3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(2, 1, 2, 3), (5, 3, 4)]),
    (lambda m, a, b: a @ b, [(2, 5, 2, 3), (2, 5, 3, 4)]),
    (lambda m, a, b: m.mm(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    (lambda m, a, b: m.mv(a, b), [(2, 3), (3,)]),
    (lambda m, a, b: m.dot(a, b), [(3,), (3,)]),
    (lambda m, a, b: m.vdot(a, b), [(3,), (3,)]),
    (lambda m, a, b: m.outer(a, b), [(2,), (3,)]),
    (lambda m, a, b: m.inner(a, b), [(2, 3), (4, 3)]),
    (lambda m, a, b: m.tensordot(a, b, 1), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.kron(a, b), [(2, 3), (3, 4)]),
    (lambda m, i, a, b: m.addmm(i, a, b), [(4,), (2, 3), (3, 4)]),
    (lambda m, i, a, b: m.addmv(i, a, b), [(2,), (2, 3), (3,)]),
    (lambda m, i, a, b: m.addbmm(i, a, b), [(2, 4), (5, 2, 3), (5, 3, 4)]),
    (lambda m, i, a, b: m.baddbmm(i, a, b), [(2, 4), (5, 2, 3), (5, 3, 4)]),
    (lambda m, i, a, b: m.addr(i, a, b), [(2, 3), (2,), (3,)]),
    (lambda m, a: m.trace(a), [(3, 4)]),
    (lambda m, a: m.diag(a), [(3,)]),
    (lambda m, a: m.diag(a), [(3, 4)]),
    (lambda m, a: m.diag_embed(a), [(2, 3)]),
    (lambda m, a, b: m.cross(a, b, dim=1), [(2, 3), (2, 3)]),
    (lambda m, a, b, c: m.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 5)]),
])
def test_grad_fn_name_is_torchs(fn, shapes) -> None:  # noqa: ANN001
    arrays = [r(*s) for s in shapes]
    names = []
    for m in (torch, ember):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names.append(fn(m, *ts).grad_fn.name())
    assert names[1] == names[0]


def test_einsum_grad_fn_is_ember_own() -> None:
    # torch's einsum is a composite (its grad_fn is whatever view/bmm came last); ember records
    # one node whose backward is an einsum of the gradient with the other operands
    a = ember.tensor(r(2, 3), requires_grad=True)
    assert ember.einsum("ij,jk", a, ember.tensor(r(3, 4))).grad_fn.name() == "EinsumBackward0"


# ------------------------------------------------------------------ complex gradients
def _complex_grads(fn, *arrays) -> None:  # noqa: ANN001
    """Gradients of fn for complex inputs, with a complex output gradient, against torch."""
    out = {}
    w = None
    for m in (torch, ember):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        res = fn(m, *ts)
        w = r(*res.shape, dtype="complex128") if w is None else w
        out[m.__name__] = (res, m.autograd.grad(res, ts, m.tensor(w)))
    e, t = out["ember"], out["torch"]
    assert_close(e[0], t[0])
    for i, (ge, gt) in enumerate(zip(e[1], t[1], strict=True)):
        assert_close(ge, gt, rtol=1e-10, atol=1e-10, path=f"grad[{i}]")


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, a, b: m.mm(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(2, 1, 2, 3), (5, 3, 4)]),
    (lambda m, a, b: m.matmul(a, b), [(5, 2, 3), (3,)]),
    (lambda m, a, b: m.matmul(a, b), [(3,), (3, 4)]),
    (lambda m, a, b: m.mv(a, b), [(2, 3), (3,)]),
    (lambda m, a, b: m.dot(a, b), [(3,), (3,)]),
    (lambda m, a, b: m.vdot(a, b), [(3,), (3,)]),
    (lambda m, a, b: m.bmm(a, b), [(2, 2, 3), (2, 3, 4)]),
    (lambda m, a, b: m.outer(a, b), [(2,), (3,)]),
    (lambda m, a, b: m.inner(a, b), [(2, 3), (4, 3)]),
    (lambda m, a, b: m.kron(a, b), [(2, 3), (2, 2)]),
    (lambda m, a, b: m.tensordot(a, b, ([0, 2], [2, 0])), [(2, 3, 4), (4, 5, 2)]),
    (lambda m, i, a, b: m.addmm(i, a, b, beta=0.5 - 1j, alpha=2 + 1j), [(4,), (2, 3), (3, 4)]),
    (lambda m, i, a, b: m.addmv(i, a, b, beta=1j, alpha=-1j), [(2,), (2, 3), (3,)]),
    (lambda m, i, a, b: m.addbmm(i, a, b, alpha=1 + 1j), [(2, 4), (5, 2, 3), (5, 3, 4)]),
    (lambda m, i, a, b: m.baddbmm(i, a, b, beta=2j), [(2, 4), (5, 2, 3), (5, 3, 4)]),
    (lambda m, i, a, b: m.addr(i, a, b, beta=1 - 1j, alpha=3j), [(2, 3), (2,), (3,)]),
    (lambda m, a: m.trace(a), [(3, 4)]),
    (lambda m, a: m.diag(a, 1), [(3, 4)]),
    (lambda m, a: m.diag_embed(a, -1), [(2, 3)]),
    (lambda m, a, b: m.cross(a, b, dim=0), [(3, 2), (3, 1)]),
    (lambda m, a, b: m.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 4)]),
    (lambda m, a, b: m.einsum("ii,i->i", a, b), [(3, 3), (3,)]),
    (lambda m, a, b, c: m.einsum("ij,jk,kl->l", a, b, c), [(2, 3), (3, 4), (4, 2)]),
])
def test_complex_gradients(fn, shapes) -> None:  # noqa: ANN001
    _complex_grads(fn, *[r(*s, dtype="complex128") for s in shapes])


# ------------------------------------------------------------------ second order
def _double_backward(fn, *arrays) -> None:  # noqa: ANN001
    """d/dx of <grad_x(fn), v> (create_graph=True through the backward formulas) vs torch."""
    res = {}
    vs = [r(*a.shape) for a in arrays]
    for m in (torch, ember):
        ts = [m.tensor(a, requires_grad=True) for a in arrays]
        out = fn(m, *ts)
        w = m.tensor(r(*out.shape) if m is torch else res["w"])
        res["w"] = to_numpy(w)
        gs = m.autograd.grad(out, ts, w, create_graph=True)
        s = sum((g * m.tensor(v)).sum() for g, v in zip(gs, vs, strict=True))
        res[m.__name__] = m.autograd.grad(s, ts, allow_unused=True)
    for i, (ge, gt) in enumerate(zip(res["ember"], res["torch"], strict=True)):
        if gt is None:
            assert ge is None or not np.any(to_numpy(ge)), f"grad2[{i}]"
        else:
            assert_close(ge, gt, rtol=1e-10, atol=1e-10, path=f"grad2[{i}]")


@pytest.mark.parametrize("fn,shapes", [
    (lambda m, a, b: m.matmul(a, b), [(2, 3), (3, 4)]),
    (lambda m, a, b: m.matmul(a, b) ** 2, [(4, 2, 3), (3, 2)]),
    (lambda m, a, b: (a @ b) * a.sum(), [(2, 1, 2, 3), (3, 3, 2)]),
    (lambda m, a, b: m.mv(a, b) * b.sum(), [(2, 3), (3,)]),
    (lambda m, a, b: m.dot(a, b) * a, [(3,), (3,)]),
    (lambda m, i, a, b: m.addmm(i, a, b, beta=0.5, alpha=2) * a.sum(), [(4,), (2, 3), (3, 4)]),
    (lambda m, a, b: m.einsum("bij,bjk->bik", a, b) * a.sum(), [(2, 2, 3), (2, 3, 2)]),
    (lambda m, a: m.einsum("ii->i", a) * a.sum(), [(3, 3)]),
    (lambda m, a, b: m.cross(a, b, dim=1) * a, [(2, 3), (2, 3)]),
    (lambda m, a, b: m.tensordot(a, b, 1) * a.sum(), [(2, 3), (3, 4)]),
    (lambda m, a: m.diag(a) * a.sum(), [(3, 3)]),
])
def test_double_backward(fn, shapes) -> None:  # noqa: ANN001
    _double_backward(fn, *[r(*s) for s in shapes])


# ------------------------------------------------------------------ alpha / beta semantics
def test_beta_zero_ignores_nan_input_and_alpha_zero_ignores_nan_product() -> None:
    nan = np.full((2, 4), np.nan)
    run_both(lambda m, i, a, b: m.addmm(i, a, b, beta=0), nan, r(2, 3), r(3, 4))
    run_both(lambda m, i, a, b: m.addmm(i, a, b, alpha=0), r(2, 4), np.full((2, 3), np.nan),
             r(3, 4))
    run_both(lambda m, i, a, b: m.addmv(i, a, b, beta=0), np.full(2, np.nan), r(2, 3), r(3))
    run_both(lambda m, i, a, b: m.baddbmm(i, a, b, beta=0), np.full((2, 2, 4), np.nan),
             r(2, 2, 3), r(2, 3, 4))
    run_both(lambda m, i, a, b: m.addbmm(i, a, b, beta=0), nan, r(5, 2, 3), r(5, 3, 4))
    run_both(lambda m, i, a, b: m.addr(i, a, b, beta=0), np.full((2, 3), np.nan), r(2), r(3))
    e, _ = run_both(lambda m, i, a, b: m.addmm(i, a, b, beta=0), nan, r(2, 3), r(3, 4))
    assert not np.isnan(e.numpy()).any()


@pytest.mark.parametrize("alpha,beta", [(2.7, 1.9), (-1.5, 0.5), (True, False), (0.4, 3)])
def test_integer_kernels_truncate_float_scalars(alpha, beta) -> None:  # noqa: ANN001
    i = lambda *s: r(*s, dtype="int64")  # noqa: E731
    run_both(lambda m, x, a, b: m.addmm(x, a, b, alpha=alpha, beta=beta), i(2, 4), i(2, 3),
             i(3, 4))
    run_both(lambda m, x, a, b: m.addmv(x, a, b, alpha=alpha, beta=beta), i(2), i(2, 3), i(3))
    run_both(lambda m, x, a, b: m.baddbmm(x, a, b, alpha=alpha, beta=beta), i(2, 4),
             i(3, 2, 3), i(3, 3, 4))
    run_both(lambda m, x, a, b: m.addbmm(x, a, b, alpha=alpha, beta=beta), i(2, 4),
             i(3, 2, 3), i(3, 3, 4))


def test_addr_bool_and_promotion() -> None:
    b = lambda *s: RNG.random(s) < 0.5  # noqa: E731
    for alpha, beta in [(1, 1), (2, 0), (0, 1), (True, True)]:
        run_both(lambda m, x, u, v, a=alpha, c=beta: m.addr(x, u, v, alpha=a, beta=c), b(2, 3),
                 b(2), b(3))
    run_both(lambda m, x, u, v: m.addr(x, u, v, beta=0.5), r(2, 3, dtype="int64"),
             r(2, dtype="int64"), r(3), grad=False)


# ------------------------------------------------------------------ in-place variants
@pytest.mark.parametrize("name,shapes,kw", [
    ("addmm", [(2, 4), (2, 3), (3, 4)], {"beta": 0.5, "alpha": 2.0}),
    ("addmv", [(2,), (2, 3), (3,)], {"alpha": -1.0}),
    ("baddbmm", [(3, 2, 4), (3, 2, 5), (3, 5, 4)], {"beta": 2.0}),
    ("addbmm", [(2, 4), (3, 2, 5), (3, 5, 4)], {}),
    ("addr", [(2, 3), (2,), (3,)], {"beta": 0.0}),
])
def test_inplace_variants(name, shapes, kw) -> None:  # noqa: ANN001
    arrays = [r(*s) for s in shapes]

    def f(m, x, *rest):  # noqa: ANN001, ANN202
        y = x.clone()
        v = y._version
        res = getattr(y, name + "_")(*rest, **kw)
        assert res is y and y._version > v
        return y

    run_both(f, *arrays)

    def g(m, x, *rest):  # noqa: ANN001, ANN202 - autograd through the in-place op
        y = x * 1
        getattr(y, name + "_")(*rest, **kw)
        return y

    run_both(g, *arrays, grad=True)


def test_inplace_on_leaf_requiring_grad_raises() -> None:
    raises_both(lambda m, x, a, b: x.requires_grad_(True).addmm_(a, b), r(2, 4),
                r(2, 3), r(3, 4))


def test_inplace_shape_must_fit() -> None:
    raises_both(lambda m, x, a, b: x.addmm_(a, b), r(4), r(2, 3), r(3, 4))


# ------------------------------------------------------------------ saved tensors
def test_only_needed_tensors_are_saved() -> None:
    def unused_modified(m, x, w):  # noqa: ANN001, ANN202
        w = w.requires_grad_(True)
        y = x @ w  # only w needs a gradient: its formula reads x, never w
        with m.no_grad():
            w.mul_(2)
        y.sum().backward()
        return w.grad

    run_both(unused_modified, r(2, 3), r(3, 4))

    def used_modified(m, x, w):  # noqa: ANN001, ANN202
        w = w.requires_grad_(True)
        y = m.mm(x, w)
        x.add_(1)
        y.sum().backward()

    raises_both(used_modified, r(2, 3), r(3, 4))


# ------------------------------------------------------------------ operators and argument types
def test_matmul_operators() -> None:
    run_both(lambda m, a, b: a @ b, r(2, 3), r(3, 4), grad=True)
    run_both(lambda m, a, b: b.__rmatmul__(a), r(2, 3), r(3, 4), grad=True)
    raises_both(lambda m, a: a @ 3, r(3))
    raises_both(lambda m, a: 3 @ a, r(3))
    raises_both(lambda m, a: m.matmul(a, [1.0, 2.0, 3.0]), r(3))
    raises_both(lambda m, a: m.mm(a, 2), r(2, 2))
    e = raises_both(lambda m, a: m.matmul(a, [1.0, 2.0, 3.0]), r(3))
    assert "argument 'other' (position 2) must be Tensor, not list" in str(e)


# ------------------------------------------------------------------ layouts
@pytest.mark.parametrize("fn", [
    lambda m, a, b: m.mm(a.t(), b.t()),
    lambda m, a, b: m.matmul(a.t(), b),
    lambda m, a, b: m.matmul(a[::2], b[:, ::2]),
    lambda m, a, b: m.matmul(a.unsqueeze(0).expand(3, 6, 6), b),
    lambda m, a, b: m.matmul(a.unsqueeze(0).expand(3, 6, 6).transpose(1, 2), b.t()),
    lambda m, a, b: m.bmm(a.unsqueeze(0).expand(2, 6, 6), b.unsqueeze(0).expand(2, 6, 6).mT),
    lambda m, a, b: m.matmul(a.reshape(2, 3, 6).transpose(0, 1), b),
    lambda m, a, b: m.mv(a.t(), b[:, 1]),
    lambda m, a, b: m.dot(a[:, 0], b[1]),
    lambda m, a, b: m.einsum("ij,kj->ik", a[1:], b[::3]),
    lambda m, a, b: m.addmm(a[0], a.t(), b.t(), beta=2),
    lambda m, a, b: m.tensordot(a.t(), b[:, ::2], 1),
    lambda m, a, b: m.matmul(m.ones(1, dtype=a.dtype).expand(6), a),
])
def test_strided_and_expanded_operands(fn) -> None:  # noqa: ANN001
    run_both(fn, r(6, 6), r(6, 6), grad=True)
    run_both(fn, r(6, 6, dtype="float32"), r(6, 6, dtype="float32"), grad=True)


def test_results_are_fresh_contiguous_arrays() -> None:
    a, b = ember.tensor(r(3, 3)), ember.tensor(r(3))
    results = [ember.dot(b, b), ember.vdot(b, b), ember.matmul(b, b), ember.inner(b, b),
               ember.trace(a), ember.einsum("ii", a), ember.einsum("ij->", a),
               ember.einsum("i,i", b, b), ember.tensordot(b, b, 1), ember.mm(a.t(), a),
               ember.einsum("ij->ji", a), ember.einsum("ii->i", a)]
    for t in results:
        assert type(t._data) is np.ndarray
    for t in (ember.mm(a.t(), a.t()), ember.matmul(a.t(), a), ember.bmm(a[None].mT, a[None])):
        assert t.is_contiguous()
    # einsum never aliases its input (torch returns views for pure permutations/diagonals)
    t = ember.einsum("ij->ji", a)
    t.add_(1)
    assert not np.shares_memory(t.numpy(), a.numpy())


def test_large_products_match_torch() -> None:
    run_both(lambda m, a, b: a @ b, r(300, 200, dtype="float32"), r(200, 100, dtype="float32"),
             rtol=1e-5, atol=1e-4)
    run_both(lambda m, a, b: a @ b, r(8, 64, 48, dtype="float32"), r(48, 40, dtype="float32"),
             rtol=1e-5, atol=1e-4)
    for dt in ("float16", "bfloat16"):
        run_both(lambda m, a, b, d=dt: (a.to(getattr(m, d)) @ b.to(getattr(m, d))).float(),
                 r(64, 96, dtype="float32"), r(96, 32, dtype="float32"),
                 rtol=1e-2 if dt == "bfloat16" else 2e-3, atol=1e-2)


# ------------------------------------------------------------------ einsum specifics
def test_einsum_call_forms() -> None:
    a, b = r(2, 3), r(3, 4)
    run_both(lambda m, x, y: m.einsum("ij,jk", [x, y]), a, b, grad=True)
    run_both(lambda m, x, y: m.einsum(" i j , j k -> i k ", x, y), a, b)
    run_both(lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b, grad=True)
    run_both(lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2]), a, b)
    run_both(lambda m, x, y: m.einsum(x, [Ellipsis, 1], y, [1, 2], [Ellipsis, 2]), r(5, 2, 3), b)
    raises_both(lambda m, x: m.einsum(x, [0, 60]), a)
    raises_both(lambda m, x: m.einsum(3, x), a)
    raises_both(lambda m: m.einsum("ij"))


@pytest.mark.parametrize("eq,shapes", [
    ("ba", [(2, 3)]), ("bA", [(2, 3)]), ("zAa", [(2, 3, 4)]), ("...ji", [(2, 3, 4)]),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 2)]), ("ij,jk,ki", [(2, 3), (3, 4), (4, 2)]),
    ("i,i,i->", [(3,), (3,), (3,)]), (",->", [(), ()]), ("", [()]), (",i->i", [(), (3,)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("ij->...ij", [(2, 3)]),
    ("i...j,j...k->...ik", [(2, 4, 3), (3, 4, 5)]), ("a...,a...->...", [(2, 1, 3), (2, 4, 1)]),
    ("ijij->ji", [(2, 3, 2, 3)]), ("iij->j", [(1, 1, 3)]), ("ii,i->i", [(1, 1), (4,)]),
])
def test_einsum_equations(eq, shapes) -> None:  # noqa: ANN001
    run_both(lambda m, *xs: m.einsum(eq, *xs), *[r(*s) for s in shapes], grad=True)


@pytest.mark.parametrize("eq,shapes,dt", [
    ("ij->j", [(3, 3)], "int32"), ("ij->ji", [(3, 3)], "int32"), ("ii", [(3, 3)], "int32"),
    ("ij,jk", [(2, 3), (3, 4)], "int32"), ("i,j->ij", [(2,), (3,)], "int32"),
    ("ij->j", [(3, 3)], "uint8"), ("ij,jk", [(2, 3), (3, 4)], "uint8"),
    ("ij->j", [(3, 3)], "float16"), ("ij,jk", [(2, 3), (3, 4)], "complex64"),
])
def test_einsum_dtypes(eq, shapes, dt) -> None:  # noqa: ANN001
    arrays = [np.abs(r(*s, dtype=dt)) if dt == "uint8" else r(*s, dtype=dt) for s in shapes]
    run_both(lambda m, *xs: m.einsum(eq, *xs), *arrays)


def test_einsum_bool() -> None:
    b = lambda *s: RNG.random(s) < 0.5  # noqa: E731
    run_both(lambda m, x: m.einsum("ii->i", x), b(3, 3))
    run_both(lambda m, x: m.einsum("ij->j", x), b(3, 3))
    run_both(lambda m, x, y: m.einsum("i,j->ij", x, y), b(2), b(3))
    run_both(lambda m, x, y: m.einsum("ij,ij->ij", x, y), b(2, 3), b(2, 3))
    raises_both(lambda m, x, y: m.einsum("i,i", x, y), b(3), b(3))


def test_einsum_plan_cache_sees_new_shapes() -> None:
    for n in (2, 3, 2, 5):
        run_both(lambda m, x, y: m.einsum("bij,bjk->bik", x, y), r(n, 2, 3), r(n, 3, n))


# ------------------------------------------------------------------ misc
def test_chain_matmul_and_multi_dot() -> None:
    from ember.ops.linalg import multi_dot

    mats = [r(3, 10), r(10, 2), r(2, 8), r(8, 1)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m, *xs: m.chain_matmul(*xs), *mats, grad=True)
    for arrays in ([r(4), r(4, 3), r(3, 5), r(5)], [r(4), r(4, 3)], [r(2, 4), r(4, 3), r(3)]):
        e = multi_dot([ember.tensor(a) for a in arrays])
        t = torch.linalg.multi_dot([torch.tensor(a) for a in arrays])
        assert_close(e, t)


def test_cross_default_dim_warns_like_torch() -> None:
    # torch warns once per process (TORCH_WARN_ONCE), so only ember's side is checked here
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is "
                      "deprecated"):
        ember.cross(ember.ones(3, 2), ember.ones(3, 2))


def test_meta_device() -> None:
    def f(m, fn):  # noqa: ANN001, ANN202
        return fn(m, lambda *s: m.ones(*s, device="meta"))

    for fn in (lambda m, o: m.matmul(o(4096, 4096), o(4096, 8192)),
               lambda m, o: o(64, 2048, 512) @ o(512, 1024),
               lambda m, o: m.matmul(o(8, 1, 512, 64), o(4, 64, 512)),
               lambda m, o: m.mm(o(4096, 4096), o(4096, 4096)),
               lambda m, o: m.bmm(o(64, 1024, 64), o(64, 64, 1024)),
               lambda m, o: m.addmm(o(4096), o(2048, 4096), o(4096, 4096)),
               lambda m, o: m.baddbmm(o(1), o(64, 512, 64), o(64, 64, 512)),
               lambda m, o: m.matmul(o(3), o(3))):
        e, t = f(ember, fn), f(torch, fn)
        assert e.device.type == "meta" and tuple(e.shape) == tuple(t.shape)
        assert e.dtype.name == str(t.dtype).split(".")[-1]
    raises_both(lambda m: m.mm(m.ones(2, 3, device="meta"), m.ones(4, 5, device="meta")))


def _random_einsum(rng: np.random.Generator) -> tuple:
    """A random equation over 1-3 operands (repeated labels, size-1 broadcasting, ellipsis)."""
    labels = "abcdeAB"
    sizes = {c: int(rng.integers(1, 4)) for c in labels}
    n_ops = int(rng.integers(1, 4))
    ell = rng.random() < 0.3
    ell_shape = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 3))))
    terms, shapes = [], []
    for _ in range(n_ops):
        term = "".join(rng.choice(list(labels), int(rng.integers(0, 4))))
        shape = [sizes[c] if rng.random() < 0.85 else 1 for c in term]
        if ell:
            cut = len(ell_shape) - int(rng.integers(0, len(ell_shape) + 1))
            sub = tuple(1 if rng.random() < 0.2 else s for s in ell_shape[cut:])
            pos = int(rng.integers(0, len(term) + 1))
            term = term[:pos] + "..." + term[pos:]
            shape = shape[:pos] + list(sub) + shape[pos:]
        for i, c in enumerate(term.replace("...", "")):  # repeated labels need equal sizes
            first = term.replace("...", "").index(c)
            if first != i:
                j = i + (len(sub) if ell and i >= pos else 0)
                k = first + (len(sub) if ell and first >= pos else 0)
                shape[j] = shape[k]
        terms.append(term)
        shapes.append(tuple(shape))
    eq = ",".join(terms)
    if rng.random() < 0.6:
        used = sorted(set("".join(terms).replace(".", "")))
        out = "".join(c for c in used if rng.random() < 0.5)
        out = "".join(rng.permutation(list(out))) if out else ""
        eq += "->" + (("..." if ell and rng.random() < 0.7 else "") + out)
    return eq, shapes


@pytest.mark.parametrize("seed", range(60))
def test_einsum_random_equations(seed) -> None:  # noqa: ANN001
    rng = np.random.default_rng(seed)
    eq, shapes = _random_einsum(rng)
    arrays = [rng.standard_normal(s) for s in shapes]
    try:
        torch.einsum(eq, *[torch.tensor(a) for a in arrays])
    except RuntimeError:
        raises_both(lambda m, *xs: m.einsum(eq, *xs), *arrays)
        return
    run_both(lambda m, *xs: m.einsum(eq, *xs), *arrays, grad=True)


@pytest.mark.parametrize("seed", range(40))
def test_matmul_random_shapes(seed) -> None:  # noqa: ANN001
    rng = np.random.default_rng(1000 + seed)
    n, k, p = (int(v) for v in rng.integers(0, 4, 3))
    batch = [int(v) for v in rng.integers(1, 4, int(rng.integers(0, 3)))]
    ba = [b if rng.random() < 0.7 else 1 for b in batch][int(rng.integers(0, len(batch) + 1)):]
    bb = [b if rng.random() < 0.7 else 1 for b in batch][int(rng.integers(0, len(batch) + 1)):]
    sa = tuple(ba) + (n, k) if rng.random() < 0.8 else (k,)  # a vector has no batch dims
    sb = tuple(bb) + (k, p) if rng.random() < 0.8 else (k,)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    run_both(lambda m, x, y: m.matmul(x, y), a, b, grad=True)
    run_both(lambda m, x, y: m.matmul(x, y), a.astype(np.float32), b.astype(np.float32))
