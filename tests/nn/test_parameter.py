"""Parameter, Buffer and UninitializedParameter against torch."""

from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from ember.overrides import _PLAIN
from tests.harness import to_numpy, torch

A = np.arange(6, dtype=np.float32).reshape(2, 3)


def norm(s: str) -> str:
    return str(s).replace("torch.", "ember.")


def both(fn):
    return fn(ember), fn(torch)


def test_construction_repr_and_flags():
    def f(m):
        base = m.tensor(A)
        p = m.nn.Parameter(base)
        q = m.nn.Parameter(base, requires_grad=False)
        e = m.nn.Parameter()
        with m.no_grad():
            p.mul_(2)  # shares memory with the tensor it wraps
        return (norm(repr(p)), norm(repr(q)), norm(repr(e)), type(p).__name__, p.is_leaf,
                p.requires_grad, q.requires_grad, tuple(e.shape), str(e.dtype),
                to_numpy(base).tolist(), isinstance(p, m.Tensor), p.grad_fn is None)

    e, t = both(f)
    assert [norm(x) for x in e] == [norm(x) for x in t]


def test_ops_on_parameters_return_plain_tensors_with_grad():
    def f(m):
        p = m.nn.Parameter(m.tensor(A))
        y = (p * 2).sum()
        y.backward()
        return type(p * 2).__name__, type(p[0]).__name__, type(p.detach()).__name__, \
            to_numpy(p.grad).tolist(), y.grad_fn.name()

    e, t = both(f)
    assert e == t


def test_parameter_takes_the_fast_path():
    assert ember.nn.Parameter in _PLAIN  # no __torch_function__ round trip per op


def test_parameter_of_non_leaf_is_a_leaf():
    def f(m):
        x = m.tensor(A, requires_grad=True)
        p = m.nn.Parameter(x * 2)
        return p.is_leaf, p.grad_fn is None, p.requires_grad

    e, t = both(f)
    assert e == t


def test_deepcopy_and_pickle():
    def f(m):
        p = m.nn.Parameter(m.tensor(A), requires_grad=False)
        p.extra = "tag"
        c = copy.deepcopy(p)
        memo_same = copy.deepcopy([p, p])
        r = pickle.loads(pickle.dumps(p))
        return (type(c).__name__, c.requires_grad, getattr(c, "extra", None), c is not p,
                c.data_ptr() != p.data_ptr(), memo_same[0] is memo_same[1],
                type(r).__name__, r.requires_grad, getattr(r, "extra", None),
                to_numpy(r).tolist())

    e, t = both(f)
    assert e == t


def test_buffer_marker():
    def f(m):
        x = m.tensor(A, requires_grad=True)
        b = m.nn.Buffer(x, persistent=False)
        b2 = m.nn.Buffer()
        return (type(b).__name__, b.persistent, isinstance(b, m.nn.Buffer),
                isinstance(x, m.nn.Buffer), b.requires_grad, b.is_leaf, tuple(b2.shape),
                b2.persistent, isinstance(m.nn.Parameter(m.ones(1)), m.nn.Buffer))

    e, t = both(f)
    assert e == t


def test_parameter_type_errors():
    with pytest.raises(TypeError):
        ember.nn.Parameter([1.0, 2.0])
    with pytest.raises(RuntimeError):
        torch.nn.Parameter(torch.ones(2, dtype=torch.int64))
    with pytest.raises(RuntimeError):
        ember.nn.Parameter(ember.ones(2, dtype=ember.int64))
    p = ember.nn.Parameter(ember.ones(2, dtype=ember.int64), requires_grad=False)
    assert p.dtype is ember.int64


def test_uninitialized_parameter_materialize():
    def f(m):
        u = m.nn.UninitializedParameter()
        out = [repr(u), type(u).__name__, m.nn.parameter.is_lazy(u)]
        with pytest.raises(Exception) as info:
            u + 1
        out.append((type(info.value).__name__, "uninitialized parameter" in str(info.value)))
        out.append(str(u.to(m.float64).dtype).split(".")[-1])
        u.materialize((2, 3))
        out += [type(u).__name__, tuple(u.shape), u.requires_grad]
        return out

    e, t = both(f)
    assert e == t


def test_save_load_roundtrip_through_bytes():
    p = ember.nn.Parameter(ember.tensor(A))
    buf = io.BytesIO()
    pickle.dump({"p": p}, buf)
    buf.seek(0)
    q = pickle.load(buf)["p"]
    assert type(q) is ember.nn.Parameter and q.requires_grad
    np.testing.assert_array_equal(to_numpy(q), A)
