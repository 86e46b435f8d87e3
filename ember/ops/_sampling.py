"""Helpers shared by random.py and random_inplace.py: host draws, bounds, zero-grad nodes."""

# Numbers come from the generator of the output's device (ember/_random.py), drawn on the host
# with NumPy and copied to the device. float16/bfloat16 draw in float32 and cast. As in torch,
# sampling ops are differentiable with a zero gradient (normal, bernoulli, poisson and the
# in-place samplers record a node whose backward returns zeros); none is reparameterised.

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import _random as R
from .._tensor import Tensor
from ..autograd.graph import Node
from ..backends import contig
from ._core import _tname

# ------------------------------------------------------------------ helpers
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}
_CNAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
          "int32": "int", "int64": "long int", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double"}
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def _g(x: Any) -> str:
    """A double as C++'s default stream prints it (torch's messages)."""
    return f"{float(x):g}"


def _np_gen(generator: Any, dev: Any) -> np.random.Generator:
    """The NumPy generator to draw from for a tensor on `dev`."""
    if generator is None:
        if dev.type != "cuda":
            return R.default_generator._np
        return R.generator_for(dev)._np
    if type(generator) is not R.Generator:
        raise TypeError(f"expected a torch.Generator for argument 'generator', got "
                        f"{type(generator).__name__}")
    if dev.type != "meta" and generator.device.type != dev.type:
        raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator._np


def _not_impl(kernel: str, dt: D.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def _acc(dt: D.dtype) -> Any:
    return np.float64 if dt is D.float64 or dt is D.complex128 else np.float32


def _float_only(dt: D.dtype, name: str) -> None:
    if dt.category < D.FLOAT:
        raise _not_impl(name, dt)


# ------------------------------------------------------------------ host samplers
# Each returns a host array of `shape` in dt's NumPy dtype, or fills `out` (a C-contiguous
# host array of that dtype) and returns it.
def _uniform(g: np.random.Generator, shape: tuple, dt: D.dtype, lo: float = 0.0,
             hi: float = 1.0, out: Any = None) -> np.ndarray:
    if dt.category == D.COMPLEX:
        r = _uniform(g, shape + (2,), dt.to_real(), lo, hi)
        return _to_complex(r, dt, shape, out)
    if dt is D.float64 or dt is D.float32:
        x = g.random(shape, dtype=dt.np, out=out)
    else:  # torch's grid for reduced floats: `digits` random bits scaled to [0, 1)
        scale = np.float32(1 << _DIGITS[dt.name])
        x = g.random(shape, dtype=np.float32)  # 24 random bits; keep the top `digits`
        x *= scale
        np.floor(x, out=x)
        x /= scale
    if lo != 0.0 or hi != 1.0:
        acc = _acc(dt)
        lo_c, hi_c = acc(dt.np.type(lo)), acc(dt.np.type(hi))
        x *= hi_c - lo_c
        x += lo_c
    return _finish(x, dt, out)


def _normal(g: np.random.Generator, shape: tuple, dt: D.dtype, mean: float = 0.0,
            std: float = 1.0, out: Any = None) -> np.ndarray:
    if dt.category == D.COMPLEX:  # real and imaginary parts each carry half the variance
        r = _normal(g, shape + (2,), dt.to_real(), mean, std / math.sqrt(2.0))
        return _to_complex(r, dt, shape, out)
    if dt is D.float64:
        x = g.standard_normal(shape, out=out)
    else:
        x = _box_muller_f32(g, shape, out if dt is D.float32 else None)
    if mean != 0.0 or std != 1.0:
        acc = _acc(dt)
        x *= acc(std)
        x += acc(mean)
    return _finish(x, dt, out)


def _box_muller_f32(g: np.random.Generator, shape: tuple, out: Any) -> np.ndarray:
    """Standard normals in float32 by Box-Muller, as torch's CPU kernel computes them
    (about 3x faster than NumPy's float32 ziggurat; tails end near 5.8 sigma, as torch's)."""
    n = math.prod(shape)
    if n < 512:  # NumPy's call overhead is lower for a few numbers
        return g.standard_normal(shape, dtype=np.float32, out=out)
    h = (n + 1) // 2
    direct = out is not None and n == 2 * h
    flat = out.reshape(-1) if direct else np.empty(2 * h, np.float32)
    g.random(dtype=np.float32, out=flat)
    r, theta = flat[:h], flat[h:]
    np.subtract(np.float32(1.0), r, out=r)  # (0, 1]
    np.log(r, out=r)
    r *= np.float32(-2.0)
    np.sqrt(r, out=r)
    theta *= np.float32(2.0 * math.pi)
    c = np.cos(theta)
    np.sin(theta, out=theta)
    theta *= r
    np.multiply(r, c, out=r)
    if direct:
        return out
    return flat[:n].reshape(shape)


def _to_complex(r: np.ndarray, dt: D.dtype, shape: tuple, out: Any) -> np.ndarray:
    c = contig(r).view(dt.np).reshape(shape)
    if out is not None:
        out[...] = c
        return out
    return c


def _finish(x: np.ndarray, dt: D.dtype, out: Any) -> np.ndarray:
    if out is not None:
        if x is not out:
            np.copyto(out, x, casting="unsafe")
        return out
    return x.astype(dt.np, copy=False)


def _integers(g: np.random.Generator, shape: tuple, dt: D.dtype, lo: int, hi_inc: int
              ) -> np.ndarray:
    """Integers in [lo, hi_inc] (int64 range) in dt."""
    x = g.integers(lo, hi_inc, shape, dtype=np.int64, endpoint=True)
    return x.astype(dt.np, copy=False)


# ------------------------------------------------------------------ random_ bounds
def _as_i64(v: Any) -> int:
    if isinstance(v, Tensor):
        v = v.item()
    if isinstance(v, bool):
        return int(v)
    if not isinstance(v, (int, np.integer)):
        raise TypeError(f"random_(): argument must be int, not {type(v).__name__}")
    v = int(v)
    if not _I64_MIN <= v <= _I64_MAX:
        raise ValueError("Overflow when unpacking long long")
    return v


def _through(dt: D.dtype, v: int) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(v)); overflow leaves v unchanged."""
    with np.errstate(over="ignore", invalid="ignore"):
        f = float(np.float64(v).astype(dt.np))
    return int(f) if math.isfinite(f) else v


def _update_from(dt: D.dtype, frm: int) -> int:
    """Raise `from` so that it survives the cast to a floating dtype (torch's rule)."""
    p1 = _through(dt, frm + 1)
    if p1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = p1 + (1 << (n - _DIGITS[dt.name] + 1))
    return frm


def _update_to(dt: D.dtype, to: int) -> int:
    m1 = _through(dt, to - 1)
    if m1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = m1 - (1 << (n - _DIGITS[dt.name] + 1))
    return to


def _check_range(dt: D.dtype, frm: int, to_inc: int) -> None:
    name = _CNAME[dt.name]
    info: D.finfo | np.iinfo
    if dt.category == D.FLOAT:
        info = D.finfo(dt)
        lo, hi, d = info.min, info.max, _DIGITS[dt.name]
    elif dt is D.bool_:
        lo, hi, d = 0, 1, None
    else:
        info = np.iinfo(dt.np)
        lo, hi, d = int(info.min), int(info.max), None
    for v, what in ((frm, "from"), (to_inc, "to - 1")):
        if not lo <= v <= hi:
            raise RuntimeError(f"{what} is out of bounds for {name}")
    if d is not None:
        for v, what in ((frm, "from"), (to_inc, "to - 1")):
            if v < -(1 << d) or v > (1 << d):
                warnings.warn(f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {name} can support discrete uniform distribution "
                              "only within this range. This warning will become an error in "
                              "version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)


def _random_bounds(dt: D.dtype, frm: Any, to: Any, default_all: bool) -> tuple[int, int]:
    """[lo, hi] (inclusive) for random_/randint on dtype dt, with torch's checks."""
    if dt.category == D.COMPLEX:
        raise _not_impl("random_kernel_cpu" if default_all else "random_from_to_kernel_cpu", dt)
    if default_all:  # random_(): every value the dtype holds exactly
        if dt.category == D.FLOAT:
            return 0, 1 << _DIGITS[dt.name]
        if dt is D.bool_:
            return 0, 1
        return 0, int(np.iinfo(dt.np).max)
    frm = _as_i64(frm)
    if to is not None:
        to = _as_i64(to)
        if frm >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={frm} >= to={to}")
        if dt.category == D.FLOAT:
            frm, to = _update_from(dt, frm), _update_to(dt, to)
            if frm >= to:
                raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than "
                                   f"'to' casted to dtype, but got from={frm} >= to={to}")
        _check_range(dt, frm, to - 1)
        return frm, to - 1
    if frm == _I64_MIN:
        return _I64_MIN, _I64_MAX
    if dt.category == D.FLOAT:
        to_inc = min(1 << _DIGITS[dt.name], _I64_MAX)
        frm = _update_from(dt, frm)
        if not frm < to_inc:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or "
                               f"equal to 'to_inc' casted to dtype, but got from={frm} > "
                               f"to_inc={to_inc}")
    elif dt is D.bool_:
        to_inc = 1
    else:
        to_inc = int(np.iinfo(dt.np).max)
    _check_range(dt, frm, to_inc)
    return frm, to_inc


