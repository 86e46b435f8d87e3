"""Copies and conversions: clone, contiguous, detach, to, copy_, type, float()/long()/...,
cpu(), cuda(), fill_, zero_."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype as D
from .._device import device as _device_cls
from .._tensor import Tensor, _alias, make
from ..autograd.graph import Node
from ..backends import for_device, to_numpy
from ._core import attach, check_inplace, grad_on, rebase_history
from ._registry import register, register_method
from .creation import _checked_fill, alloc_like, dense_strides, get_device, layout_order


class CloneBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        return grad


class ToCopyBackward0(Node):
    def __init__(self, dtype: D.dtype, dev: Any) -> None:
        super().__init__()
        self.dtype, self.dev = dtype, dev

    def backward(self, grad: Tensor) -> Tensor:
        return to(grad, device=self.dev, dtype=self.dtype)


class CopyBackwards(Node):
    """Backward of dst.copy_(src): no gradient to dst's old value, src gets it (cast back)."""

    def __init__(self, src_dtype: D.dtype, src_dev: Any) -> None:
        super().__init__()
        self.src_dtype, self.src_dev = src_dtype, src_dev

    def backward(self, grad: Tensor) -> tuple:
        from .creation import zeros_like

        return zeros_like(grad), to(grad, device=self.src_dev, dtype=self.src_dtype)


def _xp(a: Any) -> Any:
    """The array module of `a`: NumPy, or CuPy for CUDA arrays."""
    if isinstance(a, np.ndarray):
        return np
    from ..backends import cuda as _cuda

    return _cuda.xp


def _x86_float_to_int(src: Any, dt: Any) -> Any:
    """Device floats as integers the way torch's CPU (x86) casts them, not CUDA's saturating
    way: truncate to int32 (int64 for 8-byte targets), NaN and out-of-range values becoming
    the minimum, then wrap to the target's width."""
    xp = _xp(src)
    wide = np.dtype(dt).itemsize == 8
    it, lim = (np.int64, 2.0**63) if wide else (np.int32, 2.0**31)
    ok = (src > -lim - 1) & (src < lim)  # False for NaN
    i = xp.where(ok, src, 0).astype(it)
    return xp.where(ok, i, np.iinfo(it).min)


def _cast_into(dst: Any, src: Any) -> None:
    """dst[...] = src with C casting semantics (what torch does), without NumPy's warnings."""
    sk, dk = src.dtype.kind, dst.dtype.kind
    if sk == "c" and dk != "c":
        src = src != 0 if dk == "b" else src.real
        sk = src.dtype.kind
    if type(dst) is not np.ndarray:
        if sk in "fV" and dk in "iu":  # V: bfloat16
            src = _x86_float_to_int(src if sk == "f" else src.astype(np.float32), dst.dtype)
        dst[...] = src.astype(dst.dtype)
    elif sk in "fcV" and (dk in "iub" or dst.itemsize < src.itemsize):  # may overflow: quiet
        with np.errstate(invalid="ignore", over="ignore"):
            np.copyto(dst, src, casting="unsafe")
    else:
        np.copyto(dst, src, casting="unsafe")


def _copy_array(a: Any, np_dtype: Any, order: str = "K") -> Any:
    """A fresh array with a's values in np_dtype; layout as torch's memory_format `order`."""
    if a.flags.c_contiguous and a.dtype == np_dtype:
        return a.copy()
    out = alloc_like(a, np_dtype, order, _xp(a))
    _cast_into(out, a)
    return out


def _meta_like(a: Any, np_dtype: Any) -> Any:
    from ..backends.meta import ghost

    return ghost(a.shape, np_dtype)


