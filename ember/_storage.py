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


def _extent(arr: Any) -> int:
    """Bytes spanned by `arr` from its first element (strides are non-negative for roots)."""
    if arr.size == 0:
        return 0
    if arr.flags.c_contiguous:
        return int(arr.nbytes)
    return int(sum((n - 1) * abs(s) for n, s in zip(arr.shape, arr.strides, strict=True))
               + arr.itemsize)


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
        """Bytes from the first to one past the last element of the shared buffer."""
        root = self._storage.root
        if self.device.type == "meta":  # the root is the zero-strided ghost it was made as
            return int(root.size) * root.itemsize
        return _extent(root)

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
        """The buffer's bytes as a list of ints."""
        if self.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        from .backends import to_numpy

        root = self._storage.root
        n = _extent(root)
        if n == 0:
            return []
        if not (root.flags.c_contiguous and root.nbytes == n):
            root = np.lib.stride_tricks.as_strided(root, shape=(n // root.itemsize,),
                                                   strides=(root.itemsize,), writeable=False)
        return to_numpy(root).reshape(-1).view(np.uint8).tolist()

    def __repr__(self) -> str:
        return f"UntypedStorage(nbytes={self.nbytes()}, device={self.device})"
