"""Framework-neutral names for patterns, modules and graph nodes (ember vs torch)."""

from __future__ import annotations

import operator
from typing import Any

_MODULE_PREFIXES = [
    ("nn.intrinsic.qat", "nniqat."),
    ("nn.intrinsic.quantized", "nniq."),
    ("nn.intrinsic", "nni."),
    ("nn.qat", "nnqat."),
    ("nn.quantized.reference", "nnqr."),
    ("nn.quantized.dynamic", "nnqd."),
    ("nn.quantized", "nnq."),
    ("nn.modules", "nn."),
]


def class_name(cls: Any) -> str:
    mod = cls.__module__.split(".", 1)[1] if "." in cls.__module__ else cls.__module__
    mod = mod.replace("ao.", "")
    for key, prefix in _MODULE_PREFIXES:
        if mod.startswith(key):
            return prefix + cls.__name__
    return cls.__module__ + "." + cls.__name__


def func_name(fw: Any, f: Any) -> str:
    name = getattr(f, "__name__", None)
    if type(f).__name__ == "OpOverloadPacket":
        return str(f)  # torch.ops.quantized.add -> 'quantized.add'
    mod = getattr(f, "__module__", "") or ""
    if mod.endswith("quantized_ops"):
        return "quantized." + str(name)
    if name and getattr(operator, name, None) is f:
        return "operator." + name
    if name and getattr(fw.nn.functional, name, None) is f:
        return "F." + name
    if name and getattr(fw, name, None) is f:
        return "torch." + name
    if name == "gelu":  # torch._C._nn.gelu is F.gelu's kernel, not F.gelu itself
        return "F.gelu"
    if f is getattr:
        return "getattr"
    return f"{mod}.{name}"


def pattern_name(fw: Any, p: Any) -> Any:
    if isinstance(p, tuple):
        return tuple(pattern_name(fw, x) for x in p)
    if isinstance(p, str):
        return "method." + p
    if isinstance(p, type):
        return class_name(p)
    return func_name(fw, p)


def module_kind(m: Any) -> str:
    name = type(m).__name__
    if "Observer" in name or "FakeQuantize" in name:
        return "observer"
    get = getattr(m, "_get_name", None)
    return get() if get is not None else name


def node_kinds(fw: Any, gm: Any) -> list[tuple[str, str]]:
    """(op, kind) of every node: module kind, function/method name; get_attr kept as is."""
    mods = dict(gm.named_modules(remove_duplicate=False))
    out = []
    for n in gm.graph.nodes:
        if n.op == "call_module":
            out.append((n.op, module_kind(mods[n.target])))
        elif n.op == "call_function":
            out.append((n.op, func_name(fw, n.target)))
        elif n.op == "call_method":
            out.append((n.op, n.target))
        else:
            out.append((n.op, ""))
    return out
