"""torch.backends.quantized: the quantized engine (`engine`, settable) and `supported_engines`.

Ember runs every engine's kernels with the same NumPy code; the engine only selects defaults
(e.g. which qconfig a workflow picks), as a name torch code reads and writes.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_ALL_ENGINES = ("none", "fbgemm", "qnnpack", "onednn", "x86")
_SUPPORTED = ["qnnpack", "onednn", "x86", "fbgemm"]
_state = {"engine": "x86"}


def _check_engine(name: Any) -> str:
    if name not in _ALL_ENGINES:
        raise RuntimeError(f"{name} is not a valid value for quantized engine (known engines: "
                           f"{', '.join(_SUPPORTED)})")
    if name not in _SUPPORTED:
        raise RuntimeError(f"quantized engine {name} is not supported (supported: "
                           f"{', '.join(_SUPPORTED)})")
    return name


class _QEngineProp:
    def __get__(self, obj: Any, objtype: Any) -> str:
        return _state["engine"]

    def __set__(self, obj: Any, val: str) -> None:
        _state["engine"] = _check_engine(val)


class _SupportedQEnginesProp:
    def __get__(self, obj: Any, objtype: Any) -> list[str]:
        return list(_SUPPORTED)

    def __set__(self, obj: Any, val: Any) -> None:
        raise RuntimeError("Assignment not supported")


class QuantizedEngine(types.ModuleType):
    """The module object itself: `engine` and `supported_engines` are properties on it."""

    def __init__(self, m: types.ModuleType, name: str) -> None:
        super().__init__(name, m.__doc__)
        self.m = m

    def __getattr__(self, attr: str) -> Any:
        return self.m.__getattribute__(attr)

    engine = _QEngineProp()
    supported_engines = _SupportedQEnginesProp()


sys.modules[__name__] = QuantizedEngine(sys.modules[__name__], __name__)
