"""Shared machinery for op implementations: argument promotion, graph attachment, in-place.

An op body follows one pattern:
    x, y, dt, dev = binary_args("mul", input, other)     # arrays already in the result dtype
    out = make(np.multiply(x, y), dt, dev)
    if grad_on(input, other):
        attach(MulBackward0(...), (input, other), (out,))
The engine (autograd/engine.py) reduces broadcast gradients, so nodes return them in the
output's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _alias, make, make_view
from ..autograd.grad_mode import state as _gm
from ..autograd.graph import Node, _seq, grad_accumulator, stamp
from ..backends import is_writeable

_NO_EDGE = (None, 0)

__all__ = ["Tensor", "make", "make_view", "Node", "np", "D", "grad_on", "attach",
           "binary_args", "check_same_device", "result_type", "scalar_to_array",
           "make_inplace", "norm_dims", "norm_dim", "arr"]

_object_new = object.__new__


def grad_on(*xs: Any) -> bool:
    """True when grad mode is on and any argument is a tensor that requires grad."""
    if not _gm.enabled:
        return False
    for x in xs:
        if isinstance(x, Tensor) and x._requires_grad:
            return True
    return False


def attach(node: Node, inputs: Sequence, outputs: Sequence) -> Node:
    """Connect `node` to its inputs' edges and make it the grad_fn of `outputs`."""
    node._seq = next(_seq)
    if _gm.anomaly:
        stamp(node)
    nf = []
    meta: list[tuple | None] = []
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            fn = t.grad_fn
            nf.append((fn, t._output_nr) if fn is not None else (grad_accumulator(t), 0))
            meta.append((t._data.shape, t.dtype))
        else:
            nf.append(_NO_EDGE)
            meta.append(None)
    node.next_functions = tuple(nf)
    node._input_meta = meta
    if len(outputs) == 1:  # the common case (_n_outputs defaults to 1)
        o = outputs[0]
        if o is not None:
            if o.dtype.category < 2:
                raise RuntimeError(f"Autograd not support dtype: {_tname(o.dtype)}")
            o.grad_fn = node
            o._output_nr = 0
            o._requires_grad = True
        return node
    n = 0
    for i, o in enumerate(outputs):
        if o is None:
            continue
        if o.dtype.category < 2:
            raise RuntimeError(f"Autograd not support dtype: {_tname(o.dtype)}")
        n = i + 1
        o.grad_fn = node
        o._output_nr = i
        o._requires_grad = True
    node._n_outputs = max(n, 1)
    if n > 1:
        node._out_meta = [(o.shape, o.dtype, o.device) if o is not None else None
                          for o in outputs]
    return node


def check_same_device(name: str, a: Tensor, b: Tensor) -> None:
    if a.device != b.device:
        raise RuntimeError(
            f"Expected all tensors to be on the same device, but found at least two devices, "
            f"{a.device} and {b.device}! (when checking argument for {name})"
        )


def result_type(*args: Any) -> D.dtype:
    """torch.result_type for any mix of tensors and Python scalars."""
    dims: list[D.dtype] = []
    zeros: list[D.dtype] = []
    scalars: list[Any] = []
    for a in args:
        if isinstance(a, Tensor):
            (dims if a._data.ndim else zeros).append(a.dtype)
        elif a is not None:
            scalars.append(a)
    return D.result_type_of(dims, zeros, scalars)


_scalar_cache: dict = {}
_INT_RANGE = {d.name: (int(np.iinfo(d.np).min), int(np.iinfo(d.np).max))
              for d in D.ALL if d.category == D.INT}


def _scalar_result(dt: D.dtype, s: Any) -> D.dtype:
    key = (dt, type(s), D._state["default"])
    r = _scalar_cache.get(key)
    if r is None:
        r = _scalar_cache[key] = D._combine(dt, D.scalar_dtype(s))  # type: ignore[assignment]
    return r  # type: ignore[return-value]


def scalar_to_array(s: Any, dt: D.dtype) -> Any:
    """A Python scalar in dtype `dt`, wrapping out-of-range integers as torch does."""
    if dt.category == D.INT and type(s) is int:
        lo, hi = _INT_RANGE[dt.name]
        if not lo <= s <= hi:
            # a NumPy scalar, not a 0-d array: CuPy's kernels take scalars, not host arrays
            return np.array(s & ((1 << (8 * dt.itemsize)) - 1), dtype=np.uint64).astype(dt.np)[()]
        return dt.np.type(s)
    if dt.category == D.INT and type(s) is bool:
        return dt.np.type(s)
    if dt is D.bool_:
        return np.bool_(s)
    if dt is D.bfloat16 or dt is D.float16:
        return dt.np.type(s)
    return s


def arr(t: Tensor, dt: D.dtype) -> Any:
    a = t._data
    return a if t.dtype is dt else a.astype(dt.np)


