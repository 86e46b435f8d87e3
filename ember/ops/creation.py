"""Creation ops: tensor, as_tensor, asarray, from_numpy, from_dlpack, empty/zeros/ones/full
(+ _like), eye, empty_strided. The range factories (arange, linspace, logspace) live in
ranges.py and are re-exported here; the data reading behind tensor() is in _tensor_data.py."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU, META, canonical, device
from .._device import _state as _dev_state
from .._storage import Storage
from .._tensor import Tensor, contiguous_strides, make
from ..backends import for_device, xp_of
from ._registry import register
from ._tensor_data import _C_NAMES, _cast_checked, _from_data, _host_copy_of_tensor, _shares_numpy

# --------------------------------------------------------------------- arguments


def parse_size(size: tuple, name: str = "size") -> tuple:
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(Size) like torch; sizes must be >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        if isinstance(s, Tensor):
            if s._data.ndim or s.dtype.category != D.INT:
                raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found "
                                f"element of type Tensor at pos {i}")
            s = int(s.item())
        if not isinstance(s, (int, np.integer)) or isinstance(s, (bool, np.bool_)):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {i}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def get_device(dev: Any) -> device:
    """The device a factory creates on: `dev`, else the default device (cpu unless set)."""
    if dev is None:
        d = _dev_state.default
        return CPU if d is None else canonical(d)
    if type(dev) is device and (dev.type != "cuda" or dev.index is not None):
        return CPU if dev.type == "cpu" else dev
    return canonical(dev)


def _check_layout(layout: Any, name: str) -> None:
    if layout is not None and "strided" not in str(layout):
        raise NotImplementedError(f"{name}(): only the strided layout is supported, got {layout}")


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


def _out(name: str, res: Tensor, out: Tensor | None, requires_grad: bool) -> Tensor:
    if out is not None:
        from ._out import write_out

        return write_out(name, res, out)
    if requires_grad:
        res.requires_grad_(True)
    return res


def _out_dtype(name: str, dtype: D.dtype | None, out: Tensor | None) -> D.dtype | None:
    """Factories with out= and no dtype= produce out's dtype; a different dtype= is an error."""
    if out is None:
        return dtype
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is None:
        return out.dtype
    if dtype is not out.dtype:
        from ._core import _tname

        raise RuntimeError(f"dtype {_tname(dtype)} does not match dtype of out parameter "
                           f"({_tname(out.dtype)})")
    return dtype




