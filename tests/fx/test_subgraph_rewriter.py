"""subgraph_rewriter.replace_pattern, following torch.fx's documented example."""

from __future__ import annotations

import numpy as np

import ember
import ember.fx
from ember.fx import subgraph_rewriter


class M(ember.nn.Module):
    def forward(self, x: ember.Tensor, w1: ember.Tensor, w2: ember.Tensor) -> ember.Tensor:
        m1 = ember.cat([w1, w2]).sum()
        m2 = ember.cat([w1, w2]).sum()
        return x + ember.max(m1) + ember.max(m2)


def pattern(w1: ember.Tensor, w2: ember.Tensor) -> ember.Tensor:
    return ember.cat([w1, w2]).sum()


def replacement(w1: ember.Tensor, w2: ember.Tensor) -> ember.Tensor:
    return ember.stack([w1, w2])


def test_documented_example_replaces_both_matches() -> None:
    gm = ember.fx.symbolic_trace(M())
    matches = subgraph_rewriter.replace_pattern(gm, pattern, replacement)
    assert len(matches) == 2
    assert all(m.anchor.target == "sum" or getattr(m.anchor.target, "__name__", "") == "sum"
               for m in matches)
    gm.graph.lint()
    targets = [getattr(n.target, "__name__", n.target) for n in gm.graph.nodes]
    assert targets.count("stack") == 2 and "cat" not in targets
    x, w1, w2 = ember.randn(3), ember.randn(3), ember.randn(3)
    want = x + ember.max(ember.stack([w1, w2])) + ember.max(ember.stack([w1, w2]))
    np.testing.assert_allclose(gm(x, w1, w2).numpy(), want.numpy())


def test_no_match_and_escaping_intermediates_are_left_alone() -> None:
    def f(x: ember.Tensor, y: ember.Tensor) -> tuple:
        c = ember.cat([x, y])
        return c.sum(), c  # the cat escapes the would-be match: not rewritten

    gm = ember.fx.symbolic_trace(f)
    assert subgraph_rewriter.replace_pattern(gm, pattern, replacement) == []
    gm2 = ember.fx.symbolic_trace(lambda x: x.relu())
    assert ember.fx.replace_pattern(gm2, pattern, replacement) == []
