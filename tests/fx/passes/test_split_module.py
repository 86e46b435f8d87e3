"""split_module: partitions become submodules and the whole computes the same thing."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx.passes.split_module import split_module

from ..models import make_gpt, make_mlp


def test_split_mlp_in_two_matches_original() -> None:
    m = make_mlp(ember)
    gm = ember.fx.symbolic_trace(m)
    seen = {"n": 0}

    def part(node: ember.fx.Node) -> int:
        seen["n"] += 1
        return 0 if seen["n"] <= 10 else 1

    split = split_module(gm, m, part)
    split.graph.lint()
    calls = [n.target for n in split.graph.nodes if n.op == "call_module"]
    assert calls == ["submod_0", "submod_1"]
    x = ember.randn(4, 8)
    np.testing.assert_allclose(split(x).detach().numpy(), gm(x).detach().numpy(), rtol=1e-6)
    assert isinstance(split.submod_0, ember.fx.GraphModule)


def test_split_gpt_by_block_with_multiple_outputs() -> None:
    m = make_gpt(ember).eval()
    gm = ember.fx.symbolic_trace(m)

    state = {"part": 0}

    def by_block(node: ember.fx.Node) -> int:  # everything from block 1 on is partition 1
        if isinstance(node.target, str) and node.target.startswith("blocks.1"):
            state["part"] = 1
        return state["part"]

    split = split_module(gm, m, by_block)
    assert len(split.submod_0.graph.nodes) > 10 and len(split.submod_1.graph.nodes) > 10
    idx = ember.randint(0, 17, (2, 8))
    np.testing.assert_allclose(split(idx).detach().numpy(), gm(idx).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_cyclic_partitions_are_rejected() -> None:
    gm = ember.fx.symbolic_trace(lambda x: x.relu().exp().neg())
    order = iter([0, 1, 0])
    with pytest.raises(RuntimeError, match="cycle"):
        split_module(gm, gm, lambda n: next(order))
