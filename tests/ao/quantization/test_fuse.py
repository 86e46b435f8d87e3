"""fuse_modules / fuse_modules_qat against torch: same module structure, same outputs."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.ao.quantization import fuse_modules, fuse_modules_qat

torch = pytest.importorskip("torch")
tnn = torch.nn
tq = pytest.importorskip("torch.ao.quantization")


def _model(m):
    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = m.nn.Conv2d(2, 4, 3, padding=1)
            self.bn = m.nn.BatchNorm2d(4)
            self.relu = m.nn.ReLU()
            self.conv2 = m.nn.Conv2d(4, 4, 1, bias=False)
            self.bn2 = m.nn.BatchNorm2d(4)
            self.relu2 = m.nn.ReLU()
            self.bn3 = m.nn.BatchNorm2d(4)
            self.relu3 = m.nn.ReLU()
            self.fc = m.nn.Linear(64, 8)
            self.bn1d = m.nn.BatchNorm1d(8)
            self.fc2 = m.nn.Linear(8, 5)
            self.relu4 = m.nn.ReLU()

        def forward(self, x):
            x = self.relu(self.bn(self.conv(x)))
            x = self.relu2(self.bn2(self.conv2(x)))
            x = self.relu3(self.bn3(x))
            x = self.bn1d(self.fc(x.flatten(1)))
            return self.relu4(self.fc2(x))

    return Net()


GROUPS = [["conv", "bn", "relu"], ["conv2", "bn2"], ["bn3", "relu3"], ["fc", "bn1d"],
          ["fc2", "relu4"]]


def _pair():
    t, e = _model(torch), _model(ember)
    rng = np.random.default_rng(0)
    sd = {}
    for k, v in t.state_dict().items():
        a = v.numpy()
        if k.endswith("running_var"):
            a = rng.uniform(0.5, 2.0, a.shape).astype(np.float32)
        elif a.dtype == np.float32:
            a = rng.standard_normal(a.shape).astype(np.float32) * 0.5
        sd[k] = a
    t.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in sd.items()})
    e.load_state_dict({k: ember.from_numpy(np.array(v)) for k, v in sd.items()})
    return t, e


def _structure(m):
    return [(n, type(c).__name__) for n, c in m.named_modules()]


def test_fuse_eval_matches_torch():
    t, e = _pair()
    t.eval()
    e.eval()
    ft = tq.fuse_modules(t, GROUPS)
    fe = fuse_modules(e, GROUPS)
    assert _structure(fe) == _structure(ft)
    assert _structure(e) == _structure(t)  # not in place: the original is untouched
    x = np.random.default_rng(1).standard_normal((3, 2, 4, 4)).astype(np.float32)
    with torch.no_grad():
        ref = ft(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(ref, t(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fe(ember.from_numpy(x)).detach().numpy(), ref, rtol=1e-4,
                               atol=1e-5)
    assert repr(fe) == repr(ft)


def test_fuse_qat_structure_and_inplace():
    t, e = _pair()
    ft = tq.fuse_modules_qat(t, GROUPS, inplace=True)
    fe = fuse_modules_qat(e, GROUPS, inplace=True)
    assert fe is e
    assert _structure(fe) == _structure(ft)
    x = np.random.default_rng(2).standard_normal((3, 2, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(fe(ember.from_numpy(x)).detach().numpy(),
                               ft(torch.from_numpy(x)).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_single_group_and_nested_names():
    seq_t = tnn.Sequential(tnn.Sequential(tnn.Linear(3, 3), tnn.ReLU()))
    seq_e = enn.Sequential(enn.Sequential(enn.Linear(3, 3), enn.ReLU()))
    ft = tq.fuse_modules(seq_t, ["0.0", "0.1"])
    fe = fuse_modules(seq_e, ["0.0", "0.1"])
    assert _structure(fe) == _structure(ft)


def test_fuse_errors():
    e = enn.Sequential(enn.Linear(3, 3), enn.Sigmoid())
    with pytest.raises(AssertionError, match="did not find fuser method"):
        fuse_modules(e, ["0", "1"])
    conv_bn = enn.Sequential(enn.Conv2d(1, 2, 1), enn.BatchNorm2d(2))
    conv_bn[1].eval()
    with pytest.raises(AssertionError, match="same mode"):
        fuse_modules(conv_bn, ["0", "1"])
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        fuse_modules(enn.Sequential(enn.Conv2d(1, 2, 1), enn.BatchNorm2d(2)), ["0", "1"])
    with pytest.raises(AssertionError, match="Incorrect types"):
        ember.ao.nn.intrinsic.ConvReLU2d(enn.Linear(1, 1), enn.ReLU())


def test_hooks_move_to_fused_module():
    seq = enn.Sequential(enn.Linear(3, 3), enn.ReLU())
    calls = []
    seq[0].register_forward_pre_hook(lambda m, i: calls.append("pre"))
    seq[1].register_forward_hook(lambda m, i, o: calls.append("post"))
    fused = fuse_modules(seq.eval(), ["0", "1"])
    fused(ember.randn(2, 3))
    assert calls == ["pre", "post"]
    assert not fused[1]._forward_hooks
