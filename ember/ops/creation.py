"""Creation ops: tensor, as_tensor, asarray, from_numpy, from_dlpack, empty/zeros/ones/full
(+ _like), arange, linspace, logspace, eye, empty_strided."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import CPU, META, canonical, device
from .._device import _state as _dev_state
from .._storage import Storage
from .._tensor import Tensor, contiguous_strides, make
from ..backends import for_device
from ._registry import register

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


# --------------------------------------------------------------------- value checks
_C_NAMES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
            "int32": "int", "int64": "int64_t", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _overflows(a: np.ndarray, dt: D.dtype) -> bool:
    """torch's checked conversion of Python numbers into dtype `dt` (values in `a`)."""
    if dt is D.bool_ or a.size == 0:
        return False
    k = a.dtype.kind
    if k == "c":
        if dt.category != D.COMPLEX:
            if np.any(a.imag != 0):
                return True
            a, k = a.real, "f"
        else:
            return _overflows(a.real, dt.to_real()) or _overflows(a.imag, dt.to_real())
    if dt.category == D.INT:
        info = np.iinfo(dt.np)
        if k == "f":  # floats must lie in [min, max] (before truncation)
            with np.errstate(invalid="ignore"):
                return bool(not np.all(np.isfinite(a)) or np.any(a < int(info.min)) or
                            np.any(a > int(info.max)))
        lo = -int(info.max) if not dt.is_signed else int(info.min)  # unsigned: -x wraps
        return bool(np.any(a < lo) or np.any(a > int(info.max)))
    if dt.category in (D.FLOAT, D.COMPLEX) and k in "fiu":
        big = float(D.finfo(dt).max)
        with np.errstate(invalid="ignore"):
            fin = np.isfinite(a) if k == "f" else True
            return bool(np.any(fin & (np.abs(a.astype(np.float64)) > big)))
    return False


def _cast_checked(a: np.ndarray, dt: D.dtype, cname: bool = False) -> np.ndarray:
    if a.dtype == dt.np:
        return a
    if _overflows(a, dt):
        name = _C_NAMES[dt.name] if cname else dt.name
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    if a.dtype.kind == "c" and dt.category != D.COMPLEX:
        a = a.real
    if dt.category == D.INT and a.dtype.kind == "i" and not dt.is_signed:
        a = a.astype(np.int64)  # negative values wrap (two's complement)
    return a.astype(dt.np)


# --------------------------------------------------------------------- tensor(): inference
_PY_SCALARS = (bool, int, float, complex)
_PY_SET = frozenset(_PY_SCALARS)


def _py_dtype(tp: type) -> D.dtype:
    if tp is bool:
        return D.bool_
    if tp is int:
        return D.int64
    if tp is float:
        return D.get_default_dtype()
    return D.default_complex()


def _is_seq(x: Any) -> bool:
    if isinstance(x, (list, tuple, range)):
        return True
    if isinstance(x, (str, bytes, dict, Tensor, np.ndarray, np.generic)):
        return False
    return hasattr(x, "__len__") and hasattr(x, "__getitem__")


def _leaf_dtype(x: Any) -> D.dtype:
    tp = type(x)
    if tp in _PY_SET:
        return _py_dtype(tp)
    if isinstance(x, np.generic):
        return D.from_numpy_dtype(x.dtype)
    if isinstance(x, Tensor):  # a tensor inside a list is read as a scalar, as torch does
        if x._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x.dtype
    if isinstance(x, np.ndarray):  # torch reads arrays in lists as sequences
        raise TypeError("len() of unsized object")
    for base in (bool, int, float, complex):  # subclasses (IntEnum...) count as their base
        if isinstance(x, base):
            return _py_dtype(base)
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _shape_of(x: Any) -> list:
    """The shape torch reads from nested data: lengths along the first elements."""
    shape: list = []
    while True:
        if isinstance(x, np.ndarray):
            shape.extend(x.shape)
            return shape
        if isinstance(x, Tensor):  # nested tensors are scalars (one element) to torch
            return shape
        if isinstance(x, (str, bytes)) and shape:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if not _is_seq(x):
            return shape
        n = len(x)
        shape.append(n)
        if n == 0:
            return shape
        x = x[0]


