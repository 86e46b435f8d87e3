"""FX graph mode quantization, ember vs torch in one process: prepare_fx, convert_fx, and a
forward pass of the float, prepared (observing) and quantized models.

    python benchmarks/bench_quant_fx.py [--rounds 5]

Models are the differential suite's (tests/ao/quantization/fx/models.py): a CNN with
BatchNorm, a residual MLP and a GPT-like block, with the same weights in both libraries.
Prints milliseconds per call and ember/torch ratios (< 1: ember is faster); best of rounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
import ember.ao.quantization as eq  # noqa: E402
import ember.ao.quantization.quantize_fx as eqfx  # noqa: E402
from tests.ao.quantization.fx.models import build_pair  # noqa: E402


def best(fn: Callable[[], Any], rounds: int, reps: int) -> float:
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps)
    return min(times) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    ember.set_num_threads(1)
    print(f"{'model':<6} {'step':<10} {'ember ms':>9} {'torch ms':>9} {'ratio':>6}")
    for name in ("cnn", "mlp", "gpt"):
        bench_model(name, args.rounds)


def bench_model(name: str, rounds: int) -> None:
    import torch
    import torch.ao.quantization as tq
    import torch.ao.quantization.quantize_fx as tqfx

    em, tm, data = build_pair(name)
    xe, xt = ember.from_numpy(data[0]), torch.from_numpy(data[0])

    def prep_e() -> Any:
        return eqfx.prepare_fx(build_pair(name)[0], eq.get_default_qconfig_mapping(), (xe,))

    def prep_t() -> Any:
        return tqfx.prepare_fx(build_pair(name)[1], tq.get_default_qconfig_mapping(), (xt,))

    pe, pt = prep_e(), prep_t()
    for x in data:
        pe(ember.from_numpy(x))
        pt(torch.from_numpy(x))

    def conv_e() -> Any:
        import copy

        return eqfx.convert_fx(copy.deepcopy(pe))

    def conv_t() -> Any:
        import copy

        return tqfx.convert_fx(copy.deepcopy(pt))

    ce, ct = conv_e(), conv_t()
    rows = [
        ("prepare", lambda: prep_e(), lambda: prep_t(), 1),
        ("convert", conv_e, conv_t, 1),
        ("float fwd", lambda: em(xe), lambda: tm(xt), 20),
        ("observe", lambda: pe(xe), lambda: pt(xt), 5),
        ("int8 fwd", lambda: ce(xe), lambda: ct(xt), 20),
    ]
    with ember.no_grad(), torch.no_grad():
        for step, fe, ft, reps in rows:
            te, tt = best(fe, rounds, reps), best(ft, rounds, reps)
            print(f"{name:<6} {step:<10} {te:>9.3f} {tt:>9.3f} {te / tt:>6.2f}")


if __name__ == "__main__":
    main()
