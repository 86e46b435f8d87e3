"""Grad mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode.

The flag is process-global (torch's is thread-local); ops read `state.enabled` directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any


class _State:
    __slots__ = ("enabled", "inference", "anomaly", "anomaly_nan")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False
        self.anomaly = False
        self.anomaly_nan = True


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _DecoratorContextManager:
    """A context manager that also decorates functions (and generator functions)."""

    def __call__(self, func: Callable) -> Callable:
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} cannot decorate a class")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self) -> _DecoratorContextManager:
        return self.__class__()

    if TYPE_CHECKING:  # every subclass defines the context-manager pair
        def __enter__(self) -> None: ...
        def __exit__(self, *exc: Any) -> None: ...


class no_grad(_DecoratorContextManager):
    """Disable gradient recording inside the block."""

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable gradient recording inside the block."""

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode now (function form) or for a block (context-manager form)."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad; Ember has no separate inference tensors, so it only disables recording."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True

    def __exit__(self, *exc: Any) -> None:
        state.enabled, state.inference = self.prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
