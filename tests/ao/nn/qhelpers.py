"""Shared helpers for the quantized-module tests: move quantized tensors torch <-> ember,
count integer mismatches."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def to_ember(t: Any) -> Any:
    """A torch tensor (quantized or float) as the equal ember tensor."""
    if not t.is_quantized:
        return ember.from_numpy(t.detach().numpy().copy())
    ints = ember.from_numpy(t.int_repr().numpy().copy())
    if t.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        return ember._make_per_tensor_quantized_tensor(ints, t.q_scale(), t.q_zero_point())
    return ember._make_per_channel_quantized_tensor(
        ints, ember.from_numpy(t.q_per_channel_scales().numpy().copy()),
        ember.from_numpy(t.q_per_channel_zero_points().numpy().copy()), t.q_per_channel_axis())


def to_torch(e: Any) -> Any:
    """An ember tensor (quantized or float) as the equal torch tensor."""
    if not e.is_quantized:
        return torch.from_numpy(e.detach().numpy().copy())
    ints = torch.from_numpy(e.int_repr().numpy().copy())
    if "per_tensor" in repr(e.qscheme()):
        return torch._make_per_tensor_quantized_tensor(ints, e.q_scale(), e.q_zero_point())
    return torch._make_per_channel_quantized_tensor(
        ints, torch.from_numpy(e.q_per_channel_scales().numpy().copy()),
        torch.from_numpy(e.q_per_channel_zero_points().numpy().copy()), e.q_per_channel_axis())


def assert_same_ints(mine: Any, ref: Any, tie_frac: float = 0.005) -> None:
    """Same integers, except at most `tie_frac` of elements 1 LSB off (rounding ties).

    Both must be quantized with equal scale and zero point.
    """
    assert mine.is_quantized and ref.is_quantized
    assert mine.q_scale() == pytest.approx(ref.q_scale(), rel=1e-5)
    assert mine.q_zero_point() == ref.q_zero_point()
    a = mine.int_repr().numpy().astype(np.int64)
    b = ref.int_repr().numpy().astype(np.int64)
    assert a.shape == b.shape
    diff = np.abs(a - b)
    assert diff.max(initial=0) <= 1, f"integers differ by up to {diff.max()}"
    off = int((diff > 0).sum())
    assert off <= max(1, int(tie_frac * diff.size)), f"{off} of {diff.size} integers off by 1"


def ember_repr(s: str) -> str:
    """torch's repr of a module spelled as ember prints it (ember.<dtype>, ember.<qscheme>)."""
    return s.replace("torch.", "ember.")
