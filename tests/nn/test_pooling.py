"""Pooling against torch: max_pool1d/2d (indices, ceil_mode, dilation, NaN and -inf), avg_pool1d/2d
(ceil_mode, count_include_pad, divisor_override, integers), adaptive average and max pooling;
values, gradients, double backward, errors; the pooling layers and Flatten/Unflatten."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import as_dtype, gradcheck, noncontig, raises_both, run_both, to_numpy, torch

rng = np.random.default_rng(5)


def X(*shape: int, dtype: str = "float64") -> np.ndarray:
    return np.asarray(rng.standard_normal(shape).astype(dtype))


def _top(m, name: str):  # noqa: ANN001, ANN202
    """torch.<name>; ember's published op (ember.<name> once ember/__init__ re-reads the registry
    after importing nn)."""
    return getattr(m, name, None) or ember.ops.FUNCTIONS[name]


# ------------------------------------------------------------------ max pooling
MAX2D = [
    ((2, 3, 8, 9), (2,), {}),
    ((2, 3, 8, 9), (3,), dict(stride=2, padding=1)),
    ((2, 3, 9, 9), ((3, 2),), dict(stride=(2, 1), padding=(1, 1), dilation=(2, 3),
                                   ceil_mode=True)),
    ((3, 7, 9), (3,), dict(stride=2, ceil_mode=True)),  # unbatched
    ((1, 2, 5, 5), (2,), dict(ceil_mode=True)),
    ((2, 2, 7, 6), (3,), dict(stride=1, padding=1)),  # overlapping windows
    ((0, 2, 5, 5), (2,), {}),
]


@pytest.mark.parametrize("xs,args,kw", MAX2D)
def test_max_pool2d(xs: tuple, args: tuple, kw: dict) -> None:
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, *args, **kw), X(*xs), grad=True)
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, *args, return_indices=True, **kw),
             X(*xs), grad=True)
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, *args, **kw), noncontig(X(*xs)))


@pytest.mark.parametrize("xs,args,kw", [
    ((2, 3, 9), (3,), dict(stride=2, padding=1)), ((3, 9), (2,), dict(ceil_mode=True)),
    ((2, 3, 11), (3,), dict(dilation=2, stride=3, padding=1, ceil_mode=True)),
])
def test_max_pool1d(xs: tuple, args: tuple, kw: dict) -> None:
    e, _ = run_both(lambda m, x: m.nn.functional.max_pool1d(x, *args, **kw), X(*xs), grad=True)
    assert e.grad_fn.name() == "SqueezeBackward1"
    run_both(lambda m, x: m.nn.functional.max_pool1d(x, *args, return_indices=True, **kw),
             X(*xs), grad=True)
    run_both(lambda m, x: _top(m, "max_pool1d")(x, *args, **kw), X(*xs))
    run_both(lambda m, x: _top(m, "max_pool1d_with_indices")(x, *args, **kw), X(*xs))


def test_max_pool_special_values_ints_and_names() -> None:
    nan, inf = float("nan"), float("inf")
    x = np.array([[[[nan, 1.0, nan, 2.0], [0.0, -inf, 3.0, nan]]]])
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, (1, 4), return_indices=True), x)
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, 2, stride=1, return_indices=True), x)
    # a window of -inf only: the index is its first position inside the input
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, 2, padding=1, return_indices=True),
             np.full((1, 1, 3, 3), -inf))
    # ties: the first maximum in scan order
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, 3, stride=1, padding=1,
                                                     return_indices=True),
             np.ones((1, 2, 4, 4)), grad=True)
    ints = rng.integers(-9, 9, (2, 3, 6, 6))
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), ints)
    for dt in ("float16", "bfloat16"):
        run_both(lambda m, x: m.nn.functional.max_pool2d(x, 2), as_dtype(X(2, 3, 4, 4), dt),
                 grad=True)
    run_both(lambda m, x: m.nn.functional.max_pool2d(x, 2), X(2, 3, 4, 4, dtype="float32"),
             grad=True)
    run_both(lambda m, x: _top(m, "max_pool2d")(x, 3, (), 1), X(2, 3, 6, 6))
    e = ember.nn.functional.max_pool2d(ember.tensor(X(1, 1, 4, 4), requires_grad=True), 2)
    assert e.grad_fn.name() == "MaxPool2DWithIndicesBackward0"


# ------------------------------------------------------------------ average pooling
AVG2D = [
    ((2, 3, 8, 9), (2,), {}),
    ((2, 3, 8, 9), (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 8, 9), (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 3, 8, 9), ((3, 2),), dict(stride=(2, 3), padding=(1, 1), ceil_mode=True,
                                   divisor_override=5)),
    ((3, 8, 9), (3,), dict(stride=1)),
    ((1, 1, 5, 5), (4,), dict(stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
]


@pytest.mark.parametrize("xs,args,kw", AVG2D)
def test_avg_pool2d(xs: tuple, args: tuple, kw: dict) -> None:
    e, _ = run_both(lambda m, x: m.nn.functional.avg_pool2d(x, *args, **kw), X(*xs), grad=True)
    assert e.grad_fn.name() == "AvgPool2DBackward0"
    run_both(lambda m, x: m.nn.functional.avg_pool2d(x, *args, **kw), noncontig(X(*xs)))


def test_avg_pool1d_ints_and_half() -> None:
    e, _ = run_both(lambda m, x: m.nn.functional.avg_pool1d(x, 3, 2, 1, True, False),
                    X(2, 3, 9), grad=True)
    assert e.grad_fn.name() == "SqueezeBackward1"
    run_both(lambda m, x: _top(m, "avg_pool1d")(x, 2), X(3, 9), grad=True)
    ints = np.arange(32).reshape(1, 2, 4, 4) - 10
    for kw in (dict(), dict(count_include_pad=False), dict(divisor_override=3)):
        run_both(lambda m, x, kw=kw: m.nn.functional.avg_pool2d(x, 3, 2, 1, True, **kw), ints)
    run_both(lambda m, x: m.nn.functional.avg_pool2d(x, 2), as_dtype(X(2, 3, 4, 4), "float16"),
             grad=True)


# ------------------------------------------------------------------ adaptive pooling
ADAPTIVE = [((2, 3, 8, 9), (3, 4)), ((2, 3, 8, 9), 1), ((3, 7, 9), (5, None)),
            ((2, 2, 7, 9), (10, 13)), ((1, 2, 6, 6), 3), ((1, 2, 5, 7), (1, 3)),
            ((1, 2, 5, 7), 0)]


@pytest.mark.parametrize("xs,out", ADAPTIVE)
def test_adaptive_avg_pool2d(xs: tuple, out: object) -> None:
    e, t = run_both(lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, out), X(*xs),
                    grad=out != 0)  # torch's backward refuses an empty output
    if e.numel():
        assert e.grad_fn.name() == t.grad_fn.name()  # MeanBackward1 for output size 1


@pytest.mark.parametrize("xs,out", ADAPTIVE[:-1])
def test_adaptive_max_pool2d(xs: tuple, out: object) -> None:
    run_both(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, out, return_indices=True),
             X(*xs), grad=True)


def test_adaptive_1d() -> None:
    for out in (4, 1, (3,), 12):
        run_both(lambda m, x, o=out: m.nn.functional.adaptive_avg_pool1d(x, o), X(2, 3, 9),
                 grad=True)
        run_both(lambda m, x, o=out: m.nn.functional.adaptive_max_pool1d(x, o, True), X(3, 9),
                 grad=True)
    run_both(lambda m, x: _top(m, "adaptive_avg_pool1d")(x, 4), X(2, 3, 9))
    run_both(lambda m, x: _top(m, "adaptive_max_pool1d")(x, 4), X(2, 3, 9))
    run_both(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (2, 2)),
             np.ones((1, 1, 5, 5)), grad=True)


# ------------------------------------------------------------------ gradcheck, double backward
def test_gradcheck_and_double_backward() -> None:
    gradcheck(lambda m, x: m.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True), X(1, 2, 6, 7))
    gradcheck(lambda m, x: m.nn.functional.avg_pool2d(x, 3, 2, 1, True, False), X(1, 2, 6, 7))
    gradcheck(lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3, 4)), X(1, 2, 5, 7))
    gradcheck(lambda m, x: m.nn.functional.adaptive_max_pool2d(x, (3, 4)), X(1, 2, 5, 7))
    gradcheck(lambda m, x: m.nn.functional.max_pool1d(x, 2), X(2, 6))

    def second(m, fn):  # noqa: ANN001, ANN202
        def run(m):  # noqa: ANN001, ANN202
            x = m.tensor(X_D, requires_grad=True)
            y = fn(m.nn.functional, x)
            gy = m.tensor(np.sin(np.arange(y.numel())).reshape(tuple(y.shape)),
                          requires_grad=True)
            (gx,) = m.autograd.grad(y, x, gy, create_graph=True)
            (r,) = m.autograd.grad((gx * gx * m.tensor(X_D)).sum(), gy)
            return gx.detach(), r, gx.grad_fn.name()
        return run

    X_D = X(2, 2, 6, 7)
    for fn in (lambda F, x: F.max_pool2d(x, 3, 2, 1), lambda F, x: F.avg_pool2d(x, 3, 2, 1),
               lambda F, x: F.adaptive_avg_pool2d(x, (4, 3)),
               lambda F, x: F.adaptive_max_pool2d(x, (4, 3))):
        run_both(second(None, fn))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("fn,shape,msg", [
    (lambda m, x: m.nn.functional.max_pool2d(x, 3, padding=2), (2, 3, 8, 8),
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=3 and "
     "dilation=1"),
    (lambda m, x: m.nn.functional.max_pool2d(x, 9), (2, 3, 8, 8),
     "Given input size: (3x8x8). Calculated output size: (3x0x0). Output size is too small"),
    (lambda m, x: m.nn.functional.max_pool2d(x, (2, 2, 2)), (2, 3, 8, 8),
     "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda m, x: m.nn.functional.max_pool2d(x, 2, dilation=0), (2, 3, 8, 8),
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda m, x: m.nn.functional.max_pool2d(x, 2), (2, 3, 0, 8),
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
     "got:[2, 3, 0, 8]"),
    (lambda m, x: m.nn.functional.max_pool2d(x, 2), (3, 8), None),
    (lambda m, x: m.nn.functional.max_pool2d(x, 2, stride=0), (2, 3, 8, 8), None),
    (lambda m, x: m.nn.functional.max_pool1d(x, 3, padding=2), (2, 3, 8),
     "max_pool1d() padding should be at most half of kernel size, but got padding=2 and "
     "kernel_size=3"),
    (lambda m, x: m.nn.functional.max_pool1d(x, 2), (8,), None),
    (lambda m, x: m.nn.functional.avg_pool2d(x, 3, padding=2), (2, 3, 8, 8),
     "pad should be at most half of effective kernel size"),
    (lambda m, x: m.nn.functional.avg_pool2d(x, 2, divisor_override=0), (2, 3, 8, 8),
     "divisor must be not zero"),
    (lambda m, x: m.nn.functional.avg_pool2d(x, 2), (4, 8), None),
    (lambda m, x: m.nn.functional.avg_pool1d(x, 2), (8,),
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for avg_pool1d)"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 3), (4, 8),
     "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [4, 8]"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, (3,)), (2, 4, 8, 8),
     "adaptive_avg_pool2d: output_size must be 2"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, -1), (2, 4, 8, 8),
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
     "received {-1, -1}"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 3), (2, 4, 0, 8),
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
     "input has sizes [2, 4, 0, 8] with dimension 2 being empty"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool1d(x, (3, 4)), (2, 3, 8),
     "adaptive_avg_pool1d() argument 'output_size' should contain one int (got 2)"),
    (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x.long(), 3), (2, 3, 8, 8),
     "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    (lambda m, x: m.nn.functional.max_pool2d(x.bool(), 2), (2, 3, 8, 8),
     "\"max_pool2d\" not implemented for 'Bool'"),
])
def test_errors(fn, shape: tuple, msg: str | None) -> None:  # noqa: ANN001
    raises_both(fn, X(*shape, dtype="float32"), match=msg)


# ------------------------------------------------------------------ modules
@pytest.mark.parametrize("name,args,kw,xs", [
    ("MaxPool1d", (3,), dict(stride=2, padding=1), (2, 3, 9)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, dilation=1, ceil_mode=True), (2, 3, 8, 8)),
    ("MaxPool2d", ((2, 3),), dict(return_indices=True), (2, 3, 8, 9)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 9)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True, divisor_override=2),
     (2, 3, 8, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 8, 9)),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), (2, 3, 9)),
    ("AdaptiveMaxPool2d", (3,), {}, (2, 3, 8, 9)),
    ("Flatten", (), {}, (2, 3, 4, 5)),
    ("Flatten", (0, 2), {}, (2, 3, 4, 5)),
    ("Unflatten", (1, (2, 3)), {}, (4, 6, 5)),
    ("Unflatten", (-1, [5, -1]), {}, (4, 10)),
])
def test_modules(name: str, args: tuple, kw: dict, xs: tuple) -> None:
    e_mod, t_mod = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == []
    run_both(lambda m, x: (e_mod if m is ember else t_mod)(x), X(*xs), grad=True)


def test_unflatten_errors() -> None:
    for args in ((1, 2), (1, (2, 2.0))):
        for mod in (torch.nn, ember.nn):
            with pytest.raises(TypeError):
                mod.Unflatten(*args)
    x = X(2, 3)
    for m, t in ((torch, torch.tensor(x)), (ember, ember.tensor(x))):
        with pytest.raises(RuntimeError):
            m.nn.Unflatten(1, (2, 2))(t)
    assert to_numpy(ember.nn.Flatten()(ember.tensor(x))).shape == (2, 3)
