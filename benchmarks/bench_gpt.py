"""The showcase model's speed against torch: one training step of the character GPT in
ember/examples/gpt.py and its no-grad forward, ember and torch interleaved in one process,
from identical initial weights (copied through NumPy) on identical batches.

    python benchmarks/bench_gpt.py [--rounds 5] [--iters 5] [--threads 2]

Targets (issue 3): 4 layers, 4 heads, width 128, block 64, batch 16, AdamW: the training step
(forward, backward, grad-norm clipping, AdamW step) <= 1.5x torch; the no-grad forward (with
the loss) <= 1.5x torch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ember  # noqa: E402
from ember.examples.gpt import (  # noqa: E402
    CharDataset,
    GPTConfig,
    configure_optimizer,
    gpt_class,
    train_step,
)

try:
    import torch
except ImportError:  # the benchmark still runs ember alone
    torch = None

TARGET = 1.5


def build(m, cfg: GPTConfig, state: dict[str, np.ndarray] | None, x: np.ndarray, y: np.ndarray):
    """A model, its AdamW and the batch on framework m; weights from `state` when given."""
    m.manual_seed(0)
    model = gpt_class(m)(cfg)
    if state is not None:
        model.load_state_dict({k: m.from_numpy(v.copy()) for k, v in state.items()})
    opt = configure_optimizer(m, model, lr=1e-3)
    return model, opt, m.from_numpy(x), m.from_numpy(y)


def timed(fn, iters: int) -> float:
    """Mean milliseconds per call over `iters` calls."""
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=5, help="calls per timing")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    data = CharDataset()
    cfg = GPTConfig(vocab_size=data.vocab_size, block_size=64, n_layer=4, n_head=4, n_embd=128)
    x, y = data.batch("train", 16, cfg.block_size, np.random.default_rng(0))

    impls = [("ember", ember)] + ([("torch", torch)] if torch is not None else [])
    for _, m in impls:
        m.set_num_threads(args.threads)
    ref = build(impls[-1][1], cfg, None, x, y)[0]  # torch's init when present, else ember's
    state = {k: v.detach().cpu().numpy() for k, v in ref.state_dict().items()}
    built = {name: build(m, cfg, state, x, y) for name, m in impls}

    first = {}
    for name, m in impls:
        model, _, xb, yb = built[name]
        with m.no_grad():
            first[name] = model(xb, yb)[1].item()
    print("initial loss: " + ", ".join(f"{n} {v:.6f}" for n, v in first.items()))

    def case_step(name, m):
        model, opt, xb, yb = built[name]
        return lambda: train_step(m, model, opt, xb, yb)

    def case_fwd(name, m):
        model, _, xb, yb = built[name]

        def fwd():
            with m.no_grad():
                model(xb, yb)
        return fwd

    cases = {"train step ms": case_step, "no-grad forward ms": case_fwd}
    results: dict[str, dict[str, list[float]]] = {}
    fns = {(key, name): make(name, m) for key, make in cases.items() for name, m in impls}
    for fn in fns.values():  # warm-up: first calls allocate optimizer state and caches
        fn(), fn()
    for _ in range(args.rounds):
        for key in cases:
            for name, _m in impls:  # interleaved: load drift hits both alike
                results.setdefault(key, {}).setdefault(name, []).append(
                    timed(fns[key, name], args.iters))

    print(f"{'measurement':<22}{'ember':>10}{'torch':>10}{'ratio':>8}  target")
    for key, r in results.items():
        e = statistics.median(r["ember"])
        t = statistics.median(r["torch"]) if "torch" in r else None
        ratio = f"{e / t:.2f}x" if t else "-"
        ok = ("ok" if e / t <= TARGET else "MISS") if t else ""
        tt = f"{t:10.2f}" if t else f"{'-':>10}"
        print(f"{key:<22}{e:10.2f}{tt}{ratio:>8}  <= {TARGET}x {ok}")
    print(f"ratio: ember time / torch time, medians of {args.rounds} rounds x {args.iters} "
          f"calls, {args.threads} threads; lower is better")


if __name__ == "__main__":
    main()