@register("tensor", differentiable=False)
def tensor(data: Any, *, dtype: D.dtype | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Copy data (nested sequences, scalars, arrays, tensors) into a new leaf tensor."""
    dev = get_device(device)
    if isinstance(data, np.ndarray):
        a = np.array(data, order="C")
        if not a.dtype.isnative:
            a = a.astype(a.dtype.newbyteorder("="))
        dt = D.from_numpy_dtype(a.dtype) if dtype is None else dtype
        a = a.astype(dt.np, copy=False)
    elif isinstance(data, Tensor):
        import warnings

        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                      ".requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=3)
        if device is None:
            dev = data.device  # torch.tensor(t) stays on t's device
        if data.device.type == "meta" and dev.type == "meta":
            return _out("tensor", _filled(tuple(data._data.shape), dtype or data.dtype, dev,
                                          None), None, requires_grad)
        dt = data.dtype if dtype is None else dtype
        if dev == data.device and dev.type != "meta":
            from .conversion import _copy_array

            return _out("tensor", make(_copy_array(data._data, dt.np, "K"), dt, dev), None,
                        requires_grad)
        a = _host_copy_of_tensor(data).astype(dt.np, copy=False)
    else:
        a, dt = _from_data(data)
        if dtype is not None:
            dt = dtype
        if a.dtype.kind == "c" and dt.category != D.COMPLEX:
            raise TypeError("must be real number, not complex")
        if dt.category == D.INT:  # torch checks integer targets only (floats overflow to inf)
            a = _cast_checked(a, dt)
        with np.errstate(over="ignore"):
            a = a.astype(dt.np, copy=False)
    return finish(a, dt, dev, requires_grad)


@register("as_tensor", differentiable=False)
def as_tensor(data: Any, dtype: D.dtype | None = None, device: Any = None) -> Tensor:
    """Share memory with `data` (a tensor, or a NumPy array on cpu) when dtype and device
    allow, else copy like tensor()."""
    if isinstance(data, Tensor):
        dev = None if device is None else get_device(device)
        if (dtype is None or dtype is data.dtype) and (dev is None or dev == data.device):
            return data
        return data.to(dtype=dtype, device=dev)  # type: ignore[attr-defined]
    dev = get_device(device)
    if _shares_numpy(data) and dev.type == "cpu":
        t = from_numpy(data)
        if dtype is not None and dtype is not t.dtype:
            t = t.to(dtype)  # type: ignore[attr-defined]
        return t
    return tensor(data, dtype=dtype, device=dev)


@register("asarray", differentiable=False)
def asarray(obj: Any, *, dtype: D.dtype | None = None, device: Any = None,
            copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """torch.asarray: share memory when possible (copy=None), always (copy=False) or never."""
    if copy:
        if isinstance(obj, Tensor):
            t = obj.detach().to(dtype=dtype or obj.dtype,  # type: ignore[attr-defined]
                                device=obj.device if device is None else device, copy=True)
        else:
            t = tensor(obj, dtype=dtype, device=device)
    elif copy is False:
        if isinstance(obj, Tensor):
            base = obj
        elif isinstance(obj, np.ndarray):
            base = from_numpy(obj)  # raises for what cannot be shared
        else:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        if dtype is not None and dtype is not base.dtype:
            from ._core import _tname

            raise ValueError(f"can't alias tensor with dtype '{_tname(base.dtype)}' into dtype "
                             f"'{_tname(dtype)}'.")
        if device is not None and get_device(device) != base.device:
            raise ValueError(f"can't alias tensor on device '{base.device}' into device "
                             f"'{get_device(device)}'.")
        t = base
    else:
        t = as_tensor(obj, dtype, device)
    if requires_grad and not t._requires_grad:
        t.requires_grad_(True)  # on the shared tensor itself, as torch does
    return t


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory (negative strides are refused, as torch does)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    if any(s < 0 for s in a.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if a.strides and any(s % a.itemsize for s in a.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    if not a.dtype.isnative:
        raise TypeError(f"can't convert np.ndarray of type {a.dtype} (non-native byte order)")
    if not a.flags.writeable:
        import warnings

        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. This means writing to this tensor will result in "
                      "undefined behavior. You may want to copy the array to protect its data or "
                      "make it writable before converting it to a tensor. This type of warning "
                      "will be suppressed for the rest of this program.", UserWarning,
                      stacklevel=2)
    t = make(a, D.from_numpy_dtype(a.dtype), CPU)
    t._storage = Storage(a)  # the array's memory is the storage: offset 0, as in torch
    return t


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


# --------------------------------------------------------------------- filled factories
def _filled(shape: tuple, dt: D.dtype, dev: device, fill: Any) -> Tensor:
    if dev.type == "cpu":
        if fill is None:
            a = np.empty(shape, dt.np)
        elif fill == 0 and type(fill) is not complex:
            a = np.zeros(shape, dt.np)
        else:
            a = np.full(shape, fill, dt.np)
        return make(a, dt, CPU)
    if dev.type == "meta":
        from ..backends.meta import ghost

        return make(ghost(shape, dt.np), dt, META)
    b = for_device(dev)
    xp = b.xp
    if not hasattr(xp, "cuda"):
        raise RuntimeError(f"no backend for device type '{dev.type}'")
    with xp.cuda.Device(dev.index or 0):
        a = xp.empty(shape, dt.np) if fill is None else xp.full(shape, fill, dt.np)
    return make(a, dt, dev)


def _factory(name: str, fill: Any) -> Any:
    def fn(*size: Any, out: Tensor | None = None, dtype: D.dtype | None = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False, memory_format: Any = None, **kw: Any) -> Tensor:
        if "size" in kw:
            if size:
                raise TypeError(f"{name}() got multiple values for argument 'size'")
            size = (kw.pop("size"),)
        kw.pop("names", None)
        if kw:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        shape = parse_size(size, name)
        _check_layout(layout, name)
        dt = _out_dtype(name, dtype, out) or D.get_default_dtype()
        dev = get_device(device) if device is not None or out is None else out.device
        return _out(name, _filled(shape, dt, dev, fill), out, requires_grad)

    fn.__name__ = name
    fn.__doc__ = (f"A new tensor of the given size filled with {fill}." if fill is not None
                  else "A new tensor of the given size with uninitialised values.")
    return register(name, differentiable=False)(fn)


empty = _factory("empty", None)
zeros = _factory("zeros", 0)
ones = _factory("ones", 1)


def _fill_scalar(fill_value: Any) -> Any:
    if isinstance(fill_value, Tensor):
        if fill_value._data.ndim:
            raise TypeError(f"full(): argument 'fill_value' must be Number, not a tensor with "
                            f"{fill_value._data.ndim} dimension(s)")
        return fill_value.item()
    if isinstance(fill_value, np.bool_):  # torch reads a NumPy bool as a float
        return float(fill_value)
    if isinstance(fill_value, np.generic):
        return fill_value.item()
    if not isinstance(fill_value, (bool, int, float, complex)):
        raise TypeError(f"full(): argument 'fill_value' must be Number, not "
                        f"{type(fill_value).__name__}")
    return fill_value


_FMAX = {D.float32: float(np.finfo(np.float32).max), D.float64: float(np.finfo(np.float64).max)}
_IRANGE = {D.int64: (-2**63, 2**63 - 1), D.int32: (-2**31, 2**31 - 1)}


def _checked_fill(value: Any, dt: D.dtype) -> Any:
    """The fill value converted to dt, raising torch's overflow error."""
    tp = type(value)
    if tp is float and dt in _FMAX:  # fast paths for the common cases
        if abs(value) <= _FMAX[dt] or not math.isfinite(value):
            return dt.np.type(value)
    elif tp is int and dt in _IRANGE:
        lo, hi = _IRANGE[dt]
        if lo <= value <= hi:
            return dt.np.type(value)
    elif tp is int and dt in _FMAX and -2**53 <= value <= 2**53:
        return dt.np.type(value)
    if tp is int and (value >= 2**63 or value < -2**63):
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                           "overflow")
    a = np.array(value)
    return _cast_checked(a, dt, cname=True)[()]