# ------------------------------------------------------------------ zero-gradient nodes
class _ZeroGrad(Node):
    """torch's derivative of a sampler: zeros for every differentiable input."""

    def backward(self, grad: Tensor) -> Any:
        from .creation import zeros

        metas = self._input_meta
        gs = tuple(None if m is None else zeros(m[0], dtype=grad.dtype, device=grad.device)
                   for m in metas)
        return gs[0] if len(gs) == 1 else gs


def _zero_node(name: str, module: str) -> type:
    """A _ZeroGrad subclass named `name`, reported as defined in `module`."""
    return type(name, (_ZeroGrad,), {"__slots__": (), "__module__": module})


def _host_f64(t: Tensor) -> np.ndarray:
    a = t._host()
    return a.astype(np.float64) if a.dtype != np.float64 else a


# ------------------------------------------------------------------ bernoulli
def _check_p_scalar(p: Any) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    return p


def _p_host(p: Tensor, shape: tuple) -> np.ndarray:
    """Probabilities from a tensor: floating, in [0, 1], expandable to `shape`."""
    if p.dtype.category != D.FLOAT:
        raise _not_impl("bernoulli_tensor_cpu_p_", p.dtype)
    ps = tuple(p._data.shape)
    if len(ps) > len(shape):
        raise RuntimeError(f"expand({list(ps)}, size={list(shape)}): the number of sizes "
                           f"provided ({len(shape)}) must be greater or equal to the number "
                           f"of dimensions in the tensor ({len(ps)})")
    try:
        ok = np.broadcast_shapes(ps, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"The expanded size of the tensor must match the existing size "
                           f"at non-singleton dimensions. Target sizes: {list(shape)}.  "
                           f"Tensor sizes: {list(ps)}")
    a = _host_f64(p)
    if a.size and not ((a >= 0) & (a <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return a


def _bern_host(g: np.random.Generator, shape: tuple, dt: D.dtype, p: Any) -> np.ndarray:
    return (g.random(shape) < p).astype(dt.np, copy=False)
