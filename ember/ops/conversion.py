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
from .creation import get_device


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


@register("clone", method=True)
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory (contiguous)."""
    a = input._data
    out = make(a.copy(), input.dtype, input.device) if input.device.type != "meta" else \
        make(a, input.dtype, input.device)
    if grad_on(input):
        attach(CloneBackward0(), (input,), (out,))
    return out


@register("contiguous", function=False, method=True)
def contiguous(self: Tensor, memory_format: Any = None) -> Tensor:
    """self when already contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return clone(self)


@register("detach", method=True, differentiable=False)
def detach(input: Tensor) -> Tensor:
    """A tensor on the same storage, cut from the graph."""
    return _alias(input)


def _detach_(self: Tensor) -> Tensor:
    self.grad_fn = None
    self._requires_grad = False
    return self


register_method("detach_", _detach_)


def _convert(input: Tensor, dt: D.dtype, dev: Any, copy: bool) -> Tensor:
    same_dev = dev is None or dev == input.device
    if dt is input.dtype and same_dev and not copy:
        return input
    a = input._data
    target = input.device if same_dev else dev
    if not same_dev:
        if target.type == "meta":
            from ..backends.meta import ghost

            a = ghost(a.shape, dt.np)
        elif input.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data! Please use "
                                      "torch.nn.Module.to_empty() instead of torch.nn.Module.to()")
        else:
            a = to_numpy(a) if input.device.type != "cpu" else a
            if target.type != "cpu":
                a = for_device(target).from_host(a, target.index)
            elif a is input._data:
                a = a.copy()
    if a.dtype != dt.np:
        a = a.astype(dt.np)
    elif a is input._data and input.device.type != "meta":
        a = a.copy()
    out = make(a, dt, target)
    if grad_on(input) and dt.category >= D.FLOAT:
        attach(ToCopyBackward0(input.dtype, input.device), (input,), (out,))
    return out


def _parse_to(args: tuple, kwargs: dict) -> tuple:
    dt = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, D.dtype):
            dt = a
        elif isinstance(a, Tensor):
            dt, dev = a.dtype, a.device
        elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
            dev = a
        elif isinstance(a, bool):
            continue  # non_blocking / copy positional flags
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {list(kwargs)}")
    return dt, (get_device(dev) if dev is not None else None), copy


@register("to", function=False, method=True)
def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """to(dtype), to(device, dtype), to(tensor), with copy= and non_blocking= (ignored)."""
    dt, dev, copy = _parse_to(args, dict(kwargs))
    return _convert(self, dt or self.dtype, dev, copy)


def _type_method(dt: D.dtype) -> Any:
    def fn(self: Tensor, memory_format: Any = None) -> Tensor:
        return _convert(self, dt, None, False)

    fn.__doc__ = f"self.to({dt})"
    return fn


for _name, _dt in (("float", D.float32), ("double", D.float64), ("half", D.float16),
                   ("bfloat16", D.bfloat16), ("long", D.int64), ("int", D.int32),
                   ("short", D.int16), ("char", D.int8), ("byte", D.uint8), ("bool", D.bool_),
                   ("cfloat", D.complex64), ("cdouble", D.complex128)):
    register(_name, function=False, method=True)(_type_method(_dt))


@register("cpu", function=False, method=True)
def cpu(self: Tensor, memory_format: Any = None) -> Tensor:
    return _convert(self, self.dtype, get_device("cpu"), False)


@register("cuda", function=False, method=True)
def cuda(self: Tensor, device: Any = None, non_blocking: bool = False,
         memory_format: Any = None) -> Tensor:
    dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
    return _convert(self, self.dtype, get_device(dev), False)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


@register("type", function=False, method=True)
def type_(self: Tensor, dtype: Any = None, non_blocking: bool = False, **kwargs: Any) -> Any:
    """With no argument, the type string ('torch.FloatTensor'); else a converted tensor."""
    if dtype is None:
        prefix = "torch.cuda." if self.device.type == "cuda" else "torch."
        return prefix + _TYPE_NAMES[self.dtype.name]
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _FROM_TYPE_NAME:
            raise ValueError(f"invalid type: '{dtype}'")
        dn = _FROM_TYPE_NAME[name]
        dtype = D.bool_ if dn == "bool" else getattr(D, dn)
        if ".cuda." in str(kwargs.get("_s", "")):
            pass
    return _convert(self, dtype, None, False)


@register("type_as", function=False, method=True)
def type_as(self: Tensor, other: Tensor) -> Tensor:
    return _convert(self, other.dtype, other.device, False)


def _copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy src (broadcast, any dtype and device) into self's memory."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    check_inplace(self, "copy_")
    s = src._data
    if src.device != self.device:
        if src.device.type == "meta":
            raise NotImplementedError("Cannot copy out of meta tensor; no data!")
        s = to_numpy(s)
        if self.device.type not in ("cpu", "meta"):
            s = for_device(self.device).from_host(s, self.device.index)
    try:
        shape = np.broadcast_shapes(s.shape, self._data.shape)
    except ValueError:
        shape = None
    if shape != self._data.shape:
        raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size of "
                           f"tensor b ({list(src.shape)}) for copy_ (src can broadcast to dst)")
    if self.device.type != "meta":
        if type(self._data) is np.ndarray:
            np.copyto(self._data, s, casting="unsafe")
        else:
            self._data[...] = s.astype(self._data.dtype)
    self._bump_version()
    from ..autograd.grad_mode import state

    if state.enabled and (self._requires_grad or src._requires_grad):
        res = _alias(self)
        attach(CopyBackwards(src.dtype, src.device), (_alias(self), src), (res,))
        if not self._requires_grad and self._base is None:
            self.grad_fn, self._output_nr, self._requires_grad = res.grad_fn, 0, True
        else:
            rebase_history(self, res)
    return self


register_method("copy_", _copy_)


def _fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with a scalar (or 0-d tensor) in place."""
    check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        if value._requires_grad:
            return _copy_(self, value.expand(self.shape) if self._data.ndim else value)
        value = value.item()
    if self.device.type != "meta":
        self._data[...] = value
    self._bump_version()
    if self._requires_grad and self.grad_fn is not None:
        res = _alias(self)
        attach(_FillBackward(), (), (res,))
        rebase_history(self, res)
    return self


class _FillBackward(Node):
    def __init__(self) -> None:
        super().__init__()
        self.next_functions = ()

    def name(self) -> str:
        return "FillBackward0"

    def backward(self, grad: Tensor) -> tuple:
        return ()


register_method("fill_", _fill_)
register_method("zero_", lambda self: _fill_(self, 0))
