"""Train a small character-level GPT on Shakespeare, on Ember, in about a minute.

    python -m ember.examples.gpt                   # train, print losses and a sample, save
    python -m ember.examples.gpt --backend torch   # the very same code on real PyTorch
    python -m ember.examples.gpt --steps 0 --init gpt.pt --backend torch   # sample in torch

The model is nanoGPT's: token and position embeddings, `n_layer` pre-LayerNorm blocks of
causal self-attention and a GELU MLP, a final LayerNorm and a head tied to the token embedding.
It is written once against PyTorch's public API and built on whichever framework is passed in,
so `import ember as torch` is all it takes. The checkpoint is a plain state_dict in PyTorch's
file format: real PyTorch loads it with `torch.load(path, weights_only=True)`.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import math
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import resources
from types import ModuleType
from typing import Any, TextIO

import numpy as np

__all__ = ["GPTConfig", "CharDataset", "gpt_class", "configure_optimizer", "train_step",
           "estimate_loss", "ProgressBar", "main", "run"]

CORPUS = "shakespeare.txt"


# ---------------------------------------------------------------------------------------------
# The model: one definition, built on Ember's nn or on torch.nn


@dataclass
class GPTConfig:
    """Model shape. The defaults train in about a minute on two CPU cores."""

    vocab_size: int = 65
    block_size: int = 64  # context length, in characters
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128


@functools.cache
def gpt_class(torch: ModuleType) -> type:
    """The GPT model class on `torch`'s nn: pass `ember` or the real `torch` module."""
    nn, F = torch.nn, torch.nn.functional
    Module: Any = nn.Module  # ember's or torch's, picked at run time: Any to a type checker

    class CausalSelfAttention(Module):
        """Multi-head self-attention where each position sees only itself and the past."""

        def __init__(self, cfg: GPTConfig) -> None:
            super().__init__()
            self.n_head = cfg.n_head
            self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)  # queries, keys, values at once
            self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(x).split(C, dim=2)
            # (B, T, C) -> (B, n_head, T, head_size): the heads attend independently
            q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                       for t in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
            return self.proj(y)

    class MLP(Module):
        """Position-wise feed-forward: widen 4x, GELU, project back."""

        def __init__(self, cfg: GPTConfig) -> None:
            super().__init__()
            self.fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
            self.gelu = nn.GELU()
            self.proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

        def forward(self, x):
            return self.proj(self.gelu(self.fc(x)))

    class Block(Module):
        """A transformer block: attention then MLP, each on a LayerNorm'd residual branch."""

        def __init__(self, cfg: GPTConfig) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(cfg.n_embd)
            self.attn = CausalSelfAttention(cfg)
            self.ln_2 = nn.LayerNorm(cfg.n_embd)
            self.mlp = MLP(cfg)

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(Module):
        """A character-level GPT: indices (B, T) in, next-character logits (B, T, vocab) out."""

        def __init__(self, cfg: GPTConfig) -> None:
            super().__init__()
            self.cfg = cfg
            self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.n_embd)
            self.pos_emb = nn.Embedding(cfg.block_size, cfg.n_embd)
            self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
            self.ln_f = nn.LayerNorm(cfg.n_embd)
            self.head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
            self.tok_emb.weight = self.head.weight  # weight tying: one matrix, two uses
            self.apply(self._init_weights)
            for name, p in self.named_parameters():  # GPT-2: scale the residual projections
                if name.endswith("proj.weight"):
                    nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

        @staticmethod
        def _init_weights(module) -> None:
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

        def forward(self, idx, targets=None):
            B, T = idx.shape
            pos = torch.arange(T, device=idx.device)
            x = self.tok_emb(idx) + self.pos_emb(pos)
            for block in self.blocks:
                x = block(x)
            x = self.ln_f(x)
            if targets is None:  # generating: only the last position's prediction is needed
                return self.head(x[:, [-1], :]), None
            logits = self.head(x)
            loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
            return logits, loss

        def generate(self, idx, max_new_tokens: int, temperature: float = 1.0,
                     top_k: int | None = None):
            """Extend idx (B, T) by sampling one character at a time."""
            with torch.no_grad():
                for _ in range(max_new_tokens):
                    logits, _ = self(idx[:, -self.cfg.block_size:])  # crop to the context
                    logits = logits[:, -1, :] / temperature
                    if top_k is not None:  # keep only the k likeliest characters
                        kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]
                        logits = logits.masked_fill(logits < kth, -float("inf"))
                    probs = F.softmax(logits, dim=-1)
                    idx = torch.cat([idx, torch.multinomial(probs, num_samples=1)], dim=1)
            return idx

        def num_parameters(self) -> int:
            return sum(p.numel() for p in self.parameters())

    return GPT


