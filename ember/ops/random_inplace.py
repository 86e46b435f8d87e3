"""In-place samplers: uniform_, normal_, random_, bernoulli_, exponential_, geometric_,
cauchy_, log_normal_."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _alias
from ..autograd.grad_mode import state as _gm
from ._core import _tname, attach, check_inplace, rebase_history
from ._registry import register
from ._sampling import (
    _CNAME,
    _acc,
    _bern_host,
    _check_p_scalar,
    _g,
    _integers,
    _normal,
    _not_impl,
    _np_gen,
    _p_host,
    _random_bounds,
    _uniform,
    _zero_node,
)
from .creation import place

# ------------------------------------------------------------------ zero-gradient nodes
NormalBackward0 = _zero_node("NormalBackward0", __name__)
UniformBackward0 = _zero_node("UniformBackward0", __name__)
RandomBackward0 = _zero_node("RandomBackward0", __name__)
RandomBackward1 = _zero_node("RandomBackward1", __name__)
RandomBackward2 = _zero_node("RandomBackward2", __name__)
BernoulliBackward1 = _zero_node("BernoulliBackward1", __name__)
BernoulliBackward2 = _zero_node("BernoulliBackward2", __name__)
ExponentialBackward0 = _zero_node("ExponentialBackward0", __name__)
GeometricBackward0 = _zero_node("GeometricBackward0", __name__)
CauchyBackward0 = _zero_node("CauchyBackward0", __name__)
LogNormalBackward0 = _zero_node("LogNormalBackward0", __name__)


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


for _name, _fn in (("uniform_", uniform_), ("normal_", normal_), ("random_", random_),
                   ("exponential_", exponential_),
                   ("geometric_", geometric_), ("cauchy_", cauchy_),
                   ("log_normal_", log_normal_)):
    register(_name, function=False, method=True, differentiable=True)(_fn)
