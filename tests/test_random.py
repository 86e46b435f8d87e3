"""Generators and random sampling ops: reproducibility, shapes/dtypes/errors against torch,
distribution checks (the streams differ from torch's by design), in-place semantics."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import ember
import ember.cuda as ecuda
from ember import _random as R
from tests.harness import raises_both, torch

N = 20000  # samples for distribution checks: 4-5 sigma tolerances below


def _gen(m):
    """A fresh Generator of module m (ember's until ember/__init__ exports Generator)."""
    return m.Generator() if m is torch else R.Generator()


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def same_meta(fn, *, grad_fn=True):
    """fn(module) on ember and torch: same shape, dtype, device type, requires_grad, grad_fn."""
    t = fn(torch)
    e = fn(ember)
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert e.device.type == t.device.type
    assert e.requires_grad == t.requires_grad
    if grad_fn:
        assert (e.grad_fn.name() if e.grad_fn is not None else None) == _name(t)
    return e, t


# ------------------------------------------------------------------ generators
def test_manual_seed_reproducible():
    g = R.manual_seed(123)
    assert g is R.default_generator and R.initial_seed() == 123
    a = ember.rand(5), ember.randn(3), ember.randint(0, 10, (4,)), ember.randperm(6)
    R.manual_seed(123)
    b = ember.rand(5), ember.randn(3), ember.randint(0, 10, (4,)), ember.randperm(6)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    R.manual_seed(124)
    assert not np.array_equal(ember.rand(5).numpy(), a[0].numpy())


def test_generator_object():
    g = R.Generator()
    assert g.device == ember.device("cpu")
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    x = ember.rand(4, generator=g)
    R.manual_seed(0)
    before = R.get_rng_state()
    g.manual_seed(7)
    y = ember.rand(4, generator=g)
    np.testing.assert_array_equal(x.numpy(), y.numpy())
    # drawing from g leaves the default generator untouched
    np.testing.assert_array_equal(R.get_rng_state().numpy(), before.numpy())
    s = g.seed()
    assert 0 <= s < 2**64 and g.initial_seed() == s


def test_seed_conversion_matches_torch():
    for s in (0, 1, -1, 2**63 - 1, -(2**63), 2**64 - 1, 3.7, True):
        assert R.Generator().manual_seed(s).initial_seed() == \
            torch.Generator().manual_seed(int(s)).initial_seed()
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            torch.manual_seed(bad)
        with pytest.raises(ValueError):
            R.manual_seed(bad)
    with pytest.raises(ValueError):
        R.manual_seed("a")
    assert R.manual_seed(ember.tensor(5)).initial_seed() == 5
    s = R.seed()
    assert R.initial_seed() == s and 0 <= s < 2**64


def test_state_roundtrip():
    g = R.Generator().manual_seed(99)
    ember.rand(3, generator=g)
    st = g.get_state()
    assert st.dtype is ember.uint8 and st.dim() == 1
    a = ember.randn(10, generator=g)
    assert g.set_state(st) is g
    b = ember.randn(10, generator=g)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert g.initial_seed() == 99
    # module-level state of the default generator
    st = R.get_rng_state()
    a = ember.rand(6)
    R.set_rng_state(st)
    np.testing.assert_array_equal(a.numpy(), ember.rand(6).numpy())
    # state is a copy: editing it does not change the generator
    st2 = g.get_state()
    st2.zero_()
    ember.rand(2, generator=g)


def test_state_errors_like_torch():
    for e_bad, t_bad, exc in (([1, 2], [1, 2], TypeError),
                              (ember.zeros(64), torch.zeros(5056), TypeError),
                              (ember.zeros(5, dtype=ember.uint8),
                               torch.zeros(5, dtype=torch.uint8), RuntimeError)):
        with pytest.raises(exc):
            torch.set_rng_state(t_bad)
        with pytest.raises(exc):
            R.set_rng_state(e_bad)
    bogus = ember.zeros(R.default_generator.get_state().numel(), dtype=ember.uint8)
    with pytest.raises(RuntimeError):
        R.set_rng_state(bogus)


def test_generator_devices():
    with pytest.raises(RuntimeError):
        torch.Generator(device="meta")
    with pytest.raises(RuntimeError):
        R.Generator(device="meta")
    assert R.Generator(ember.device("cpu")).device.type == "cpu"
    if not ecuda.is_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            R.Generator("cuda")


def test_generator_pickle_and_clone():
    g = R.Generator().manual_seed(5)
    ember.rand(2, generator=g)
    g2 = pickle.loads(pickle.dumps(g))
    g3 = g.clone_state()
    assert g2.initial_seed() == 5 == g3.initial_seed()
    a = ember.rand(4, generator=g).numpy()
    np.testing.assert_array_equal(ember.rand(4, generator=g2).numpy(), a)
    np.testing.assert_array_equal(ember.rand(4, generator=g3).numpy(), a)


def test_fork_rng():
    R.manual_seed(1)
    with R.fork_rng():
        ember.rand(100)
    a = ember.rand(3)
    R.manual_seed(1)
    np.testing.assert_array_equal(a.numpy(), ember.rand(3).numpy())
    with R.fork_rng(enabled=False):
        pass


def test_generator_argument_checks():
    raises_both(lambda m: m.rand(3, generator=1))
    g = R.Generator()
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type"):
        from ember.ops.random import _np_gen

        _np_gen(g, ember.device("cuda", 0))


# ------------------------------------------------------------------ factories
@pytest.mark.parametrize("fn", [
    lambda m: m.rand(2, 3), lambda m: m.rand((2, 3)), lambda m: m.rand([4]),
    lambda m: m.rand(size=(2, 3)), lambda m: m.rand(()), lambda m: m.rand(0, 3),
    lambda m: m.rand(3, dtype=m.float64), lambda m: m.rand(3, dtype=m.float16),
    lambda m: m.rand(3, dtype=m.bfloat16), lambda m: m.rand(3, dtype=m.complex64),
    lambda m: m.rand(3, requires_grad=True), lambda m: m.randn(2, 2),
    lambda m: m.randn(2, dtype=m.complex128), lambda m: m.randn(4, dtype=m.bfloat16),
    lambda m: m.randn(3, requires_grad=True, dtype=m.float64),
    lambda m: m.randint(5, (3,)), lambda m: m.randint(3, 10, (2, 2)),
    lambda m: m.randint(3, 10, size=(2,)), lambda m: m.randint(low=3, high=10, size=(2,)),
    lambda m: m.randint(high=10, size=(2,)), lambda m: m.randint(10, size=(2,)),
    lambda m: m.randint(0, 10, (3,), dtype=m.float32),
    lambda m: m.randint(0, 2, (3,), dtype=m.bool),
    lambda m: m.randint(0, 256, (3,), dtype=m.uint8),
    lambda m: m.randint(-(2**63), 2**63 - 1, (3,)),
    lambda m: m.randperm(5), lambda m: m.randperm(0), lambda m: m.randperm(5, dtype=m.float32),
    lambda m: m.randperm(3, dtype=m.float32, requires_grad=True),
    lambda m: m.randperm(128, dtype=m.int8), lambda m: m.randperm(256, dtype=m.uint8),
    lambda m: m.randperm(2049, dtype=m.float16),
    lambda m: m.rand_like(m.zeros(2, 3)), lambda m: m.rand_like(m.zeros(2), dtype=m.float64),
    lambda m: m.randn_like(m.zeros(2, 3, dtype=m.float16)),
    lambda m: m.rand_like(m.zeros(2, requires_grad=True)),
    lambda m: m.randn_like(m.zeros(2), requires_grad=True),
    lambda m: m.randint_like(m.zeros(3, dtype=m.int64), 5),
    lambda m: m.randint_like(m.zeros(3, dtype=m.int32), 2, 5),
    lambda m: m.randint_like(m.zeros(3), low=2, high=5),
    lambda m: m.randint_like(m.zeros(3), high=5, requires_grad=True),
    lambda m: m.normal(0.0, 1.0, (2, 3)), lambda m: m.normal(2, 3, (2,)),
    lambda m: m.normal(0.0, 1.0, size=(2,), dtype=m.float64),
    lambda m: m.normal(0.0, 1.0, size=(2,), requires_grad=True),
    lambda m: m.normal(m.zeros(3), 1.0), lambda m: m.normal(m.zeros(3, dtype=m.float16), 2.0),
    lambda m: m.normal(m.zeros(3)), lambda m: m.normal(mean=m.zeros(3)),
    lambda m: m.normal(1.0, m.ones(2, dtype=m.float64)),
    lambda m: m.normal(m.zeros(3), m.ones(2, 3)),
    lambda m: m.normal(m.zeros(2, dtype=m.float64), m.ones(2)),
    lambda m: m.normal(m.zeros(3, requires_grad=True), 1.0),
    lambda m: m.normal(0.0, m.ones(3, requires_grad=True)),
    lambda m: m.normal(m.zeros(3, requires_grad=True), m.ones(3, requires_grad=True)),
    lambda m: m.bernoulli(m.full((2, 3), 0.5)),
    lambda m: m.bernoulli(m.full((3,), 0.5, dtype=m.float64)),
    lambda m: m.bernoulli(m.full((3,), 0.5), 0.3),
    lambda m: m.bernoulli(m.zeros(3, dtype=m.int64), p=0.5),
    lambda m: m.bernoulli(m.full((3,), 0.5, requires_grad=True) * 1),
    lambda m: m.full((3,), 0.5).bernoulli(),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3, True),
    lambda m: m.multinomial(m.ones(4, 5), 2),
    lambda m: m.multinomial(m.ones(0, 3), 1),
    lambda m: m.multinomial(m.tensor([1.0, 2.0], dtype=m.float16), 1),
    lambda m: m.ones(3, 4).multinomial(4),
    lambda m: m.poisson(m.ones(2, 3)), lambda m: m.poisson(m.ones(3, dtype=m.float16)),
    lambda m: m.poisson(m.ones(3, requires_grad=True) * 2),
])
def test_shapes_dtypes_like_torch(fn):
    same_meta(fn)


