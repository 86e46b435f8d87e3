"""with_relu_fusion: torch.relu and x.relu() after a conv or Linear fuse like F.relu does."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.ao.quantization.backend_config import get_native_backend_config, with_relu_fusion

from .canon import node_kinds

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
tqfx = pytest.importorskip("torch.ao.quantization.quantize_fx")
pytest.importorskip("ember.ao.quantization.qconfig")

from ember.ao.quantization import get_default_qconfig_mapping  # noqa: E402
from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: E402


def _make(fw: Any, relu_style: str) -> Any:
    nn, F = fw.nn, fw.nn.functional

    def relu(x: Any, i: int) -> Any:
        if relu_style == "F":
            return F.relu(x)
        return fw.relu(x) if i % 2 else x.relu()  # both spellings torch leaves unfused

    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc1 = nn.Linear(4 * 6 * 6, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x: Any) -> Any:
            x = relu(self.conv(x), 0)
            x = relu(self.fc1(fw.flatten(x, 1)), 1)
            return self.fc2(x)

    return M()


def test_fused_like_f_relu_in_torch() -> None:
    """Ember with torch.relu / x.relu() and with_relu_fusion gives the integers torch gives
    for the same model written with F.relu (which torch fuses)."""
    torch.manual_seed(0)
    tm = _make(torch, "F").eval()
    em = _make(ember, "mixed")
    em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    em.eval()
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((4, 3, 8, 8)).astype(np.float32) for _ in range(3)]
    bc = with_relu_fusion(get_native_backend_config())
    pe = prepare_fx(
        em, get_default_qconfig_mapping(), (ember.from_numpy(data[0]),), backend_config=bc
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(tm, tq.get_default_qconfig_mapping(), (torch.from_numpy(data[0]),))
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    with ember.no_grad(), torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe, backend_config=bc), tqfx.convert_fx(pt)
    kinds = node_kinds(ember, ce)
    assert kinds == node_kinds(torch, ct)
    assert ("call_module", "QuantizedConvReLU2d") in kinds
    assert ("call_module", "QuantizedLinearReLU") in kinds
    with ember.no_grad(), torch.no_grad():
        ye, yt = ce(ember.from_numpy(data[1])).numpy(), ct(torch.from_numpy(data[1])).numpy()
    step = float(np.abs(yt).max()) / 127
    assert np.abs(ye - yt).max() <= step
    assert np.count_nonzero(np.abs(ye - yt) > 1e-6) <= 1


def test_default_config_is_unchanged_and_errors() -> None:
    bc = with_relu_fusion(get_native_backend_config())
    assert bc.name == "native+relu_fusion"
    assert len(bc.configs) == len(get_native_backend_config().configs) + 6
    from ember.ao.quantization.backend_config import BackendConfig

    with pytest.raises(ValueError, match="nothing to extend"):
        with_relu_fusion(BackendConfig("empty"))
