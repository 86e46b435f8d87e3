"""ember.device: 'cpu', 'cuda[:n]' and 'meta', parsed and compared as torch does.

Also the default device (torch.set_default_device, `with ember.device('meta'):`), which the
factory functions in ops/creation.py read.
"""

from __future__ import annotations

import re
from typing import Any

# Every device type torch's parser accepts; only cpu, cuda and meta have a backend (tensors on
# the others raise when created), but device objects of all of them can be built and compared.
_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_PATTERN = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")
_UNSET: Any = object()
_cache: dict = {}
_interned: dict = {}


def _parse(s: str) -> tuple:
    hit = _cache.get(s)
    if hit is not None:
        return hit
    if not s:
        raise RuntimeError("Device string must not be empty")
    m = _PATTERN.fullmatch(s)
    if m is None:
        raise RuntimeError(f"Invalid device string: '{s}'")
    name, idx = m.group(1), m.group(2)
    if name not in _TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                           f"string: {name}")
    r = _cache[s] = (name, None if idx is None else int(idx))
    return r


class device:
    """torch.device: a device type and an optional index; also a default-device context."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __new__(cls, type: Any, index: Any = _UNSET) -> device:  # noqa: A002 - torch's name
        if isinstance(type, device):
            if index is not _UNSET:
                raise TypeError("device(): argument 'type' (position 1) must be str, not "
                                "ember.device")
            return type
        if isinstance(type, int) and not isinstance(type, bool) and index is _UNSET:
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            type, index = "cuda", type  # an ordinal means the accelerator: CUDA here
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({_tname(type)}), but expected one of: (ember.device device), "
                            "(str type, int index = -1)")
        name, idx = _parse(type)
        if index is not _UNSET:
            if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
                raise TypeError("device(): argument 'index' (position 2) must be int, not "
                                f"{_tname(index)}")
            if idx is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if index is not None:
                if index < 0:
                    raise RuntimeError("Device index must not be negative")
                idx = index
        key = (cls, name, idx)
        self = _interned.get(key)
        if self is None:  # one object per device, so hot paths may compare with `is`
            self = object.__new__(cls)
            object.__setattr__(self, "type", name)
            object.__setattr__(self, "index", idx)
            _interned[key] = self
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"attribute '{name}' of 'ember.device' objects is not writable")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented  # torch: device('cpu') == 'cpu' is False
        return self.type == other.type and self.index == other.index

    def __ne__(self, other: object) -> bool:
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __reduce__(self) -> tuple:
        return (device, (self.type,) if self.index is None else (self.type, self.index))

    # `with ember.device('meta'):` makes factory functions default to this device.
    def __enter__(self) -> device:
        _state.stack.append(_state.default)
        _state.default = None if self.type == "cpu" else self
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.default = _state.stack.pop()


def _tname(x: Any) -> str:
    return "None" if x is None else type(x).__name__


CPU = device("cpu")
META = device("meta")


class _State:
    __slots__ = ("default", "stack")

    def __init__(self) -> None:
        self.default: device | None = None  # None means cpu, the fast path
        self.stack: list = []


_state = _State()


def set_default_device(device: Any) -> None:  # noqa: A002 - torch's name
    """torch.set_default_device: factories without device= create tensors there (None: cpu)."""
    d = None if device is None else canonical(device)
    _state.default = None if d is CPU else d


def get_default_device() -> device:
    """torch.get_default_device."""
    return CPU if _state.default is None else _state.default


def canonical(d: Any) -> device:
    """A device with its index filled in (cuda -> cuda:current), the form tensors carry."""
    d = device(d)
    if d.type == "cuda" and d.index is None:
        from .backends import cuda as _cuda

        return device("cuda", _cuda.current_device())
    if d.type == "cpu":
        return CPU
    return d
