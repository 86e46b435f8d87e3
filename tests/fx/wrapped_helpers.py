"""Module-level functions for the wrap() test (wrap must be called at module scope)."""

from __future__ import annotations

import math

import ember
import ember.fx


def leaf_fn(x: ember.Tensor) -> ember.Tensor:
    if x.sum() > 0:  # data-dependent: only traceable as a leaf
        return x * 2
    return x


ember.fx.wrap("leaf_fn")


def uses_wrapped(x: ember.Tensor) -> ember.Tensor:
    return leaf_fn(x) + math.sqrt(x.size(0))