def configure_optimizer(torch: ModuleType, model: Any, lr: float,
                        weight_decay: float = 0.1) -> Any:
    """AdamW with weight decay on matrices only: biases, LayerNorm weights are not decayed."""
    params = dict(model.named_parameters())  # the tied matrix appears once
    groups = [
        {"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))


def train_step(torch: ModuleType, model: Any, optimizer: Any, x: Any, y: Any,
               grad_clip: float = 1.0) -> Any:
    """One optimisation step on the batch (x, y); returns the loss tensor."""
    _, loss = model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss


# ---------------------------------------------------------------------------------------------
# Data


class CharDataset:
    """The shipped corpus as integer codes, one per character, split 90% train / 10% val."""

    def __init__(self, text: str | None = None) -> None:
        if text is None:
            text = resources.files(__package__).joinpath("data").joinpath(CORPUS).read_text("utf-8")
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        codes = np.array([self.stoi[c] for c in text], dtype=np.int64)
        n = int(0.9 * len(codes))
        self.splits = {"train": codes[:n], "val": codes[n:]}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        return [self.stoi[c] for c in s]

    def decode(self, codes: Any) -> str:
        return "".join(self.chars[int(i)] for i in codes)

    def batch(self, split: str, batch_size: int, block_size: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """batch_size random windows: inputs x (B, T) and targets y = x shifted by one."""
        windows = np.lib.stride_tricks.sliding_window_view(self.splits[split], block_size + 1)
        rows = windows[rng.integers(0, len(windows), size=batch_size)]
        return np.ascontiguousarray(rows[:, :-1]), np.ascontiguousarray(rows[:, 1:])


def estimate_loss(torch: ModuleType, model: Any, data: CharDataset, args: Any,
                  rng: np.random.Generator, iters: int = 8) -> dict[str, float]:
    """Mean loss over a few random batches of each split, without building a graph."""
    model.eval()
    out = {}
    with torch.no_grad():
        for split in ("train", "val"):
            losses = []
            for _ in range(iters):
                x, y = data.batch(split, args.batch_size, args.block_size, rng)
                _, loss = model(to_tensor(torch, x, args.device), to_tensor(torch, y, args.device))
                losses.append(loss.item())
            out[split] = sum(losses) / len(losses)
    model.train()
    return out


def to_tensor(torch: ModuleType, a: np.ndarray, device: str) -> Any:
    """A NumPy batch as a tensor of `torch` on `device` (shares memory on the CPU)."""
    return torch.from_numpy(a).to(device)


# ---------------------------------------------------------------------------------------------
# A progress bar with no dependency


class ProgressBar:
    """One line redrawn in place on a terminal: steps, loss, it/s and ETA; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total, self.stream = total, stream or sys.stdout
        self.enabled = enabled and self.stream.isatty()
        self.start = self.last_draw = time.perf_counter()
        self.step, self.shown = 0, False

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return self.step / elapsed if elapsed > 0 else 0.0

    def update(self, step: int, loss: float) -> None:
        self.step = step
        now = time.perf_counter()
        if not self.enabled or (now - self.last_draw < 0.1 and step < self.total):
            return
        self.last_draw = now
        rate = self.rate()
        eta = (self.total - step) / rate if rate > 0 else 0.0
        width = max(10, min(30, shutil.get_terminal_size().columns - 60))
        filled = width * step // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        line = (f"step {step:>{len(str(self.total))}}/{self.total} [{bar}] "
                f"{100 * step // max(self.total, 1):3d}% | loss {loss:.3f} | {rate:5.1f} it/s | "
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def print(self, line: str) -> None:
        """Print a line above the bar (the bar is redrawn on the next update)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
        self.stream.write(line + "\n")
        self.stream.flush()
        self.shown, self.last_draw = False, 0.0

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


# ---------------------------------------------------------------------------------------------
# The command


class _HelpFormatter(argparse.RawDescriptionHelpFormatter,
                    argparse.ArgumentDefaultsHelpFormatter):
    pass


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line flags; `parse_args([])` gives the defaults."""
    p = argparse.ArgumentParser(prog="python -m ember.examples.gpt", description=__doc__,
                                formatter_class=_HelpFormatter)
    p.add_argument("--steps", type=int, default=800, help="optimisation steps")
    p.add_argument("--n-layer", type=int, default=4, help="transformer blocks")
    p.add_argument("--n-head", type=int, default=4, help="attention heads per block")
    p.add_argument("--n-embd", type=int, default=128, help="model width")
    p.add_argument("--block-size", type=int, default=64, help="context length in characters")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per step")
    p.add_argument("--lr", type=float, default=5e-3, help="peak learning rate (cosine decay)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--out", default="gpt.pt", help="checkpoint path")
    p.add_argument("--init", default=None, help="start from this checkpoint's weights")
    p.add_argument("--seed", type=int, default=1337, help="seeds weights and batches")
    p.add_argument("--eval-interval", type=int, default=100, help="print losses every N steps")
    p.add_argument("--sample-len", type=int, default=400, help="characters to generate")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature")
    p.add_argument("--top-k", type=int, default=20, help="sample among the k likeliest")
    p.add_argument("--backend", choices=("ember", "torch"), default="ember",
                   help="framework to run on: ember, or real PyTorch for comparison")
    p.add_argument("--quiet", action="store_true", help="print only the final summary")
    p.add_argument("--quantize", action="store_true",
                   help="after training, compare float, dynamic, static and QAT int8 versions "
                        "(size, validation loss, speed) in a table")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """The command line entry point (`python -m ember.examples.gpt`, `ember-gpt`)."""
    run(argv)


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Train, sample and save as the command does; returns the losses, sample and model."""
    args = parse_args(argv)
    torch = importlib.import_module(args.backend)
    say = (lambda *a: None) if args.quiet else print

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = CharDataset()
    cfg = GPTConfig(vocab_size=data.vocab_size, block_size=args.block_size,
                    n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd)
    model = gpt_class(torch)(cfg).to(args.device)
    if args.init:
        model.load_state_dict(torch.load(args.init, map_location=args.device, weights_only=True))
    optimizer = configure_optimizer(torch, model, args.lr)
    say(f"{args.backend} {getattr(torch, '__version__', '')} on {args.device}: a GPT of "
        f"{model.num_parameters() / 1e6:.2f}M parameters ({cfg.n_layer} layers, "
        f"{cfg.n_head} heads, width {cfg.n_embd}, context {cfg.block_size})\n"
        f"data: {CORPUS}, {sum(map(len, data.splits.values())):,} characters, "
        f"vocabulary {cfg.vocab_size}; {args.steps} steps of {args.batch_size} sequences")

    def lr_at(step: int) -> float:  # linear warm-up, then cosine decay to lr/10
        warmup = max(1, min(100, args.steps // 10))
        if step < warmup:
            return args.lr * (step + 1) / warmup
        t = (step - warmup) / max(1, args.steps - warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))

    history: list[tuple[int, float, float]] = []
    bar = ProgressBar(args.steps, enabled=not args.quiet)

    def evaluate(step: int) -> None:
        losses = estimate_loss(torch, model, data, args, rng)
        history.append((step, losses["train"], losses["val"]))
        if not args.quiet:
            bar.print(f"step {step:5d}: train loss {losses['train']:.4f}, "
                      f"val loss {losses['val']:.4f}")

    train_losses: list[float] = []
    start = time.perf_counter()
    for step in range(args.steps):
        if step % args.eval_interval == 0:
            evaluate(step)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        x, y = data.batch("train", args.batch_size, args.block_size, rng)
        loss = train_step(torch, model, optimizer, to_tensor(torch, x, args.device),
                          to_tensor(torch, y, args.device))
        train_losses.append(loss.item())
        bar.update(step + 1, train_losses[-1])
    evaluate(args.steps)
    bar.close()
    seconds = time.perf_counter() - start
    if args.steps:
        say(f"trained {args.steps} steps in {seconds:.1f} s ({args.steps / seconds:.1f} it/s)")

    model.eval()
    prompt = torch.tensor([data.encode("\n")], dtype=torch.long, device=args.device)
    sample = data.decode(model.generate(prompt, args.sample_len, args.temperature,
                                        args.top_k)[0].tolist())
    say("\n---- sample " + "-" * 60 + sample + "\n" + "-" * 72)

    summary = f"final: train loss {history[-1][1]:.4f}, val loss {history[-1][2]:.4f}"
    if args.steps:  # with nothing trained, whatever checkpoint is there stays
        torch.save(model.state_dict(), args.out)
        summary += f"; checkpoint saved to {args.out}"
    print(summary)
    if args.steps:
        defaults = vars(parse_args([]))
        shape = "".join(f" --{k.replace('_', '-')} {getattr(args, k)}"
                        for k in ("n_layer", "n_head", "n_embd", "block_size")
                        if getattr(args, k) != defaults[k])
        say("load it in PyTorch:\n"
            f"    python -c \"import torch; sd = torch.load({args.out!r}, weights_only=True); "
            "print({k: tuple(v.shape) for k, v in sd.items()})\"\n"
            "or sample from it with real PyTorch:\n"
            f"    python -m ember.examples.gpt --backend torch --steps 0 --init {args.out}{shape}")
    quantized = None
    if args.quantize:
        from .gpt_quantize import report
        quantized = report(torch, model, data, args, say=print)
    return {"history": history, "train_losses": train_losses, "sample": sample,
            "checkpoint": args.out if args.steps else None, "seconds": seconds, "model": model,
            "quantized": quantized}

if __name__ == "__main__":
    main()