@pytest.mark.parametrize("fn", [
    lambda m: m.rand(2, 3, device="meta"), lambda m: m.randn(3, dtype=m.float16, device="meta"),
    lambda m: m.randint(4, (2,), device="meta"), lambda m: m.randperm(4, device="meta"),
    lambda m: m.normal(0.0, 1.0, (2,), device="meta"),
    lambda m: m.normal(m.empty(2, 3, device="meta"), 1.0),
    lambda m: m.bernoulli(m.empty(2, 3, device="meta")),
    lambda m: m.multinomial(m.empty(2, 3, device="meta"), 2),
    lambda m: m.poisson(m.empty(2, 3, device="meta")),
    lambda m: m.rand_like(m.empty(2, 3, device="meta")),
    lambda m: m.rand(3, generator=_gen(m), device="meta"),
    lambda m: m.empty(2, 3, device="meta").uniform_(),
    lambda m: m.empty(2, 3, device="meta").bernoulli_(0.3),
    lambda m: m.empty(2, 3, device="meta").normal_(),
])
def test_meta_device(fn):
    e, t = same_meta(fn)
    assert repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("fn", [
    lambda m: m.rand(3, dtype=m.int64), lambda m: m.randn(3, dtype=m.int64),
    lambda m: m.rand(3, dtype=m.bool), lambda m: m.rand_like(m.zeros(2, dtype=m.int64)),
    lambda m: m.randn_like(m.zeros(2, dtype=m.int64)),
    lambda m: m.rand(-1), lambda m: m.rand(2.5),
    lambda m: m.randint(5, 5, (3,)), lambda m: m.randint(10, 3),
    lambda m: m.randint(0, 300, (3,), dtype=m.uint8),
    lambda m: m.randint(-1, 3, (3,), dtype=m.uint8),
    lambda m: m.randint(0, 10, (3,), dtype=m.bool),
    lambda m: m.randint(1.5, 10.2, (3,)), lambda m: m.randint(10, (3,), requires_grad=True),
    lambda m: m.randint(0, 2**63, (2,)),
    lambda m: m.randperm(-1), lambda m: m.randperm(3.5),
    lambda m: m.randperm(300, dtype=m.uint8), lambda m: m.randperm(200, dtype=m.int8),
    lambda m: m.randperm(3, dtype=m.bool), lambda m: m.randperm(2050, dtype=m.float16),
    lambda m: m.randperm(3, requires_grad=True),
    lambda m: m.normal(m.zeros(3), m.ones(4)), lambda m: m.normal(m.zeros(6), m.ones(2, 3)),
    lambda m: m.normal(0.0, -1.0, (2,)), lambda m: m.normal(m.zeros(2), -1.0),
    lambda m: m.normal(m.zeros(2), m.tensor([1.0, -1.0])),
    lambda m: m.normal(0.0, m.tensor([1.0, -1.0])),
    lambda m: m.normal(m.zeros(2, dtype=m.int64), 1.0), lambda m: m.normal(0.0, 1.0),
    lambda m: m.normal(m.zeros(2, 2), 1.0, (4,)),
    lambda m: m.bernoulli(m.tensor([1.5])), lambda m: m.bernoulli(m.tensor([0.5]), 1.5),
    lambda m: m.bernoulli(m.tensor([1, 0])), lambda m: m.bernoulli(m.tensor([True])),
    lambda m: m.bernoulli(m.zeros(2, dtype=m.complex64), 0.5),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 0),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), -1),
    lambda m: m.multinomial(m.tensor([0.2, 0.8]), 3),
    lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    lambda m: m.multinomial(m.tensor([-1.0, 1.0]), 1),
    lambda m: m.multinomial(m.tensor([float("nan"), 1.0]), 1),
    lambda m: m.multinomial(m.tensor([float("inf"), 1.0]), 1),
    lambda m: m.multinomial(m.tensor(1.0), 1), lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    lambda m: m.multinomial(m.tensor([1, 2]), 1), lambda m: m.multinomial(m.ones(3, 0), 1),
    lambda m: m.multinomial(m.tensor([[0.0, 1.0], [0.0, 0.0]]), 1),
    lambda m: m.multinomial(m.ones(3), 2, out=m.zeros(2, dtype=m.int32)),
    lambda m: m.poisson(m.tensor([-1.0])), lambda m: m.poisson(m.tensor([float("nan")])),
    lambda m: m.poisson(m.tensor([1, 2])),
])
def test_errors_like_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raises_both(fn)


