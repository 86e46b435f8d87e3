"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson,
the *_like factories and the in-place samplers (uniform_, normal_, random_, bernoulli_,
exponential_, geometric_, cauchy_, log_normal_).

Numbers come from the generator of the output's device (ember/_random.py), drawn on the host
with NumPy and copied to the device. float16/bfloat16 draw in float32 and cast. As in torch,
sampling ops are differentiable with a zero gradient (normal, bernoulli, poisson and the
in-place samplers record a node whose backward returns zeros); none is reparameterised.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import _random as R
from .._device import CPU, META
from .._tensor import Tensor, _alias, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ._core import _tname, attach, check_inplace, grad_on, rebase_history
from ._registry import register
from .creation import get_device, parse_size, place

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
    c = np.ascontiguousarray(r).view(dt.np).reshape(shape)
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


def _zero_node(name: str) -> type:
    return type(name, (_ZeroGrad,), {"__slots__": (), "__module__": __name__})


NormalBackward0 = _zero_node("NormalBackward0")
NormalBackward1 = _zero_node("NormalBackward1")
NormalBackward2 = _zero_node("NormalBackward2")
NormalBackward3 = _zero_node("NormalBackward3")
UniformBackward0 = _zero_node("UniformBackward0")
RandomBackward0 = _zero_node("RandomBackward0")
RandomBackward1 = _zero_node("RandomBackward1")
RandomBackward2 = _zero_node("RandomBackward2")
BernoulliBackward0 = _zero_node("BernoulliBackward0")
BernoulliBackward1 = _zero_node("BernoulliBackward1")
BernoulliBackward2 = _zero_node("BernoulliBackward2")
ExponentialBackward0 = _zero_node("ExponentialBackward0")
GeometricBackward0 = _zero_node("GeometricBackward0")
CauchyBackward0 = _zero_node("CauchyBackward0")
LogNormalBackward0 = _zero_node("LogNormalBackward0")
PoissonBackward0 = _zero_node("PoissonBackward0")


class _NotImplementedNode(Node):
    """torch records this node where a derivative is not implemented; backward raises."""

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def backward(self, grad: Tensor) -> Any:
        raise RuntimeError(f"the derivative for '{self.op}' is not implemented.")


_NotImplementedNode.__name__ = _NotImplementedNode.__qualname__ = "NotImplemented"


# ------------------------------------------------------------------ output plumbing
def _wrap(host: Any, shape: tuple, dt: D.dtype, dev: Any) -> Tensor:
    if dev.type == "meta":
        from ..backends.meta import ghost

        return make(ghost(shape, dt.np), dt, META)
    if dev.type == "cpu":
        return make(host, dt, CPU)
    return make(place(host, dev), dt, dev)


def _factory_target(dtype: Any, device: Any, out: Any, default: D.dtype) -> tuple:
    if out is not None and not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and out is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_tname(dtype)} does not match dtype of out parameter "
                           f"({_tname(out.dtype)})")
    dt = dtype if dtype is not None else (out.dtype if out is not None else default)
    if device is not None:
        dev = get_device(device)
    else:
        dev = out.device if out is not None else CPU
    return dt, dev


