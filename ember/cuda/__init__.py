"""ember.cuda: torch.cuda's device and RNG functions, over CuPy (ember/backends/cuda.py).

Importing this module does not import CuPy; the first call that needs a GPU does. Calls that
need one raise RuntimeError explaining how to get CUDA when none is there; is_available(),
device_count(), manual_seed*, seed*, empty_cache() and memory_allocated() work without one.
Random numbers for CUDA tensors are drawn on the host by the device's generator and copied.
"""

from __future__ import annotations

from typing import Any, Literal

from .. import _random as _R
from .._device import device as _device_t
from ..backends import cuda as _backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "get_device_capability", "get_device_properties",
           "is_initialized", "init", "device", "device_of", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "initial_seed", "get_rng_state", "set_rng_state",
           "get_rng_state_all", "set_rng_state_all", "empty_cache", "memory_allocated",
           "memory_reserved", "is_bf16_supported"]


def _require() -> Any:
    _backend.require()
    return _backend.xp


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return _backend.is_available()


def device_count() -> int:
    """The number of visible GPUs (0 without CuPy or a GPU)."""
    return _backend.device_count()


def is_initialized() -> bool:
    """Whether CUDA (CuPy) has been started in this process."""
    return _backend.xp is not None


def init() -> None:
    """Start CUDA now; raises RuntimeError when it is unavailable."""
    _require()


def current_device() -> int:
    """The index of the current GPU."""
    _require()
    return _backend.current_device()


def _index(dev: Any, optional: bool = True) -> int:
    """torch's _get_device_index: an int, 'cuda[:n]' or a device; None -> current."""
    if dev is None:
        return current_device() if optional else -1
    if isinstance(dev, int) and not isinstance(dev, bool):
        return dev
    d = _device_t(dev)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def _check_index(i: int) -> int:
    n = device_count()
    if not 0 <= i < n:
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {i}, {n} visible)")
    return i


def set_device(device: Any) -> None:
    """Make `device` the current GPU; a negative index does nothing, as in torch."""
    if device is None:
        return
    i = _index(device, optional=False)
    if i < 0:
        return
    xp = _require()
    xp.cuda.Device(_check_index(i)).use()


def synchronize(device: Any = None) -> None:
    """Wait for all work queued on a GPU (default: the current one)."""
    xp = _require()
    i = _check_index(_index(device))
    with xp.cuda.Device(i):
        xp.cuda.runtime.deviceSynchronize()


def get_device_properties(device: Any = None) -> Any:
    """name, major, minor, total_memory and multi_processor_count of a GPU."""
    xp = _require()
    i = _check_index(_index(device))
    p = xp.cuda.runtime.getDeviceProperties(i)
    name = p["name"].decode() if isinstance(p["name"], bytes) else str(p["name"])
    return _Properties(name, int(p["major"]), int(p["minor"]), int(p["totalGlobalMem"]),
                       int(p["multiProcessorCount"]))


class _Properties:
    __slots__ = ("name", "major", "minor", "total_memory", "multi_processor_count")

    def __init__(self, name: str, major: int, minor: int, total: int, sms: int) -> None:
        self.name, self.major, self.minor = name, major, minor
        self.total_memory, self.multi_processor_count = total, sms

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, "
                f"minor={self.minor}, total_memory={self.total_memory // (1 << 20)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def get_device_name(device: Any = None) -> str:
    """The GPU's name."""
    return get_device_properties(device).name


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """The GPU's compute capability (major, minor)."""
    p = get_device_properties(device)
    return p.major, p.minor


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the current GPU computes in bfloat16 (compute capability 8.0 and up)."""
    if not is_available():
        return False
    return get_device_capability()[0] >= 8


class device:  # noqa: N801 - torch's name
    """Context manager that changes the current GPU (a negative index or None: no change)."""

    def __init__(self, device: Any) -> None:
        self.idx = _index(device, optional=False) if device is not None else -1
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx < 0:
            return
        self.prev_idx = current_device()
        if self.prev_idx != self.idx:
            set_device(self.idx)

    def __exit__(self, *exc: Any) -> Literal[False]:
        if self.idx >= 0 and self.prev_idx >= 0 and self.prev_idx != self.idx:
            set_device(self.prev_idx)
        return False


class device_of(device):  # noqa: N801 - torch's name
    """device() for the GPU a tensor lives on (no change for a CPU tensor)."""

    def __init__(self, obj: Any) -> None:
        d = obj.device
        super().__init__(d.index if d.type == "cuda" else -1)


# ------------------------------------------------------------------ random numbers
def manual_seed(seed: Any) -> None:
    """Seed the current GPU's generator (remembered until CUDA starts; no GPU needed)."""
    _R.cuda_manual_seed(seed, None)


def manual_seed_all(seed: Any) -> None:
    """Seed every GPU's generator (remembered until CUDA starts; no GPU needed)."""
    _R.cuda_manual_seed_all(seed)


def seed() -> None:
    """Seed the current GPU's generator from OS entropy."""
    manual_seed(_R._fresh_seed())


def seed_all() -> None:
    """Seed every GPU's generator from one OS-entropy seed."""
    manual_seed_all(_R._fresh_seed())


def _gen(dev: Any) -> _R.Generator:
    _require()
    return _R.cuda_default_generator(_check_index(_index(dev)))


def initial_seed() -> int:
    """The current GPU generator's seed."""
    return _gen(None).initial_seed()


def get_rng_state(device: Any = "cuda") -> Any:
    """A GPU generator's state as a uint8 (CPU) tensor."""
    return _gen(device).get_state()


def set_rng_state(new_state: Any, device: Any = "cuda") -> None:
    """Restore a GPU generator's state."""
    _gen(device).set_state(new_state)


def get_rng_state_all() -> list:
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state_all(new_states: Any) -> None:
    for i, st in enumerate(new_states):
        set_rng_state(st, i)


def __getattr__(name: str) -> Any:
    if name == "default_generators":
        if not is_available():
            return ()
        return tuple(_R.cuda_default_generator(i) for i in range(device_count()))
    raise AttributeError(f"module 'ember.cuda' has no attribute '{name}'")


# ------------------------------------------------------------------ memory
def empty_cache() -> None:
    """Release unused blocks of CuPy's memory pools (no-op before CUDA starts)."""
    if _backend.xp is not None:
        _backend.xp.get_default_memory_pool().free_all_blocks()
        _backend.xp.get_default_pinned_memory_pool().free_all_blocks()


def _pool_bytes(device: Any, what: str) -> int:
    xp = _backend.xp
    if xp is None:
        return 0
    with xp.cuda.Device(_check_index(_index(device))):
        pool = xp.get_default_memory_pool()
        return int(pool.used_bytes() if what == "used" else pool.total_bytes())


def memory_allocated(device: Any = None) -> int:
    """Bytes held by tensors in CuPy's pool for a GPU (0 before CUDA starts)."""
    return _pool_bytes(device, "used")


def memory_reserved(device: Any = None) -> int:
    """Bytes CuPy's pool holds from the driver for a GPU (0 before CUDA starts)."""
    return _pool_bytes(device, "total")
