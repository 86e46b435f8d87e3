"""Logical and bitwise ops: operators (reflected, in-place), scalar-first forms, out= of
other dtypes, and errors; compared against torch."""

import numpy as np
import pytest

from tests.harness import raises_both, run_both

rng = np.random.default_rng(0)
IA = rng.integers(-8, 9, (3, 4))
J = rng.integers(-8, 9, (3, 4))
U = rng.integers(0, 256, (3, 4)).astype(np.uint8)
B = rng.random((3, 4)) < 0.5
F = np.where(rng.random((3, 4)) < 0.3, 0, rng.uniform(-2, 2, (3, 4))).astype(np.float32)


@pytest.mark.parametrize("fn", [
    lambda m, a, b: a & b, lambda m, a, b: a | b, lambda m, a, b: a ^ b, lambda m, a, b: ~a,
    lambda m, a, b: 3 & a, lambda m, a, b: 3 | a, lambda m, a, b: -2 ^ a,
    lambda m, a, b: a & True, lambda m, a, b: a[0] | b,
])
def test_bitwise_operators(fn):
    run_both(fn, IA, J)
    run_both(fn, U, U[::-1].copy())
    run_both(fn, B, B[::-1].copy())


@pytest.mark.parametrize("fn", [
    lambda m, a, b: a << (b & 7), lambda m, a, b: a >> (b & 7), lambda m, a, b: 3 << (b & 7),
    lambda m, a, b: 100 >> (b & 7), lambda m, a, b: a << 2, lambda m, a, b: a >> 1,
    lambda m, a, b: m.bitwise_left_shift(5, b & 7), lambda m, a, b: m.bitwise_right_shift(-64, b & 7),
    lambda m, a, b: m.bitwise_and(5, b), lambda m, a, b: m.bitwise_xor(True, b),
])
def test_shift_operators_and_scalar_first_forms(fn):
    run_both(fn, IA, J)
    run_both(fn, U, U[::-1].copy())


def test_in_place_operators_return_self():
    def f(m, a, b):
        outs = []
        for op in ("__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__"):
            t = a.clone()
            v = t._version
            r = getattr(t, op)(b & 3)
            assert r is t and t._version == v + 1
            outs.append(t)
        c = a.clone()
        c &= 6
        c |= 1
        c ^= b
        c <<= 2
        c >>= 1
        return outs, c

    run_both(f, IA, J)


def test_in_place_needs_a_castable_result():
    raises_both(lambda m, a: a.clone().__iand__(1.5), IA, match="can't be cast")
    raises_both(lambda m, a, b: a.clone().bitwise_or_(b), B, IA, match="can't be cast")
    run_both(lambda m, a, b: a.clone().bitwise_left_shift_(b & 3), U, IA)  # int64 into uint8
    raises_both(lambda m, a, b: a.clone().__ilshift__(b), B, IA)


def test_unsupported_operands():
    raises_both(lambda m, a: a | None, IA)
    raises_both(lambda m, a: a & "x", IA)
    raises_both(lambda m, f: f & f, F)
    raises_both(lambda m, f: ~f, F, match="only implemented on integer and Boolean")
    raises_both(lambda m, f: f << 1, F)
    raises_both(lambda m, b: b << b, B)


def test_logical_ops_take_any_dtype_and_write_any_out():
    for d in ("float32", "int32", "uint8", "bool", "float64"):
        run_both(lambda m, a, b, d=d: m.logical_and(a, b, out=m.empty(0, dtype=getattr(m, d))),
                 F, IA)
        run_both(lambda m, a, d=d: m.logical_not(a, out=m.empty(0, dtype=getattr(m, d))), F)
    run_both(lambda m, a, b: m.logical_xor(a, b), F, B)
    run_both(lambda m, a, b: (a.clone().logical_or_(b), b.clone().logical_and_(a)), F, B)
    run_both(lambda m, a: a.clone().logical_not_(), IA)


def test_logical_results_do_not_require_grad():
    def f(m, a, b):
        a.requires_grad_(True)
        outs = (m.logical_and(a, b), m.logical_not(a), a.logical_xor(b))
        assert not any(o.requires_grad for o in outs)
        return outs

    run_both(f, F, F[::-1].copy())


def test_shift_edge_cases():
    a = np.array([1, -1, 5, -8, 127], np.int8)
    for s in (-1, 0, 6, 7, 8, 9, 100):
        run_both(lambda m, x, s=s: (x << s, x >> s), a)
    u = np.array([1, 255, 128], np.uint8)
    for s in (0, 7, 8, 300):
        run_both(lambda m, x, s=s: (x << s, x >> s), u)
    run_both(lambda m, x: (x << 63, x >> 63, x >> 64, x << -3), np.array([1, -1, 3]))
