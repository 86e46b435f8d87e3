"""Storage: the flat buffer all views of a tensor share, with the shared version counter."""

from __future__ import annotations

from typing import Any

import numpy as np


def root_array(arr: Any) -> Any:
    """The array that owns the memory `arr` views (the end of NumPy's/CuPy's base chain)."""
    base = arr
    while True:
        b = getattr(base, "base", None)
        if b is None or not hasattr(b, "shape"):
            return base
        base = b


class Storage:
    """Memory shared by a tensor and its views; `version` counts in-place writes to it."""

    __slots__ = ("root", "version", "__weakref__")

    def __init__(self, root: Any) -> None:
        self.root = root
        self.version = 0


class UntypedStorage:
    """What `Tensor.untyped_storage()` returns: a byte view of the shared buffer."""

    __slots__ = ("_storage", "device")

    def __init__(self, storage: Storage, device: Any) -> None:
        self._storage = storage
        self.device = device

    def nbytes(self) -> int:
        return int(self._storage.root.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def data_ptr(self) -> int:
        from .backends import for_device

        return for_device(self.device).data_ptr(self._storage.root)

    def __len__(self) -> int:
        return self.nbytes()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UntypedStorage) and other._storage is self._storage

    def __hash__(self) -> int:
        return id(self._storage)

    def tolist(self) -> list:
        root = self._storage.root
        flat = np.frombuffer(np.ascontiguousarray(root).tobytes(), dtype=np.uint8)
        return flat.tolist()

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self.nbytes()}, device={self.device})"
