"""The `__torch_function__` protocol: how fx proxies and tensor subclasses intercept ops.

Every public op and Tensor method is wrapped by `ops._registry`, whose wrapper calls
`has_torch_function` on its arguments; only when that finds an overriding type is
`handle_torch_function` entered.
"""

from __future__ import annotations

import types as _types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from ._tensor import Tensor

_state = {"disabled": 0}

# Types that never override: tested first so the common case is one set lookup per argument.
_PLAIN: set[type] = {int, float, bool, complex, str, type(None), slice, type(Ellipsis), bytes}


def note_subclass(cls: type[Tensor]) -> None:
    """Tensor subclasses that disable __torch_function__ (Parameter) take the fast path."""
    # _disabled_impl is a classmethod bound to _DisabledHolder: a MethodType at runtime
    if (getattr(cls.__torch_function__, "__func__", None)
            is cast(_types.MethodType, _disabled_impl).__func__):
        _PLAIN.add(cls)


def register_plain(cls: type) -> None:
    _PLAIN.add(cls)


def _collect(value: Any, found: list) -> None:
    t = type(value)
    if t in _PLAIN:
        return
    if t is list or t is tuple:
        for v in value:
            _collect(v, found)
        return
    if t is dict:
        for v in value.values():
            _collect(v, found)
        return
    if hasattr(t, "__torch_function__") and t not in found:
        found.append(t)


def overloaded_types(args: tuple, kwargs: dict | None) -> list:
    """Types among the arguments that define __torch_function__, subclasses first."""
    if _state["disabled"]:
        return []
    found: list = []
    for a in args:
        _collect(a, found)
    if kwargs:
        for v in kwargs.values():
            _collect(v, found)
    if len(found) > 1:  # subclasses before their parents, as torch orders them
        ordered: list = []
        for t in found:
            idx = len(ordered)
            for i, o in enumerate(ordered):
                if issubclass(t, o):
                    idx = i
                    break
            ordered.insert(idx, t)
        found = ordered
    return found


def has_torch_function(args: tuple, kwargs: dict | None = None) -> bool:
    return bool(overloaded_types(args, kwargs))


def handle_torch_function(func: Callable, args: tuple, kwargs: dict | None,
                          found: list | None = None) -> Any:
    """Let each overriding type's __torch_function__ try `func`, as torch does."""
    kwargs = kwargs or {}
    found = found if found is not None else overloaded_types(args, kwargs)
    types = tuple(found)
    for t in found:
        ret = t.__torch_function__(func, types, args, kwargs)
        if ret is not NotImplemented:
            return ret
    names = ", ".join(t.__name__ for t in found)
    raise TypeError(f"no implementation found for '{getattr(func, '__name__', func)}' on types "
                    f"that implement __torch_function__: [{names}]")


class DisableTorchFunctionSubclass:
    """Inside the block, ops ignore __torch_function__ overrides (used by the default impl)."""

    def __enter__(self) -> None:
        _state["disabled"] += 1

    def __exit__(self, *exc: Any) -> None:
        _state["disabled"] -= 1


DisableTorchFunction = DisableTorchFunctionSubclass


def _convert(ret: Any, cls: type) -> Any:
    from ._tensor import Tensor

    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        return ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)) and type(ret) in (tuple, list):
        return type(ret)(_convert(r, cls) for r in ret)
    return ret


def default_torch_function(cls: type, func: Callable, types: Any, args: tuple,
                           kwargs: dict | None) -> Any:
    from ._tensor import Tensor

    if not all(issubclass(cls, t) or not issubclass(t, Tensor) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **(kwargs or {}))
    if getattr(func, "__name__", "") in _NO_CONVERT:
        return ret
    return _convert(ret, cls)


_NO_CONVERT = {"__get__", "__set__", "__repr__", "__format__"}


class _DisabledHolder:
    @classmethod
    def _disabled_impl(cls, func: Callable, types: Any, args: tuple = (),
                       kwargs: dict | None = None) -> Any:
        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))


_disabled_impl = _DisabledHolder._disabled_impl
# torch's name: subclasses set `__torch_function__ = _disabled_torch_function_impl`
_disabled_torch_function_impl = _disabled_impl


def is_tensor_method_or_property(func: Callable) -> bool:
    return getattr(func, "_ember_kind", None) == "method" or isinstance(func, _types.MethodType)
