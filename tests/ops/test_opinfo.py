"""Generic tests driven by the OpInfo rows of every tests/ops/db_*.py module."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import ember
from tests.harness import (
    _build,
    as_dtype,
    assert_close,
    gradcheck,
    noncontig,
    raises_both,
    run_both,
    torch,
)
from tests.ops import opinfo as _oi

ROWS: list = []
for _mod in pkgutil.iter_modules(__import__("tests.ops", fromlist=["x"]).__path__):
    if _mod.name.startswith("db_"):
        ROWS.extend(importlib.import_module(f"tests.ops.{_mod.name}").OPS)


def _id(row: _oi.OpInfo) -> str:
    return row.name


def _samples(row: _oi.OpInfo, dtype: str, seed: int = 0) -> list:
    return row.samples(np.random.default_rng(seed), dtype)


def _wrap(x, dtype):  # noqa: ANN001, ANN202
    if dtype == "bfloat16" and isinstance(x, np.ndarray) and x.dtype == np.float32:
        return as_dtype(x, "bfloat16")
    if isinstance(x, list):
        return [_wrap(v, dtype) for v in x]
    return x


def _dtype_params() -> list:
    return [pytest.param(r, d, id=f"{r.name}-{d}") for r in ROWS for d in r.dtypes]


@pytest.mark.parametrize("row,dtype", _dtype_params())
def test_forward(row: _oi.OpInfo, dtype: str) -> None:
    for s in _samples(row, dtype):
        args = [_wrap(a, dtype) for a in s.args]
        run_both(row.call, *args, rtol=row.rtol, atol=row.atol, **s.kwargs)


def _noncontig(x):  # noqa: ANN001, ANN202
    if isinstance(x, np.ndarray) and x.ndim >= 1 and x.size > 1:
        return noncontig(x)
    if isinstance(x, list):
        return [_noncontig(v) for v in x]
    return x


@pytest.mark.parametrize("row", [r for r in ROWS if "noncontig" not in r.skip], ids=_id)
def test_noncontiguous(row: _oi.OpInfo) -> None:
    for s in _samples(row, row.dtypes[-1]):
        run_both(row.call, *[_noncontig(a) for a in s.args], rtol=row.rtol, atol=row.atol,
                 **s.kwargs)


@pytest.mark.parametrize("row", [r for r in ROWS if r.grad], ids=_id)
def test_grad(row: _oi.OpInfo) -> None:
    samples = row.grad_samples(np.random.default_rng(0)) if row.grad_samples else \
        _samples(row, "float64")
    for s in samples:
        run_both(row.call, *s.args, grad=True, rtol=row.rtol, atol=row.atol, **s.kwargs)
    if row.gradcheck:
        small = [s for s in samples if all(not isinstance(a, np.ndarray) or a.size <= 24
                                           for a in s.args)]
        for s in small[:2]:
            gradcheck(lambda m, *xs, kw=s.kwargs: row.call(m, *xs, **kw), *s.args)


@pytest.mark.parametrize("row", [r for r in ROWS if r.method and "method" not in r.skip],
                         ids=_id)
def test_method_matches_function(row: _oi.OpInfo) -> None:
    for s in _samples(row, row.dtypes[-1]):
        if not s.args or not isinstance(s.args[0], np.ndarray):
            continue
        x = ember.tensor(s.args[0])
        rest = [_build(ember, a, False) for a in s.args[1:]]
        kw = {k: _build(ember, v, False) for k, v in s.kwargs.items()}
        f = getattr(ember, row.name, None)
        if f is None:
            continue
        assert_close_ember(getattr(x, row.name)(*rest, **kw), f(x, *rest, **kw))


def assert_close_ember(a, b) -> None:  # noqa: ANN001
    if isinstance(a, (tuple, list)):
        for x, y in zip(a, b):
            assert_close_ember(x, y)
        return
    if isinstance(a, ember.Tensor):
        np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())
    else:
        assert a == b


@pytest.mark.parametrize("row", [r for r in ROWS if r.inplace], ids=_id)
def test_inplace(row: _oi.OpInfo) -> None:
    for s in _samples(row, row.dtypes[-1]):
        first = s.args[0]
        if not isinstance(first, np.ndarray):
            continue
        rest = s.args[1:]
        try:
            shape = np.broadcast_shapes(*[a.shape for a in s.args if isinstance(a, np.ndarray)])
        except ValueError:
            continue
        if shape != first.shape:
            continue  # in-place needs the result to fit self

        def f(m, x, *r, **kw):  # noqa: ANN001, ANN202
            y = x.clone()
            v = y._version
            res = getattr(y, row.name + "_")(*r, **kw)
            assert res is y
            if m is ember:
                assert y._version > v
            return y

        try:
            torch_ok = True
            run_both(f, first, *rest, rtol=row.rtol, atol=row.atol, **s.kwargs)
        except RuntimeError:
            torch_ok = False
        if not torch_ok:
            raises_both(f, first, *rest, **s.kwargs)


@pytest.mark.parametrize("row", [r for r in ROWS if r.out], ids=_id)
def test_out(row: _oi.OpInfo) -> None:
    for s in _samples(row, row.dtypes[-1]):
        def f(m, *a, **kw):  # noqa: ANN001, ANN202
            ref = row.call(m, *a, **kw)
            if not isinstance(ref, m.Tensor):
                return ref
            out = m.empty(0, dtype=ref.dtype)
            res = row.call(m, *a, out=out, **kw)
            assert res is out
            return out

        try:  # samples whose overload has no out= in torch are not out= tests
            f(torch, *[_build(torch, a, False) for a in s.args],
              **{k: _build(torch, v, False) for k, v in s.kwargs.items()})
        except TypeError:
            continue
        run_both(f, *s.args, rtol=row.rtol, atol=row.atol, **s.kwargs)


@pytest.mark.parametrize("row", [r for r in ROWS if r.error_samples], ids=_id)
def test_errors(row: _oi.OpInfo) -> None:
    for s in row.error_samples(np.random.default_rng(0)):
        raises_both(lambda m, *a, kw=s.kwargs: row.call(m, *a, **{k: _build(m, v, False)
                                                                 for k, v in kw.items()}),
                    *s.args)


def test_every_row_is_a_registered_op() -> None:
    for r in ROWS:
        assert r.name in ember._ops.OPS or hasattr(ember.Tensor, r.name), r.name


_ = (assert_close, torch)