@register("clone", method=True)
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory; dense layouts keep their strides (preserve_format)."""
    a = input._data
    if input.device.type == "meta":
        out = make(_meta_like(a, a.dtype), input.dtype, input.device)
    else:
        out = make(_copy_array(a, a.dtype, layout_order(memory_format)), input.dtype,
                   input.device)
    if grad_on(input):
        attach(CloneBackward0(), (input,), (out,))
    return out


@register("contiguous", function=False, method=True)
def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """self when already contiguous, else a contiguous copy (meta tensors: self)."""
    if memory_format is not None and "contiguous" not in str(memory_format):
        raise NotImplementedError(f"contiguous(memory_format={memory_format}) is not supported")
    if self._data.flags.c_contiguous or self.device.type == "meta":
        return self
    out = make(_copy_array(self._data, self._data.dtype, "C"), self.dtype, self.device)
    if grad_on(self):
        attach(CloneBackward0(), (self,), (out,))
    return out


@register("detach", method=True, differentiable=False)
def detach(input: Tensor) -> Tensor:
    """A tensor on the same storage, cut from the graph."""
    return _alias(input)


def _detach_(self: Tensor) -> Tensor:
    self.grad_fn = None
    self._requires_grad = False
    return self


register_method("detach_", _detach_)

_NO_DATA = "Cannot copy out of meta tensor; no data!"


def _convert(input: Tensor, dt: D.dtype, dev: Any, copy: bool, memory_format: Any = None
             ) -> Tensor:
    """input in dtype dt on device dev (None: input's); input itself when nothing changes."""
    same_dev = dev is None or dev == input.device
    if dt is input.dtype and same_dev and not copy:
        return input  # also with a memory_format, as torch
    a = input._data
    order = "K" if memory_format is None else layout_order(memory_format)
    target = input.device if same_dev else dev
    if target.type == "meta":
        a = _meta_like(a, dt.np)
    elif input.device.type == "meta":
        raise NotImplementedError(_NO_DATA)
    elif same_dev or input.device.type == "cpu":
        a = _copy_array(a, dt.np, order)
        if not same_dev:
            a = for_device(target).from_host(a, target.index)
    else:  # from an accelerator: to host, cast there, then on to the target
        a = _copy_array(to_numpy(a), dt.np, order)
        if target.type != "cpu":
            a = for_device(target).from_host(a, target.index)
    out = make(a, dt, target)
    if grad_on(input) and dt.category >= D.FLOAT:
        attach(ToCopyBackward0(input.dtype, input.device), (input,), (out,))
    return out


def _to_error(args: tuple, kwargs: dict) -> TypeError:
    got = ", ".join([type(a).__name__ for a in args] +
                    [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    return TypeError(f"to() received an invalid combination of arguments - got ({got}), but "
                     "expected one of: (ember.device device = None, ember.dtype dtype = None, "
                     "bool non_blocking = False, bool copy = False, *, memory_format), "
                     "(ember.dtype dtype, bool non_blocking = False, bool copy = False, *, "
                     "memory_format), (Tensor tensor, bool non_blocking = False, bool copy = "
                     "False, *, memory_format)")


def _is_device_like(a: Any) -> bool:
    return isinstance(a, (str, _device_cls)) or (isinstance(a, int) and not isinstance(a, bool))


def _parse_to(args: tuple, kwargs: dict) -> tuple:
    """Tensor.to's three overloads -> (dtype or None, device or None, copy, memory_format)."""
    allowed = {"non_blocking", "copy", "memory_format"}
    dt = dev = None
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dt, dev = other.dtype, other.device
    elif rest and isinstance(rest[0], D.dtype):
        dt = rest.pop(0)
    else:
        allowed |= {"device", "dtype"}
        if rest and (_is_device_like(rest[0]) or rest[0] is None):
            dev = rest.pop(0)
        if rest and (isinstance(rest[0], D.dtype) or rest[0] is None):
            dt = rest.pop(0)
    if len(rest) > 2 or any(not isinstance(r, bool) for r in rest) or set(kwargs) - allowed:
        raise _to_error(args, kwargs)
    flags = dict(zip(("non_blocking", "copy"), rest, strict=False))
    if set(flags) & set(kwargs):
        raise _to_error(args, kwargs)
    dt = kwargs.get("dtype", dt)
    dev = kwargs.get("device", dev)
    if dt is not None and not isinstance(dt, D.dtype):
        raise _to_error(args, kwargs)
    copy = bool(kwargs.get("copy", flags.get("copy", False)))
    return dt, (get_device(dev) if dev is not None else None), copy, kwargs.get("memory_format")


@register("to", function=False, method=True)
def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """to(dtype), to(device, dtype), to(tensor), with copy=, memory_format= and non_blocking=
    (ignored); returns self when nothing changes."""
    if len(args) == 1 and not kwargs and type(args[0]) is D.dtype:  # the common to(dtype)
        return self if args[0] is self.dtype else _convert(self, args[0], None, False)
    dt, dev, copy, memory_format = _parse_to(args, kwargs)
    return _convert(self, dt or self.dtype, dev, copy, memory_format)


def _type_method(dt: D.dtype) -> Any:
    def fn(self: Tensor, memory_format: Any = None) -> Tensor:
        if self.dtype is dt:  # torch returns self here, whatever memory_format says
            return self
        return _convert(self, dt, None, False, memory_format)

    fn.__doc__ = f"self.to({dt})"
    return fn


for _name, _dt in (("float", D.float32), ("double", D.float64), ("half", D.float16),
                   ("bfloat16", D.bfloat16), ("long", D.int64), ("int", D.int32),
                   ("short", D.int16), ("char", D.int8), ("byte", D.uint8), ("bool", D.bool_),
                   ("cfloat", D.complex64), ("cdouble", D.complex128)):
    register(_name, function=False, method=True)(_type_method(_dt))


@register("cpu", function=False, method=True)
def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    """self on the cpu (self when it already is)."""
    return _convert(self, self.dtype, get_device("cpu"), False, memory_format)


@register("cuda", function=False, method=True)
def cuda(self: Tensor, device: Any = None, non_blocking: bool = False,
         memory_format: Any = None) -> Tensor:
    """self on a CUDA device (the current one by default); needs CuPy."""
    dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
    d = get_device(dev)
    if d.type != "cuda":
        raise RuntimeError(f"Invalid device, must be cuda device, got {d}")
    return _convert(self, self.dtype, d, False, memory_format)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


@register("type", function=False, method=True)
def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """With no argument, torch's type string ('torch.FloatTensor', 'torch.cuda.FloatTensor');
    with a dtype or such a string, the converted tensor (self when nothing changes)."""
    if dtype is None:
        kind = self.device.type
        return ("torch." if kind == "cpu" else f"torch.{kind}.") + _TYPE_NAMES[self.dtype.name]
    if isinstance(dtype, str):
        parts = dtype.split(".")
        if len(parts) not in (2, 3) or parts[0] != "torch" or parts[-1] not in _FROM_TYPE_NAME \
                or (len(parts) == 3 and parts[1] != "cuda"):
            raise ValueError(f"invalid type: '{dtype}'")
        dt = D._by_name(_FROM_TYPE_NAME[parts[-1]])
        dev = get_device("cuda") if len(parts) == 3 else get_device("cpu")
        if dev.type == "cuda" and self.device.type == "cuda":
            dev = self.device
        return _convert(self, dt, dev, False)
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"type(): argument 'dtype' must be ember.dtype or str, not "
                        f"{type(dtype).__name__}")
    return _convert(self, dtype, None, False)


@register("type_as", function=False, method=True)
def type_as(self: Tensor, other: Tensor) -> Tensor:
    """self converted to other's dtype (and device, as torch's type(other.type()))."""
    return _convert(self, other.dtype, other.device, False)


def _broadcast_error(dst_shape: tuple, src_shape: tuple) -> RuntimeError:
    nd = max(len(dst_shape), len(src_shape))
    a = (1,) * (nd - len(dst_shape)) + tuple(dst_shape)
    b = (1,) * (nd - len(src_shape)) + tuple(src_shape)
    for i in range(nd - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b "
                                f"({b[i]}) at non-singleton dimension {i}")
    shape = np.broadcast_shapes(tuple(dst_shape), tuple(src_shape))
    return RuntimeError(f"output with shape {list(dst_shape)} doesn't match the broadcast shape "
                        f"{list(shape)}")


def _history(t: Tensor) -> Tensor:
    """An alias of t carrying t's autograd history (the input edge of an in-place node)."""
    a = _alias(t)
    if t.grad_fn is not None:
        a.grad_fn, a._requires_grad = t.grad_fn, True
        a._output_nr = getattr(t, "_output_nr", 0)
    return a


def _check_partial_overlap(dst: Any, src: Any) -> None:
    """torch refuses to copy between two dense views whose memory partly overlaps."""
    if isinstance(dst, np.ndarray):
        if not np.may_share_memory(dst, src):
            return
        p_dst, p_src = dst.ctypes.data, src.ctypes.data
    else:  # a device array (same device as src: the caller checked)
        if not _xp(dst).may_share_memory(dst, src):
            return
        p_dst, p_src = dst.data.ptr, src.data.ptr
    if dense_strides(dst) is None or dense_strides(src) is None:
        return  # too hard to tell, as torch says: allowed
    if p_dst == p_src and dst.nbytes == src.nbytes:
        return  # the same memory: a full overlap is fine
    raise RuntimeError("unsupported operation: some elements of the input tensor and the "
                       "written-to tensor refer to a single memory location. Please clone() "
                       "the tensor before performing the operation.")


def _copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy src (broadcast to self's shape, any dtype and device) into self's memory."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    check_inplace(self, "copy_")
    dshape, sshape = self._data.shape, src._data.shape
    if sshape != dshape:
        try:
            ok = np.broadcast_shapes(sshape, dshape) == dshape
        except ValueError:
            ok = False
        if not ok:
            raise _broadcast_error(dshape, sshape)
    if self.device.type != "meta":
        if src.device.type == "meta":
            raise NotImplementedError(_NO_DATA)
        s = src._data
        if src.device == self.device:
            _check_partial_overlap(self._data, s)
        else:
            s = to_numpy(s)
            if self.device.type != "cpu":
                s = for_device(self.device).from_host(s, self.device.index)
        _cast_into(self._data, s)
    self._bump_version()
    from ..autograd.grad_mode import state

    if state.enabled and (self._requires_grad or src._requires_grad):
        res = _alias(self)
        attach(CopyBackwards(src.dtype, src.device), (_history(self), src), (res,))
        if not self._requires_grad and self._base is None:
            self.grad_fn, self._output_nr, self._requires_grad = res.grad_fn, 0, True
        else:
            rebase_history(self, res)
    return self


register_method("copy_", _copy_)


def _fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with a scalar (or 0-d tensor) in place; values that overflow the dtype raise."""
    check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if value._requires_grad:
            return _copy_(self, value.expand(self.shape) if self._data.ndim else value)
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    elif not isinstance(value, (bool, int, float, complex)):
        raise TypeError(f"fill_(): argument 'value' (position 1) must be Number, not "
                        f"{type(value).__name__}")
    v = _checked_fill(value, self.dtype)
    if self.device.type != "meta":
        self._data[...] = v
    self._bump_version()
    if grad_on(self):  # self's old values no longer matter: a zero gradient to its history
        res = _alias(self)
        attach(FillBackward0(), (_history(self),), (res,))
        rebase_history(self, res)
    return self


class FillBackward0(Node):
    def backward(self, grad: Tensor) -> Tensor:
        from .creation import zeros_like

        return zeros_like(grad)


register_method("fill_", _fill_)
register_method("zero_", lambda self: _fill_(self, 0))
