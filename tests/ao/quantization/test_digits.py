"""End to end on scikit-learn's 8x8 digits: a small CNN trained in torch, then float, PTQ and
QAT accuracies of ember within a point of torch's on the same weights and data."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ao.quantization.qmodels import copy_weights

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("sklearn.datasets")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation",
                                        "ignore::DeprecationWarning", "ignore::UserWarning")

FUSE = [["conv", "bn", "relu"], ["conv2", "relu2"]]


def _net(m):
    q = m.ao.quantization

    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.quant = q.QuantStub()
            self.conv = m.nn.Conv2d(1, 8, 3, padding=1)
            self.bn = m.nn.BatchNorm2d(8)
            self.relu = m.nn.ReLU()
            self.pool = m.nn.MaxPool2d(2)
            self.conv2 = m.nn.Conv2d(8, 16, 3, padding=1)
            self.relu2 = m.nn.ReLU()
            self.fc = m.nn.Linear(16 * 4 * 4, 10)
            self.dequant = q.DeQuantStub()

        def forward(self, x):
            x = self.pool(self.relu(self.bn(self.conv(self.quant(x)))))
            x = self.relu2(self.conv2(x))
            return self.dequant(self.fc(m.flatten(x, 1)))

    return Net()


@pytest.fixture(scope="module")
def digits():
    d = datasets.load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    x, y = x[perm], y[perm]
    return x[:1200], y[:1200], x[1200:], y[1200:]


@pytest.fixture(scope="module")
def trained(digits):
    xtr, ytr, _, _ = digits
    torch.manual_seed(0)
    net = _net(torch)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    rng = np.random.default_rng(1)
    for _ in range(3):
        for idx in np.array_split(rng.permutation(len(ytr)), len(ytr) // 64):
            loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(xtr[idx])),
                                                     torch.from_numpy(ytr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.state_dict()


def _pair(state):
    t, e = _net(torch), _net(ember)
    t.load_state_dict(state)
    copy_weights(t, e)
    return t, e


def _acc(m, lib, x, y):
    m.eval()
    with lib.no_grad():
        pred = m(lib.from_numpy(x)).numpy().argmax(1)
    return 100.0 * float(np.mean(pred == y))


def test_float_ptq_qat_accuracies_match_torch(digits, trained):
    xtr, ytr, xte, yte = digits
    # float
    t, e = _pair(trained)
    acc_t, acc_e = _acc(t, torch, xte, yte), _acc(e, ember, xte, yte)
    assert acc_t > 90
    assert abs(acc_e - acc_t) <= 1.0
    # post-training static quantization, calibrated on the same 256 images
    t, e = _pair(trained)
    for m, lib in ((t, torch), (e, ember)):
        m.eval()
        m.qconfig = lib.quantization.get_default_qconfig("fbgemm")
        lib.quantization.fuse_modules(m, FUSE, inplace=True)
        lib.quantization.prepare(m, inplace=True)
        with lib.no_grad():
            m(lib.from_numpy(xtr[:256]))
        lib.quantization.convert(m, inplace=True)
    ptq_t, ptq_e = _acc(t, torch, xte, yte), _acc(e, ember, xte, yte)
    assert ptq_t > 85
    assert abs(ptq_e - ptq_t) <= 1.0
    # quantization-aware fine-tuning: one epoch, same batches, then convert
    t, e = _pair(trained)
    opts = []
    for m, lib in ((t, torch), (e, ember)):
        m.train()
        m.qconfig = lib.quantization.get_default_qat_qconfig("fbgemm")
        lib.ao.quantization.fuse_modules_qat(m, FUSE, inplace=True)
        lib.quantization.prepare_qat(m, inplace=True)
        opts.append(lib.optim.SGD(m.parameters(), lr=0.02, momentum=0.9))
    rng = np.random.default_rng(2)
    for idx in np.array_split(rng.permutation(len(ytr)), len(ytr) // 100):
        for m, lib, opt in ((t, torch, opts[0]), (e, ember, opts[1])):
            loss = lib.nn.functional.cross_entropy(m(lib.from_numpy(xtr[idx])),
                                                   lib.from_numpy(ytr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    qt = torch.quantization.convert(t.eval(), inplace=False)
    qe = ember.quantization.convert(e.eval(), inplace=False)
    qat_t, qat_e = _acc(qt, torch, xte, yte), _acc(qe, ember, xte, yte)
    assert qat_t > 85
    assert abs(qat_e - qat_t) <= 1.0
