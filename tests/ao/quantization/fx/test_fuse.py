"""fuse_fx and the fusion step of prepare_fx against torch.fx's on the same models."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.ao.quantization.quantize_fx import fuse_fx

from .canon import node_kinds
from .models import build_pair

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization.quantize_fx")


@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt"])
def test_fuse_fx_matches_torch(name: str) -> None:
    em, tm, data = build_pair(name)
    fe = fuse_fx(em)
    ft = tq.fuse_fx(tm)
    assert node_kinds(ember, fe) == node_kinds(torch, ft)
    mods_e = {k: type(v).__name__ for k, v in fe.named_modules()}
    mods_t = {k: type(v).__name__ for k, v in ft.named_modules()}
    assert mods_e == mods_t
    # folding BN into conv keeps eval outputs (float rounding only)
    x = data[0]
    ye = fe(ember.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ye, em(ember.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        yt = ft(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-4, atol=1e-5)


def test_fused_weights_match_torch() -> None:
    em, tm, _ = build_pair("cnn")
    fe, ft = fuse_fx(em), tq.fuse_fx(tm)
    se, st = fe.state_dict(), ft.state_dict()
    assert sorted(se) == sorted(st)
    for k in se:
        np.testing.assert_allclose(se[k].numpy(), st[k].numpy(), rtol=1e-6, atol=1e-7)


def test_fusion_in_training_mode_mixed_raises() -> None:
    em, _, _ = build_pair("cnn")
    em.bn1.train()
    with pytest.raises(AssertionError, match="same mode"):
        fuse_fx(em)


def test_qat_fusion_keeps_batchnorm() -> None:
    from ember.ao.quantization.fx.fuse import fuse
    from ember.fx import symbolic_trace

    em, _, _ = build_pair("cnn")
    em.train()
    fused = fuse(symbolic_trace(em), True)
    assert type(fused.conv1).__name__ == "ConvBnReLU2d"
    assert type(fused.conv2).__name__ == "ConvBnReLU2d"
    assert type(fused.conv3).__name__ == "ConvReLU2d"