def test_error_messages():
    cases = [
        (lambda m: m.rand(3, dtype=m.int64), '"check_uniform_bounds" not implemented'),
        (lambda m: m.randint(5, 5, (3,)), "from=5 >= to=5"),
        (lambda m: m.randint(0, 300, (3,), dtype=m.uint8),
         "to - 1 is out of bounds for unsigned char"),
        (lambda m: m.normal(0.0, -1.0, (2,)), "normal expects std >= 0.0, but found std -1"),
        (lambda m: m.normal(m.zeros(3), m.ones(4)),
         "The size of tensor a (3) must match the size of tensor b (4)"),
        (lambda m: m.bernoulli(m.tensor([0.5]), 1.5), "bernoulli_ expects p to be in [0, 1]"),
        (lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
        (lambda m: m.randperm(2050, dtype=m.float16), "n cannot be greater than 2049"),
        (lambda m: m.zeros(3).uniform_(2, 1), "but found from=2 > to=1"),
        (lambda m: m.zeros(3).exponential_(0), "exponential_ expects lambda > 0.0"),
        (lambda m: m.zeros(3).geometric_(1.5), "geometric_ expects p to be in (0, 1), but got "
                                               "p=1.5"),
        (lambda m: m.zeros(3).log_normal_(1, 0), "log_normal_ expects std > 0.0, but found std=0"),
        (lambda m: m.zeros(3).cauchy_(0, -1), "cauchy_ expects sigma > 0.0"),
        (lambda m: m.zeros(3, dtype=m.int8).random_(-2**40, 2),
         "from is out of bounds for signed char"),
        (lambda m: m.zeros(2).random_(2**24 + 1, None), "'to_inc' casted to dtype"),
    ]
    for fn, msg in cases:
        with pytest.raises(Exception) as t:
            fn(torch)
        assert msg in str(t.value), (msg, str(t.value))
        raises_both(fn, match=msg)


def test_out_argument():
    o = ember.zeros(3, dtype=ember.float64)
    r = ember.rand(3, out=o)
    assert r is o and o.dtype is ember.float64 and (o.numpy() < 1).all()
    o = ember.zeros(2)
    v = o._version
    ember.randn(5, out=o)
    assert o.shape == (5,) and o._version > v
    o = ember.zeros(3, dtype=ember.int32)
    ember.randint(5, (3,), out=o)
    assert o.dtype is ember.int32 and ((o.numpy() >= 0) & (o.numpy() < 5)).all()
    o = ember.zeros(3)
    ember.randint(5, (3,), out=o)
    assert o.dtype is ember.float32
    o = ember.zeros(2, dtype=ember.int64)
    ember.randperm(3, out=o)
    assert sorted(o.tolist()) == [0, 1, 2]
    o = ember.zeros(3, dtype=ember.float64)
    ember.normal(0.0, 1.0, (3,), out=o)
    o2 = ember.zeros(3)
    assert ember.normal(ember.zeros(3), 1.0, out=o2) is o2
    o = ember.zeros(3, dtype=ember.int64)
    ember.bernoulli(ember.ones(3), out=o)
    assert o.tolist() == [1, 1, 1]
    o = ember.zeros(2, dtype=ember.int64)
    ember.multinomial(ember.ones(3), 2, out=o)
    assert len(set(o.tolist())) == 2
    raises_both(lambda m: m.rand(2, out=m.zeros(2, dtype=m.int64)))


# ------------------------------------------------------------------ distributions
def _z(mean, expected, std):
    """|sample mean - expected| in standard errors."""
    return abs(mean - expected) / (std / np.sqrt(N))


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "bfloat16"])
def test_rand_randn_distribution(dt):
    R.manual_seed(0)
    d = getattr(ember, dt)
    u = ember.rand(N, dtype=d).float().numpy()
    assert u.min() >= 0 and u.max() < 1
    assert _z(u.mean(), 0.5, np.sqrt(1 / 12)) < 5
    assert len(np.unique(u)) > (200 if dt == "bfloat16" else 1000)
    z = ember.randn(N, dtype=d).float().numpy()
    assert _z(z.mean(), 0.0, 1.0) < 5 and abs(z.std() - 1) < 0.05


