"""Keep freed large buffers in the process heap, the CPU analogue of a caching allocator.

glibc serves blocks over its mmap threshold (128 KiB at start, adapting up to 32 MiB) with
fresh mmap calls and trims the heap top eagerly, so a model whose activations are a few MiB
pays a page fault per 4 KiB on every op's output, every step (measured: ~35% of a small GPT's
no-grad forward here). Raising both thresholds makes freed blocks reusable. The cost: a
process holds on to up to `trim` bytes of freed heap. `EMBER_MALLOC_CACHE=0` leaves glibc's
defaults alone; other C libraries (macOS, musl) are left alone too.
"""

from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's maximum for this setting on 64-bit
TRIM_THRESHOLD = 256 << 20

state = {"enabled": False}


def configure() -> bool:
    """Apply the thresholds once; True when glibc accepted them."""
    if state["enabled"] or os.environ.get("EMBER_MALLOC_CACHE", "1") == "0":
        return state["enabled"]
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - raises AttributeError unless this is glibc
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    state["enabled"] = ok
    return ok
