"""torch.utils.data._utils.worker and fetch: what a DataLoader worker process runs.

A worker seeds Python's, NumPy's and ember's generators from the loader's base seed plus its
id (as torch does), fetches and collates the batches whose indices arrive on its queue, and
sends them back with tensors replaced by their NumPy arrays (`_pack`); the parent rebuilds
ember tensors from them without a copy (`_unpack`).
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

import ember
from ember import _dtype as _D
from ember._device import CPU
from ember._tensor import Tensor, make

__all__ = ["WorkerInfo", "get_worker_info"]

MP_STATUS_CHECK_INTERVAL = 5.0   # how often a worker checks that its parent is alive


# ------------------------------------------------------------------ fetchers
class _DatasetKind:
    Map = 0
    Iterable = 1

    @staticmethod
    def create_fetcher(kind: int, dataset: Any, auto_collation: bool, collate_fn: Callable,
                       drop_last: bool) -> Any:
        cls = _MapDatasetFetcher if kind == _DatasetKind.Map else _IterableDatasetFetcher
        return cls(dataset, auto_collation, collate_fn, drop_last)


class _MapDatasetFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        data = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(data)


class _IterableDatasetFetcher(_MapDatasetFetcher):
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable,
                 drop_last: bool) -> None:
        super().__init__(dataset, auto_collation, collate_fn, drop_last)
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


# ------------------------------------------------------------------ worker side
@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What get_worker_info() returns inside a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The current worker's id, worker count, seed and dataset copy; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    seed: int | None = None


class _ExceptionWrapper:
    """An exception raised in a worker, carried to the parent with its traceback text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, tb = sys.exc_info()
        # built inside an `except` block: there is an exception being handled
        self.exc_type = cast("type[BaseException]", exc_type)
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, tb))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:  # KeyError would repr() the message
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


class _Packed:
    """A tensor in transit from a worker: its NumPy array, dtype name, device, requires_grad."""

    __slots__ = ("arr", "dtype", "device", "requires_grad")

    def __init__(self, t: Tensor) -> None:
        a = t._host()
        self.arr = a if a.flags.c_contiguous or a.flags.f_contiguous else np.ascontiguousarray(a)
        self.dtype, self.device = t.dtype.name, str(t.device)
        self.requires_grad = t.requires_grad

    def __getstate__(self) -> tuple:
        return (self.arr, self.dtype, self.device, self.requires_grad)

    def __setstate__(self, s: tuple) -> None:
        self.arr, self.dtype, self.device, self.requires_grad = s

    def tensor(self) -> Tensor:
        dt = getattr(_D, self.dtype, None) if self.dtype != "bool" else _D.bool_
        if not isinstance(dt, _D.dtype):
            dt = getattr(ember, self.dtype)
        t = make(self.arr, dt, CPU)
        if self.device != "cpu":
            t = t.to(self.device)
        return t.requires_grad_(True) if self.requires_grad else t


def _pack(x: Any) -> Any:
    """Replace tensors (inside lists, tuples, namedtuples and dicts) by their arrays."""
    t = type(x)
    if t is Tensor:
        return _Packed(x)
    if t is list:
        return [_pack(v) for v in x]
    if t is tuple:
        return tuple(_pack(v) for v in x)
    if t is dict:
        return {k: _pack(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return t(*(_pack(v) for v in x))
    return x


def _unpack(x: Any) -> Any:
    """Inverse of _pack: arrays become ember tensors again (no copy)."""
    t = type(x)
    if t is _Packed:
        return x.tensor()
    if t is list:
        return [_unpack(v) for v in x]
    if t is tuple:
        return tuple(_unpack(v) for v in x)
    if t is dict:
        return {k: _unpack(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return t(*(_unpack(v) for v in x))
    return x


def _worker_seed_state(base_seed: int, worker_id: int) -> list:
    """The NumPy legacy seed torch gives each worker (a SeedSequence of base seed and id)."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


def _worker_loop(kind: int, dataset: Any, index_queue: Any, data_queue: Any, done_event: Any,
                 auto_collation: bool, collate_fn: Callable, drop_last: bool, base_seed: int,
                 init_fn: Callable | None, worker_id: int, num_workers: int) -> None:
    """A worker process: fetch the batches whose indices arrive on index_queue, in order."""
    global _worker_info
    try:
        ember.set_num_threads(1)
        seed = base_seed + worker_id
        random.seed(seed)
        ember.manual_seed(seed)
        np.random.seed(_worker_seed_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(kind, dataset, auto_collation, collate_fn,
                                                  drop_last)
        except Exception:
            init_error = _ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        iteration_end = False
        data: Any  # a packed batch, or the wrapper that reports a worker's error or end
        parent = os.getppid()
        while os.getppid() == parent:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(kind, dataset, auto_collation,
                                                      collate_fn, drop_last)
                continue
            if r is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = _pack(fetcher.fetch(index))
                except StopIteration:
                    if kind != _DatasetKind.Iterable:
                        data = _ExceptionWrapper(f"in DataLoader worker process {worker_id}")
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = _ExceptionWrapper(f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