def _factory_out(res: Tensor, out: Tensor | None, requires_grad: bool) -> Tensor:
    """Finish a factory: write into `out` (resized silently, as torch's factories do)."""
    if out is None:
        if requires_grad:
            res.requires_grad_(True)
        return res
    if _gm.enabled and out._requires_grad:
        raise RuntimeError("functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if out._data.shape != res._data.shape:
        out._data, out._storage = res._data, None
    elif out.device.type != "meta":
        if type(out._data) is np.ndarray:
            np.copyto(out._data, res._data, casting="unsafe")
        else:
            out._data[...] = res._data
    out._bump_version()
    return out


def _size_of(size: tuple, size_kw: Any, name: str) -> tuple:
    if size_kw is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        return parse_size((size_kw,), name)
    return parse_size(size, name)


# ------------------------------------------------------------------ factories
@register("rand", differentiable=False)
def rand(*size: Any, generator: Any = None, out: Tensor | None = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False, **kw: Any) -> Tensor:
    """Uniform samples on [0, 1) of the given size."""
    shape = _size_of(size, kw.pop("size", None), "rand")
    _no_extra("rand", kw)
    dt, dev = _factory_target(dtype, device, out, D.get_default_dtype())
    _float_only(dt, "check_uniform_bounds")
    host = None if dev.type == "meta" else _uniform(_np_gen(generator, dev), shape, dt)
    return _factory_out(_wrap(host, shape, dt, dev), out, requires_grad)


@register("randn", differentiable=False)
def randn(*size: Any, generator: Any = None, out: Tensor | None = None, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: bool = False,
          pin_memory: bool = False, **kw: Any) -> Tensor:
    """Standard normal samples of the given size (complex: each part has variance 1/2)."""
    shape = _size_of(size, kw.pop("size", None), "randn")
    _no_extra("randn", kw)
    dt, dev = _factory_target(dtype, device, out, D.get_default_dtype())
    _float_only(dt, "normal_kernel_cpu")
    host = None if dev.type == "meta" else _normal(_np_gen(generator, dev), shape, dt)
    return _factory_out(_wrap(host, shape, dt, dev), out, requires_grad)


def _no_extra(name: str, kw: dict) -> None:
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")


def _is_size(v: Any) -> bool:
    return isinstance(v, (tuple, list))


def _int_arg(v: Any, name: str, what: str, pos: int) -> int:
    if isinstance(v, Tensor) and v.numel() == 1 and not v.is_floating_point():
        return int(v.item())
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}(): argument '{what}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return int(v)


@register("randint", differentiable=False)
def randint(*args: Any, size: Any = None, low: Any = None, high: Any = None,
            generator: Any = None, out: Tensor | None = None, dtype: Any = None,
            layout: Any = None, device: Any = None, requires_grad: bool = False,
            pin_memory: bool = False) -> Tensor:
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size)."""
    args = list(args)
    if size is None:
        if not args or not _is_size(args[-1]):
            if args:
                raise TypeError(f"randint(): argument 'size' (position {len(args)}) must be "
                                f"tuple of ints, not {type(args[-1]).__name__}")
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args) + 1} "
                        "given)")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    lo = 0 if low is None else _int_arg(low, "randint", "low", 1)
    hi = _int_arg(high, "randint", "high", 2 if low is not None else 1)
    shape = parse_size((size,), "randint")
    dt, dev = _factory_target(dtype, device, out, D.int64)
    a, b = _random_bounds(dt, lo, hi, False)
    host = None if dev.type == "meta" else _integers(_np_gen(generator, dev), shape, dt, a, b)
    return _factory_out(_wrap(host, shape, dt, dev), out, requires_grad)


_PERM_CT = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}


@register("randperm", differentiable=False)
def randperm(n: Any, *, generator: Any = None, out: Tensor | None = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False,
             pin_memory: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless dtype says otherwise)."""
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt, dev = _factory_target(dtype, device, out, D.int64)
    if dt is D.bool_ or dt.category == D.COMPLEX:
        raise _not_impl("randperm", dt)
    if dt is D.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if dt.name in _PERM_CT and n - 1 > np.iinfo(dt.np).max:
        raise RuntimeError(f"value cannot be converted to type {_PERM_CT[dt.name]} without "
                           "overflow")
    host = None
    if dev.type != "meta":
        host = _np_gen(generator, dev).permutation(n).astype(dt.np, copy=False)
    return _factory_out(_wrap(host, (n,), dt, dev), out, requires_grad)


# ------------------------------------------------------------------ *_like
def _like_target(input: Tensor, dtype: Any, device: Any) -> tuple:
    dt = dtype if dtype is not None else input.dtype
    dev = get_device(device) if device is not None else input.device
    return dt, dev, tuple(input._data.shape)


