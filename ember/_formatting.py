"""Minimal tensor formatting (placeholder until the full torch-format printer lands)."""

from __future__ import annotations

from typing import Any

import numpy as np


def format_tensor(t: Any, opts: dict) -> str:
    if t.device.type == "meta":
        body = "..."
    else:
        a = t._host()
        if a.dtype.name == "bfloat16":
            a = a.astype(np.float32)
        body = np.array2string(a, separator=", ", precision=opts["precision"], prefix="tensor(")
    extra = []
    if t.device.type != "cpu":
        extra.append(f"device='{t.device}'")
    if t.dtype.name not in ("float32", "int64", "bool"):
        extra.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extra.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extra.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extra) + ")"
