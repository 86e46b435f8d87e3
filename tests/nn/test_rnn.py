"""RNN, LSTM, GRU and the cells vs torch with identical weights (copied through NumPy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import assert_close, raises_both, to_numpy, torch

RNG = np.random.default_rng(11)


def r(*shape: int, dtype: str = "float32") -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def pair(name: str, *args: object, dtype: str = "float32", **kw: object) -> tuple:
    """The same module in torch and ember, ember's weights loaded from torch's state_dict."""
    tm = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, dtype))
    em = getattr(ember.nn, name)(*args, **kw).to(getattr(ember, dtype))
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def flat(x: object) -> list:
    if isinstance(x, (tuple, list)):
        return [t for v in x for t in flat(v)]
    return [x]


def compare(tm: object, em: object, *arrays: object, rtol: float = 1.3e-6,
            atol: float = 1e-5) -> tuple:
    """Forward both modules on the same inputs; compare outputs, input and weight gradients."""
    def build(m: object, a: object) -> object:
        if a is None:
            return None
        if isinstance(a, tuple):
            return tuple(build(m, v) for v in a)
        return m.tensor(a, requires_grad=True)
    t_in = [build(torch, a) for a in arrays]
    e_in = [build(ember, a) for a in arrays]
    t_out, e_out = tm(*t_in), em(*e_in)
    assert_close(e_out, t_out, rtol, atol)
    t_outs, e_outs = flat(t_out), flat(e_out)
    ws = [r(*o.shape).astype(to_numpy(o).dtype) for o in t_outs]
    sum(((o * torch.tensor(w)).sum() for o, w in zip(t_outs, ws)), torch.zeros(())).backward()
    sum(((o * ember.tensor(w)).sum() for o, w in zip(e_outs, ws)), ember.zeros(())).backward()
    for i, (a, b) in enumerate(zip(flat(e_in), flat(t_in))):
        if b is not None:
            assert_close(a.grad, b.grad, rtol * 10, atol * 10, path=f"input[{i}].grad")
    for (name, p), (_, q) in zip(em.named_parameters(), tm.named_parameters()):
        assert_close(p.grad, q.grad, rtol * 10, atol * 10, path=f"{name}.grad")
    return e_out, t_out


# ------------------------------------------------------------------ sequence modules
CONFIGS = [
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 3, "bidirectional": True, "num_layers": 2}),
    ("GRU", {}),
    ("GRU", {"num_layers": 3, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False}),
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"nonlinearity": "relu", "batch_first": True}),
]


@pytest.mark.parametrize("name,kw", CONFIGS)
def test_sequence_module_matches_torch(name: str, kw: dict) -> None:
    tm, em = pair(name, 4, 6, **kw)
    x = r(2, 5, 4) if kw.get("batch_first") else r(5, 2, 4)
    e_out, _ = compare(tm, em, x)
    assert e_out[0].grad_fn is not None


@pytest.mark.parametrize("name,kw", CONFIGS[:2] + CONFIGS[3:6] + CONFIGS[7:])
def test_sequence_module_with_initial_state(name: str, kw: dict) -> None:
    tm, em = pair(name, 4, 6, **kw)
    nl = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h = kw.get("proj_size", 6)
    x = r(3, 4, 4) if kw.get("batch_first") else r(4, 3, 4)   # batch 3, length 4
    hx = (r(nl, 3, h), r(nl, 3, 6)) if name == "LSTM" else r(nl, 3, h)
    compare(tm, em, x, hx)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_unbatched_input(name: str) -> None:
    tm, em = pair(name, 3, 5, num_layers=2, bidirectional=True)
    compare(tm, em, r(6, 3))
    hx = (r(4, 5), r(4, 5)) if name == "LSTM" else r(4, 5)
    compare(tm, em, r(6, 3), hx)
    tm, em = pair(name, 3, 5, batch_first=True)
    compare(tm, em, r(6, 3))


def test_float64_and_one_step() -> None:
    tm, em = pair("LSTM", 3, 4, num_layers=2, dtype="float64")
    e_out, _ = compare(tm, em, r(1, 2, 3, dtype="float64"), rtol=1e-10, atol=1e-12)
    assert e_out[0].dtype is ember.float64
    tm, em = pair("GRU", 3, 4, dtype="float64")
    compare(tm, em, r(7, 1, 3, dtype="float64"), rtol=1e-10, atol=1e-12)


def test_empty_batch() -> None:
    tm, em = pair("LSTM", 3, 4)
    compare(tm, em, r(5, 0, 3))


def test_dropout_between_layers() -> None:
    tm, em = pair("GRU", 4, 5, num_layers=3, dropout=1.0)
    compare(tm, em, r(4, 2, 4))   # training, p=1: the layers above the first see zeros
    tm.eval()
    em.eval()
    compare(tm, em, r(4, 2, 4))   # eval: no dropout
    em.train()
    em.dropout = 0.5
    x = ember.tensor(r(4, 2, 4))
    ember.manual_seed(0)
    a = em(x)[0]
    ember.manual_seed(0)
    b = em(x)[0]
    c = em(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())
    a.sum().backward()
    assert em.weight_ih_l1.grad is not None


def test_parameters_init_and_repr() -> None:
    m = ember.nn.LSTM(10, 16, num_layers=2, bidirectional=True, proj_size=4)
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and len(names) == 20
    assert tuple(m.weight_ih_l1.shape) == (64, 8) and tuple(m.weight_hh_l0.shape) == (64, 4)
    bound = 1 / math.sqrt(16)
    for p in m.parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound and a.std() > bound / 3
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse
    for name, kw in (("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 4}),
                     ("GRU", {"batch_first": True, "dropout": 0.5, "num_layers": 2}),
                     ("RNN", {"nonlinearity": "relu", "bias": False}),
                     ("RNNCell", {"nonlinearity": "relu"}), ("GRUCell", {"bias": False})):
        assert repr(getattr(ember.nn, name)(10, 16, **kw)) == \
            repr(getattr(torch.nn, name)(10, 16, **kw))


def test_grad_fn_and_no_grad() -> None:
    m = ember.nn.LSTM(3, 4)
    out, (h, c) = m(ember.tensor(r(2, 1, 3)))
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0"   # torch's CPU LSTM node
    with ember.no_grad():
        out, (h, c) = m(ember.tensor(r(2, 1, 3)))
    assert out.grad_fn is None and not h.requires_grad


# ------------------------------------------------------------------ cells
@pytest.mark.parametrize("name,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                     ("RNNCell", {"nonlinearity": "relu"}),
                                     ("LSTMCell", {"bias": False}), ("GRUCell", {"bias": False})])
def test_cells_match_torch(name: str, kw: dict) -> None:
    tm, em = pair(name, 4, 5, **kw)
    compare(tm, em, r(3, 4))
    hx = (r(3, 5), r(3, 5)) if name == "LSTMCell" else r(3, 5)
    compare(tm, em, r(3, 4), hx)
    hx1 = (r(5), r(5)) if name == "LSTMCell" else r(5)
    compare(tm, em, r(4), hx1)   # unbatched


def test_cell_loop_matches_module() -> None:
    tm, em = pair("LSTMCell", 3, 4)
    x = r(5, 2, 3)

    def run(m: object, cell: object) -> object:
        xs = m.tensor(x, requires_grad=True)
        h = c = m.zeros(2, 4)
        hs = []
        for t in range(5):
            h, c = cell(xs[t], (h, c))
            hs.append(h)
        out = m.stack(hs).sum() + c.pow(2).sum()
        out.backward()
        return out, xs.grad
    assert_close(run(ember, em), run(torch, tm), atol=1e-5)


# ------------------------------------------------------------------ gradcheck (float64)
@pytest.mark.parametrize("name,kw", [("LSTM", {"proj_size": 2}), ("GRU", {}),
                                     ("RNN", {"bidirectional": True}),
                                     ("RNN", {"nonlinearity": "relu"})])
def test_gradcheck(name: str, kw: dict) -> None:
    m = getattr(ember.nn, name)(2, 3, **kw).double()
    h = kw.get("proj_size", 3)
    nd = 2 if kw.get("bidirectional") else 1
    x = ember.tensor(r(3, 2, 2, dtype="float64"), requires_grad=True)
    h0 = ember.tensor(r(nd, 2, h, dtype="float64"), requires_grad=True)
    params = tuple(m.parameters())
    if name == "LSTM":
        c0 = ember.tensor(r(nd, 2, 3, dtype="float64"), requires_grad=True)
        fn = lambda x, h0, c0, *ps: m(x, (h0, c0))  # noqa: E731
        assert ember.autograd.gradcheck(fn, (x, h0, c0) + params)
    else:
        assert ember.autograd.gradcheck(lambda x, h0, *ps: m(x, h0), (x, h0) + params)


def test_double_backward() -> None:
    m = ember.nn.GRU(2, 3).double()
    x = ember.tensor(r(3, 1, 2, dtype="float64"), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda x, w: m(x)[0], (x, m.weight_hh_l0))
    cell = ember.nn.LSTMCell(2, 3).double()
    assert ember.autograd.gradgradcheck(lambda x: cell(x)[1], (x[0],))


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("case", [
    lambda m: m.nn.LSTM(4, 5)(m.randn(3, 2, 3)),
    lambda m: m.nn.LSTM(4, 5)(m.randn(3, 2, 4), (m.randn(1, 2, 5), m.randn(1, 3, 5))),
    lambda m: m.nn.LSTM(4, 5)(m.randn(3, 2, 4), (m.randn(1, 2, 5), m.randn(2, 5))),
    lambda m: m.nn.LSTM(4, 5)(m.randn(3, 2, 4).double()),
    lambda m: m.nn.LSTM(4, 5)(m.randn(0, 2, 4)),
    lambda m: m.nn.GRU(4, 5)(m.randn(3, 2, 4), m.randn(2, 2, 5)),
    lambda m: m.nn.GRU(4, 5)(m.randn(3, 2, 4), m.randn(2, 5)),
    lambda m: m.nn.GRU(4, 5)(m.randn(3, 2, 4, 1)),
    lambda m: m.nn.RNN(4, 5)(m.randn(4), None),
    lambda m: m.nn.RNN(4, 5, nonlinearity="sigmoid"),
    lambda m: m.nn.GRU(4, 5, proj_size=2),
    lambda m: m.nn.LSTM(4, 5, proj_size=5),
    lambda m: m.nn.LSTM(4, 5, dropout=1.5),
    lambda m: m.nn.LSTM(4, 0),
    lambda m: m.nn.LSTM(4, 5, num_layers=0),
    lambda m: m.nn.LSTM(4.0, 5),
    lambda m: m.nn.RNNCell(4, 5)(m.randn(2, 3)),
    lambda m: m.nn.RNNCell(4, 5)(m.randn(2, 4), m.randn(3, 5)),
    lambda m: m.nn.RNNCell(4, 5)(m.randn(2, 4), m.randn(2, 6)),
    lambda m: m.nn.LSTMCell(4, 5)(m.randn(2, 4), (m.randn(2, 5), m.randn(3, 5))),
    lambda m: m.nn.GRUCell(4, 5)(m.randn(2, 2, 4)),
    lambda m: m.nn.GRUCell(4, 5)(m.randn(2, 4).double()),
])
def test_errors(case: object) -> None:
    raises_both(case)


def test_packed_sequence_not_supported() -> None:
    with pytest.raises(NotImplementedError, match="PackedSequence"):
        ember.nn.LSTM(2, 3)((ember.randn(3, 2), ember.tensor([3])))


def test_dropout_warning_single_layer() -> None:
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.GRU(2, 3, dropout=0.2)


def test_class_hierarchy_and_messages() -> None:
    assert not isinstance(ember.nn.GRU(2, 3), ember.nn.RNN)
    assert isinstance(ember.nn.LSTM(2, 3), ember.nn.RNNBase)
    for name in ("RNN", "GRU", "LSTM"):
        msgs = []
        for m in (torch, ember):
            with pytest.raises(ValueError) as info:
                getattr(m.nn, name)(2, 3)(m.randn(1, 1, 1, 2))
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]
