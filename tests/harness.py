"""Differential test helpers: run the same code on ember and on torch (the oracle), compare.

    run_both(lambda m, x, y: m.add(x, y, alpha=2), x_np, y_np)          # values, dtype, shape
    run_both(lambda m, x: x.sum(1), x_np, grad=True)                    # + gradients
    raises_both(lambda m, x: x.view(5), x_np)                           # same exception type

NumPy arrays among the arguments become tensors of the module under test (same values);
other arguments pass through unchanged. `noncontig(x)` marks an array to be given as a
non-contiguous tensor view with the same values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FLOAT_DTYPES = ("float32", "float64")
ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
              "float32", "float64", "complex64", "complex128")


class noncontig:  # noqa: N801 - reads as a marker
    """Wrap an array: the tensor built from it is a non-contiguous view with equal values."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = np.asarray(a)


class as_dtype:  # noqa: N801
    """Wrap an array to build the tensor with a dtype NumPy lacks (e.g. 'bfloat16')."""

    def __init__(self, a: np.ndarray, dtype: str) -> None:
        self.a, self.dtype = np.asarray(a), dtype


def _build(m: Any, x: Any, requires_grad: bool) -> Any:
    if isinstance(x, noncontig):
        a = x.a
        if a.ndim == 0:
            return _build(m, a, requires_grad)
        t = m.tensor(np.stack([a, a], axis=-1)).select(-1, 0)
        assert not t.is_contiguous() or a.size <= 1
        return t
    if isinstance(x, as_dtype):
        t = m.tensor(x.a.astype(np.float32) if x.a.dtype.kind == "f" else x.a)
        t = t.to(getattr(m, x.dtype))
        if requires_grad and t.is_floating_point():
            t.requires_grad_(True)
        return t
    if isinstance(x, np.ndarray):
        t = m.tensor(x)
        if requires_grad and x.dtype.kind in "fc":
            t.requires_grad_(True)
        return t
    if isinstance(x, list) and x and any(isinstance(v, (np.ndarray, noncontig)) for v in x):
        return [_build(m, v, requires_grad) for v in x]
    if isinstance(x, tuple) and x and any(isinstance(v, (np.ndarray, noncontig)) for v in x):
        return tuple(_build(m, v, requires_grad) for v in x)
    if isinstance(x, str) and x.startswith("dtype:"):
        return getattr(m, x[6:])
    return x


def dt(name: str) -> str:
    """Pass a dtype by name: dt('float64') becomes torch.float64 / ember.float64."""
    return "dtype:" + name


def to_numpy(t: Any) -> np.ndarray:
    """Host values of an ember or torch tensor (bfloat16 widened to float32)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.cpu().numpy()
    t = t.detach()
    if t.dtype is ember.bfloat16:
        t = t.float()
    return np.asarray(t.cpu().numpy())


def dtype_name(d: Any) -> str:
    return str(d).split(".")[-1]


def assert_close(e: Any, t: Any, rtol: float = 1.3e-6, atol: float = 1e-5,
                 check_dtype: bool = True, check_stride: bool = False, path: str = "out",
                 equal_nan: bool = True) -> None:
    """Recursively compare an ember result with a torch result."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: expected a Tensor, got {type(e).__name__}"
        assert tuple(e.shape) == tuple(t.shape), f"{path}: shape {tuple(e.shape)} != torch " \
                                                 f"{tuple(t.shape)}"
        if check_dtype:
            assert dtype_name(e.dtype) == dtype_name(t.dtype), \
                f"{path}: dtype {e.dtype} != torch {t.dtype}"
        if check_stride:
            assert tuple(e.stride()) == tuple(t.stride()), \
                f"{path}: stride {e.stride()} != torch {t.stride()}"
        a, b = to_numpy(e), to_numpy(t)
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=path)
        else:
            tol = _dtype_tol(dtype_name(t.dtype), rtol, atol)
            np.testing.assert_allclose(a.astype(np.complex128 if a.dtype.kind == "c"
                                                else np.float64),
                                       b.astype(np.complex128 if b.dtype.kind == "c"
                                                else np.float64),
                                       rtol=tol[0], atol=tol[1], equal_nan=equal_nan,
                                       err_msg=path)
        return
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"{path}: expected a sequence, got {type(e)}"
        assert len(e) == len(t), f"{path}: length {len(e)} != torch {len(t)}"
        for i, (x, y) in enumerate(zip(e, t)):
            assert_close(x, y, rtol, atol, check_dtype, check_stride, f"{path}[{i}]")
        return
    if isinstance(t, torch.Size):
        assert tuple(e) == tuple(t), f"{path}: {e} != {t}"
        return
    if isinstance(t, torch.dtype):
        assert dtype_name(e) == dtype_name(t), f"{path}: {e} != {t}"
        return
    if isinstance(t, float):
        assert isinstance(e, (float, int)), f"{path}: {type(e)}"
        if math.isnan(t):
            assert math.isnan(e), f"{path}: {e} != nan"
        else:
            assert e == pytest.approx(t, rel=rtol * 10, abs=atol), f"{path}: {e} != {t}"
        return
    assert e == t, f"{path}: {e!r} != torch {t!r}"


