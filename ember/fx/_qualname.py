"""Importable names of call_function targets: `ember.add`, `ember.nn.functional.relu`, ...

Ember's public functions are dispatch wrappers defined in `ember.ops._registry`, so their
`__module__` does not say where users find them; a reverse index of the public namespaces does.
"""

from __future__ import annotations

import builtins
import importlib
import types
from typing import Any

# Public namespaces searched in order; the first one holding an object names it.
_NAMESPACES = ("ember", "ember.nn.functional", "ember.linalg", "ember.special", "ember.fft",
               "ember.nn.init", "ember.autograd", "ember.fx")
_index: dict[int, str] = {}
_indexed_modules: set[str] = set()


def _build_index() -> None:
    for modname in _NAMESPACES:
        if modname in _indexed_modules:
            continue
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        _indexed_modules.add(modname)
        for k, v in vars(mod).items():
            if k.startswith("__") or isinstance(v, (types.ModuleType, int, float, str, bool)):
                continue
            if callable(v):
                _index.setdefault(id(v), f"{modname}.{k}")


def qualified_name(obj: Any) -> str:
    """Dotted import path of a function or class (`ember.add`, `operator.add`, `math.sqrt`)."""
    if len(_indexed_modules) < 3:
        _build_index()
    name = _index.get(id(obj))
    if name is not None:
        return name
    fname = str(getattr(obj, "__name__", ""))
    if getattr(builtins, fname, None) is obj:
        return fname
    mod = getattr(obj, "__module__", None)
    qn = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if mod is None or qn is None:
        raise RuntimeError(f"fx: cannot name the call target {obj!r}; it has no module/qualname")
    if mod == "_operator":
        mod = "operator"
    return f"{mod}.{qn}"


def resolve(name: str) -> Any:
    """The object a `qualified_name` refers to (the inverse, for unpickling graphs)."""
    if "." not in name:
        return getattr(builtins, name)
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise RuntimeError(f"fx: cannot import {name!r}")


def is_resolvable(obj: Any) -> bool:
    try:
        return resolve(qualified_name(obj)) is obj
    except (AttributeError, RuntimeError):
        return False
