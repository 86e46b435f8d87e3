"""ember._native's GELU kernel against ember's NumPy path and torch, interleaved in one process.

    python benchmarks/bench_native.py [--rounds 7] [--shape 16 64 512]

Times F.gelu forward (no grad) and forward + backward on a float32 tensor with the native
kernel, with `ember._native.disabled()` (the NumPy path) and in torch; prints medians of
interleaved rounds and the ratios to torch (> 1: slower than torch). torch is optional.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember import _native  # noqa: E402

try:
    import torch
except ImportError:  # torch is only the reference
    torch = None


def per_call(fn: Callable[[], Any], reps: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--shape", type=int, nargs="+", default=[16, 64, 512])
    args = ap.parse_args()
    a = np.random.default_rng(0).standard_normal(args.shape).astype(np.float32)
    g = np.ones_like(a)
    ex, eg = ember.from_numpy(a), ember.from_numpy(g)
    F = ember.nn.functional

    def e_fwd() -> None:
        with ember.no_grad():
            F.gelu(ex)

    def e_bwd() -> None:
        x = ex.detach().requires_grad_()
        F.gelu(x).backward(eg)

    def numpy_path(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            with _native.disabled():
                fn()

        return run

    cases = {
        "fwd native": e_fwd,
        "fwd numpy": numpy_path(e_fwd),
        "fwd+bwd native": e_bwd,
        "fwd+bwd numpy": numpy_path(e_bwd),
    }
    if torch is not None:
        tx, tg = torch.from_numpy(a), torch.from_numpy(g)

        def t_fwd() -> None:
            with torch.no_grad():
                torch.nn.functional.gelu(tx)

        def t_bwd() -> None:
            x = tx.detach().requires_grad_()
            torch.nn.functional.gelu(x).backward(tg)

        cases.update({"fwd torch": t_fwd, "fwd+bwd torch": t_bwd})
    print(f"ember._native available: {_native.available()}; shape {tuple(args.shape)} float32")
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for k, fn in cases.items():
            times[k].append(per_call(fn, 10))
    med = {k: statistics.median(v) * 1e6 for k, v in times.items()}
    for k, us in med.items():
        ref = med.get(k.rsplit(" ", 1)[0] + " torch")
        ratio = f"  {us / ref:5.2f}x torch" if ref else ""
        print(f"{k:>16}: {us:8.0f} us{ratio}")


if __name__ == "__main__":
    main()
