"""The shipped example GPT (ember.examples.gpt) traced by both fx's: the real-world check."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.fx
from ember.examples.gpt import GPTConfig, gpt_class

from .test_symbolic_trace import _copy_weights, node_list

pytest.importorskip("torch")
import torch  # noqa: E402
import torch.fx  # noqa: E402

CFG = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)


@pytest.mark.parametrize("concrete", [None, {"targets": None}], ids=["train", "generate"])
def test_example_gpt_traces_like_torch_and_matches_eager(concrete: dict | None) -> None:
    tm, em = gpt_class(torch)(CFG), gpt_class(ember)(CFG)
    _copy_weights(tm, em)
    tg = torch.fx.symbolic_trace(tm, concrete_args=concrete)
    eg = ember.fx.symbolic_trace(em, concrete_args=concrete)
    assert node_list(eg, "ember") == node_list(tg, "torch")
    assert [n.name for n in eg.graph.nodes] == [n.name for n in tg.graph.nodes]
    rng = np.random.default_rng(0)
    idx, tgt = rng.integers(0, 11, (2, 8)), rng.integers(0, 11, (2, 8))
    args = (idx,) if concrete else (idx, tgt)
    e_out = eg(*[ember.tensor(a) for a in args])
    want = em(*[ember.tensor(a) for a in args])
    t_out = tg(*[torch.tensor(a) for a in args])
    for got, eager, ref in zip(e_out, want, t_out):
        if ref is None:
            assert got is None and eager is None
            continue
        np.testing.assert_array_equal(got.detach().numpy(), eager.detach().numpy())
        np.testing.assert_allclose(got.detach().numpy(), ref.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
    if not concrete:
        e_out[1].backward()
        t_out[1].backward()
        tgrads = dict(tm.named_parameters())
        for k, p in eg.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tgrads[k].grad.numpy(), rtol=1e-3,
                                       atol=1e-5, err_msg=k)
