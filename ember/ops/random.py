"""Out-of-place samplers: rand, randn, randint, randperm, normal, bernoulli, multinomial,
poisson and the *_like factories."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU, META
from .._tensor import Tensor, make
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node
from ._core import _tname, attach, grad_on
from ._registry import register
from ._sampling import (
    _acc,
    _bern_host,
    _check_p_scalar,
    _float_only,
    _g,
    _host_f64,
    _integers,
    _normal,
    _not_impl,
    _np_gen,
    _p_host,
    _random_bounds,
    _uniform,
    _zero_node,
)
from .creation import get_device, parse_size, place
from .random_inplace import bernoulli_

# ------------------------------------------------------------------ zero-gradient nodes
NormalBackward1 = _zero_node("NormalBackward1", __name__)
NormalBackward2 = _zero_node("NormalBackward2", __name__)
NormalBackward3 = _zero_node("NormalBackward3", __name__)
BernoulliBackward0 = _zero_node("BernoulliBackward0", __name__)
PoissonBackward0 = _zero_node("PoissonBackward0", __name__)


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
    pos = list(args)
    if size is None:
        if not pos or not _is_size(pos[-1]):
            if pos:
                raise TypeError(f"randint(): argument 'size' (position {len(pos)}) must be "
                                f"tuple of ints, not {type(pos[-1]).__name__}")
            raise TypeError("randint() missing required argument 'size'")
        size = pos.pop()
    if len(pos) == 2:
        low, high = pos
    elif len(pos) == 1:
        if high is None:
            high = pos[0]
        else:
            low = pos[0]
    elif len(pos) > 2:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(pos) + 1} "
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
    inputs: tuple[Tensor, ...]
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


bernoulli = register("bernoulli", method=True, inplace=bernoulli_)(_bernoulli)


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
        x: np.ndarray
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
