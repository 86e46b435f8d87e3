"""Quantization foundation speed against torch, in one process: quantize / dequantize, ops on
quantized tensors, observers and fake quantization. Prints times and the ratio ember/torch.

    python benchmarks/bench_quant.py
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ember  # noqa: E402

try:
    import torch
except ImportError:  # the benchmark still runs ember alone
    torch = None

warnings.simplefilter("ignore")


def per_call(fn, target_s: float = 0.05) -> float:
    """Best-of-5 seconds per call, each batch lasting about target_s."""
    fn()
    n, t = 1, 0.0
    while t < target_s / 4:
        n *= 2
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
    n = max(1, int(n * target_s / t))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def cases(m, x_np):
    x = m.tensor(x_np)
    q = m.quantize_per_tensor(x, 0.05, 10, m.quint8)
    img = m.quantize_per_tensor(m.tensor(x_np.reshape(8, 32, 32, 32)), 0.05, 10, m.quint8)
    F = m.nn.functional
    mm = m.ao.quantization.MinMaxObserver()
    hist = m.ao.quantization.HistogramObserver()
    fq = m.ao.quantization.default_fake_quant()
    xg = m.tensor(x_np, requires_grad=True)

    def fq_step():
        fq(xg).sum().backward()

    return {
        "quantize_per_tensor 262k": lambda: m.quantize_per_tensor(x, 0.05, 10, m.quint8),
        "dequantize 262k": lambda: q.dequantize(),
        "int_repr 262k": lambda: q.int_repr(),
        "relu (quantized) 262k": lambda: m.relu(q),
        "max_pool2d 2x2 (quantized)": lambda: F.max_pool2d(img, 2),
        "adaptive_avg_pool2d 1 (quantized)": lambda: F.adaptive_avg_pool2d(img, 1),
        "view+flatten (quantized)": lambda: q.view(512, 512).flatten(1),
        "MinMaxObserver fwd 262k": lambda: mm(x),
        "HistogramObserver fwd 262k": lambda: hist(x),
        "HistogramObserver calculate_qparams": lambda: hist.calculate_qparams(),
        "FakeQuantize fwd+bwd 262k": fq_step,
    }


def main() -> None:
    x_np = np.random.default_rng(0).standard_normal(262144).astype(np.float32)
    e_cases = cases(ember, x_np)
    t_cases = cases(torch, x_np) if torch is not None else {}
    print(f"{'case':40s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, fn in e_cases.items():
        te = per_call(fn)
        tt = per_call(t_cases[name]) if name in t_cases else float("nan")
        print(f"{name:40s} {te * 1e6:8.1f}us {tt * 1e6:8.1f}us {te / tt:7.2f}")


if __name__ == "__main__":
    main()