def _dtype_tol(name: str, rtol: float, atol: float) -> tuple:
    if name == "float16":
        return max(rtol, 1e-3), max(atol, 1e-3)
    if name == "bfloat16":
        return max(rtol, 1.6e-2), max(atol, 1e-2)
    if name in ("float32", "complex64"):
        return max(rtol, 1.3e-6), max(atol, 1e-5)
    return rtol, atol


def _flat_tensors(x: Any, kind: type) -> list:
    if isinstance(x, kind):
        return [x]
    if isinstance(x, (tuple, list)):
        return [t for v in x for t in _flat_tensors(v, kind)]
    return []


def run_both(fn: Callable, *args: Any, grad: bool = False, rtol: float = 1.3e-6,
             atol: float = 1e-5, check_dtype: bool = True, check_stride: bool = False,
             **kwargs: Any) -> tuple:
    """fn(module, *tensors, **kwargs) on ember and torch; compare results (and gradients)."""
    e_args = [_build(ember, a, grad) for a in args]
    t_args = [_build(torch, a, grad) for a in args]
    e_kw = {k: _build(ember, v, False) for k, v in kwargs.items()}
    t_kw = {k: _build(torch, v, False) for k, v in kwargs.items()}
    t_out = fn(torch, *t_args, **t_kw)
    e_out = fn(ember, *e_args, **e_kw)
    assert_close(e_out, t_out, rtol, atol, check_dtype, check_stride)
    if grad:
        t_outs = [o for o in _flat_tensors(t_out, torch.Tensor) if o.requires_grad]
        e_outs = [o for o in _flat_tensors(e_out, ember.Tensor) if o.requires_grad]
        assert len(e_outs) == len(t_outs), "different number of differentiable outputs"
        if t_outs:
            rng = np.random.default_rng(1234)
            weights = [rng.standard_normal(tuple(o.shape)).astype(to_numpy(o).dtype)
                       if o.dtype.is_floating_point else None for o in t_outs]
            t_in = [a for a in _flat_tensors(t_args, torch.Tensor) if a.requires_grad]
            e_in = [a for a in _flat_tensors(e_args, ember.Tensor) if a.requires_grad]
            t_g = torch.autograd.grad([o for o in t_outs], t_in,
                                      [torch.tensor(w).to(o.dtype) for w, o in
                                       zip(weights, t_outs)], allow_unused=True)
            e_g = ember.autograd.grad([o for o in e_outs], e_in,
                                      [ember.tensor(w).to(o.dtype) for w, o in
                                       zip(weights, e_outs)], allow_unused=True)
            for i, (a, b) in enumerate(zip(e_g, t_g)):
                if b is None:
                    assert a is None or not np.any(to_numpy(a)), f"grad[{i}]: torch has None"
                    continue
                assert a is not None, f"grad[{i}]: ember returned None, torch a gradient"
                assert_close(a, b, rtol * 10, atol * 10, check_dtype, False, f"grad[{i}]")
    return e_out, t_out


def raises_both(fn: Callable, *args: Any, match: str | None = None, **kwargs: Any) -> Exception:
    """Both modules raise, with the same exception type; returns ember's exception."""
    t_args = [_build(torch, a, False) for a in args]
    e_args = [_build(ember, a, False) for a in args]
    with pytest.raises(Exception) as t_info:
        fn(torch, *t_args, **kwargs)
    with pytest.raises(Exception) as e_info:
        fn(ember, *e_args, **kwargs)
    t_type = type(t_info.value)
    if t_type.__module__.startswith("torch"):  # torch-specific subclasses map to builtins
        t_type = next(c for c in t_type.__mro__ if c.__module__ == "builtins")
    assert isinstance(e_info.value, t_type), (
        f"ember raised {type(e_info.value).__name__}: {e_info.value}; torch raised "
        f"{type(t_info.value).__name__}: {t_info.value}")
    if match is not None:
        assert match in str(e_info.value), f"{match!r} not in {e_info.value}"
    return e_info.value


def gradcheck(fn: Callable, *arrays: np.ndarray, **kwargs: Any) -> None:
    """ember.autograd.gradcheck of fn(ember, *float64 tensors)."""
    ts = [(ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
           if a.dtype.kind in "fc" else ember.tensor(a))  # int/bool arrays: indices, masks
          if isinstance(a, np.ndarray) else a for a in arrays]
    assert ember.autograd.gradcheck(lambda *xs: fn(ember, *xs), tuple(ts), **kwargs)


def rand(rng: np.random.Generator, *shape: int, dtype: str = "float32", low: float = -3,
         high: float = 3) -> np.ndarray:
    """Random array of a dtype, in a range that suits most ops (0-d arrays for shape ())."""
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in ("uint8",):
        return np.asarray(rng.integers(0, 20, shape).astype(dtype))
    if dtype.startswith("int"):
        return np.asarray(rng.integers(-10, 10, shape).astype(dtype))
    if dtype.startswith("complex"):
        return np.asarray((rng.uniform(low, high, shape)
                           + 1j * rng.uniform(low, high, shape)).astype(dtype))
    if dtype == "bfloat16":
        return np.asarray(rng.uniform(low, high, shape).astype(np.float32))
    return np.asarray(rng.uniform(low, high, shape).astype(dtype))
