"""Dynamic int8 Linear vs float32 Linear: ember and torch, interleaved in one process.

    python benchmarks/bench_quant_linear.py [--rounds 7] [--quick]

For 768x3072 and 3072x768 Linear layers at batch 1, 16 and 128, prints the time of Ember's
float32 nn.Linear, Ember's dynamically quantized Linear (quantize_dynamic, qint8), and the
same two in torch, with the ratio float/int8 for each library (> 1: int8 is faster) and the
bytes of weight each module holds. Every round times every case back to back and the best
round counts (the machine is shared). torch is optional.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402

try:
    import torch
except ImportError:  # torch is only the reference
    torch = None


def best_time(fn: Callable[[], Any], reps: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def weight_bytes(mod: Any) -> int:
    if hasattr(mod, "_packed_params"):
        packed = mod._packed_params.packed
        return packed.nbytes() if packed is not None else 0
    return int(mod.weight.numel() * mod.weight.element_size())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and repetitions")
    args = ap.parse_args()
    rounds = 2 if args.quick else args.rounds
    if torch is not None:
        torch.backends.quantized.engine = "fbgemm"
    print(f"{'shape':>10} {'batch':>5} | {'ember f32':>9} {'ember i8':>9} {'f32/i8':>6} | "
          f"{'torch f32':>9} {'torch i8':>9} {'f32/i8':>6} | weight bytes f32 -> i8")
    for fin, fout in ((768, 3072), (3072, 768)):
        ember.manual_seed(0)
        lin = ember.nn.Linear(fin, fout).eval()
        qlin = ember.quantization.quantize_dynamic(ember.nn.Sequential(lin), {ember.nn.Linear},
                                                   dtype=ember.qint8)[0]
        if torch is not None:
            tlin = torch.nn.Linear(fin, fout).eval()
            tlin.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                  for k, v in lin.state_dict().items()})
            tq = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(tlin),
                                                        {torch.nn.Linear}, dtype=torch.qint8)[0]
        for batch in (1, 16, 128):
            x = ember.randn(batch, fin)
            reps = max(3, (40 if batch < 128 else 10) // (4 if args.quick else 1))
            cases: dict[str, Callable[[], Any]] = {"ef": partial(lin, x), "eq": partial(qlin, x)}
            if torch is not None:
                tx = torch.from_numpy(x.numpy().copy())
                cases["tf"] = partial(tlin, tx)
                cases["tq"] = partial(tq, tx)
            best = {k: float("inf") for k in cases}
            with ember.no_grad():
                grad_off = torch.no_grad() if torch is not None else None
                if grad_off is not None:
                    grad_off.__enter__()
                for _ in range(rounds):
                    for k, fn in cases.items():
                        best[k] = min(best[k], best_time(fn, reps))
                if grad_off is not None:
                    grad_off.__exit__(None, None, None)
            us = {k: v * 1e6 for k, v in best.items()}
            line = (f"{fin}x{fout:<5} {batch:>5} | {us['ef']:8.0f}u {us['eq']:8.0f}u "
                    f"{us['ef'] / us['eq']:6.2f} | ")
            if torch is not None:
                line += f"{us['tf']:8.0f}u {us['tq']:8.0f}u {us['tf'] / us['tq']:6.2f} | "
            else:
                line += f"{'-':>9} {'-':>9} {'-':>6} | "
            line += f"{weight_bytes(lin)} -> {weight_bytes(qlin)}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