def _scan(x: Any, shape: list, dim: int, dts: set, has_tensor: list) -> None:
    """Check that `x` (at depth `dim`) has shape[dim:], collecting leaf dtypes into dts."""
    if dim == len(shape):
        if _is_seq(x) or (isinstance(x, np.ndarray) and x.ndim):
            raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
        if isinstance(x, Tensor):
            has_tensor[0] = True
        dts.add(_leaf_dtype(x))
        return
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            raise TypeError("len() of unsized object")
        if tuple(x.shape) != tuple(shape[dim:]):
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} "
                             f"(got {x.shape[0]})")
        dts.add(D.from_numpy_dtype(x.dtype))
        return
    if not _is_seq(x):
        raise TypeError("not a sequence")
    n = len(x)
    if n != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {n})")
    if dim == len(shape) - 1:
        types = set(map(type, x))
        if types <= _PY_SET:
            dts.update(_py_dtype(t) for t in types)
            return
    for v in x:
        _scan(v, shape, dim + 1, dts, has_tensor)


def _to_host(data: Any) -> Any:
    if isinstance(data, Tensor):
        if data.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        a = data._host().reshape(())
        return a.astype(np.float32) if data.dtype is D.bfloat16 else a
    if _is_seq(data):
        return [_to_host(d) for d in data]
    return data


def _natural(dt: D.dtype) -> Any:
    """The NumPy dtype Python values of dtype category `dt` are first read into."""
    return (np.bool_, np.int64, np.float64, np.complex128)[dt.category]


def _from_data(data: Any) -> tuple:
    """(host array, inferred dtype) for nested Python data, as torch.tensor reads it."""
    if hasattr(data, "__array__") and not isinstance(data, (Tensor, np.generic, list, tuple)):
        a = np.array(data, order="C")
        return a, D.from_numpy_dtype(a.dtype)
    shape = _shape_of(data)
    dts: set = set()
    has_tensor = [False]
    _scan(data, shape, 0, dts, has_tensor)
    if not dts:
        inferred = D.get_default_dtype()
    else:
        it = iter(dts)
        inferred = next(it)
        for d in it:
            inferred = D.promote_types(inferred, d)
    if has_tensor[0]:
        data = _to_host(data)
    nat = _natural(inferred)
    if inferred is D.bfloat16 or inferred is D.float16:
        nat = np.float64
    try:
        a = np.array(data, dtype=nat)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if a.shape != tuple(shape):  # what NumPy read differs from the nesting torch reads
        raise ValueError(f"expected a tensor of shape {tuple(shape)}, got {a.shape}")
    return a, inferred


def _host_copy_of_tensor(data: Tensor) -> np.ndarray:
    if data.device.type == "meta":
        raise NotImplementedError("Cannot copy out of meta tensor; no data!")
    return np.array(data._host(), order="C")


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


def _shares_numpy(data: Any) -> bool:
    return isinstance(data, np.ndarray) and not any(s < 0 for s in data.strides) and \
        data.dtype.isnative and data.dtype in D._FROM_NP


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
    if order == "K" and dev.type == "cpu" and input.device.type == "cpu" and \
            not input._data.flags.c_contiguous:
        arr = alloc_like(input._data, dt.np)
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


# --------------------------------------------------------------------- ranges
def _num(x: Any, name: str) -> Any:
    if isinstance(x, Tensor):
        if x._data.ndim:
            if name == "arange":
                raise TypeError("arange(): argument 'end' must be Number, not Tensor")
            raise RuntimeError(f"{name} only supports 0-dimensional start and end tensors, but "
                               f"got a tensor with {x._data.ndim} dimension(s).")
        return x.item()
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (bool, int, float, complex)):
        raise TypeError(f"{name}(): argument must be Number, not {type(x).__name__}")
    return x


# torch's CPU range kernels (x86-64 build) compute with fused multiply-adds and, for arange, in
# AVX2 vectors of 32 bytes processed two at a time; the helpers below reproduce their rounding so
# that values match torch bit for bit (ranges longer than 32768 elements, which torch splits
# across threads, can differ in the last bit).
def _fma(a: float, b: np.ndarray, c: Any) -> np.ndarray:
    """a * b + c in float64 rounded once, for a scalar a and integers b >= 0: Dekker's exact
    product (b below 2**26 needs no splitting), then a two-sum."""
    a = float(a)
    b = np.asarray(b, np.float64)
    p = a * b
    ah = a * 134217729.0  # 2**27 + 1: a = ah + al, each half exact when multiplied by b
    ah = ah - (ah - a)
    al = a - ah
    if b.size and b.max() >= 67108864.0:  # large b: split it too
        bh = b * 134217729.0
        bh = bh - (bh - b)
        bl = b - bh
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    else:
        e = (ah * b - p) + al * b
    s = p + c
    bb = s - p
    r = s + (((p - (s - bb)) + (c - bb)) + e)
    if not math.isfinite(a * 2.0**26) or not np.isfinite(r).all():
        r = np.where(np.isfinite(r), r, p + c)  # out of range for the splitting: plain
    return r


