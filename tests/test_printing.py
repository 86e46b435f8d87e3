"""Tensor repr against torch's (the oracle), with 'torch.' read as 'ember.' in dtype names."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
from ember._tensor_str import get_printoptions, printoptions, set_printoptions
from tests.harness import torch


@pytest.fixture(autouse=True)
def _restore_options():
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    dflt_e, dflt_t = ember.get_default_dtype(), torch.get_default_dtype()
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    ember.set_default_dtype(dflt_e)
    torch.set_default_dtype(dflt_t)


def _opts(**kw):
    set_printoptions(**kw)
    torch.set_printoptions(**kw)


def check(a, dtype=None, fn=None):
    """repr of the same values (optionally cast, optionally transformed) in both libraries."""
    reprs = []
    for m in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = m.tensor(a)
            if dtype is not None:
                t = t.to(getattr(m, dtype))
        if fn is not None:
            t = fn(m, t)
        reprs.append(repr(t))
    want = reprs[0].replace("torch.", "ember.")
    assert reprs[1] == want, f"\nember:\n{reprs[1]}\ntorch:\n{want}"


EDGE = [
    [1.0, 2.0], [1, 2, 3], [True, False], [[0.1234, -1.0], [2.5, 3.0]], 3.0, 3, True, -0.0,
    [0.0, -0.0], [-0.0, 1.5], [float("nan")], [float("inf"), -float("inf"), float("nan")],
    [0.0, float("nan"), 1.0], [1e-5, 1.0], [1e8, 1.0], [1e9], [123456789.0], [1e-4, 1e-1],
    [0.1, 1000.0], [0.1, 100.0], [1e-300, 1e300], [1e100, -1e-100], [5e-324], [1.0, 1e-4],
    [2 ** 62, -(2 ** 63)], [-5, 100000], [0, 0], [0.0, 0.0], [9.99995, 0.5], [0.99995],
    [1 + 2j, -3.5 - 0.25j], [0j], [1e10 + 1e-10j], [complex(float("nan"), -1)], 2.5 - 1j,
    [[True], [True]], [[1.0, -2.0, 3.0]] * 4, [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
]


@pytest.mark.parametrize("a", EDGE, ids=[repr(x)[:30] for x in EDGE])
def test_edge_values(a):
    check(a)


@pytest.mark.parametrize("dt", ["float64", "float16", "bfloat16", "int32", "int8", "uint8",
                                "int16", "complex128", "bool"])
def test_dtypes(dt):
    check([[1.5, -2.25, 0.0], [3.0, 100.0, 7.0]] if dt not in ("uint8", "bool")
          else [[1, 0, 3], [4, 5, 0]], dt)
    check([1.0, 2.0], dt)
    check(2.0, dt)
    check([], dt)


def test_empty_and_zero_dim_shapes():
    check([])
    check([], "int64")
    check([], "float64")
    check([], "bool")
    for shape in [(0, 3), (2, 0), (0,), (2, 0, 4)]:
        for dt in ("float32", "int64", "float16"):
            check(np.zeros(shape, dtype=np.float32), dt)
    check(np.float32(4.5))
    check(np.int64(-7))


def _sample(rng, kind, shape):
    if kind == 0:
        return rng.standard_normal(shape).astype(np.float32)
    if kind == 1:
        return rng.standard_normal(shape) * 10.0 ** rng.integers(-9, 11)
    if kind == 2:
        return rng.integers(-1000, 1000, shape).astype(np.float32)
    if kind == 3:
        return rng.integers(-10 ** 12, 10 ** 12, shape)
    if kind == 4:
        return rng.random(shape) < 0.5
    if kind == 5:
        return (rng.standard_normal(shape) * np.exp(rng.uniform(-25, 25, shape)))
    if kind == 6:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape) * 50).astype(
            np.complex64)
    return rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf, 1.5, -2.0, 3.0, 1e-5, 7e7], shape)


@pytest.mark.parametrize("seed", range(6))
def test_random_small(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        nd = int(rng.integers(0, 5))
        shape = tuple(int(s) for s in rng.integers(1, 6 if nd < 3 else 4, nd))
        kind = int(rng.integers(0, 8))
        a = _sample(rng, kind, shape)
        check(a)
        if kind in (0, 1, 5, 7):
            check(a, "float16")
            check(a, "bfloat16")
            check(a, "float64")


@pytest.mark.parametrize("shape", [(1001,), (2000,), (40, 30), (3, 400), (1, 1, 1001),
                                   (11, 12, 13), (7, 8, 9, 10), (2, 3, 4, 5, 12)])
@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4, 6, 7])
def test_summarised(shape, kind):
    check(_sample(np.random.default_rng(sum(shape) + kind), kind, shape))


OPTIONS = [dict(precision=2), dict(precision=8), dict(precision=0), dict(threshold=5),
           dict(threshold=0), dict(edgeitems=1, threshold=10), dict(edgeitems=0, threshold=10),
           dict(edgeitems=5, threshold=20), dict(linewidth=40), dict(linewidth=10),
           dict(linewidth=200), dict(sci_mode=True), dict(sci_mode=False),
           dict(profile="short"), dict(profile="full"), dict(precision=3, sci_mode=True)]


@pytest.mark.parametrize("opt", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_print_options(opt):
    _opts(**opt)
    rng = np.random.default_rng(7)
    for shape in [(), (4,), (30,), (3, 5), (12, 11), (2, 3, 4), (25, 3, 2), (1200,)]:
        for kind in range(8):
            check(_sample(rng, kind, shape))


def test_set_printoptions_semantics():
    set_printoptions(precision=2)
    assert get_printoptions()["precision"] == 2
    set_printoptions(sci_mode=True)
    assert get_printoptions()["sci_mode"] is True
    set_printoptions(precision=3)  # like torch, every call resets sci_mode
    assert get_printoptions()["sci_mode"] is None
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    set_printoptions(profile="default")
    with printoptions(precision=1, linewidth=30):
        assert repr(ember.tensor([1.26])) == "tensor([1.3])"
    assert repr(ember.tensor([1.26])) == "tensor([1.2600])"
    assert ember.set_printoptions is set_printoptions


def test_suffixes():
    def grad_tensor(m, t):
        return t.requires_grad_(True)

    check([1.0, 2.0], fn=grad_tensor)
    check([1.0, 2.0], "float64", fn=grad_tensor)
    check([1.0, 2.0], fn=lambda m, t: t.requires_grad_(True) + 1)
    check([1.0, 2.0], fn=lambda m, t: t.requires_grad_(True) * 2)
    check([1.0, 2.0], "float16", fn=lambda m, t: t.requires_grad_(True).sum())
    check([], fn=grad_tensor)
    check(np.zeros((0, 2), np.float32), "float64", fn=grad_tensor)
    # long rows push the suffixes onto their own lines
    check(np.linspace(-1000, 1000, 9), "float64", fn=grad_tensor)
    check(np.linspace(-1000, 1000, 12), "bfloat16", fn=lambda m, t: t.requires_grad_(True) - 1)
    _opts(linewidth=30)
    check([1.0, 2.0], "float64", fn=lambda m, t: t.requires_grad_(True) * 2)
    _opts(edgeitems=0, threshold=3)
    check(np.arange(12.0).reshape(3, 4), "float64")


def test_meta():
    for shape, dt in [((2, 3), "float32"), ((), "float32"), ((0,), "int64"),
                      ((4,), "float64"), ((2, 2), "bool"), ((1,), "complex64")]:
        reprs = [repr(m.empty(shape, dtype=getattr(m, dt), device="meta"))
                 for m in (torch, ember)]
        assert reprs[1] == reprs[0].replace("torch.", "ember.")
    reprs = [repr(m.empty(2, device="meta", requires_grad=True)) for m in (torch, ember)]
    assert reprs[1] == reprs[0]


def test_default_dtype_changes_suffixes():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    check([1.0, 2.0])
    check([1.0, 2.0], "float32")
    check([1.0, 2.0], "complex128")
    check([1.0, 2.0], "complex64")
    check([], "float32")
    check([])
    reprs = [repr(m.empty(2, dtype=m.float32, device="meta")) for m in (torch, ember)]
    assert reprs[1] == reprs[0].replace("torch.", "ember.")


def test_views_print_their_values():
    a = np.arange(24.0, dtype=np.float32).reshape(4, 6) / 7
    check(a, fn=lambda m, t: t.t())
    check(a, fn=lambda m, t: t[:, ::2])
    check(a, fn=lambda m, t: t[1])
    check(a, fn=lambda m, t: t.expand(3, 4, 6))


def test_subclass_prefix_and_contents():
    class MyTensor(ember.Tensor):
        pass

    class TMyTensor(torch.Tensor):
        pass

    e = ember.tensor([1.0, 2.0]).as_subclass(MyTensor)
    t = torch.tensor([1.0, 2.0]).as_subclass(TMyTensor)
    assert repr(e).replace("MyTensor", "X") == repr(t).replace("TMyTensor", "X")
    from ember._tensor_str import tensor_repr

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert tensor_repr(x, tensor_contents="[...]") == "tensor([...], requires_grad=True)"
    assert str(ember.tensor([3, 4])) == "tensor([3, 4])"


def test_repr_does_not_touch_autograd_or_versions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    v = y._version
    repr(y)
    assert y._version == v and y.grad_fn.name() == "MulBackward0"


def test_large_tensor_print_is_fast():
    import time

    x = ember.zeros(2000, 2000)
    t0 = time.perf_counter()
    s = repr(x)
    assert time.perf_counter() - t0 < 1.0
    assert s == repr(torch.zeros(2000, 2000))
