"""The GPT example's `--quantize` step: float, dynamic, static and QAT versions compared.

Each version is a copy of the trained model:
  dynamic  quantize_dynamic(model, {nn.Linear}, dtype=qint8): int8 weights, activations
           quantized per call; nothing else to do.
  static   every nn.Linear gets the fbgemm qconfig and is wrapped by add_quant_dequant in a
           QuantWrapper (QuantStub -> Linear -> DeQuantStub), because the layers between them
           (LayerNorm, attention, GELU, embeddings) stay in float; prepare, a few calibration
           batches, convert.
  qat      the same wrapping with the fbgemm QAT qconfig, prepare_qat, a short fine-tune at a
           low learning rate, convert.
The table reports parameter bytes, the validation loss on the same fixed batches, and the
time of one forward pass on a batch.
"""

from __future__ import annotations

import copy
import time
import warnings
from types import ModuleType
from typing import Any

import numpy as np


def _param_bytes(model: Any) -> int:
    """Bytes of float parameters and buffers plus packed quantized weights, shared ones once."""
    seen: set[int] = set()
    total = 0
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    for m in model.modules():
        packed = getattr(m, "_packed_params", None)
        if packed is not None and hasattr(packed, "_weight_bias"):
            w, b = packed._weight_bias()
            total += w.numel() * (1 if w.is_quantized else w.element_size())
            total += 0 if b is None else b.numel() * b.element_size()
        elif hasattr(m, "weight") and callable(m.weight):  # quantized conv/linear
            w = m.weight()
            total += w.numel() * (1 if w.is_quantized else w.element_size())
    return total


def _val_loss(torch: ModuleType, model: Any, batches: list) -> float:
    model.eval()
    with torch.no_grad():
        losses = [model(torch.from_numpy(x), torch.from_numpy(y))[1].item() for x, y in batches]
    return float(np.mean(losses))


def _forward_ms(torch: ModuleType, models: dict[str, Any], x: np.ndarray,
                rounds: int = 5) -> dict[str, float]:
    """Best time of one forward per model, the models interleaved in every round so that a
    burst of load on a shared machine hits them alike."""
    xt = torch.from_numpy(x)
    best = {name: float("inf") for name in models}
    with torch.no_grad():
        for m in models.values():
            m.eval()
            m(xt)
        for _ in range(rounds):
            for name, m in models.items():
                t0 = time.perf_counter()
                m(xt)
                best[name] = min(best[name], time.perf_counter() - t0)
    return {name: t * 1e3 for name, t in best.items()}


def _wrap_linears(torch: ModuleType, model: Any, qconfig: Any) -> Any:
    for m in model.modules():
        if type(m) is torch.nn.Linear:
            m.qconfig = qconfig
    return torch.ao.quantization.add_quant_dequant(model)


def quantized_versions(torch: ModuleType, model: Any, data: Any, args: Any,
                       rng: np.random.Generator, qat_steps: int = 10,
                       calib_batches: int = 4) -> dict[str, Any]:
    """The four versions of a trained GPT, each a separate model."""
    # fbgemm's default observers pass reduce_range, which torch (and ember) warn is deprecated
    warnings.filterwarnings("ignore", message="Please use quant_min and quant_max")
    q = torch.ao.quantization
    if hasattr(torch.backends, "quantized"):
        torch.backends.quantized.engine = "fbgemm"
    model = copy.deepcopy(model).cpu().eval()
    out: dict[str, Any] = {"float": model}
    out["dynamic"] = q.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)

    static = _wrap_linears(torch, copy.deepcopy(model), q.get_default_qconfig("fbgemm"))
    q.prepare(static, inplace=True)
    with torch.no_grad():
        for _ in range(calib_batches):
            x, _ = data.batch("train", args.batch_size, args.block_size, rng)
            static(torch.from_numpy(x))
    out["static"] = q.convert(static, inplace=True)

    qat = _wrap_linears(torch, copy.deepcopy(model).train(),
                        q.get_default_qat_qconfig("fbgemm"))
    q.prepare_qat(qat, inplace=True)
    opt = torch.optim.AdamW(qat.parameters(), lr=args.lr / 20, weight_decay=0.0)
    for _ in range(qat_steps):
        x, y = data.batch("train", args.batch_size, args.block_size, rng)
        _, loss = qat(torch.from_numpy(x), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    out["qat"] = q.convert(qat.eval(), inplace=True)
    return out


def report(torch: ModuleType, model: Any, data: Any, args: Any, say: Any = print,
           qat_steps: int = 10) -> list[dict[str, Any]]:
    """Build the versions, measure them and print the table; returns its rows."""
    rng = np.random.default_rng(args.seed + 1)
    versions = quantized_versions(torch, model, data, args, rng, qat_steps=qat_steps)
    eval_rng = np.random.default_rng(args.seed + 2)
    batches = [data.batch("val", args.batch_size, args.block_size, eval_rng) for _ in range(8)]
    ms = _forward_ms(torch, versions, batches[0][0])
    rows: list[dict[str, Any]] = []
    for name, m in versions.items():
        rows.append({"version": name, "bytes": _param_bytes(m),
                     "val_loss": _val_loss(torch, m, batches), "ms": ms[name]})
    base = rows[0]
    say(f"\n{'version':<8} {'size (KB)':>10} {'vs float':>8} {'val loss':>9} "
        f"{'ms/forward':>11} {'speed-up':>8}")
    for r in rows:
        say(f"{r['version']:<8} {r['bytes'] / 1024:10.1f} {r['bytes'] / base['bytes']:8.2f} "
            f"{r['val_loss']:9.4f} {r['ms']:11.1f} {base['ms'] / r['ms']:8.2f}")
    say(f"(forward of {args.batch_size} x {args.block_size} characters; sizes count each shared "
        "tensor once: the tied token embedding stays float)")
    return rows
