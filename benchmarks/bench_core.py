"""Core speed against torch, interleaved in one process: dispatch overhead, a tiny training
step, and float32 matmul. Prints each measurement and the ratio ember/torch.

    python benchmarks/bench_core.py [--rounds 5]

Targets (issue 2): no-grad elementwise on (4,4) <= 2x torch; ((a@w)*b).sum().backward()
<= 1x torch; matmul 1024x1024 >= 0.9x torch's GFLOP/s.
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

try:
    import torch
except ImportError:  # the benchmark still runs ember alone
    torch = None


def per_call(fn, target_s: float = 0.02, repeats: int = 7) -> float:
    """Median seconds per call over `repeats` batches lasting about target_s each."""
    for _ in range(20):
        fn()
    n, t = 1, 0.0
    while t < target_s / 4:
        n *= 4
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
    n = max(1, int(n * target_s / t))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def cases(m):
    rng = np.random.default_rng(0)
    A, B, W = (rng.standard_normal((4, 4), dtype=np.float32) for _ in range(3))
    M = rng.random((4, 4)) < 0.5
    a, b, mask = m.tensor(A), m.tensor(B), m.tensor(M)
    w = m.tensor(W, requires_grad=True)

    def fwd_bwd():
        w.grad = None
        ((a @ w) * b).sum().backward()

    X = rng.standard_normal((1024, 1024), dtype=np.float32)
    x, y = m.tensor(X), m.tensor(X.T.copy())
    return {
        "add (4,4) us": (lambda: a + b, 1e6),
        "mul (4,4) us": (lambda: a * b, 1e6),
        "matmul (4,4) us": (lambda: m.matmul(a, b), 1e6),
        "view us": (lambda: a.view(16), 1e6),
        "unsqueeze us": (lambda: a.unsqueeze(0), 1e6),
        "masked_fill us": (lambda: a.masked_fill(mask, 0.0), 1e6),
        "sum us": (lambda: a.sum(), 1e6),
        "tensor(ndarray) us": (lambda: m.tensor(A), 1e6),
        "fwd_bwd us": (fwd_bwd, 1e6),
        "matmul 1024 GFLOP/s": (lambda: m.matmul(x, y), -2 * 1024**3 / 1e9),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    impls = [("ember", ember)] + ([("torch", torch)] if torch is not None else [])
    for _, m in impls:
        m.set_num_threads(2) if hasattr(m, "set_num_threads") else None
    results: dict = {}
    built = {name: cases(m) for name, m in impls}
    for _ in range(args.rounds):
        for key in built["ember"]:
            for name, _m in impls:  # interleaved: drift hits both alike
                fn, scale = built[name][key]
                try:
                    s = per_call(fn)
                except Exception as e:  # an op not implemented yet: report, go on
                    results.setdefault(key, {})[name] = None
                    print(f"{key}: {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
                    continue
                v = s * scale if scale > 0 else -scale / s
                results.setdefault(key, {}).setdefault(name, []).append(v)
    print(f"{'measurement':<24}{'ember':>10}{'torch':>10}{'ratio':>8}")
    for key, r in results.items():
        e = statistics.median(r["ember"]) if r.get("ember") else None
        t = statistics.median(r["torch"]) if r.get("torch") else None
        ratio = ""
        if e and t:
            ratio = f"{(e / t if 'GFLOP' not in key else t / e):.2f}x"
        fmt = lambda v: f"{v:10.2f}" if v is not None else f"{'-':>10}"  # noqa: E731
        print(f"{key:<24}{fmt(e)}{fmt(t)}{ratio:>8}")
    print("ratio: ember time / torch time (for GFLOP/s: torch / ember); lower is better")


if __name__ == "__main__":
    main()