def _fma32(a: Any, b: Any, c: Any) -> np.ndarray:
    """a * b + c for float32 operands, rounded once to float32 (the product is exact in f64)."""
    return (np.float64(np.float32(a)) * np.asarray(b, np.float64) +
            np.float64(np.float32(c))).astype(np.float32)


def _round_to(x: Any, npd: Any) -> np.ndarray:
    """Round float32/float64 values to a half type, back in float32 (what each Half op does)."""
    return np.asarray(x, np.float32).astype(npd).astype(np.float32)


def _arange_float(start: float, step: float, n: int, dt: D.dtype) -> np.ndarray:
    i = np.arange(n, dtype=np.float64)
    vec = 32 // dt.itemsize          # one AVX2 vector; the kernel fills two per iteration
    nv = n // (2 * vec) * (2 * vec)
    if step == int(step) and start == int(start) and abs(start) + abs(step) * n < 2**24:
        return (start + step * i).astype(dt.np)  # exact integers: no rounding to imitate
    k = np.tile(np.arange(vec, dtype=np.float64), nv // vec)
    if dt is D.float16 or dt is D.bfloat16:  # accumulate in float32, round bases to dt
        s, a = np.float32(step), np.float32(start)
        out = _fma32(s, i, a)
        if nv:
            base = _round_to(out[:nv:vec], dt.np).repeat(vec)
            out[:nv] = _fma32(s, k, base)
        return out.astype(dt.np)
    out = _fma(step, i, start)        # float32 and float64 accumulate in float64
    if nv:
        base = out[:nv:vec].astype(dt.np).astype(np.float64).repeat(vec)  # out[c] is fma(c)
        out[:nv] = _fma(step, k, base)
    return out.astype(dt.np)


@register("arange", differentiable=False)
def arange(start: Any = None, end: Any = None, step: Any = 1, *, out: Tensor | None = None,
           dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 unless an argument is a float.

    The length is ceil((end - start) / step) in float64; integer dtypes truncate start, end and
    step first, as torch does.
    """
    if end is None:
        if start is None:
            raise TypeError("arange() missing required argument 'end'")
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = _num(start, "arange"), _num(end, "arange"), _num(step, "arange")
    for v in (start, end, step):
        if isinstance(v, complex):
            raise RuntimeError("value cannot be converted to type double without overflow")
    _check_layout(layout, "arange")
    dtype = _out_dtype("arange", dtype, out)
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, int) for v in (start, end, step)) \
            else D.get_default_dtype()
    if dtype.category in (D.BOOL, D.COMPLEX):
        raise NotImplementedError(f'"arange_cpu" not implemented for '
                                  f"'{D._SCALAR_NAMES[dtype.name]}'")
    if not all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if dtype is D.int64:  # int64 truncates the arguments before sizing the range
        int_step = int(step)
        if int_step == 0 and step != 0:
            raise ValueError("step must be nonzero")
        start, end, step = int(start), int(end), int_step
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is D.int64:
        n = max(-((start - end) // step), 0)  # exact ceil for Python ints
        a = np.int64(start) + np.int64(step) * np.arange(n, dtype=np.int64)
    elif dtype.category == D.INT:  # other integers: sized in float64, values truncated
        if all(isinstance(v, int) for v in (start, end, step)):
            n = max(-((start - end) // step), 0)
        else:
            n = max(int(math.ceil((float(end) - float(start)) / float(step))), 0)
        a = (np.int64(int(start)) + np.int64(int(step)) * np.arange(n, dtype=np.int64)
             ).astype(dtype.np)
    else:
        n = max(int(math.ceil((float(end) - float(start)) / float(step))), 0)
        with np.errstate(over="ignore", invalid="ignore"):
            a = _arange_float(float(start), float(step), n, dtype)
    return _out("arange", finish(a, dtype, get_device(device)), out, requires_grad)


def _steps(steps: Any, name: str) -> int:
    if isinstance(steps, Tensor):
        steps = steps.item()
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool):
        raise TypeError(f"{name}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return int(steps)


def _space_dtype(dtype: D.dtype | None, start: Any, end: Any) -> D.dtype:
    if dtype is not None:
        return dtype
    if isinstance(start, complex) or isinstance(end, complex):
        return D.default_complex()
    return D.get_default_dtype()


def _endpoints(start: Any, end: Any, dt: D.dtype) -> tuple:
    """start and end converted to dt as torch does first (integers truncate, checked)."""
    if dt.category == D.INT:
        s, e = (int(_checked_fill(v.real if isinstance(v, complex) else v, dt))
                for v in (start, end))
        return s, e
    if dt.category == D.FLOAT:
        if isinstance(start, complex) or isinstance(end, complex):
            raise RuntimeError("value cannot be converted to type "
                               f"{_C_NAMES[dt.name]} without overflow")
        return float(start), float(end)
    return complex(start), complex(end)


def _space(start: Any, end: Any, n: int, dt: D.dtype, fused: bool) -> np.ndarray:
    """torch's linspace values: the first half is start + i*step, the second end - j*step
    (j counted from the end), with the rounding of torch's kernel for dt; `fused` says whether
    the kernel fuses the multiply-add (linspace does, logspace's exponents do not)."""
    i = np.arange(n)
    j = n - 1 - i
    lo = i < n // 2
    s: Any  # the endpoints and step: complex, rounded arrays, float32 or float by branch
    e: Any
    step: Any
    if n == 1:
        return np.array([start])
    if dt.category == D.COMPLEX:  # real and imaginary parts as two real ranges
        rt = D.float32 if dt is D.complex64 else D.float64
        s, e = complex(start), complex(end)
        out = np.empty(n, dt.np)
        out.real = _space(s.real, e.real, n, rt, fused)
        out.imag = _space(s.imag, e.imag, n, rt, fused)
        return out
    if dt is D.float16 or dt is D.bfloat16:  # every Half/BFloat16 operation rounds
        h = dt.np
        s, e = _round_to(start, h), _round_to(end, h)
        step = _round_to(_round_to(e - s, h) / _round_to(max(n - 1, 1), h), h)
        return np.where(lo, _round_to(s + _round_to(step * _round_to(i, h), h), h),
                        _round_to(e - _round_to(step * _round_to(j, h), h), h))
    if dt is D.float32:
        s, e = np.float32(start), np.float32(end)
        step = np.float32(np.float32(e - s) / np.float32(max(n - 1, 1)))
        if fused:
            return np.where(lo, _fma32(step, i, s), _fma32(-step, j, e))
        return np.where(lo, s + step * i.astype(np.float32), e - step * j.astype(np.float32))
    s, e = float(start), float(end)  # float64, and integer outputs (float64 steps)
    step = (e - s) / max(n - 1, 1)
    h = n // 2
    if fused:
        return np.concatenate([_fma(step, i[:h], s), _fma(-step, j[h:], e)])
    return np.where(lo, s + step * i, e - step * j)


@register("linspace", differentiable=False)
def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (torch's symmetric formula;
    integer dtypes truncate start and end first)."""
    start, end = _num(start, "linspace"), _num(end, "linspace")
    steps = _steps(steps, "linspace")
    _check_layout(layout, "linspace")
    dt = _space_dtype(_out_dtype("linspace", dtype, out), start, end)
    if dt is D.bool_:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    s, e = _endpoints(start, end, dt)
    with np.errstate(all="ignore"):
        a = _space(s, e, steps, dt, fused=True).astype(dt.np)
    return _out("linspace", finish(a, dt, get_device(device)), out, requires_grad)


@register("logspace", differentiable=False)
def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Tensor | None = None,
             dtype: D.dtype | None = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """base ** linspace(start, end, steps) (exponents as torch's kernel rounds them).

    float64 and integer results match torch exactly; float32 and half results can differ in
    the last bit (torch's float kernel uses its own vectorised pow).
    """
    start, end = _num(start, "logspace"), _num(end, "logspace")
    steps = _steps(steps, "logspace")
    base = _num(base, "logspace")
    _check_layout(layout, "logspace")
    dt = _space_dtype(_out_dtype("logspace", dtype, out), start, end)
    if dt is D.bool_:
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    s, e = _endpoints(start, end, dt)
    with np.errstate(all="ignore"):
        x = _space(s, e, steps, dt, fused=dt in (D.float32, D.float16, D.bfloat16, D.complex64))
        if dt.category == D.COMPLEX:
            a = np.power(np.complex128(base), x.astype(np.complex128))
        else:  # libm's pow, correctly rounded like torch's std::pow (NumPy's SIMD one is not)
            b = float(base)
            a = np.array([_pow(b, v) for v in x.astype(np.float64).tolist()], np.float64)
        a = a.astype(dt.np)
    return _out("logspace", finish(a, dt, get_device(device)), out, requires_grad)


def _pow(b: float, x: float) -> float:
    try:
        return math.pow(b, x)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


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
