"""prepare_qat_fx against torch's: same graphs, QAT modules, training losses, converted model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from .canon import node_kinds
from .models import build_pair

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
tqfx = pytest.importorskip("torch.ao.quantization.quantize_fx")
pytest.importorskip("ember.ao.quantization.qconfig")

from ember.ao.quantization.qconfig_mapping import get_default_qat_qconfig_mapping  # noqa: E402
from ember.ao.quantization.quantize_fx import convert_fx, prepare_qat_fx  # noqa: E402


@pytest.mark.parametrize("name", ["cnn", "mlp", "gpt"])
def test_qat_matches_torch(name: str) -> None:
    em, tm, data = build_pair(name)
    em.train()
    tm.train()
    pe = prepare_qat_fx(em, get_default_qat_qconfig_mapping("x86"), (ember.from_numpy(data[0]),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_qat_fx(
            tm, tq.get_default_qat_qconfig_mapping("x86"), (torch.from_numpy(data[0]),)
        )
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    assert {k: type(v).__name__ for k, v in pe.named_children()} == {
        k: type(v).__name__ for k, v in pt.named_children()
    }
    oe = ember.optim.SGD(pe.parameters(), lr=0.05)
    ot = torch.optim.SGD(pt.parameters(), lr=0.05)
    for x in data:
        le = pe(ember.from_numpy(x)).square().mean()
        lt = pt(torch.from_numpy(x)).square().mean()
        oe.zero_grad()
        le.backward()
        oe.step()
        ot.zero_grad()
        lt.backward()
        ot.step()
        np.testing.assert_allclose(float(le), float(lt), rtol=1e-5)
    pe.eval()
    pt.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    with ember.no_grad(), torch.no_grad():
        ye = ce(ember.from_numpy(data[1])).numpy()
        yt = ct(torch.from_numpy(data[1])).numpy()
    step = float(np.abs(yt).max()) / 127
    assert np.abs(ye - yt).max() <= step  # at most one quantization step (rounding ties)
    assert np.count_nonzero(np.abs(ye - yt) > 1e-6) <= max(1, 0.02 * ye.size)
