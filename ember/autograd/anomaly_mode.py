"""Anomaly detection: record forward stacks on nodes, fail on NaN gradients."""

from __future__ import annotations

import warnings
from typing import Any

from .grad_mode import _DecoratorContextManager, state


class detect_anomaly(_DecoratorContextManager):
    """Inside the block, nodes remember their forward traceback and NaN gradients raise."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (state.anomaly, state.anomaly_nan)
        state.anomaly, state.anomaly_nan = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        state.anomaly, state.anomaly_nan = self.prev

    def clone(self) -> detect_anomaly:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.__class__(self.check_nan)


class set_detect_anomaly:
    """Turn anomaly detection on or off (as a call or a context manager)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (state.anomaly, state.anomaly_nan)
        state.anomaly, state.anomaly_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        state.anomaly, state.anomaly_nan = self.prev


def is_anomaly_enabled() -> bool:
    return state.anomaly