@register("rand_like", differentiable=False)
def rand_like(input: Tensor, *, generator: Any = None, dtype: Any = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None
              ) -> Tensor:
    """Uniform [0, 1) samples shaped like input."""
    dt, dev, shape = _like_target(input, dtype, device)
    _float_only(dt, "check_uniform_bounds")
    host = None if dev.type == "meta" else _uniform(_np_gen(generator, dev), shape, dt)
    return _factory_out(_wrap(host, shape, dt, dev), None, requires_grad)


@register("randn_like", differentiable=False)
def randn_like(input: Tensor, *, generator: Any = None, dtype: Any = None, layout: Any = None,
               device: Any = None, requires_grad: bool = False, memory_format: Any = None
               ) -> Tensor:
    """Standard normal samples shaped like input."""
    dt, dev, shape = _like_target(input, dtype, device)
    _float_only(dt, "normal_kernel_cpu")
    host = None if dev.type == "meta" else _normal(_np_gen(generator, dev), shape, dt)
    return _factory_out(_wrap(host, shape, dt, dev), None, requires_grad)


@register("randint_like", differentiable=False)
def randint_like(input: Tensor, *args: Any, low: Any = None, high: Any = None,
                 generator: Any = None, dtype: Any = None, layout: Any = None,
                 device: Any = None, requires_grad: bool = False, memory_format: Any = None
                 ) -> Tensor:
    """Integers uniform on [low, high) shaped like input: randint_like(input, [low,] high)."""
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif args:
        raise TypeError(f"randint_like() takes at most 3 positional arguments "
                        f"({len(args) + 1} given)")
    if high is None:
        raise TypeError("randint_like() missing required argument 'high'")
    lo = 0 if low is None else _int_arg(low, "randint_like", "low", 2)
    hi = _int_arg(high, "randint_like", "high", 3 if low is not None else 2)
    dt, dev, shape = _like_target(input, dtype, device)
    a, b = _random_bounds(dt, lo, hi, False)
    host = None if dev.type == "meta" else _integers(_np_gen(generator, dev), shape, dt, a, b)
    return _factory_out(_wrap(host, shape, dt, dev), None, requires_grad)


