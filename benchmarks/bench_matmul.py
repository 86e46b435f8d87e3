"""Matrix-product throughput: ember vs torch, interleaved in one process.

    python benchmarks/bench_matmul.py [--rounds 15] [--sizes 256 512 1024 2048] [--quick]

Prints GFLOP/s of each library and the ratio torch time / ember time (> 1: ember is faster)
for square float32 matmuls, attention-size batched products (bmm, einsum, 4-d matmul), a
Linear-like 3-d @ 2-d product (forward, and forward+backward), addmm, and the per-call overhead
of a tiny matmul. torch is optional: without it only ember's numbers are printed. Every round
times every case on both libraries back to back and the best round counts, which filters the
bursts of load of a shared machine. The BLAS NumPy uses (and the
OPENBLAS_CORETYPE override, which can select slower kernels than the CPU supports) are printed
first because they decide most of the result.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402

try:
    import torch
except ImportError:  # torch is only the reference
    torch = None


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    parts = [f"{i.get('internal_api')} {i.get('version')} arch={i.get('architecture')} "
             f"threads={i.get('num_threads')}" for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return "; ".join(parts) or "no BLAS found"


def best_time(fn: Callable[[], Any], reps: int) -> float:
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


class Suite:
    """Cases timed round-robin: every round times every case on both libraries, so each case
    samples the whole run and its best round escapes the bursts of a shared machine's load."""

    def __init__(self) -> None:
        self.cases: list = []

    def add(self, name: str, flops: float, make: Callable[[Any], Callable[[], Any]],
            budget: float = 0.02) -> None:
        libs = [("ember", ember)] + ([("torch", torch)] if torch is not None else [])
        fns = {n: make(m) for n, m in libs}
        for f in fns.values():  # warm up, and size the repetitions to ~budget seconds
            f()
        t = best_time(fns["ember"], 1)
        reps = max(1, int(budget / max(t, 1e-7)))
        self.cases.append((name, flops, fns, reps, {n: float("inf") for n in fns}))

    def run(self, rounds: int) -> None:
        for _ in range(rounds):
            for _name, _flops, fns, reps, best in self.cases:
                for n, f in fns.items():
                    best[n] = min(best[n], best_time(f, reps))
        for name, flops, _fns, _reps, best in self.cases:
            cols = [f"{n} {flops / t / 1e9:8.1f} GFLOP/s" if flops else f"{n} {t * 1e6:8.2f} us"
                    for n, t in best.items()]
            ratio = f"ratio {best['torch'] / best['ember']:5.2f}" if "torch" in best else ""
            print(f"{name:44s} " + "   ".join(cols) + f"   {ratio}", flush=True)


def tensors(m: Any, *shapes: tuple, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [m.tensor(rng.standard_normal(s).astype(np.float32)) for s in shapes]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--sizes", type=int, nargs="*", default=[256, 512, 1024, 2048])
    p.add_argument("--quick", action="store_true", help="5 rounds, sizes up to 1024")
    args = p.parse_args()
    rounds = 5 if args.quick else args.rounds
    sizes = [s for s in args.sizes if not args.quick or s <= 1024]

    print(f"numpy {np.__version__}; BLAS: {blas_info()}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    if torch is not None:
        print(f"torch {torch.__version__} threads={torch.get_num_threads()}")
    else:
        print("torch not installed: ember only")
    print("ratio = torch time / ember time (> 1: ember faster)\n")
    suite = Suite()

    for n in sizes:
        def square(m: Any, n: int = n) -> Callable[[], Any]:
            a, b = tensors(m, (n, n), (n, n))
            return lambda: m.matmul(a, b)

        suite.add(f"matmul float32 {n}x{n}", 2.0 * n ** 3, square)

    bh, s, d = 16 * 4, 64, 32
    attn_flops = 2.0 * bh * s * d * s

    def bmm(m: Any) -> Callable[[], Any]:
        a, b = tensors(m, (bh, s, d), (bh, d, s))
        return lambda: m.bmm(a, b)

    def ein(m: Any) -> Callable[[], Any]:
        a, b = tensors(m, (bh, s, d), (bh, d, s))
        return lambda: m.einsum("bij,bjk->bik", a, b)

    def mm4(m: Any) -> Callable[[], Any]:
        q, k = tensors(m, (16, 4, s, d), (16, 4, d, s))
        return lambda: m.matmul(q, k)

    def scores(m: Any) -> Callable[[], Any]:
        q, k = tensors(m, (16, 4, s, d), (16, 4, s, d))
        return lambda: m.einsum("bhqd,bhkd->bhqk", q, k)

    def qkt(m: Any) -> Callable[[], Any]:
        q, k = tensors(m, (16, 4, s, d), (16, 4, s, d))
        return lambda: q @ k.transpose(-2, -1)

    suite.add(f"bmm ({bh},{s},{d})@({bh},{d},{s})", attn_flops, bmm)
    suite.add("einsum bij,bjk->bik (same)", attn_flops, ein)
    suite.add(f"matmul (16,4,{s},{d})@(16,4,{d},{s})", attn_flops, mm4)
    suite.add("einsum bhqd,bhkd->bhqk", attn_flops, scores)
    suite.add("q @ k.transpose(-2,-1)", attn_flops, qkt)

    def linear(m: Any) -> Callable[[], Any]:
        x, w = tensors(m, (32, 128, 512), (512, 512))
        return lambda: m.matmul(x, w)

    suite.add("matmul (32,128,512)@(512,512)", 2.0 * 32 * 128 * 512 * 512, linear)

    def addmm(m: Any) -> Callable[[], Any]:
        b, x, w = tensors(m, (512,), (256, 512), (512, 512))
        return lambda: m.addmm(b, x, w.t())

    suite.add("addmm (512)+(256,512)@(512,512).t()", 2.0 * 256 * 512 * 512, addmm)

    def linear_grad(m: Any) -> Callable[[], Any]:
        x, w = tensors(m, (32, 128, 512), (512, 512))
        w.requires_grad_(True)

        def step() -> None:
            w.grad = None
            (x @ w).sum().backward()
        return step

    suite.add("(32,128,512)@(512,512) forward+backward", 4.0 * 32 * 128 * 512 * 512,
              linear_grad)

    def tiny(m: Any) -> Callable[[], Any]:
        a, b = tensors(m, (4, 4), (4, 4))
        return lambda: m.matmul(a, b)

    suite.add("matmul 4x4 (per-call overhead)", 0, tiny, budget=0.01)

    def tiny_grad(m: Any) -> Callable[[], Any]:
        a, b = tensors(m, (4, 4), (4, 4))
        a.requires_grad_(True)

        def step() -> None:
            a.grad = None
            (a @ b).sum().backward()
        return step

    suite.add("matmul 4x4 forward+backward", 0, tiny_grad, budget=0.01)
    suite.run(rounds)


if __name__ == "__main__":
    main()
