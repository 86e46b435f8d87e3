"""A second worker thread for NumPy work that releases the GIL: the machine's other core for
large elementwise chains and batches of small matrix products."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

_pool: list = []


def worker() -> Executor:
    """The process's worker thread (a forked child creates its own)."""
    if not _pool or _pool[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor

        _pool[:] = [os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="ember-worker")]
    return _pool[1]


def run_halves(fn: Callable[[int, int], Any], n: int) -> None:
    """fn(0, h) here and fn(h, n) on the worker, when set_num_threads allows two threads."""
    from ._threads import get_num_threads

    if n < 2 or get_num_threads() < 2:
        fn(0, n)
        return
    h = n // 2
    fut = worker().submit(fn, h, n)
    try:
        fn(0, h)
    finally:
        fut.result()