def binary_args(name: str, a: Any, b: Any, dt: D.dtype | None = None) -> tuple:
    """Promote two operands (tensors or scalars) to the result dtype; return arrays."""
    ta = isinstance(a, Tensor)
    tb = isinstance(b, Tensor)
    if ta and tb:
        da, db = a.dtype, b.dtype
        if a.device is not b.device and a.device != b.device:
            if b._data.ndim == 0 and b.device.type == "cpu":
                return binary_args(name, a, b.item(), dt)
            if a._data.ndim == 0 and a.device.type == "cpu":
                return binary_args(name, a.item(), b, dt)
            check_same_device(name, a, b)
        if dt is None:
            if da is db:
                dt = da
            elif (a._data.ndim == 0) == (b._data.ndim == 0):
                dt = D._PROMOTE[(da, db)]
            elif a._data.ndim:
                dt = D._combine(da, db)
            else:
                dt = D._combine(db, da)
        assert dt is not None  # _combine of two dtypes is a dtype
        x = a._data if da is dt else a._data.astype(dt.np)
        y = b._data if db is dt else b._data.astype(dt.np)
        return x, y, dt, a.device
    if ta:
        if isinstance(b, np.generic):
            b = b.item()
        elif type(b) not in (int, float, bool, complex):
            raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not "
                            f"{type(b).__name__}")
        if dt is None:
            dt = _scalar_result(a.dtype, b)
        x = a._data if a.dtype is dt else a._data.astype(dt.np)
        return x, scalar_to_array(b, dt), dt, a.device
    if tb:
        if isinstance(a, np.generic):
            a = a.item()
        elif type(a) not in (int, float, bool, complex):
            raise TypeError(f"{name}(): argument 'input' must be Tensor or Number, not "
                            f"{type(a).__name__}")
        if dt is None:
            dt = _scalar_result(b.dtype, a)
        y = b._data if b.dtype is dt else b._data.astype(dt.np)
        return scalar_to_array(a, dt), y, dt, b.device
    raise TypeError(f"{name}(): expected at least one Tensor argument, got "
                    f"{type(a).__name__} and {type(b).__name__}")


def norm_dim(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


def norm_dims(dim: Any, ndim: int) -> tuple:
    """Normalise an int / sequence / None dim argument to a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (norm_dim(dim, ndim),)
    out = tuple(norm_dim(d, ndim) for d in dim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return out


# --------------------------------------------------------------------- in-place support
class CopySlices(Node):
    """grad_fn of a base tensor after an in-place op wrote into one of its views."""

    def __init__(self, geom: tuple) -> None:
        super().__init__()
        self.geom = geom  # (shape, strides, offset) of the view, relative to the base

    def backward(self, grad: Tensor) -> tuple:
        shape, strides, offset = self.geom
        g = grad.clone()
        region = g.as_strided(shape, strides, offset)
        g_view = region.clone()
        region.zero_()
        return g, g_view


def _view_geom(view: Tensor, base: Tensor) -> tuple:
    isz = view._data.itemsize
    off = view.storage_offset() - base.storage_offset()
    return (tuple(view._data.shape), tuple(s // isz for s in view._data.strides), off)


def check_inplace(self: Tensor, name: str) -> None:
    if self._requires_grad and _gm.enabled:
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = self._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
    if self.device.type != "meta" and not is_writeable(self._data):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location (or the tensor is read-only). Please clone() "
            "the tensor before performing the operation."
        )


def check_cast(result: D.dtype, target: D.dtype) -> None:
    """torch's rule for writing a result into an existing tensor (in-place ops, out=)."""
    if result is not target and not D.can_cast(result, target):
        raise RuntimeError(f"result type {_tname(result)} can't be cast to the desired output "
                           f"type {_tname(target)}")


def write_result(self: Tensor, res: Tensor, name: str) -> None:
    """Copy `res` into self's memory (torch's in-place cast rules), bump the version."""
    check_cast(res.dtype, self.dtype)
    if res._data.shape != self._data.shape:
        try:
            np.broadcast_shapes(res._data.shape, self._data.shape)
            ok = np.broadcast_shapes(res._data.shape, self._data.shape) == self._data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(res.shape)}")
    if self.device.type != "meta":
        np.copyto(self._data, res._data, casting="unsafe") if type(self._data) is np.ndarray \
            else self._data.__setitem__(Ellipsis, res._data)
    self._bump_version()


def _tname(dt: D.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
            "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "qint8": "QInt8", "quint8": "QUInt8", "qint32": "QInt32",
            "quint4x2": "QUInt4x2"}[dt.name]


def rebase_history(self: Tensor, res: Tensor) -> None:
    """After writing `res` into self in place, make self's autograd history res's."""
    base = self._base
    if base is not None and (base._requires_grad or res._requires_grad):
        geom = _view_geom(self, base)
        cs = CopySlices(geom)
        base_alias = _alias(base)
        base_alias.grad_fn, base_alias._requires_grad = base.grad_fn, base._requires_grad
        base_alias._output_nr = getattr(base, "_output_nr", 0)
        attach(cs, (base_alias, res), ())
        base.grad_fn, base._output_nr, base._requires_grad = cs, 0, True
        from .views import AsStridedBackward0  # views imports this module

        vnode = AsStridedBackward0(tuple(base._data.shape), lambda g: g.as_strided(*geom))
        attach(vnode, (base,), (self,))
        return
    self.grad_fn = res.grad_fn
    self._output_nr = getattr(res, "_output_nr", 0)
    self._requires_grad = res._requires_grad


def make_inplace(fn: Callable, name: str) -> Callable:
    """Build `Tensor.<name>_` from an out-of-place implementation."""

    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        check_inplace(self, name + "_")
        if _gm.enabled and (self._requires_grad or grad_on(*args, *kwargs.values())):
            src = self.clone()  # type: ignore[attr-defined]
            res = fn(src, *args, **kwargs)
            with _no_grad():
                write_result(self, res, name + "_")
            rebase_history(self, res)
            return self
        res = fn(self, *args, **kwargs)
        write_result(self, res, name + "_")
        return self

    inplace.__doc__ = f"In-place version of {name}."
    return inplace


class _no_grad:
    def __enter__(self) -> None:
        self.prev = _gm.enabled
        _gm.enabled = False

    def __exit__(self, *exc: Any) -> None:
        _gm.enabled = self.prev


no_grad_ctx = _no_grad
