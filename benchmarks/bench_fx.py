"""ember.fx against torch.fx in one process: tracing + recompiling a ~1,000-node model, the
generated code against eager, and the Interpreter against the generated code.

    python benchmarks/bench_fx.py [--depth 110] [--width 256] [--batch 64]

Targets (issue 5): trace+recompile <= 1x torch.fx's time; generated code at eager speed
(ratio ~1.0); Interpreter <= 2x the generated code. The model is a residual MLP stack written
once for both frameworks; each block records 9 nodes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ember  # noqa: E402
import ember.fx  # noqa: E402

try:
    import torch
    import torch.fx
except ImportError:  # ember alone still runs
    torch = None


def make_model(fw: Any, depth: int, width: int) -> Any:
    nn, F = fw.nn, fw.nn.functional

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.LayerNorm(width)
            self.lin = nn.Linear(width, width)

        def forward(self, x: Any) -> Any:
            h = F.gelu(self.lin(self.norm(x)))
            h = h * 0.5 + fw.tanh(x)
            return x + h.relu() - x.mean(dim=-1, keepdim=True)

    class Deep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList([Block() for _ in range(depth)])

        def forward(self, x: Any) -> Any:
            for b in self.blocks:
                x = b(x)
            return x

    return Deep()


def timed(fn: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=110)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    ember.set_num_threads(1)
    em = make_model(ember, a.depth, a.width).eval()
    x_np = np.random.default_rng(0).standard_normal((a.batch, a.width)).astype(np.float32)
    ex = ember.tensor(x_np)
    rows = []

    def e_trace() -> Any:
        return ember.fx.symbolic_trace(em)

    egm = e_trace()
    n_nodes = len(egm.graph.nodes)
    e_tr = timed(e_trace, a.repeats)
    e_rc = timed(egm.recompile, a.repeats)
    with ember.no_grad():
        e_eager = timed(lambda: em(ex), a.repeats)
        e_gen = timed(lambda: egm(ex), a.repeats)
        e_int = timed(lambda: ember.fx.Interpreter(egm).run(ex), a.repeats)
    if torch is not None:
        torch.set_num_threads(1)
        tm = make_model(torch, a.depth, a.width).eval()
        tx = torch.tensor(x_np)
        tgm = torch.fx.symbolic_trace(tm)
        assert len(tgm.graph.nodes) == n_nodes
        t_tr = timed(lambda: torch.fx.symbolic_trace(tm), a.repeats)
        t_rc = timed(tgm.recompile, a.repeats)
        with torch.no_grad():
            t_eager = timed(lambda: tm(tx), a.repeats)
            t_gen = timed(lambda: tgm(tx), a.repeats)
            t_int = timed(lambda: torch.fx.Interpreter(tgm).run(tx), a.repeats)
    print(f"model: {a.depth} residual blocks, {n_nodes} nodes, batch {a.batch}x{a.width}")
    hdr = f"{'measure':38s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}"
    print(hdr)
    print("-" * len(hdr))

    def row(name: str, e: float, t: float | None) -> None:
        ts = f"{t * 1e3:8.2f}ms" if t is not None else "       n/a"
        ratio = f"{e / t:7.2f}" if t is not None else "    n/a"
        rows.append((name, e, t))
        print(f"{name:38s} {e * 1e3:8.2f}ms {ts} {ratio}")

    tt = torch is not None
    row("trace (symbolic_trace, incl. codegen)", e_tr, t_tr if tt else None)
    row("recompile", e_rc, t_rc if tt else None)
    row("trace + recompile", e_tr + e_rc, (t_tr + t_rc) if tt else None)
    row("eager forward", e_eager, t_eager if tt else None)
    row("generated code forward", e_gen, t_gen if tt else None)
    row("Interpreter.run", e_int, t_int if tt else None)
    print()
    per = f"{(e_tr + e_rc) / n_nodes * 1e6:.1f} us"
    if tt:
        per += f" (torch.fx {(t_tr + t_rc) / n_nodes * 1e6:.1f} us)"
    print(f"trace + recompile per node: {per}")
    print(f"ember generated code / ember eager : {e_gen / e_eager:5.2f}  (target ~1.0)")
    print(f"ember Interpreter / generated code : {e_int / e_gen:5.2f}  (target <= 2.0)")
    if tt:
        print(f"ember / torch.fx trace+recompile   : {(e_tr + e_rc) / (t_tr + t_rc):5.2f}  "
              "(target <= 1.0)")
        print(f"torch: generated / eager {t_gen / t_eager:5.2f}, Interpreter / generated "
              f"{t_int / t_gen:5.2f}")


if __name__ == "__main__":
    main()