# ------------------------------------------------------------------ normal
def _num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _broadcast(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a2, b2 = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for i, (x, y) in enumerate(zip(a2, b2, strict=True)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _host_f64(t: Tensor) -> np.ndarray:
    a = t._host()
    return a.astype(np.float64) if a.dtype != np.float64 else a


@register("normal", differentiable=True)
def normal(mean: Any = None, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
           pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """Normal samples: mean/std each a tensor or a number (numbers need `size`); they
    broadcast. The gradient w.r.t. tensor mean/std is zero, as in torch."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if mean is None or not _num(mean) or not _num(std) or size is None:
            raise TypeError("normal() received an invalid combination of arguments: expected "
                            "(Tensor mean, Tensor std), (Tensor mean, float std), "
                            "(float mean, Tensor std) or (float mean, float std, tuple size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
        shape = parse_size((size,), "normal")
        dt, dev = _factory_target(dtype, device, out, D.get_default_dtype())
        _float_only(dt, "normal_kernel_cpu")
        host = None if dev.type == "meta" else \
            _normal(_np_gen(generator, dev), shape, dt, float(mean), float(std))
        return _factory_out(_wrap(host, shape, dt, dev), out, requires_grad)
    if size is not None or dtype is not None or device is not None or requires_grad:
        raise TypeError("normal() received an invalid combination of arguments: size, dtype, "
                        "device and requires_grad are only accepted with a float mean and a "
                        "float std")
    if tm and ts:
        from ._core import check_same_device

        check_same_device("normal", mean, std)
        dt = D.promote_types(mean.dtype, std.dtype)
        shape = _broadcast(tuple(mean._data.shape), tuple(std._data.shape))
        dev, node_cls, inputs = mean.device, NormalBackward3, (mean, std)
    elif tm:
        if not _num(std):
            raise TypeError(f"normal(): argument 'std' must be float, not {type(std).__name__}")
        dt, shape, dev = mean.dtype, tuple(mean._data.shape), mean.device
        node_cls, inputs = NormalBackward1, (mean,)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    else:
        if not _num(mean):
            raise TypeError(f"normal(): argument 'mean' must be float, not "
                            f"{type(mean).__name__}")
        dt, shape, dev = std.dtype, tuple(std._data.shape), std.device
        node_cls, inputs = NormalBackward2, (std,)
    _float_only(dt, "normal_kernel_cpu")
    host = None
    if dev.type != "meta":
        if ts:
            s = std._host()
            if s.size and not (s >= 0).all():
                raise RuntimeError("normal expects all elements of std >= 0.0")
        g = _np_gen(generator, dev)
        if dt.category == D.COMPLEX:
            z = _normal(g, shape, dt)
            m = mean._host() if tm else mean
            s = std._host() if ts else std
            host = (z * s + m).astype(dt.np, copy=False)
        else:
            acc = _acc(dt)
            z = _normal(g, shape, D.float64 if acc is np.float64 else D.float32)
            m = mean._host().astype(acc, copy=False) if tm else acc(mean)
            s = std._host().astype(acc, copy=False) if ts else acc(std)
            host = (z * s + m).astype(dt.np, copy=False)
    res = _wrap(host, shape, dt, dev)
    if grad_on(*inputs):
        attach(node_cls(), inputs, (res,))
    if out is not None:
        from ._out import write_out

        return write_out("normal", res, out)
    return res


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


def _bernoulli(input: Tensor, p: Any = None, *, generator: Any = None,
              out: Tensor | None = None) -> Tensor:
    """0/1 samples with probabilities from input (or a scalar p), in input's dtype."""
    if out is not None:
        if not isinstance(out, Tensor):
            raise TypeError(f"bernoulli(): argument 'out' must be Tensor, not "
                            f"{type(out).__name__}")
        if out._data.shape != input._data.shape:
            out._data = np.empty(input._data.shape, out.dtype.np) if out.device.type == "cpu" \
                else out._data.__class__(input._data.shape, out.dtype.np)
            out._storage = None
        return bernoulli_(out, input if p is None else p, generator=generator)
    shape, dt, dev = tuple(input._data.shape), input.dtype, input.device
    if p is None:
        if dt.category != D.FLOAT:
            raise _not_impl("bernoulli_tensor_cpu_p_", dt)
        host = None
        if dev.type != "meta":
            host = _bern_host(_np_gen(generator, dev), shape, dt, _p_host(input, shape))
        res = _wrap(host, shape, dt, dev)
        if grad_on(input):
            attach(BernoulliBackward0(), (input,), (res,))
        return res
    if isinstance(p, Tensor):
        raise TypeError("bernoulli(): argument 'p' must be float, not Tensor")
    if dt.category == D.COMPLEX:
        raise _not_impl("bernoulli_scalar_cpu_", dt)
    pf = _check_p_scalar(p)
    host = None if dev.type == "meta" else _bern_host(_np_gen(generator, dev), shape, dt, pf)
    res = _wrap(host, shape, dt, dev)
    if grad_on(input):
        attach(_NotImplementedNode("bernoulli"), (input,), (res,))
    return res


# ------------------------------------------------------------------ multinomial
@register("multinomial", method=True, differentiable=False)
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None, out: Tensor | None = None) -> Tensor:
    """Category indices sampled from the rows of input (unnormalised probabilities)."""
    if out is not None and isinstance(out, Tensor) and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_tname(out.dtype)}")
    if input.dtype.category != D.FLOAT:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_tname(input.dtype)}")
    nd = input._data.ndim
    if nd not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    num_samples = _int_arg(num_samples, "multinomial", "num_samples", 2)
    n = input._data.shape[-1]
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if n > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    shape = (num_samples,) if nd == 1 else (input._data.shape[0], num_samples)
    host = None
    if input.device.type != "meta":
        p = _host_f64(input).reshape(-1, n)
        if p.size and not (np.isfinite(p).all() and (p >= 0).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        total = p.sum(axis=1)
        if p.shape[0] and (total <= 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        g = _np_gen(generator, input.device)
        idx = _multinomial_rows(g, p, total, num_samples, replacement)
        host = idx.reshape(shape)
    res = _wrap(host, shape, D.int64, input.device)
    if out is not None:
        from ._out import write_out

        return write_out("multinomial", res, out)
    return res


def _multinomial_rows(g: np.random.Generator, p: np.ndarray, total: np.ndarray, k: int,
                      replacement: bool) -> np.ndarray:
    rows, n = p.shape
    if rows == 0:
        return np.empty((0, k), np.int64)
    if replacement:
        cdf = np.cumsum(p, axis=1) / total[:, None]
        u = g.random((rows, k))
        if rows * k * n <= (1 << 22):
            idx = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2)
        else:
            idx = np.stack([np.searchsorted(cdf[r], u[r], side="right") for r in range(rows)])
        # rounding can leave u above the last cdf value: map it to the last positive category
        last = n - 1 - np.argmax(p[:, ::-1] > 0, axis=1)
        return np.minimum(idx, last[:, None]).astype(np.int64)
    # without replacement: the k largest p / Exp(1) keys, in decreasing order (torch's
    # method); zero-probability categories come last, in random order
    q = g.standard_exponential((rows, n))
    with np.errstate(divide="ignore"):
        keys = np.where(p > 0, p / q, -q)
    if k < n:
        part = np.argpartition(-keys, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(keys, part, axis=1), axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1).astype(np.int64)
    return np.argsort(-keys, axis=1, kind="stable").astype(np.int64)


# ------------------------------------------------------------------ poisson
@register("poisson", differentiable=True)
def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Poisson counts with rates from input, in input's (floating) dtype."""
    dt, dev, shape = input.dtype, input.device, tuple(input._data.shape)
    if dt.category != D.FLOAT:
        raise _not_impl("poisson_cpu", dt)
    host = None
    if dev.type != "meta":
        lam = _host_f64(input)
        if lam.size and not (lam >= 0).all():  # also rejects nan
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        g = _np_gen(generator, dev)
        big = lam > 1e18  # beyond NumPy's sampler: the normal limit, and inf stays inf
        if big.any():
            small = np.where(big, 0.0, lam)
            x = g.poisson(small).astype(np.float64)
            with np.errstate(invalid="ignore"):
                approx = np.round(lam + np.sqrt(lam) * g.standard_normal(lam.shape))
            x = np.where(big, np.where(np.isinf(lam), np.inf, approx), x)
        else:
            x = g.poisson(lam)
        host = x.astype(dt.np)
    res = _wrap(host, shape, dt, dev)
    if grad_on(input):
        attach(PoissonBackward0(), (input,), (res,))
    return res


# ------------------------------------------------------------------ in-place samplers
def _check_meta_inplace(self: Tensor, name: str) -> None:
    if self._requires_grad and _gm.enabled and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")


def _fill(self: Tensor, name: str, node_cls: type, generator: Any, draw: Any,
          p: Tensor | None = None) -> Tensor:
    """Write draw(g, shape, out_or_None) into self; record a zero-gradient node if needed."""
    dev = self.device
    if dev.type == "meta":
        _check_meta_inplace(self, name)
        _np_gen(generator, dev)
    else:
        check_inplace(self, name)
        g = _np_gen(generator, dev)
        a = self._data
        shape = a.shape
        if type(a) is np.ndarray:
            if a.flags.c_contiguous:
                host = draw(g, shape, a)
                if host is not a:
                    np.copyto(a, host, casting="unsafe")
            else:
                np.copyto(a, draw(g, shape, None), casting="unsafe")
        else:
            a[...] = place(draw(g, shape, None), dev)
    self._bump_version()
    if _gm.enabled and (self._requires_grad or (p is not None and p._requires_grad)):
        old = _alias(self)
        old.grad_fn, old._requires_grad = self.grad_fn, self._requires_grad
        old._output_nr = getattr(self, "_output_nr", 0)
        res = _alias(self)
        attach(node_cls(), (old,) if p is None else (old, p), (res,))
        rebase_history(self, res)
    return self


def _parse_from_to(name: str, args: tuple, kw: dict, defaults: tuple) -> tuple:
    """Positional/keyword `from`, `to` (a Python keyword, so only reachable through **kw)."""
    vals = list(defaults)
    names = ("from", "to")
    if len(args) > 2:
        raise TypeError(f"{name}() takes at most 2 positional arguments ({len(args)} given)")
    for i, v in enumerate(args):
        vals[i] = v
    for k, v in kw.items():
        if k not in names:
            raise TypeError(f"{name}() got an unexpected keyword argument '{k}'")
        vals[names.index(k)] = v
    return tuple(vals)


def uniform_(self: Tensor, *args: Any, generator: Any = None, **kw: Any) -> Tensor:
    """Fill with uniform samples on [from, to) (defaults 0, 1)."""
    frm, to = _parse_from_to("uniform_", args, kw, (0.0, 1.0))
    frm, to = float(frm), float(to)
    dt = self.dtype
    if dt.category < D.FLOAT:
        raise _not_impl("check_uniform_bounds", dt)
    if not frm <= to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_g(frm)} > to={_g(to)}")
    limit = float(D.finfo(dt).max)
    if to - frm > limit:
        tn = {"float32": "Float", "float64": "Double", "float16": "Half",
              "bfloat16": "BFloat16"}.get(dt.to_real().name, "Float")
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{tn}>::max(), but "
                           f"found to={_g(to)} and from={_g(frm)} which result in to-from to "
                           "exceed the limit")
    return _fill(self, "uniform_", UniformBackward0, generator,
                 lambda g, shape, out: _uniform(g, shape, dt, frm, to, _direct(out, dt)))