@register("full", differentiable=False)
def full(size: Any, fill_value: Any, *, out: Tensor | None = None, dtype: D.dtype | None = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """A tensor of `size` filled with fill_value; dtype inferred from the value as torch does."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape = parse_size((size,), "full")
    _check_layout(layout, "full")
    value = _fill_scalar(fill_value)
    dt = _out_dtype("full", dtype, out)
    if dt is None:
        dt = D.scalar_dtype(value)  # a 0-d tensor counts as its Python number, as in torch
    dev = get_device(device) if device is not None or out is None else out.device
    res = _filled(shape, dt, dev, _checked_fill(value, dt))
    return _out("full", res, out, requires_grad)


def layout_order(memory_format: Any) -> str:
    """'K' for torch.preserve_format (the default), 'C' for torch.contiguous_format."""
    if memory_format is None or "preserve" in str(memory_format):
        return "K"
    if "contiguous" in str(memory_format):
        return "C"
    raise NotImplementedError(f"memory_format={memory_format} is not supported by ember "
                              "(only preserve_format and contiguous_format)")


def dense_strides(a: Any) -> tuple | None:
    """a's element strides when a is non-overlapping and dense (a permuted contiguous
    layout, torch's test for keeping strides), else None."""
    isz = a.itemsize
    dims = sorted((st // isz, n) for n, st in zip(a.shape, a.strides, strict=True) if n != 1)
    expect = 1
    for st, n in dims:
        if st != expect:
            return None
        expect *= n
    return tuple(st // isz for st in a.strides)


def _dense_like(shape: tuple, strides: tuple) -> tuple:
    """Contiguous strides in the dimension order of `strides` (torch's rule for layouts that
    are not dense): dims sort by stride, innermost first; a zero stride (a broadcast dim)
    does not order, and equal strides put the larger size outside."""
    n = len(shape)
    perm = list(range(n - 1, -1, -1))  # innermost first

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1
        return 1 if shape[d0] > shape[d1] else 0

    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out = [0] * n
    acc = 1
    for d in perm:
        out[d] = acc
        acc *= max(shape[d], 1)
    return tuple(out)


def alloc_like(a: Any, np_dtype: Any, order: str = "K", xp: Any = np) -> Any:
    """An uninitialised array shaped like `a`, laid out as torch's preserve_format (order
    'K'): a's strides when a is non-overlapping and dense, else a dense layout in a's
    dimension order; order 'C' is C-contiguous."""
    if order == "K" and not a.flags.c_contiguous and a.size > 1:
        st = dense_strides(a)
        if st is None or any(x < 0 for x in st):
            isz = a.itemsize
            st = _dense_like(a.shape, tuple(x // isz for x in a.strides))
        if st != contiguous_strides(a.shape):
            buf = xp.empty(a.size, np_dtype)
            isz = buf.itemsize
            return xp.lib.stride_tricks.as_strided(buf, a.shape, tuple(x * isz for x in st))
    return xp.empty(a.shape, np_dtype)


def _like_impl(name: str, input: Tensor, fill: Any, dtype: D.dtype | None, layout: Any,
               device: Any, requires_grad: bool, memory_format: Any) -> Tensor:
    _check_layout(layout, name)
    dt = dtype or input.dtype
    dev = get_device(device) if device is not None else input.device
    order = layout_order(memory_format)
    if order == "K" and dev is input.device and dev.type != "meta" and \
            not input._data.flags.c_contiguous:
        arr = alloc_like(input._data, dt.np, "K", xp_of(input._data))
        if fill is not None:
            arr[...] = fill
        res = make(arr, dt, dev)
    else:
        res = _filled(tuple(input._data.shape), dt, dev, fill)
    if requires_grad:
        res.requires_grad_(True)
    return res


def _like(name: str, fill: Any) -> Any:
    def fn(input: Tensor, *, dtype: D.dtype | None = None, layout: Any = None,
           device: Any = None, requires_grad: bool = False, memory_format: Any = None,
           pin_memory: bool = False) -> Tensor:
        return _like_impl(name, input, fill, dtype, layout, device, requires_grad,
                          memory_format)

    fn.__name__ = name
    fn.__doc__ = f"Like {name[:-5]}, with the shape (and by default dtype, device) of input."
    return register(name, differentiable=False)(fn)


empty_like = _like("empty_like", None)
zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)


@register("full_like", differentiable=False)
def full_like(input: Tensor, fill_value: Any, *, dtype: D.dtype | None = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None,
              pin_memory: bool = False) -> Tensor:
    """A tensor shaped like input filled with fill_value (input's dtype unless given)."""
    dt = dtype or input.dtype
    value = _checked_fill(_fill_scalar(fill_value), dt)
    return _like_impl("full_like", input, value, dt, layout, device, requires_grad,
                      memory_format)


@register("empty_strided", differentiable=False)
def empty_strided(size: Any, stride: Any, *, dtype: D.dtype | None = None, layout: Any = None,
                  device: Any = None, requires_grad: bool = False, pin_memory: bool = False
                  ) -> Tensor:
    """Uninitialised tensor with explicit element strides over a fresh buffer.

    Differs from torch: on the meta device the reported strides are contiguous.
    """
    for v, what in ((size, "size"), (stride, "stride")):
        if not isinstance(v, (tuple, list)):
            raise TypeError(f"empty_strided(): argument '{what}' must be tuple of ints, not "
                            f"{type(v).__name__}")
    size = parse_size((size,), "empty_strided")
    stride = tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    _check_layout(layout, "empty_strided")
    dt = dtype or D.get_default_dtype()
    dev = get_device(device)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride, strict=True)) if all(size) else 0
    if dev.type == "meta":
        return _out("empty_strided", _filled(size, dt, dev, None), None, requires_grad)
    buf = _filled((n,), dt, dev, None)
    bstrides = tuple(s * dt.itemsize for s in stride)
    if type(buf._data) is np.ndarray:
        a = np.lib.stride_tricks.as_strided(buf._data, size, bstrides)
    else:
        a = buf._data.__class__(size, dt.np, buf._data.data, strides=bstrides)
    t = make(a, dt, dev)
    t._storage = buf._get_storage()
    return _out("empty_strided", t, None, requires_grad)


@register("eye", differentiable=False)
def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: D.dtype | None = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False,
        pin_memory: bool = False) -> Tensor:
    """Identity matrix n x m (m defaults to n)."""
    for v, what in ((n, "n"), (m, "m")):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye(): argument '{what}' must be int, not {type(v).__name__}")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    _check_layout(layout, "eye")
    dt = _out_dtype("eye", dtype, out) or D.get_default_dtype()
    dev = get_device(device)
    if dev.type == "meta":
        res = _filled((n, n if m is None else m), dt, dev, None)
    else:
        res = finish(np.eye(n, m, dtype=dt.np), dt, dev)
    return _out("eye", res, out, requires_grad)


# The range factories moved to ranges.py; re-exported so `from .creation import arange` keeps
# working. Imported last because ranges.py imports the helpers above from this module.
from .ranges import arange, linspace, logspace  # noqa: E402, F401
