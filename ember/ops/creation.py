"""Creation ops: tensor, as_tensor, from_numpy, empty/zeros/ones/full (+ _like), arange,
linspace, logspace, eye, empty_strided."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU, META, canonical, device
from .._tensor import Tensor, make
from ..backends import for_device
from ._registry import register


def parse_size(size: tuple, name: str = "size") -> tuple:
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(Size) like torch."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def get_device(dev: Any) -> device:
    if dev is None:
        return CPU
    if type(dev) is device and (dev.type != "cuda" or dev.index is not None):
        return dev
    return canonical(dev)


def place(a: np.ndarray, dev: device) -> Any:
    """Move a host array to `dev`'s backend."""
    if dev is CPU or dev.type == "cpu":
        return a
    return for_device(dev).from_host(a, dev.index)


def finish(a: np.ndarray, dt: D.dtype, dev: device, requires_grad: bool = False) -> Tensor:
    t = make(place(a, dev), dt, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(data: Any, a: np.ndarray) -> D.dtype:
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return D.from_numpy_dtype(a.dtype)
    k = a.dtype.kind
    if k == "b":
        return D.bool_
    if k in "iu":
        return D.int64
    if k == "f":
        return D.get_default_dtype() if a.dtype == np.float64 and not _has_np_float(data) \
            else D.from_numpy_dtype(a.dtype)
    if k == "c":
        return D.default_complex()
    if k == "V" or a.dtype.name == "bfloat16":
        return D.from_numpy_dtype(a.dtype)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _has_np_float(data: Any) -> bool:
    if isinstance(data, (list, tuple)) and data:
        return _has_np_float(data[0])
    return isinstance(data, np.floating) and data.dtype == np.float64


def _to_host(data: Any) -> Any:
    if isinstance(data, Tensor):
        return data._host()
    if isinstance(data, (list, tuple)):
        if any(isinstance(d, (Tensor, list, tuple)) for d in data):
            return [_to_host(d) for d in data]
    return data


@register("tensor", differentiable=False)
def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Copy data (nested sequences, scalars, arrays, tensors) into a new tensor."""
    dev = get_device(device)
    if type(data) is np.ndarray:
        a = data.copy()
        dt = D.from_numpy_dtype(a.dtype) if dtype is None else dtype
    else:
        if isinstance(data, Tensor):
            import warnings

            warnings.warn("To copy construct from a tensor, it is recommended to use "
                          "sourceTensor.clone().detach() or sourceTensor.clone().detach()"
                          ".requires_grad_(True), rather than torch.tensor(sourceTensor).",
                          UserWarning, stacklevel=3)
        host = _to_host(data)
        try:
            a = np.array(host)
        except (ValueError, TypeError) as e:
            raise ValueError(f"tensor(): could not build a tensor from {type(data).__name__}: "
                             f"{e}") from None
        if a.dtype == object:
            raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} "
                            "(ragged nested sequence or unsupported element type)")
        dt = _infer_dtype(data, a) if dtype is None else dtype
    if a.dtype != dt.np:
        a = a.astype(dt.np)
    return finish(a, dt, dev, requires_grad)


@register("as_tensor", differentiable=False)
def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Share memory with `data` when dtype and device allow, else copy."""
    dev = get_device(device) if device is not None else None
    if isinstance(data, Tensor):
        if (dtype is None or dtype is data.dtype) and (dev is None or dev == data.device):
            return data
        return data.to(dtype=dtype, device=dev)  # type: ignore[attr-defined]
    if type(data) is np.ndarray and (dev is None or dev.type == "cpu"):
        t = from_numpy(data)
        if dtype is not None and dtype is not t.dtype:
            t = t.to(dtype)  # type: ignore[attr-defined]
        return t
    return tensor(data, dtype=dtype, device=dev)


asarray = register("asarray", differentiable=False)(
    lambda obj, *, dtype=None, device=None, copy=None, requires_grad=False:
    _asarray(obj, dtype, device, copy, requires_grad))


def _asarray(obj: Any, dtype: Any, device: Any, copy: Any, requires_grad: bool) -> Tensor:
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory (negative strides are refused, as torch does)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array with array.copy().) ")
    if a.strides and any(s % a.itemsize for s in a.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    return make(a, D.from_numpy_dtype(a.dtype), CPU)


def from_dlpack(ext: Any) -> Tensor:
    """Import an array (or any __dlpack__ producer) without copying."""
    if isinstance(ext, Tensor):
        return ext
    dev_type = ext.__dlpack_device__()[0] if hasattr(ext, "__dlpack_device__") else 1
    if dev_type == 2:  # kDLCUDA
        from ..backends import cuda

        cuda.require()
        a = cuda.xp.from_dlpack(ext)
        return make(a, D.from_numpy_dtype(a.dtype), canonical(device("cuda", a.device.id)))
    a = np.from_dlpack(ext)
    return make(a, D.from_numpy_dtype(a.dtype), CPU)


def _factory(name: str, fill: Any) -> Any:
    def fn(*size: Any, out: Tensor | None = None, dtype: D.dtype | None = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False, memory_format: Any = None) -> Tensor:
        shape = parse_size(size, name)
        dt = dtype or D.get_default_dtype()
        dev = get_device(device) if device is not None else (out.device if out is not None
                                                             else CPU)
        res = _filled(shape, dt, dev, fill)
        if out is not None:
            from ._out import write_out

            return write_out(name, res, out)
        if requires_grad:
            res.requires_grad_(True)
        return res

    fn.__name__ = name
    fn.__doc__ = f"A new tensor of the given size filled with {fill if fill is not None else 'uninitialised memory'}."
    return register(name, differentiable=False)(fn)


def _filled(shape: tuple, dt: D.dtype, dev: device, fill: Any) -> Tensor:
    if dev.type == "meta":
        from ..backends.meta import ghost

        return make(ghost(shape, dt.np), dt, META)
    if dev.type == "cpu":
        if fill is None:
            a = np.empty(shape, dt.np)
        elif fill == 0:
            a = np.zeros(shape, dt.np)
        else:
            a = np.full(shape, fill, dt.np)
        return make(a, dt, CPU)
    xp = for_device(dev).xp
    with xp.cuda.Device(dev.index or 0):
        a = xp.empty(shape, dt.np) if fill is None else xp.full(shape, fill, dt.np)
    return make(a, dt, dev)


empty = _factory("empty", None)
zeros = _factory("zeros", 0)
ones = _factory("ones", 1)


@register("full", differentiable=False)
def full(size: Any, fill_value: Any, *, out: Tensor | None = None, dtype: D.dtype | None = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """A tensor of `size` filled with fill_value; dtype inferred from the value as torch does."""
    shape = parse_size((size,), "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = dtype or D.scalar_dtype(fill_value)
    res = _filled(shape, dt, get_device(device), fill_value)
    if out is not None:
        from ._out import write_out

        return write_out("full", res, out)
    if requires_grad:
        res.requires_grad_(True)
    return res


def _like(name: str, fill: Any) -> Any:
    def fn(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
           device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:
        dt = dtype or input.dtype
        dev = get_device(device) if device is not None else input.device
        res = _filled(tuple(input._data.shape), dt, dev, fill)
        if requires_grad:
            res.requires_grad_(True)
        return res

    fn.__name__ = name
    fn.__doc__ = f"Like {name[:-5]}, with the shape (and by default dtype, device) of input."
    return register(name, differentiable=False)(fn)


empty_like = _like("empty_like", None)
zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)


@register("full_like", differentiable=False)
def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None
              ) -> Tensor:
    """A tensor shaped like input filled with fill_value (input's dtype unless given)."""
    dt = dtype or input.dtype
    dev = get_device(device) if device is not None else input.device
    res = _filled(tuple(input._data.shape), dt, dev, fill_value)
    if requires_grad:
        res.requires_grad_(True)
    return res


@register("empty_strided", differentiable=False)
def empty_strided(size: Any, stride: Any, *, dtype: D.dtype | None = None, layout: Any = None,
                  device: Any = None, requires_grad: bool = False, pin_memory: bool = False
                  ) -> Tensor:
    """Uninitialised tensor with explicit element strides over a fresh buffer."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: mismatch in length of strides and shape "
                           f"({len(stride)} vs {len(size)})")
    dt = dtype or D.get_default_dtype()
    dev = get_device(device)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buf = _filled((n,), dt, dev, None)
    if dev.type == "meta":
        return make(buf._data.reshape(-1)[:0].reshape((0,)) if n == 0 else
                    np.lib.stride_tricks.as_strided(buf._data, size, (0,) * len(size)),
                    dt, dev)
    a = np.lib.stride_tricks.as_strided(buf._data, size, tuple(s * dt.itemsize for s in stride)) \
        if type(buf._data) is np.ndarray else \
        buf._data.__class__(size, dt.np, buf._data.data, strides=tuple(s * dt.itemsize
                                                                          for s in stride))
    t = make(a, dt, dev)
    t._storage = buf._get_storage()
    if requires_grad:
        t.requires_grad_(True)
    return t


def _num(x: Any) -> Any:
    return x.item() if isinstance(x, Tensor) else x


@register("arange", differentiable=False)
def arange(start: Any, end: Any = None, step: Any = 1, *, out: Tensor | None = None,
           dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 unless an argument is a float."""
    start, end, step = _num(start), _num(end), _num(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) \
            else D.get_default_dtype()
    n = max(int(math.ceil((end - start) / step)), 0)
    if dtype.category == D.INT:
        a = (start + step * np.arange(n, dtype=np.int64)).astype(dtype.np)
    else:
        a = (start + step * np.arange(n, dtype=np.float64)).astype(dtype.np)
    res = finish(a, dtype, get_device(device), requires_grad)
    if out is not None:
        from ._out import write_out

        return write_out("arange", res, out)
    return res


@register("linspace", differentiable=False)
def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive."""
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = dtype or D.get_default_dtype()
    if dt.category == D.INT:
        a = np.linspace(start, end, steps, dtype=np.float64)
        a = np.trunc(a).astype(dt.np)
    else:
        a = _sym_linspace(start, end, steps).astype(dt.np)
    res = finish(a, dt, get_device(device), requires_grad)
    if out is not None:
        from ._out import write_out

        return write_out("linspace", res, out)
    return res


def _sym_linspace(start: float, end: float, steps: int) -> np.ndarray:
    """torch fills the first half from start and the second half from end."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.where(i < half, start + step * i, end - step * (steps - 1 - i))


@register("logspace", differentiable=False)
def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    dt = dtype or D.get_default_dtype()
    a = np.power(float(base), _sym_linspace(_num(start), _num(end), steps)) if steps else \
        np.zeros(0)
    res = finish(a.astype(dt.np), dt, get_device(device), requires_grad)
    if out is not None:
        from ._out import write_out

        return write_out("logspace", res, out)
    return res


@register("eye", differentiable=False)
def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: D.dtype | None = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Identity matrix n x m."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dt = dtype or D.get_default_dtype()
    res = finish(np.eye(n, m, dtype=dt.np), dt, get_device(device), requires_grad)
    if out is not None:
        from ._out import write_out

        return write_out("eye", res, out)
    return res
