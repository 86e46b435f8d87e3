"""The op registry: one entry per public op, and the single dispatch point every call crosses.

`@register(...)` takes an implementation `impl(*args, **kwargs)` and publishes:
  - the function `ember.<name>` (when `function=True`),
  - the method `Tensor.<name>` (when `method=True`), plus any `aliases`/`dunders`,
  - the in-place method `Tensor.<name>_` built from `inplace=` (an impl that writes into self),
  - `out=` handling when `out=True`.
Each published callable first checks its arguments for `__torch_function__` overrides
(fx proxies, subclasses); the common case costs one type test per argument.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import overrides as _ov
from .._tensor import Tensor

_PLAIN = _ov._PLAIN
_PLAIN.add(Tensor)
_overloaded = _ov.overloaded_types
_handle = _ov.handle_torch_function


@dataclass
class OpInfo:
    """What the registry knows of an op; tests, fx and quantization read this table."""

    name: str
    impl: Callable
    function: Callable | None = None
    method: Callable | None = None
    inplace: Callable | None = None
    differentiable: bool = True
    out: bool = False
    family: str = ""
    aliases: tuple = ()
    extra: dict = field(default_factory=dict)


OPS: dict[str, OpInfo] = {}
FUNCTIONS: dict[str, Callable] = {}   # public ember.<name>
METHODS: dict[str, Callable] = {}     # Tensor.<name>


def _wrap(impl: Callable, name: str, kind: str, qualname: str,
          out_impl: Callable | None = None) -> Callable:
    """The dispatch point: override check, then the implementation (out_impl for out=)."""

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        for a in args:
            t = type(a)
            if t not in _PLAIN:
                if t is tuple or t is list:  # sizes, dims: scan the items inline
                    for v in a:
                        if type(v) not in _PLAIN:
                            break
                    else:
                        continue
                found = _overloaded(args, kwargs)
                if found:
                    return _handle(dispatch, args, kwargs, found)
                break
        else:
            if kwargs:
                for v in kwargs.values():
                    if type(v) not in _PLAIN:
                        found = _overloaded(args, kwargs)
                        if found:
                            return _handle(dispatch, args, kwargs, found)
                        break
        if out_impl is not None and kwargs and "out" in kwargs:
            return out_impl(*args, **kwargs)
        return impl(*args, **kwargs)

    if _DEBUG:
        dispatch = _traced(dispatch, qualname)
    dispatch.__name__ = name
    dispatch.__qualname__ = qualname
    dispatch.__doc__ = impl.__doc__
    dispatch.__wrapped__ = impl  # type: ignore[attr-defined]
    dispatch._ember_kind = kind  # type: ignore[attr-defined]
    return dispatch


# EMBER_DEBUG=1 prints every op call with its arguments' shapes, dtypes and devices. Decided
# once at import, so the normal dispatch path carries no check for it.
_DEBUG = os.environ.get("EMBER_DEBUG", "") not in ("", "0")


def _describe(a: Any) -> str:
    if isinstance(a, Tensor):
        return f"Tensor{list(a._data.shape)}:{a.dtype.name}@{a.device}"
    if isinstance(a, (list, tuple)):
        inner = ", ".join(_describe(v) for v in a[:4]) + (", ..." if len(a) > 4 else "")
        return f"[{inner}]" if isinstance(a, list) else f"({inner})"
    return repr(a) if isinstance(a, (int, float, bool, str, type(None))) else type(a).__name__


def _traced(fn: Callable, qualname: str) -> Callable:
    def traced(*args: Any, **kwargs: Any) -> Any:
        parts = [_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()]
        out = fn(*args, **kwargs)
        print(f"[ember] {qualname}({', '.join(parts)}) -> {_describe(out)}", file=sys.stderr)
        return out

    return traced


def _with_out(impl: Callable, name: str) -> Callable:
    def with_out(*args: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        res = impl(*args, **kwargs)
        if out is None:
            return res
        from ._out import write_out

        return write_out(name, res, out)

    with_out.__doc__ = impl.__doc__
    return with_out


def register(name: str, *, function: bool = True, method: bool = False,
             inplace: Callable | None = None, out: bool = False, differentiable: bool = True,
             aliases: tuple = (), method_aliases: tuple = (), family: str = "",
             namespace: str = "", **extra: Any) -> Callable:
    """Decorator publishing `impl` under `name` (see the module docstring).

    namespace="nn.functional" (or another submodule path) keeps the function out of the
    top-level `ember.*` namespace; the returned callable is still the dispatching wrapper, and
    the op is indexed in OPS as "<namespace>.<name>".
    """

    def deco(impl: Callable) -> Callable:
        out_impl = _with_out(impl, name) if out else None
        key = f"{namespace}.{name}" if namespace else name
        info = OpInfo(name, impl, differentiable=differentiable, out=out,
                      family=family or impl.__module__.rsplit(".", 1)[-1], aliases=aliases,
                      extra=dict(extra, namespace=namespace) if namespace else extra)
        if function:
            info.function = _wrap(impl, name, "function", name, out_impl)
            if not namespace:
                FUNCTIONS[name] = info.function
                for al in aliases:
                    FUNCTIONS[al] = _wrap(impl, al, "function", al, out_impl)
        if method:
            info.method = _wrap(impl, name, "method", f"Tensor.{name}")
            METHODS[name] = info.method
            for al in aliases + method_aliases:
                METHODS[al] = _wrap(impl, al, "method", f"Tensor.{al}")
        if inplace is not None:
            iname = name + "_"
            info.inplace = _wrap(inplace, iname, "method", f"Tensor.{iname}")
            METHODS[iname] = info.inplace
            for al in aliases:
                METHODS[al + "_"] = _wrap(inplace, al + "_", "method", f"Tensor.{al}_")
        OPS[key] = info
        for al in aliases:
            OPS.setdefault(f"{namespace}.{al}" if namespace else al, info)
        return info.function or info.method or impl

    return deco


def register_method(name: str, impl: Callable) -> Callable:
    """A Tensor method (dunders included) dispatched like any op."""
    m = _wrap(impl, name, "method", f"Tensor.{name}")
    METHODS[name] = m
    return m


def install_methods() -> None:
    """Attach every registered method to Tensor (called once, at import)."""
    for name, fn in METHODS.items():
        setattr(Tensor, name, fn)
