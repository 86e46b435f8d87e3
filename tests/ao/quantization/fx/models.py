"""The differential suite's models, each written once and built with ember or torch."""

from __future__ import annotations

from typing import Any

import numpy as np


def make_cnn(torch: Any) -> Any:
    """Conv-BN-ReLU (module), conv-BN + F.relu, conv + F.relu, pooling, flatten, linear."""
    nn, F = torch.nn, torch.nn.functional

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu1 = nn.ReLU()
            self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
            self.bn2 = nn.BatchNorm2d(16)
            self.conv3 = nn.Conv2d(16, 16, 1)
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            x = self.relu1(self.bn1(self.conv1(x)))
            x = F.relu(self.bn2(self.conv2(x)))
            x = F.relu(self.conv3(x))
            x = self.pool(x)
            x = torch.flatten(x, 1)
            return self.fc(x)

    return CNN()


def make_mlp(torch: Any) -> Any:
    """Linear + F.relu, a residual torch.add, torch.relu, torch.cat (observer sharing)."""
    nn, F = torch.nn, torch.nn.functional

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(16, 32)
            self.fc2 = nn.Linear(32, 32)
            self.fc3 = nn.Linear(32, 32)
            self.out = nn.Linear(64, 4)

        def forward(self, x: Any) -> Any:
            h = F.relu(self.fc1(x))
            r = self.fc2(h)
            h = torch.add(h, r)
            h = torch.relu(self.fc3(h))
            h = torch.cat([h, r], dim=1)
            return self.out(h)

    return MLP()


def make_gpt(torch: Any) -> Any:
    """A GPT-like block: LayerNorm, qkv Linear, split/reshape/transpose, matmul, scalar mul,
    softmax, residual adds, GELU MLP."""
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self, d: int = 16, h: int = 2) -> None:
            super().__init__()
            self.h = h
            self.scale = 1.0 / (d // h) ** 0.5
            self.ln1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d)
            self.fc1 = nn.Linear(d, 4 * d)
            self.fc2 = nn.Linear(4 * d, d)

        def forward(self, x: Any) -> Any:
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            q = q.reshape(B, T, self.h, C // self.h).transpose(1, 2)
            k = k.reshape(B, T, self.h, C // self.h).transpose(1, 2)
            v = v.reshape(B, T, self.h, C // self.h).transpose(1, 2)
            att = torch.matmul(q, k.transpose(-2, -1)) * self.scale
            att = F.softmax(att, dim=-1)
            y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, C)
            x = x + self.proj(y)
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    return Block()


MODELS = {
    "cnn": (make_cnn, (4, 3, 8, 8)),
    "mlp": (make_mlp, (8, 16)),
    "gpt": (make_gpt, (2, 5, 16)),
}


def build_pair(name: str, seed: int = 0) -> tuple[Any, Any, list[np.ndarray]]:
    """(ember model, torch model) with the same float weights and BN statistics, eval mode,
    and calibration batches."""
    import torch

    import ember

    make, shape = MODELS[name]
    torch.manual_seed(seed)
    tm = make(torch)
    rng = np.random.default_rng(seed)
    for mod in tm.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            # non-trivial running statistics so that folding BN matters
            with torch.no_grad():
                mod.running_mean.copy_(torch.from_numpy(rng.normal(0, 0.2, mod.num_features)))
                mod.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, mod.num_features)))
                mod.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, mod.num_features)))
                mod.bias.copy_(torch.from_numpy(rng.normal(0, 0.1, mod.num_features)))
    tm.eval()
    em = make(ember)
    em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    em.eval()
    data = [rng.standard_normal(shape).astype(np.float32) for _ in range(4)]
    return em, tm, data


def make_functional(torch: Any) -> Any:
    """F.linear and F.conv1d/F.conv2d with parameters (no nn.Linear/Conv), F.relu after them
    and after a conv module, F.adaptive_avg_pool2d and torch.flatten; two inputs."""
    nn, F = torch.nn, torch.nn.functional

    class Functional(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w1 = nn.Parameter(torch.randn(8, 6) * 0.3)
            self.b1 = nn.Parameter(torch.randn(8) * 0.1)
            self.w2 = nn.Parameter(torch.randn(4, 8) * 0.3)
            self.conv = nn.Conv2d(2, 3, 1)
            self.cw = nn.Parameter(torch.randn(4, 2, 3, 3) * 0.3)
            self.cb = nn.Parameter(torch.randn(4) * 0.1)
            self.cw1 = nn.Parameter(torch.randn(3, 1, 2) * 0.5)

        def forward(self, x: Any, img: Any) -> Any:
            h = F.relu(F.linear(x, self.w1, self.b1))
            h = F.linear(h, self.w2)
            y = F.adaptive_avg_pool2d(F.relu(self.conv(img)), (2, 2))
            # all positional tuples: torch's conv2d prepack rejects ints and missing args
            c = F.relu(F.conv2d(img, self.cw, self.cb, (2, 2), (1, 1), (1, 1), 1))
            c1 = F.conv1d(x.unsqueeze(1), self.cw1, None, 1, 0, 1, 1)
            return h, torch.flatten(y, 1), c, c1

    return Functional()


def build_functional_pair(seed: int = 0) -> tuple[Any, Any, list[tuple[np.ndarray, ...]]]:
    import torch

    import ember

    torch.manual_seed(seed)
    tm = make_functional(torch).eval()
    em = make_functional(ember)
    em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    em.eval()
    rng = np.random.default_rng(seed)
    data = [
        (
            rng.standard_normal((5, 6)).astype(np.float32),
            rng.standard_normal((2, 2, 6, 6)).astype(np.float32),
        )
        for _ in range(3)
    ]
    return em, tm, data


def make_ops(torch: Any) -> Any:
    """Pooling, standalone BatchNorm, Hardswish, Dropout, fixed-qparams ops (sigmoid, tanh,
    hardsigmoid, Softmax), hardtanh/ReLU6, mean, ELU, LeakyReLU, permute/reshape."""
    nn, F = torch.nn, torch.nn.functional

    class Ops(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.bn = nn.BatchNorm2d(6)
            self.hs = nn.Hardswish()
            self.drop = nn.Dropout(0.1)
            self.elu = nn.ELU()
            self.lrelu = nn.LeakyReLU(0.1)
            self.sm = nn.Softmax(dim=1)
            self.sig = nn.Sigmoid()
            self.relu6 = nn.ReLU6()
            self.fc = nn.Linear(6, 4)

        def forward(self, x: Any) -> Any:
            x = self.drop(self.hs(self.bn(self.pool(self.conv(x)))))
            x = F.max_pool2d(F.hardswish(x), 2)
            x = torch.sigmoid(x) + torch.tanh(x)
            x = self.relu6(F.hardtanh(x, -1.0, 1.0))
            y = self.fc(x.mean(dim=(2, 3)))
            z = self.elu(y) + self.lrelu(y)
            z = z + F.elu(y, alpha=0.5) * F.leaky_relu(F.dropout(y, 0.1, training=False), 0.2)
            return self.sm(z), self.sig(y), F.hardsigmoid(y), y.permute(1, 0).reshape(-1)

    return Ops()


MODELS["ops"] = (make_ops, (16, 3, 12, 12))  # mean over 3x3: no exact .5
