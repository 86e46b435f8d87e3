"""Random number generators (torch.Generator on NumPy's PCG64) and torch.random's functions.

A Generator owns one `numpy.random.Generator` over a PCG64 bit generator; ops draw from it
(ember/ops/random.py, random_inplace.py). Streams are reproducible under `manual_seed` but
differ from torch's (torch uses MT19937 on CPU and Philox on CUDA). CUDA generators draw on the
host and the ops copy the result to the GPU. `get_state()` is an opaque 64-byte uint8 tensor,
not torch's 5056-byte MT19937 state, so states do not travel between ember and torch.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._device import CPU
from ._device import device as _device_t

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]

_MAGIC = b"EMBRPCG1"
_STATE_FMT = "<8sQQQQQII8x"  # magic, initial seed, state (hi, lo), inc (hi, lo), has_uint32,
_STATE_SIZE = struct.calcsize(_STATE_FMT)  # uinteger, padding to 64 bytes
_U64 = (1 << 64) - 1


def _seed_value(seed: Any) -> int:
    """torch's seed conversion: int(seed), negative seeds wrap to uint64, the rest overflow."""
    s = int(seed)
    if not -(1 << 63) <= s <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return s & _U64


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


class Generator:
    """torch.Generator: a seeded random stream for one device (NumPy PCG64 underneath)."""

    __slots__ = ("device", "_bg", "_np", "_initial_seed", "__weakref__")

    def __init__(self, device: Any = "cpu") -> None:
        dev = _device_t(device)
        if dev.type == "cuda":
            from .backends import cuda as _cuda

            _cuda.require()
            if dev.index is None:
                dev = _device_t("cuda", _cuda.current_device())
        elif dev.type == "cpu":
            dev = CPU
        else:
            raise RuntimeError(f"{dev.type.upper()} device type not an accelerator.")
        self.device = dev
        self._initial_seed = _fresh_seed()
        self._bg = np.random.PCG64(self._initial_seed)
        self._np = np.random.Generator(self._bg)

    def manual_seed(self, seed: Any) -> Generator:
        """Seed the stream; the same seed gives the same numbers. Returns self."""
        s = _seed_value(seed)
        self._bg.state = np.random.PCG64(s).state
        self._initial_seed = s
        return self

    def seed(self) -> int:
        """Seed from OS entropy and return the seed used."""
        s = _fresh_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> Any:
        """The generator state as a uint8 tensor (opaque; ember's own format)."""
        from ._dtype import uint8
        from ._tensor import make

        st = self._bg.state
        s, inc = st["state"]["state"], st["state"]["inc"]
        raw = struct.pack(_STATE_FMT, _MAGIC, self._initial_seed, s >> 64, s & _U64,
                          inc >> 64, inc & _U64, st["has_uint32"], st["uinteger"])
        return make(np.frombuffer(raw, dtype=np.uint8).copy(), uint8, CPU)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from get_state(). Returns self."""
        from ._dtype import uint8
        from ._tensor import Tensor

        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = new_state._host().reshape(-1).tobytes()
        if len(raw) != _STATE_SIZE or raw[:8] != _MAGIC:
            raise RuntimeError(f"Expected an ember generator state of size {_STATE_SIZE} "
                               f"but found the input RNG state size to be {len(raw)}"
                               if len(raw) != _STATE_SIZE else
                               "Invalid RNG state: not produced by ember's Generator.get_state()")
        _, init, s_hi, s_lo, i_hi, i_lo, has32, uint = struct.unpack(_STATE_FMT, raw)
        self._bg.state = {"bit_generator": "PCG64",
                          "state": {"state": (s_hi << 64) | s_lo, "inc": (i_hi << 64) | i_lo},
                          "has_uint32": has32, "uinteger": uint}
        self._initial_seed = init
        return self

    def clone_state(self) -> Generator:
        """A new generator of the same device with a copy of this one's state."""
        g = Generator.__new__(Generator)
        g.device, g._initial_seed = self.device, self._initial_seed
        g._bg = np.random.PCG64()
        g._bg.state = self._bg.state
        g._np = np.random.Generator(g._bg)
        return g

    def __reduce__(self) -> tuple:
        return (_rebuild, (str(self.device), self.get_state()._host().tobytes()))

    def __repr__(self) -> str:
        return f"<ember.Generator object at {hex(id(self))} (device={self.device})>"


def _rebuild(dev: str, raw: bytes) -> Generator:
    from ._dtype import uint8
    from ._tensor import make

    g = Generator(dev)
    return g.set_state(make(np.frombuffer(raw, dtype=np.uint8).copy(), uint8, CPU))


default_generator = Generator()


# ------------------------------------------------------------------ CUDA generators (lazy)
# Created on first use of a CUDA device's default generator; seeds given before that (by
# manual_seed / manual_seed_all without a GPU, or before CUDA starts) are applied then.
_cuda_gens: dict[int, Generator] = {}
_cuda_pending: dict[Any, int] = {}  # device index or "all" -> seed


def cuda_default_generator(index: int) -> Generator:
    """The default generator of CUDA device `index` (needs a GPU)."""
    g = _cuda_gens.get(index)
    if g is None:
        g = Generator(_device_t("cuda", index))
        s = _cuda_pending.get(index, _cuda_pending.get("all"))
        if s is not None:
            g.manual_seed(s)
        _cuda_gens[index] = g
    return g


def cuda_manual_seed(seed: Any, index: int | None) -> None:
    """Seed one CUDA device's generator now, or when it is created (no GPU needed)."""
    s = _seed_value(seed)
    if index is None:
        from .backends import cuda as _cuda

        index = _cuda.current_device() if _cuda.xp is not None else 0
    if index in _cuda_gens:
        _cuda_gens[index].manual_seed(s)
    else:
        _cuda_pending[index] = s


def cuda_manual_seed_all(seed: Any) -> None:
    """Seed every CUDA device's generator, present and future (no GPU needed)."""
    s = _seed_value(seed)
    _cuda_pending.clear()
    _cuda_pending["all"] = s
    for g in _cuda_gens.values():
        g.manual_seed(s)


def generator_for(dev: Any) -> Generator:
    """The default generator serving tensors on `dev`."""
    if dev.type == "cuda":
        return cuda_default_generator(dev.index or 0)
    return default_generator


# ------------------------------------------------------------------ torch.random functions
def manual_seed(seed: Any) -> Generator:
    """Seed the CPU generator and every CUDA generator; returns the default generator."""
    s = _seed_value(seed)
    cuda_manual_seed_all(s)
    return default_generator.manual_seed(s)


def seed() -> int:
    """Seed all generators from OS entropy; returns the seed."""
    s = default_generator.seed()
    cuda_manual_seed_all(s)
    return s


def initial_seed() -> int:
    """The seed the default CPU generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The default CPU generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore the default CPU generator's state from get_rng_state()."""
    default_generator.set_state(new_state)


def _index_of(d: Any) -> int:
    return d if isinstance(d, int) else (_device_t(d).index or 0)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Restore the CPU generator (and the CUDA ones in use) on exit."""
    if not enabled:
        yield
        return
    cpu_state = default_generator.get_state()
    idx = set(_cuda_gens) if devices is None else {_index_of(d) for d in devices}
    dev_states = {i: cuda_default_generator(i).get_state() for i in idx}
    try:
        yield
    finally:
        default_generator.set_state(cpu_state)
        for i, st in dev_states.items():
            _cuda_gens[i].set_state(st)
