"""Shared helpers of the nn.functional files: dtype preparation, top-level publishing, reductions.

Half-precision inputs are computed in float32 and rounded once, as torch's CPU kernels do.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...backends import as_array
from ...ops._core import _tname
from ...ops._registry import FUNCTIONS, METHODS

# NumPy warns on exp overflow / 0-division; torch is silent (same filter as ember.ops).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.nn\.")

HALF = (D.float16, D.bfloat16)
F32 = np.dtype(np.float32)
FLOATS = (D.float32, D.float64, D.float16, D.bfloat16)


def publish(*names: str, method: bool = False) -> None:
    """Expose registered top-level ops as ember.<name> (and Tensor.<name>) after ember's
    namespace was filled at import (the registry's install step already ran)."""
    ember = sys.modules.get("ember")
    for n in names:
        if ember is not None and n in FUNCTIONS:
            setattr(ember, n, FUNCTIONS[n])
        if method and n in METHODS:
            setattr(Tensor, n, METHODS[n])


def not_tensor(name: str, arg: str, x: Any, pos: int = 1) -> TypeError:
    return TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                     f"{type(x).__name__}")


def not_impl(kernel: str, dt: D.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_tname(dt)}\'')


def float_in(name: str, kernel: str, x: Any) -> tuple:
    """(array in the compute dtype, dtype) of a floating-point-only op's input."""
    try:
        dt = x.dtype
        a = x._data
    except AttributeError:
        raise not_tensor(name, "input", x) from None
    if dt in HALF:
        return a.astype(F32), dt
    if dt is D.float32 or dt is D.float64:
        return a, dt
    raise not_impl(kernel, dt)


def out(r: Any, dt: D.dtype, dev: Any) -> Tensor:
    """A tensor of dtype dt from a result computed in float32/float64."""
    if r.dtype != dt.np:
        r = r.astype(dt.np)
    elif isinstance(r, np.generic):
        r = as_array(r)
    return make(r, dt, dev)


_HALF_NP = (np.dtype(np.float16), np.dtype(D.bfloat16.np))


def up(a: Any) -> Any:
    """float16/bfloat16 arrays widened to float32; others unchanged."""
    return a.astype(F32) if a.dtype in _HALF_NP else a


_REDUCTIONS = ("none", "mean", "sum")


def reduction_enum(reduction: str) -> int:
    """torch's Reduction enum (0 none, 1 mean, 2 sum); unknown strings raise ValueError."""
    try:
        return _REDUCTIONS.index(reduction)
    except ValueError:
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


def legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """torch's _Reduction.legacy_get_string: size_average/reduce override reduction."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='"
                  + _legacy(size_average, reduce) + "' instead.", UserWarning, stacklevel=3)
    return _legacy(size_average, reduce)


def _legacy(size_average: Any, reduce: Any) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        return "mean"
    return "sum" if reduce else "none"
