"""Transformer encoder/decoder layers and stacks vs torch with identical weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from tests.harness import assert_close, raises_both, torch

RNG = np.random.default_rng(5)


def r(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def build(m: object, name: str, *args: object, layers: int = 0, **kw: object) -> object:
    """m.nn.<name>(...), or a stack of `layers` copies of it with a final LayerNorm."""
    act = kw.get("activation")
    if act == "fn:gelu":
        kw["activation"] = m.nn.functional.gelu
    elif act == "module:tanh":
        kw["activation"] = m.nn.Tanh()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = getattr(m.nn, name)(*args, **kw)
        if layers:
            stack = name.replace("Layer", "")
            mod = getattr(m.nn, stack)(mod, layers, norm=m.nn.LayerNorm(args[0]))
    return mod


def pair(name: str, *args: object, **kw: object) -> tuple:
    tm = build(torch, name, *args, **dict(kw))
    em = build(ember, name, *args, **dict(kw))
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def compare(tm: object, em: object, arrays: tuple, grad: bool = True, **kw: object) -> object:
    """Forward both on the same inputs (masks in kw as arrays); compare values and grads."""
    def run(m: object, mod: object) -> tuple:
        xs = [m.tensor(a, requires_grad=grad) for a in arrays]
        kws = {k: (m.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
        out = mod(*xs, **kws)
        if grad:
            w = np.random.default_rng(0).standard_normal(tuple(out.shape)).astype(np.float32)
            (out * m.tensor(w)).sum().backward()
        return out, xs
    t_out, t_xs = run(torch, tm)
    e_out, e_xs = run(ember, em)
    assert_close(e_out, t_out, atol=2e-5)
    if grad:
        for a, b in zip(e_xs, t_xs):
            assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-4)
        for (n, p), (_, q) in zip(em.named_parameters(), tm.named_parameters()):
            assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-4, path=n)
    return e_out


@pytest.mark.parametrize("kw", [
    {},
    {"norm_first": True, "batch_first": True},
    {"activation": "gelu"},
    {"activation": "fn:gelu", "bias": False},
    {"activation": "module:tanh", "layer_norm_eps": 1e-3},
])
def test_encoder_layer(kw: dict) -> None:
    tm, em = pair("TransformerEncoderLayer", 8, 2, 16, 0.0, **kw)
    compare(tm, em, (r(5, 3, 8),))


def test_encoder_layer_masks() -> None:
    tm, em = pair("TransformerEncoderLayer", 8, 2, 16, 0.0, batch_first=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5).numpy()
    kpm = np.array([[False] * 5, [False, False, False, True, True], [False] * 4 + [True]])
    compare(tm, em, (r(3, 5, 8),), src_mask=causal, src_key_padding_mask=kpm)
    compare(tm, em, (r(3, 5, 8),), src_mask=causal, is_causal=True)
    compare(tm, em, (r(3, 5, 8),), src_key_padding_mask=kpm)
    compare(tm, em, (r(5, 8),), src_mask=causal)                       # unbatched


def test_encoder_stack_and_state_dict() -> None:
    tm, em = pair("TransformerEncoderLayer", 8, 2, 16, 0.0, layers=2)
    assert "layers.1.self_attn.out_proj.weight" in em.state_dict()
    assert repr(em) == repr(tm)
    causal = ember.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    compare(tm, em, (r(4, 2, 8),), mask=causal)
    compare(tm, em, (r(4, 2, 8),), mask=causal, is_causal=True)


def test_encoder_eval_padding_matches_torch_nested_path() -> None:
    tm, em = pair("TransformerEncoderLayer", 8, 2, 16, 0.1, batch_first=True, layers=2)
    tm.eval()
    em.eval()
    assert em.use_nested_tensor and tm.use_nested_tensor
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    x = r(2, 5, 8)
    with torch.no_grad(), ember.no_grad():
        out = compare(tm, em, (x,), grad=False, src_key_padding_mask=kpm)
    bias = em.norm.bias.detach().numpy()
    np.testing.assert_allclose(out.numpy()[1, 3:], np.broadcast_to(bias, (2, 8)), atol=1e-6)
    compare(tm, em, (x,), src_key_padding_mask=kpm)   # with grad: the regular path


def test_nested_tensor_warning() -> None:
    for m in (torch, ember):
        layer = m.nn.TransformerEncoderLayer(8, 2, 16)   # batch_first=False
        with pytest.warns(UserWarning, match="enable_nested_tensor is True"):
            enc = m.nn.TransformerEncoder(layer, 2)
        assert not enc.use_nested_tensor
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            m.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "batch_first": True},
                                {"activation": "gelu"}])
def test_decoder_layer(kw: dict) -> None:
    tm, em = pair("TransformerDecoderLayer", 8, 2, 16, 0.0, **kw)
    bf = kw.get("batch_first", False)
    tgt, mem = (r(3, 4, 8), r(3, 6, 8)) if bf else (r(4, 3, 8), r(6, 3, 8))
    compare(tm, em, (tgt, mem))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    mkpm = np.zeros((3, 6), bool)
    mkpm[1, 4:] = True
    compare(tm, em, (tgt, mem), tgt_mask=causal, memory_key_padding_mask=mkpm,
            tgt_is_causal=True)


def test_decoder_stack() -> None:
    tm, em = pair("TransformerDecoderLayer", 8, 2, 16, 0.0, layers=2)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    compare(tm, em, (r(4, 2, 8), r(5, 2, 8)), tgt_mask=causal)


def test_transformer() -> None:
    kw = {"d_model": 8, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 1,
          "dim_feedforward": 16, "dropout": 0.0, "batch_first": True}
    tm = torch.nn.Transformer(**kw)
    em = ember.nn.Transformer(**kw)
    assert list(em.state_dict()) == list(tm.state_dict())
    for p in em.parameters():   # xavier_uniform_ on every matrix
        a = p.detach().numpy()
        if a.ndim > 1:
            assert np.abs(a).max() <= np.sqrt(6 / sum(a.shape)) and a.std() > 0
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    causal = ember.nn.Transformer.generate_square_subsequent_mask(3).numpy()
    compare(tm, em, (r(2, 5, 8), r(2, 3, 8)), tgt_mask=causal)


def test_square_subsequent_mask() -> None:
    e = ember.nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    assert_close(e, t)


def test_dropout_in_training() -> None:
    em = ember.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ember.tensor(r(4, 2, 8))
    a, b = em(x), em(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    em.eval()
    np.testing.assert_array_equal(em(x).detach().numpy(), em(x).detach().numpy())


@pytest.mark.parametrize("case", [
    lambda m: m.nn.TransformerEncoderLayer(8, 2, activation="tanh"),
    lambda m: m.nn.TransformerEncoderLayer(8, 3),
    lambda m: m.nn.Transformer(8, 2, 1, 1, 16)(m.randn(4, 2, 8), m.randn(3, 3, 8)),
    lambda m: m.nn.Transformer(8, 2, 1, 1, 16)(m.randn(4, 2, 8), m.randn(3, 2, 6)),
    lambda m: m.nn.TransformerEncoderLayer(8, 2, 16)(m.randn(4, 2, 8),
                                                     src_mask=m.zeros(4, 4, dtype=m.int64)),
])
def test_errors(case: object) -> None:
    raises_both(case)
