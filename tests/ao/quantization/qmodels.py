"""Small models written once for both libraries (m = torch or ember), with weights copied
torch -> ember, for the workflow tests."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember


def copy_weights(t: Any, e: Any) -> None:
    """Load torch module t's float state into ember module e (same architecture)."""
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})


def static_net(m: Any) -> Any:
    """QuantStub, conv-bn-relu, conv-relu, FloatFunctional add, pooling, linear-relu, linear."""
    q = m.ao.quantization
    nnq = m.ao.nn.quantized

    class Net(m.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.quant = q.QuantStub()
            self.conv = m.nn.Conv2d(1, 6, 3, padding=1)
            self.bn = m.nn.BatchNorm2d(6)
            self.relu = m.nn.ReLU()
            self.conv2 = m.nn.Conv2d(6, 6, 3, padding=1)
            self.relu2 = m.nn.ReLU()
            self.skip = nnq.FloatFunctional()
            self.pool = m.nn.MaxPool2d(2)
            self.fc = m.nn.Linear(6 * 4 * 4, 32)
            self.relu3 = m.nn.ReLU()
            self.fc2 = m.nn.Linear(32, 10)
            self.dequant = q.DeQuantStub()

        def forward(self, x: Any) -> Any:
            x = self.quant(x)
            x = self.relu(self.bn(self.conv(x)))
            x = self.skip.add(x, self.relu2(self.conv2(x)))
            x = self.pool(x)
            x = self.relu3(self.fc(m.flatten(x, 1)))
            return self.dequant(self.fc2(x))

    return Net()


FUSE = [["conv", "bn", "relu"], ["conv2", "relu2"], ["fc", "relu3"]]


def mlp(m: Any) -> Any:
    return m.nn.Sequential(m.nn.Linear(20, 64), m.nn.ReLU(), m.nn.Linear(64, 64), m.nn.Tanh(),
                           m.nn.Linear(64, 5))


def randomize_bn(t: Any, seed: int = 0) -> None:
    """Give a torch model's BatchNorms non-trivial running statistics and affine params."""
    rng = np.random.default_rng(seed)
    import torch
    for mod in t.modules():
        if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
            n = mod.num_features
            with torch.no_grad():
                mod.running_mean.copy_(torch.from_numpy(rng.standard_normal(n) * 0.1))
                mod.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, n)))
                mod.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, n)))
                mod.bias.copy_(torch.from_numpy(rng.standard_normal(n) * 0.1))
