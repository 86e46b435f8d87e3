"""ShapeProp: tensor metadata on every node, compared with torch.fx's ShapeProp."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx.passes.shape_prop import ShapeProp, TensorMetadata

from ..models import make_cnn

pytest.importorskip("torch")
import torch  # noqa: E402
import torch.fx  # noqa: E402
from torch.fx.passes.shape_prop import ShapeProp as TorchShapeProp  # noqa: E402


def test_shape_dtype_stride_match_torch_on_cnn() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    egm = ember.fx.symbolic_trace(make_cnn(ember))
    tgm = torch.fx.symbolic_trace(make_cnn(torch))
    ShapeProp(egm).propagate(ember.tensor(x))
    TorchShapeProp(tgm).propagate(torch.tensor(x))
    for en, tn in zip(egm.graph.nodes, tgm.graph.nodes):
        assert en.name == tn.name
        if "tensor_meta" not in tn.meta:
            assert "tensor_meta" not in en.meta
            continue
        em, tm = en.meta["tensor_meta"], tn.meta["tensor_meta"]
        assert isinstance(em, TensorMetadata)
        assert tuple(em.shape) == tuple(tm.shape), en.name
        assert tuple(em.stride) == tuple(tm.stride), en.name
        assert em.dtype.name == str(tm.dtype).split(".")[-1]
        assert em.requires_grad == tm.requires_grad
        assert en.meta["type"].__name__ == "Tensor"


def test_tuple_results_get_structured_metadata() -> None:
    gm = ember.fx.symbolic_trace(lambda x: x.split([1, 2], dim=0))
    ShapeProp(gm).propagate(ember.randn(3, 4))
    split = next(n for n in gm.graph.nodes if n.target == "split")
    metas = split.meta["tensor_meta"]
    assert [tuple(m.shape) for m in metas] == [(1, 4), (2, 4)]
    assert split.meta["type"] is tuple