def test_complex_generation():
    R.manual_seed(0)
    z = ember.randn(N, dtype=ember.complex64).numpy()
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.05
    assert abs(z.real.std() - np.sqrt(0.5)) < 0.03 and abs(z.imag.std() - np.sqrt(0.5)) < 0.03
    u = ember.rand(N, dtype=ember.complex128).numpy()
    assert (u.real >= 0).all() and (u.imag < 1).all() and abs(u.imag.mean() - 0.5) < 0.02
    x = ember.zeros(N, dtype=ember.complex64).normal_(2.0, 2.0).numpy()
    assert abs(x.real.mean() - 2) < 0.1 and abs(x.imag.mean() - 2) < 0.1
    assert abs(x.real.std() - np.sqrt(2)) < 0.05


def test_randint_randperm_values():
    R.manual_seed(0)
    x = ember.randint(-3, 4, (N,)).numpy()
    assert set(np.unique(x)) == set(range(-3, 4))
    x = ember.randint(0, 2, (100,), dtype=ember.bool).numpy()
    assert x.dtype == np.bool_ and x.any() and not x.all()
    big = ember.randint(-(2**63), 2**63 - 1, (1000,)).numpy()
    assert big.min() < -(2**60) and big.max() > 2**60
    p = ember.randperm(1000).numpy()
    assert sorted(p.tolist()) == list(range(1000)) and p.tolist() != list(range(1000))
    p = ember.randperm(2049, dtype=ember.float16).float().numpy()
    assert sorted(p.tolist()) == [float(i) for i in range(2049)]


