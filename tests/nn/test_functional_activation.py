"""nn.functional activations against torch: values, dtypes, gradients, gradcheck, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional  # noqa: F401
from tests.harness import as_dtype, gradcheck, noncontig, raises_both, run_both, torch

rng = np.random.default_rng(0)


def X(*shape: int, lo: float = -4, hi: float = 4, dtype: str = "float32") -> np.ndarray:
    return np.asarray(rng.uniform(lo, hi, shape).astype(dtype))


# name -> callable(m, x): m is ember or torch
ACTS = {
    "relu": lambda m, x: m.nn.functional.relu(x),
    "relu6": lambda m, x: m.nn.functional.relu6(x),
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu_tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "mish": lambda m, x: m.nn.functional.mish(x),
    "tanh": lambda m, x: m.nn.functional.tanh(x),
    "sigmoid": lambda m, x: m.nn.functional.sigmoid(x),
    "leaky_relu": lambda m, x: m.nn.functional.leaky_relu(x, 0.2),
    "elu": lambda m, x: m.nn.functional.elu(x, alpha=0.7),
    "selu": lambda m, x: m.nn.functional.selu(x),
    "celu": lambda m, x: m.nn.functional.celu(x, alpha=1.3),
    "hardswish": lambda m, x: m.nn.functional.hardswish(x),
    "hardsigmoid": lambda m, x: m.nn.functional.hardsigmoid(x),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x, -0.5, 2.0),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "softplus_beta": lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=3.0),
    "softsign": lambda m, x: m.nn.functional.softsign(x),
    "tanhshrink": lambda m, x: m.nn.functional.tanhshrink(x),
    "logsigmoid": lambda m, x: m.nn.functional.logsigmoid(x),
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.5, -2.0),
    "glu": lambda m, x: m.nn.functional.glu(x, 1),
    "glu_last": lambda m, x: m.nn.functional.glu(x),
    "softmax": lambda m, x: m.nn.functional.softmax(x, 1),
    "softmax0": lambda m, x: m.nn.functional.softmax(x, 0),
    "log_softmax": lambda m, x: m.nn.functional.log_softmax(x, -1),
    "log_softmax0": lambda m, x: m.nn.functional.log_softmax(x, 0),
    "softmin": lambda m, x: m.nn.functional.softmin(x, 1),
    "hardshrink": lambda m, x: m.nn.functional.hardshrink(x, 0.7),
    "softshrink": lambda m, x: m.nn.functional.softshrink(x),
    "rrelu_eval": lambda m, x: m.nn.functional.rrelu(x, 0.1, 0.3),
}


@pytest.mark.parametrize("name", list(ACTS))
def test_forward_backward_vs_torch(name: str) -> None:
    fn = ACTS[name]
    run_both(fn, X(4, 6), grad=True)
    run_both(fn, X(3, 4, 2, dtype="float64"), grad=True)
    run_both(fn, noncontig(X(4, 6)), grad=True)


@pytest.mark.parametrize("name", list(ACTS))
def test_gradcheck(name: str) -> None:
    x = X(3, 4)
    if name.startswith(("hardtanh", "relu", "threshold", "hardswish", "hardsigmoid", "hardshrink",
                        "softshrink")):
        x = x + np.sign(x - 0.5) * 0.05  # away from the kinks
        x[np.abs(x - 3) < 0.05] += 0.2
        x[np.abs(x + 3) < 0.05] += 0.2
    gradcheck(ACTS[name], x)


DOUBLE = ["gelu", "gelu_tanh", "silu", "mish", "elu", "celu", "selu", "softplus", "logsigmoid",
          "glu", "softmax", "log_softmax", "hardswish"]


@pytest.mark.parametrize("name", DOUBLE)
def test_double_backward_vs_torch(name: str) -> None:
    fn = ACTS[name]
    x = X(3, 4, dtype="float64")
    w = X(3, 4 if not name.startswith("glu") else 2, dtype="float64")

    def second(m):  # d/dx of <grad_x(<f(x), w>), w>
        t = m.tensor(x, requires_grad=True)
        (g,) = m.autograd.grad((fn(m, t) * m.tensor(w)).sum(), t, create_graph=True)
        (gg,) = m.autograd.grad((g * m.tensor(x)).sum(), t)
        return g.detach(), gg

    run_both(lambda m: second(m))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softmax", "log_softmax", "elu",
                                  "hardtanh", "softplus", "logsigmoid", "mish", "glu"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_dtypes(name: str, dtype: str) -> None:
    run_both(ACTS[name], as_dtype(X(4, 6), dtype), grad=True)


@pytest.mark.parametrize("name", ["gelu", "silu", "softmax", "log_softmax", "elu", "relu6",
                                  "softplus", "hardswish", "threshold"])
def test_empty_and_0d(name: str) -> None:
    run_both(ACTS[name] if "softmax" not in name else
             (lambda m, x: m.nn.functional.softmax(x, -1)), X(0, 6), grad=True)
    if not name.startswith("glu"):
        f = ACTS[name] if "softmax" not in name else (lambda m, x: m.softmax(x, 0))
        run_both(f, X(), grad=True)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "threshold", "tanh", "sigmoid",
                                  "softsign", "tanhshrink", "gelu", "silu", "elu", "softmax",
                                  "log_softmax", "softplus", "mish", "leaky_relu", "hardswish",
                                  "logsigmoid", "selu", "celu", "hardsigmoid"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_inputs(name: str, dtype: str) -> None:
    x = np.asarray(rng.integers(-3, 3, (2, 4)).astype(dtype))
    try:
        ACTS[name](torch, torch.tensor(x))
    except Exception:
        raises_both(ACTS[name], x)
        return
    run_both(ACTS[name], x)


def test_softmax_extremes() -> None:
    a = np.array([[1.0, 2.0, 3.0], [-200.0, -201.0, -250.0], [1e4, -1e4, 0.0],
                  [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    run_both(lambda m, x: m.softmax(x, 1), a)
    run_both(lambda m, x: m.log_softmax(x, 1), a)
    b = np.array([[1.0, np.inf, 0.0], [1.0, 2.0, 3.0], [np.nan, 0.0, 1.0]], np.float32)
    run_both(lambda m, x: m.softmax(x, 1), b)
    run_both(lambda m, x: m.log_softmax(x, 1), b)
    run_both(lambda m, x: m.softmax(x, 1), a.astype(np.float64), grad=True)
    big = X(8, 700, lo=-30, hi=30)
    run_both(lambda m, x: m.nn.functional.log_softmax(x, 1), big, grad=True)
    run_both(lambda m, x: m.nn.functional.softmax(x, 1), big, grad=True)


def test_softmax_api() -> None:
    x = X(2, 3, 4)
    run_both(lambda m, t: (m.softmax(t, 1), t.softmax(-1), t.log_softmax(0), m.log_softmax(t, 2)),
             x, grad=True)
    run_both(lambda m, t: m.nn.functional.softmax(t, 1, dtype=m.float64), x, grad=True)
    run_both(lambda m, t: m.nn.functional.log_softmax(t, 2, dtype=m.float64), x, grad=True)
    run_both(lambda m, t: m.nn.functional.softmin(t, 2, dtype=m.float64), x, grad=True)
    run_both(lambda m, t: m.nn.functional.softmax(t, 0, dtype=m.float32),
             np.arange(5).astype(np.int64))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        e = ember.nn.functional.softmax(ember.tensor(x))
    with pytest.warns(UserWarning):
        t = torch.nn.functional.softmax(torch.tensor(x))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    raises_both(lambda m, t: m.softmax(t, 3), x)
    raises_both(lambda m, t: m.nn.functional.log_softmax(t, -4), x)
    assert ember.nn.functional.softmax(ember.tensor(x, requires_grad=True), 1).grad_fn.name() \
        == "SoftmaxBackward0"
    assert ember.log_softmax(ember.tensor(x, requires_grad=True), 1).grad_fn.name() \
        == "LogSoftmaxBackward0"


def test_grad_fn_names() -> None:
    for name in ["relu", "relu6", "gelu", "silu", "mish", "leaky_relu", "elu", "selu", "celu",
                 "hardswish", "hardsigmoid", "hardtanh", "softplus", "softsign", "tanhshrink",
                 "logsigmoid", "threshold", "glu", "softmax", "log_softmax"]:
        e = ACTS[name](ember, ember.tensor(X(2, 4), requires_grad=True))
        t = ACTS[name](torch, torch.tensor(X(2, 4), requires_grad=True))
        assert e.grad_fn.name() == t.grad_fn.name(), name


@pytest.mark.parametrize("name", ["relu", "relu6", "elu", "selu", "celu", "leaky_relu",
                                  "hardtanh", "threshold", "silu", "mish", "hardswish",
                                  "hardsigmoid"])
def test_inplace(name: str) -> None:
    kw = {"elu": dict(alpha=0.5), "celu": dict(alpha=0.5), "leaky_relu": dict(negative_slope=0.1),
          "hardtanh": dict(min_val=-0.5, max_val=0.5)}.get(name, {})
    args = (0.5, 3.0) if name == "threshold" else ()

    def f(m, x):
        y = x * 2
        r = getattr(m.nn.functional, name)(y, *args, inplace=True, **kw)
        assert r is y
        return y

    run_both(f, X(3, 5), grad=True)
    ip = {"relu": "relu_", "elu": "elu_", "selu": "selu_", "celu": "celu_",
          "leaky_relu": "leaky_relu_", "hardtanh": "hardtanh_", "threshold": "threshold_"}
    if name in ip:
        run_both(lambda m, x: getattr(m.nn.functional, ip[name])(x.clone(), *args), X(3, 5))


def test_top_level_functions() -> None:
    x = X(3, 4)
    run_both(lambda m, t: (m.selu(t), m.celu(t, 0.5), m.threshold(t, 0.1, 20.0),
                           m.prelu(t, m.tensor([0.1, 0.2, 0.3, 0.4])), t.prelu(t[0].abs())),
             x, grad=True)
    run_both(lambda m, t: (m.selu_(t.clone()), m.celu_(t.clone()), m.threshold_(t.clone(), 0., 1.)),
             x)


def test_prelu() -> None:
    for shape, wn in [((3, 4, 5), 4), ((3, 4, 5), 1), ((2, 3), 3), ((5,), 1), ((2, 3, 2, 2), 3)]:
        run_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(*shape), X(wn), grad=True)
        gradcheck(lambda m, x, w: m.nn.functional.prelu(x, w), X(*shape), X(wn))
    run_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(), X(1), grad=True)
    raises_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(2, 3), X(2))
    raises_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(3), X(3))
    raises_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(2, 3), X(3, 1))
    raises_both(lambda m, x, w: m.nn.functional.prelu(x, w), X(2, 3), X(3, dtype="float64"))


def test_errors() -> None:
    raises_both(lambda m, x: m.nn.functional.glu(x, 1), X(2, 3), match="Halving dimension")
    raises_both(lambda m, x: m.nn.functional.glu(x), X())
    raises_both(lambda m, x: m.nn.functional.gelu(x, approximate="fast"), X(2))
    raises_both(lambda m, x: m.nn.functional.hardtanh(x, 2.0, 1.0), X(2))
    raises_both(lambda m, x: m.nn.functional.celu(x, 0.0), X(2))
    with pytest.raises(TypeError):
        ember.nn.functional.gelu([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        ember.nn.functional.elu(ember.ones(2, requires_grad=True), inplace=True)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_accuracy_float32(approximate: str) -> None:
    x = np.linspace(-12, 12, 150001).astype(np.float32)  # several cache blocks
    xe = ember.tensor(x, requires_grad=True)
    e = ember.nn.functional.gelu(xe, approximate=approximate)
    e.sum().backward()
    xt = torch.tensor(x.astype(np.float64), requires_grad=True)
    t = torch.nn.functional.gelu(xt, approximate=approximate)
    t.sum().backward()
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=2e-6, atol=2e-6)


def test_gelu_float32_edges_match_torch() -> None:
    # NaN at both infinities (torch's float32 kernel), -0 far left, never a positive tail value
    x = np.array([-np.inf, np.inf, np.nan, -40, -10, -6, -5.5, 0, 10, 40], dtype=np.float32)
    e = ember.nn.functional.gelu(ember.tensor(x)).numpy()
    t = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=1.3e-6, atol=2e-7)
    assert (e <= 0)[4:7].all() and np.signbit(e[3:6]).all()


def test_shrink_rrelu_extras() -> None:
    run_both(lambda m, x: (m.hardshrink(x, 0.3), x.hardshrink(), m.rrelu(x, 0.2, 0.4)), X(3, 4),
             grad=True)
    raises_both(lambda m, x: m.nn.functional.softshrink(x, -1.0), X(3))
    raises_both(lambda m, x: m.nn.functional.hardshrink(x), np.arange(3))
    ember.manual_seed(0)
    x = ember.tensor(X(2000), requires_grad=True)
    y = ember.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    ratio = (y / x).detach().numpy()
    neg = x.detach().numpy() <= 0
    assert (ratio[~neg] == 1).all() and (ratio[neg] >= 0.1).all() and (ratio[neg] <= 0.3).all()
    assert ratio[neg].std() > 0.03  # slopes are random
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ratio, rtol=1e-6)
    z = x.detach().clone()
    assert ember.nn.functional.rrelu(z, inplace=True) is z