def _direct(out: Any, dt: D.dtype) -> Any:
    """`out` when NumPy can draw straight into it (float32/float64), else None."""
    return out if out is not None and (dt is D.float32 or dt is D.float64) else None


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None
            ) -> Tensor:
    """Fill with normal samples N(mean, std^2)."""
    dt = self.dtype
    if dt.category < D.FLOAT:
        raise _not_impl("normal_kernel_cpu", dt)
    mean, std = float(mean), float(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    return _fill(self, "normal_", NormalBackward0, generator,
                 lambda g, shape, out: _normal(g, shape, dt, mean, std, _direct(out, dt)))


def random_(self: Tensor, *args: Any, generator: Any = None, **kw: Any) -> Tensor:
    """Fill with integers: random_() every exact value of the dtype from 0, random_(to) on
    [0, to), random_(from, to) on [from, to), random_(from, None) from `from` up."""
    dt = self.dtype
    if not args and not kw:
        lo, hi = _random_bounds(dt, 0, None, True)
        node = RandomBackward2
    else:
        if len(args) == 1 and not kw:
            frm, to = 0, args[0]
            node = RandomBackward1
        else:
            frm, to = _parse_from_to("random_", args, kw, (0, None))
            node = RandomBackward1 if len(args) == 0 and "from" not in kw else RandomBackward0
            if node is RandomBackward1 and to is None:
                raise TypeError("random_(): argument 'to' must be int, not NoneType")
        if dt.category == D.COMPLEX:
            raise _not_impl("random_from_to_kernel_cpu", dt)
        lo, hi = _random_bounds(dt, frm, to, False)
    return _fill(self, "random_", node, generator,
                 lambda g, shape, out: _integers(g, shape, dt, lo, hi))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1 samples, 1 with probability p (a number or a tensor expandable to self)."""
    dt = self.dtype
    shape = tuple(self._data.shape)
    if isinstance(p, Tensor):
        if dt.category == D.COMPLEX:
            raise _not_impl("bernoulli_tensor_cpu_self_", dt)
        ph = None
        if self.device.type != "meta" and p.device.type != "meta":
            ph = _p_host(p, shape)
        elif p.dtype.category != D.FLOAT:
            raise _not_impl("bernoulli_tensor_cpu_p_", p.dtype)
        return _fill(self, "bernoulli_", BernoulliBackward1, generator,
                     lambda g, sh, out: _bern_host(g, sh, dt, ph), p)
    if dt.category == D.COMPLEX:
        raise _not_impl("bernoulli_scalar_cpu_", dt)
    pf = _check_p_scalar(p)
    return _fill(self, "bernoulli_", BernoulliBackward2, generator,
                 lambda g, sh, out: _bern_host(g, sh, dt, pf))


def _continuous(dt: D.dtype, what: str) -> None:
    if dt.category != D.FLOAT:
        cname = _CNAME.get(dt.name, "c10::complex<float>" if dt is D.complex64
                           else "c10::complex<double>")
        if what == "Exponential":
            cname = _tname(dt)
        raise RuntimeError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {cname}")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with exponential samples of rate lambd."""
    dt = self.dtype
    _continuous(dt, "Exponential")
    lambd = float(lambd)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")

    def draw(g: Any, shape: tuple, out: Any) -> np.ndarray:
        x = g.standard_exponential(shape, dtype=np.float64 if dt is D.float64 else np.float32)
        if lambd != 1.0:
            x /= _acc(dt)(lambd)
        return x.astype(dt.np, copy=False)

    return _fill(self, "exponential_", ExponentialBackward0, generator, draw)


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with geometric samples: trials up to the first success, support 1, 2, ..."""
    dt = self.dtype
    if dt is D.bool_ or dt.category == D.COMPLEX:
        raise _not_impl("geometric_cpu", dt)
    p = float(p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_g(p)}")
    return _fill(self, "geometric_", GeometricBackward0, generator,
                 lambda g, shape, out: g.geometric(p, shape).astype(dt.np, copy=False))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None
            ) -> Tensor:
    """Fill with Cauchy samples median + sigma * tan(pi * (U - 1/2))."""
    dt = self.dtype
    _continuous(dt, "Cauchy")
    median, sigma = float(median), float(sigma)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_g(sigma)}")
    return _fill(self, "cauchy_", CauchyBackward0, generator,
                 lambda g, shape, out: (median + sigma * g.standard_cauchy(shape)
                                        ).astype(dt.np, copy=False))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None
                ) -> Tensor:
    """Fill with exp(N(mean, std^2)) samples."""
    dt = self.dtype
    if dt.category != D.FLOAT:
        raise _not_impl("log_normal_cpu", dt)
    mean, std = float(mean), float(std)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_g(std)}")

    def draw(g: Any, shape: tuple, out: Any) -> np.ndarray:
        acc = D.float64 if dt is D.float64 else D.float32
        with np.errstate(over="ignore"):
            return np.exp(_normal(g, shape, acc, mean, std)).astype(dt.np, copy=False)

    return _fill(self, "log_normal_", LogNormalBackward0, generator, draw)


bernoulli = register("bernoulli", method=True, inplace=bernoulli_)(_bernoulli)
for _name, _fn in (("uniform_", uniform_), ("normal_", normal_), ("random_", random_),
                   ("exponential_", exponential_),
                   ("geometric_", geometric_), ("cauchy_", cauchy_),
                   ("log_normal_", log_normal_)):
    register(_name, function=False, method=True, differentiable=True)(_fn)