def test_normal_overloads_values():
    R.manual_seed(0)
    mean = ember.tensor([0.0, 100.0])
    s = ember.normal(mean.expand(N // 2, 2), 2.0).numpy()
    assert _z(s[:, 1].mean(), 100, 2) < 5 and abs(s[:, 0].std() - 2) < 0.1
    s = ember.normal(ember.tensor([0.0, 10.0]), ember.tensor([[1.0, 0.0]] * (N // 2))).numpy()
    assert (s[:, 1] == 10).all() and abs(s[:, 0].std() - 1) < 0.05
    s = ember.normal(5.0, ember.full((N,), 3.0)).numpy()
    assert _z(s.mean(), 5, 3) < 5 and abs(s.std() - 3) < 0.1
    s = ember.normal(-1.0, 0.5, (N,)).numpy()
    assert _z(s.mean(), -1, 0.5) < 5
    assert ember.normal(3.0, 0.0, (4,)).tolist() == [3.0] * 4


def test_normal_zero_gradient_like_torch():
    cases = [
        lambda m, a, b: m.normal(a, 1.0),
        lambda m, a, b: m.normal(0.0, b),
        lambda m, a, b: m.normal(a, b),
        lambda m, a, b: m.normal(a.expand(4, 3), b),
        lambda m, a, b: m.poisson(b * 2),
        lambda m, a, b: m.bernoulli(a * 0 + 0.5),
    ]
    for fn in cases:
        grads = []
        for m in (ember, torch):
            a = m.zeros(3, requires_grad=True)
            b = m.ones(3, requires_grad=True)
            out = fn(m, a * 1, b * 1)
            (out * 3).sum().backward()
            grads.append([None if x.grad is None else x.grad.tolist() for x in (a, b)])
        assert grads[0] == grads[1]


def test_bernoulli_values():
    R.manual_seed(0)
    p = ember.tensor([0.0, 0.25, 1.0]).expand(N, 3)
    x = ember.bernoulli(p).numpy()
    assert (x[:, 0] == 0).all() and (x[:, 2] == 1).all()
    assert _z(x[:, 1].mean(), 0.25, np.sqrt(0.25 * 0.75)) < 5
    x = ember.zeros(N, dtype=ember.int64).bernoulli_(0.7).numpy()
    assert set(np.unique(x)) == {0, 1} and _z(x.mean(), 0.7, np.sqrt(0.21)) < 5
    x = ember.zeros(4, N, dtype=ember.bool).bernoulli_(ember.tensor([[0.0], [0.5], [1.0], [0.1]]))
    x = x.numpy()
    assert not x[0].any() and x[2].all() and _z(x[1].mean(), 0.5, 0.5) < 5
    x = ember.full((N,), 0.9).bernoulli(0.2).numpy()
    assert _z(x.mean(), 0.2, 0.4) < 5
    raises_both(lambda m: m.zeros(3).bernoulli_(m.tensor([[0.1, 0.5, 1.0]])))
    raises_both(lambda m: m.zeros(3).bernoulli_(m.tensor([0, 1, 1])))
    raises_both(lambda m: m.zeros(3).bernoulli_(m.tensor([0.1, 1.5, 1.0])))
    raises_both(lambda m: m.zeros(3).bernoulli_(-0.1))


def test_multinomial_values():
    R.manual_seed(0)
    p = ember.tensor([0.1, 0.0, 0.6, 0.3])
    x = ember.multinomial(p, N, replacement=True).numpy()
    counts = np.bincount(x, minlength=4) / N
    assert counts[1] == 0 and abs(counts[2] - 0.6) < 0.02 and abs(counts[0] - 0.1) < 0.01
    # without replacement: distinct categories; first draw follows p
    rows = ember.multinomial(ember.tensor([[1.0, 2.0, 7.0, 0.0]]).expand(N // 4, 4), 3).numpy()
    assert all(len(set(r)) == 3 for r in rows.tolist()) and (rows != 3).all()
    first = np.bincount(rows[:, 0], minlength=4) / len(rows)
    assert abs(first[2] - 0.7) < 0.03
    # more samples than positive categories: zero-probability ones come last (torch does too)
    x = ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 3).tolist()
    assert x[0] == 0 and sorted(x) == [0, 1, 2]
    # large batch path (loop over rows)
    big = ember.multinomial(ember.rand(64, 300) + 0.01, 300, replacement=True)
    assert tuple(big.shape) == (64, 300) and big.max().item() < 300


def test_poisson_and_inplace_distributions():
    R.manual_seed(0)
    x = ember.poisson(ember.full((N,), 4.0)).numpy()
    assert _z(x.mean(), 4, 2) < 5 and (x == np.round(x)).all()
    x = ember.poisson(ember.tensor([0.0, 1e20, float("inf")])).numpy()
    assert x[0] == 0 and abs(x[1] / 1e20 - 1) < 1e-6 and np.isinf(x[2])
    t = ember.zeros(N)
    assert _z(t.exponential_(2.0).numpy().mean(), 0.5, 0.5) < 5 and t.numpy().min() >= 0
    g = t.geometric_(0.25).numpy()
    assert g.min() >= 1 and _z(g.mean(), 4, np.sqrt(0.75) / 0.25) < 5
    c = t.cauchy_(3.0, 1.0).numpy()
    assert abs(np.median(c) - 3) < 0.1
    ln = t.log_normal_(1.0, 0.5).numpy()
    assert (ln > 0).all() and abs(np.median(np.log(ln)) - 1) < 0.03
    u = t.uniform_(-2, 3).numpy()
    assert u.min() >= -2 and u.max() < 3 and _z(u.mean(), 0.5, 5 / np.sqrt(12)) < 5
    nm = t.normal_(10, 0.1).numpy()
    assert _z(nm.mean(), 10, 0.1) < 5
    ti = ember.zeros(N, dtype=ember.int32).geometric_(0.5).numpy()
    assert ti.dtype == np.int32 and ti.min() >= 1


@pytest.mark.parametrize("dt,hi", [("float32", 2**24), ("float64", 2**53), ("float16", 2**11),
                                   ("bfloat16", 2**8), ("int8", 127), ("uint8", 255),
                                   ("int16", 2**15 - 1), ("int32", 2**31 - 1),
                                   ("int64", 2**63 - 1), ("bool", 1)])
def test_random_default_ranges(dt, hi):
    x = ember.zeros(4000, dtype=getattr(ember, dt)).random_()
    v = x.float().numpy().astype(np.float64) if dt in ("bfloat16", "float16") else x.numpy()
    v = v.astype(object) if dt == "int64" else v
    assert min(v) >= 0 and max(v) <= hi
    assert max(v) > hi / 2 or dt == "bool"
    if dt == "bool":
        assert v.any() and not v.all()
    same_meta(lambda m: m.zeros(4, dtype=getattr(m, dt)).random_())


def test_random_from_to():
    x = ember.zeros(N).random_(10).numpy()
    assert set(np.unique(x)) == set(range(10))
    x = ember.zeros(N, dtype=ember.int64).random_(-5, 5).numpy()
    assert x.min() == -5 and x.max() == 4
    x = ember.zeros(100, dtype=ember.int8).random_(100, None).numpy()
    assert x.min() >= 100
    x = ember.zeros(100, dtype=ember.int64).random_(**{"from": 2, "to": 4}).numpy()
    assert set(np.unique(x)) <= {2, 3}
    x = ember.zeros(100).random_(to=3).numpy()
    assert set(np.unique(x)) <= {0, 1, 2}
    x = ember.zeros(100, dtype=ember.int64).random_(-(2**63), None).numpy()
    assert x.min() < 0 < x.max()
    raises_both(lambda m: m.zeros(3, dtype=m.int64).random_(-5))
    raises_both(lambda m: m.zeros(3, dtype=m.complex64).random_())
    raises_both(lambda m: m.zeros(3, dtype=m.bool).random_(0, 3))
    raises_both(lambda m: m.zeros(3, dtype=m.float16).random_(-70000, 5))
    raises_both(lambda m: m.zeros(3, dtype=m.int64).random_(0, 2**63))
    for fn in (lambda m: m.zeros(2).random_(0, 2**30), lambda m: m.zeros(2).random_(-2**25, 0),
               lambda m: m.zeros(2, dtype=m.float16).random_(0, 5000)):
        for m in (torch, ember):
            with pytest.warns(UserWarning, match="out of bounds"):
                fn(m)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.zeros(2).random_(0, 2**24 + 1)
        ember.zeros(2, dtype=ember.float64).random_(0, 2**40)


@pytest.mark.parametrize("meth,args", [("uniform_", ()), ("normal_", ()), ("random_", ()),
                                       ("exponential_", ()), ("geometric_", (0.5,)),
                                       ("cauchy_", ()), ("log_normal_", ()),
                                       ("bernoulli_", ())])
@pytest.mark.parametrize("dt", ["float32", "int64", "complex64", "bool", "float16"])
def test_inplace_dtype_support_like_torch(meth, args, dt):
    def fn(m):
        return getattr(m.zeros(3, dtype=getattr(m, dt)), meth)(*args)

    try:
        t = fn(torch)
    except Exception:
        raises_both(fn)
        return
    e = fn(ember)
    assert e.dtype is getattr(ember, dt) and tuple(e.shape) == tuple(t.shape)


def test_inplace_semantics():
    x = ember.zeros(4, 6)
    v = x._version
    assert x.uniform_() is x and x._version == v + 1
    # a non-contiguous view: only its elements change
    x = ember.zeros(4, 6)
    x[:, ::2].normal_()
    assert (x.numpy()[:, 1::2] == 0).all() and (x.numpy()[:, ::2] != 0).all()
    y = ember.zeros(6, 4).t()
    y.uniform_(1, 2)
    assert (y.numpy() >= 1).all()
    x = ember.zeros(3, dtype=ember.float16).uniform_(5, 6).float().numpy()
    assert ((x >= 5) & (x <= 6)).all()
    raises_both(lambda m: m.zeros(2).expand(3, 2).uniform_())
    raises_both(lambda m: m.zeros(3, requires_grad=True).uniform_())
    raises_both(lambda m: m.zeros(3, requires_grad=True)[:2].normal_())
    with ember.no_grad():
        p = ember.zeros(3, requires_grad=True)
        p.uniform_()
    assert p.requires_grad and p.grad_fn is None and (p.detach().numpy() > 0).any()


@pytest.mark.parametrize("call", [
    lambda y: y.uniform_(), lambda y: y.normal_(), lambda y: y.random_(),
    lambda y: y.random_(5), lambda y: y.random_(0, 5), lambda y: y.bernoulli_(),
    lambda y: y.exponential_(), lambda y: y.geometric_(0.5), lambda y: y.cauchy_(),
    lambda y: y.log_normal_(),
])
def test_inplace_history_like_torch(call):
    names = []
    for m in (ember, torch):
        a = m.ones(3, requires_grad=True)
        y = a * 2
        call(y)
        names.append(y.grad_fn.name() if m is ember else type(y.grad_fn).__name__)
        y.sum().backward()  # the sampled values get a zero gradient
        assert a.grad.tolist() == [0.0, 0.0, 0.0]
    assert names[0] == names[1]


def test_inplace_on_view_of_nonleaf():
    grads = []
    for m in (ember, torch):
        a = m.ones(4, requires_grad=True)
        b = a * 3
        b[1:3].uniform_()
        b.sum().backward()
        grads.append(a.grad.tolist())
    assert grads[0] == grads[1] == [3.0, 0.0, 0.0, 3.0]
    names = []
    for m in (ember, torch):
        a = m.ones(3, requires_grad=True)
        y = a * 2
        y.bernoulli_(m.full((3,), 0.5, requires_grad=True))
        names.append(y.grad_fn.name() if m is ember else type(y.grad_fn).__name__)
    assert names[0] == names[1] == "BernoulliBackward1"


def test_bernoulli_scalar_p_grad_not_implemented():
    x = ember.full((3,), 0.5, requires_grad=True)
    y = ember.bernoulli(x, 0.5)
    assert y.requires_grad and y.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="not implemented"):
        y.sum().backward()


def test_default_generator_used_per_op_and_generator_kw():
    ops = [lambda **k: ember.rand(3, **k), lambda **k: ember.randn(3, **k),
           lambda **k: ember.randint(0, 9, (3,), **k), lambda **k: ember.randperm(5, **k),
           lambda **k: ember.normal(0.0, 1.0, (3,), **k),
           lambda **k: ember.normal(ember.zeros(3), 1.0, **k),
           lambda **k: ember.bernoulli(ember.full((3,), 0.5), **k),
           lambda **k: ember.multinomial(ember.ones(5), 3, **k),
           lambda **k: ember.poisson(ember.ones(3), **k),
           lambda **k: ember.rand_like(ember.zeros(3), **k),
           lambda **k: ember.randint_like(ember.zeros(3), 9, **k),
           lambda **k: ember.zeros(3).uniform_(**k), lambda **k: ember.zeros(3).normal_(**k),
           lambda **k: ember.zeros(3).random_(**k), lambda **k: ember.zeros(3).bernoulli_(**k),
           lambda **k: ember.zeros(3).exponential_(**k),
           lambda **k: ember.zeros(3).geometric_(0.3, **k),
           lambda **k: ember.zeros(3).cauchy_(**k), lambda **k: ember.zeros(3).log_normal_(**k)]
    for op in ops:
        R.manual_seed(42)
        a = op().tolist()
        R.manual_seed(42)
        assert op().tolist() == a
        g = R.Generator().manual_seed(42)
        st = R.get_rng_state().numpy().copy()
        b = op(generator=g).tolist()
        assert np.array_equal(R.get_rng_state().numpy(), st)  # default untouched
        assert b == a  # a generator seeded like the default draws the same numbers


def test_registry_entries():
    from ember.ops._registry import METHODS, OPS

    for name in ("rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
                 "poisson", "rand_like", "randn_like", "randint_like"):
        assert name in OPS
    for name in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_",
                 "cauchy_", "log_normal_", "bernoulli", "multinomial"):
        assert name in METHODS
        assert hasattr(ember.Tensor, name)
    for name in ("normal", "poisson", "rand"):
        assert not hasattr(ember.Tensor, name) and not hasattr(torch.Tensor, name)
