"""Models written once against a framework module (`torch` or `ember`), for differential tests."""

from __future__ import annotations

import math
from typing import Any


def make_gpt(torch: Any, vocab: int = 17, n_embd: int = 16, n_head: int = 2, n_layer: int = 2,
             block: int = 8) -> Any:
    nn, F = torch.nn, torch.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.register_buffer("mask", torch.tril(torch.ones(block, block)).view(
                1, 1, block, block))

        def forward(self, x: Any) -> Any:
            B, T, C = x.size()
            q, k, v = self.c_attn(x).split(n_embd, dim=2)
            q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
            k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
            v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask == 0, float("-inf"))  # inputs span the block
            att = F.softmax(att, dim=-1)
            y = att @ v
            y = y.transpose(1, 2).contiguous().view(B, T, C)
            return self.c_proj(y)

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                     nn.Linear(4 * n_embd, n_embd))

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.wte = nn.Embedding(vocab, n_embd)
            self.wpe = nn.Parameter(torch.zeros(1, block, n_embd))
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln_f = nn.LayerNorm(n_embd)
            self.head = nn.Linear(n_embd, vocab, bias=False)

        def forward(self, idx: Any) -> Any:
            t = idx.size(1)
            x = self.wte(idx) + self.wpe[:, :t, :]
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln_f(x))

    return GPT()


def make_cnn(torch: Any) -> Any:
    nn, F = torch.nn, torch.nn.functional

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
            self.pool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            x = F.relu(self.bn1(self.conv1(x)))
            x = F.max_pool2d(x, 2)
            x = torch.relu(self.conv2(x))
            x = self.pool(x)
            x = torch.flatten(x, 1)
            return F.log_softmax(self.fc(x), dim=1)

    return CNN()


def make_mlp(torch: Any, width: int = 32, depth: int = 3) -> Any:
    nn, F = torch.nn, torch.nn.functional

    class ResidualMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp = nn.Linear(8, width)
            self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
            self.norms = nn.ModuleList([nn.LayerNorm(width) for _ in range(depth)])
            self.scale = nn.Parameter(torch.ones(width))
            self.out = nn.Linear(width, 2)

        def forward(self, x: Any) -> Any:
            h = self.inp(x)
            for lin, norm in zip(self.layers, self.norms):
                h = h + F.gelu(lin(norm(h))) * self.scale
                h = torch.tanh(h) + h.mean(dim=-1, keepdim=True)
            return self.out(h).sum(-1)

    return ResidualMLP()
