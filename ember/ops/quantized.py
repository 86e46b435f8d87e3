"""Ops on quantized tensors: what runs when a registered op receives a QTensor.

QTensor.__torch_function__ sends every op here. Three kinds of op are supported, as in torch's
QuantizedCPU backend:
  - structural ops (views, reshapes, indexing, cat, max/sort, max pooling): the same op on the
    integers, the result keeps the input's quantization parameters;
  - integer-domain activations (relu, hardtanh, relu6, clamp): bounds quantized, then clipped;
  - ops that requantize (sigmoid, tanh, hardsigmoid, average pooling, mean): computed on the
    dequantized values and quantized again, with torch's output parameters.
Anything else raises NotImplementedError naming the op, as torch does for QuantizedCPU.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _dtype as D
from .._quantized import (
    QParams,
    QTensor,
    dequantize_array,
    int_view,
    quantize_array,
    scalar_name,
    wrap,
    wrap_view,
)
from ._core import Tensor, make, np
from .quantize import QUANT_AWARE

_HANDLERS: dict[str, Callable] = {}


def dispatch_quantized(func: Any, args: tuple, kwargs: dict) -> Any:
    """Run `func` on arguments that include a quantized tensor (or raise torch's error)."""
    impl: Any = getattr(func, "__wrapped__", None)
    if impl in QUANT_AWARE:
        return impl(*args, **kwargs)
    name = getattr(func, "__name__", str(func))
    h = _HANDLERS.get(name)
    if h is None:
        raise NotImplementedError(
            f"Could not run '{name}' with arguments from the 'QuantizedCPU' backend: ember "
            "supports on quantized tensors only the ops listed in docs/quantization.md "
            "(dequantize() first to compute in float)")
    return h(func, args, kwargs)


def _handles(*names: str) -> Callable:
    def deco(fn: Callable) -> Callable:
        for n in names:
            _HANDLERS[n] = fn
        return fn

    return deco


def _qtensors(args: tuple, kwargs: dict) -> list[QTensor]:
    out = []
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, QTensor):
            out.append(a)
        elif type(a) in (list, tuple):
            out.extend(v for v in a if isinstance(v, QTensor))
    return out


def _to_int(a: Any) -> Any:
    if isinstance(a, QTensor):
        return int_view(a)
    if type(a) in (list, tuple):
        return type(a)(_to_int(v) for v in a)
    if isinstance(a, Tensor) and a.dtype.category != D.INT and a.dtype is not D.bool_:
        raise RuntimeError(f"expected all tensors to be quantized, got a {scalar_name(a.dtype)} "
                           "tensor mixed with quantized ones")
    return a


def _rewrap(res: Any, dt: D.dtype, qp: QParams) -> Any:
    """Quantized wrappers for the results that hold the integers (index outputs stay plain)."""
    if isinstance(res, Tensor):
        if res.dtype is not D.QUANT_INFO[dt][0]:
            return res
        if res._base is None and res._storage is None:
            return wrap(res._data, dt, qp, res.device)
        return wrap_view(res, dt, qp)
    if isinstance(res, tuple) and hasattr(res, "_fields"):
        return type(res)(*(_rewrap(r, dt, qp) for r in res))
    if type(res) in (list, tuple):
        return type(res)(_rewrap(r, dt, qp) for r in res)
    return res


def _per_tensor(name: str, q: QTensor) -> None:
    if q._qp.per_channel:
        raise NotImplementedError(f"ember: '{name}' on a per-channel quantized tensor is not "
                                  "supported (only clone, contiguous, detach, to and "
                                  "dequantize are)")


# ------------------------------------------------------------------ structural
_PER_CHANNEL_OK = {"clone", "contiguous", "detach", "cpu"}


@_handles("view", "view_as", "reshape", "reshape_as", "flatten", "unflatten", "transpose",
          "swapaxes", "swapdims", "permute", "t", "contiguous", "clone", "detach", "squeeze",
          "unsqueeze", "expand", "expand_as", "narrow", "select", "__getitem__", "chunk",
          "split", "unbind", "flip", "repeat", "index_select", "cpu", "max", "min", "topk",
          "sort", "argsort", "max_pool1d", "max_pool2d", "stack",
          "movedim", "moveaxis")
def _structural(func: Any, args: tuple, kwargs: dict) -> Any:
    qs = _qtensors(args, kwargs)
    name = func.__name__
    q0 = qs[0]
    if name not in _PER_CHANNEL_OK:
        _per_tensor(name, q0)
    if name == "max_pool2d" and (kwargs.get("return_indices") or args[6:7] == (True,)):
        raise NotImplementedError("Could not run 'aten::max_pool2d_with_indices.out' with "
                                  "arguments from the 'QuantizedCPU' backend")
    for q in qs[1:]:
        _same(name, q0, q)
    if name in ("view_as", "reshape_as", "expand_as") and len(args) > 1:
        args = (args[0], args[1].shape) if isinstance(args[1], QTensor) else args
        func = getattr(Tensor, name[:-3])
    res = func(*_to_int(args), **{k: _to_int(v) for k, v in kwargs.items()})
    return _rewrap(res, q0.dtype, q0._qp)


@_handles("pixel_shuffle", "pixel_unshuffle", "upsample_nearest", "interpolate", "upsample")
def _resample(func: Any, args: tuple, kwargs: dict) -> Any:
    """Nearest-neighbour resampling and pixel shuffles move integers: structural. Other
    interpolation modes need torch's requantizing kernels, which ember lacks."""
    if func.__name__ in ("interpolate", "upsample"):
        mode = kwargs.get("mode", args[3] if len(args) > 3 else "nearest")
        if mode not in ("nearest", "nearest-exact"):
            raise NotImplementedError(f"ember: {func.__name__}(mode={mode!r}) of a quantized "
                                      "tensor is not supported (nearest modes are)")
    return _structural(func, args, kwargs)


def _same(name: str, a: QTensor, b: QTensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name}: all quantized tensors must have the same dtype, got "
                           f"{a.dtype!r} and {b.dtype!r}")
    _per_tensor(name, b)
    if (a._qp.scale, a._qp.zero_point) != (b._qp.scale, b._qp.zero_point):
        raise RuntimeError(f"{name}: quantized tensors must share scale and zero point, got "
                           f"({a._qp.scale}, {a._qp.zero_point}) and ({b._qp.scale}, "
                           f"{b._qp.zero_point})")


@_handles("cat", "concat", "concatenate")
def _cat(func: Any, args: tuple, kwargs: dict) -> Any:
    """torch's quantized cat: the output takes the first input's scale and zero point."""
    tensors = args[0] if args else kwargs.pop("tensors")
    rest = args[1:]
    if any(not isinstance(t, QTensor) for t in tensors):
        raise NotImplementedError("cat: expected all tensors to be quantized (a float tensor "
                                  "cannot be concatenated with quantized ones)")
    q0 = tensors[0]
    for t in tensors:
        if t._qp.per_channel:
            raise RuntimeError("Only per-tensor quantization is supported in 'cat'!")
        if t.dtype is not q0.dtype:
            raise RuntimeError("All dtypes must be the same.")
    s, zp = q0._qp.scale, q0._qp.zero_point
    ints = []
    for t in tensors:
        if (t._qp.scale, t._qp.zero_point) == (s, zp):
            ints.append(int_view(t))
        else:  # requantized to the output's parameters (torch warns too)
            import warnings

            warnings.warn("All inputs of this cat operator must share the same quantization "
                          "parameters. Otherwise large numerical inaccuracies may occur.",
                          UserWarning, stacklevel=3)
            arr = quantize_array(dequantize_array(t), q0.dtype, s, zp)
            ints.append(make(arr, D.QUANT_INFO[q0.dtype][0], t.device))
    res = func(ints, *rest, **kwargs)
    return _rewrap(res, q0.dtype, QParams(q0._qp.scheme, s, zp))


# ------------------------------------------------------------------ conversion, in-place writes
@_handles("to")
def _to(func: Any, args: tuple, kwargs: dict) -> Any:
    q = args[0]
    for a in list(args[1:]) + list(kwargs.values()):
        if isinstance(a, D.dtype) and a is not q.dtype:
            raise RuntimeError("Creation of quantized tensor requires quantized dtype like "
                               f"ember.quint8 (to({a!r}) of a quantized tensor: use "
                               "dequantize() for float values)")
        if isinstance(a, Tensor):
            raise NotImplementedError("to(other) of a quantized tensor is not supported")
    dev = next((a for a in list(args[1:]) + list(kwargs.values())
                if not isinstance(a, (D.dtype, bool)) and a is not None), None)
    if dev is not None and str(dev) not in ("cpu", str(q.device)):
        raise NotImplementedError(f"ember: moving a quantized tensor to {dev} is not supported")
    if kwargs.get("copy"):
        return _structural(_clone_fn(), (q,), {})
    return q


def _clone_fn() -> Any:
    from ._registry import METHODS

    return METHODS["clone"]


@_handles("copy_")
def _copy_(func: Any, args: tuple, kwargs: dict) -> Any:
    dst, src = args[0], args[1]
    if not isinstance(dst, QTensor):
        raise RuntimeError("Copying from quantized Tensor to non-quantized Tensor is not "
                           "allowed, please use dequantize to get a float Tensor from a "
                           "quantized Tensor")
    if isinstance(src, QTensor):
        if src._qp.scheme is not dst._qp.scheme:
            raise RuntimeError("Quantized Copy only works with same qscheme")
        if src.dtype is not dst.dtype:
            raise RuntimeError(f"copy_: quantized dtypes differ ({dst.dtype!r} and "
                               f"{src.dtype!r})")
        vals = np.broadcast_to(src._data, dst._data.shape)
        dst._qp = src._qp  # torch: the destination takes the source's quantizer
    else:
        if not isinstance(src, Tensor) or src.dtype is not D.float32:
            raise RuntimeError("Quantized copy only works with kFloat as source Tensor")
        _per_tensor("copy_", dst)
        f = np.broadcast_to(src._host(), dst._data.shape)
        vals = quantize_array(f, dst.dtype, dst._qp.scale, dst._qp.zero_point)
    dst._data[...] = vals
    dst._bump_version()
    return dst


@_handles("fill_")
def _fill_(func: Any, args: tuple, kwargs: dict) -> Any:
    q, v = args[0], args[1]
    _per_tensor("fill_", q)
    v = v.item() if isinstance(v, Tensor) else v
    q._data[...] = quantize_array(np.float32(v), q.dtype, q._qp.scale, q._qp.zero_point)
    q._bump_version()
    return q


@_handles("masked_fill", "masked_fill_")
def _masked_fill(func: Any, args: tuple, kwargs: dict) -> Any:
    """The fill value is quantized with the tensor's parameters, then written as an integer."""
    q = args[0]
    _per_tensor(func.__name__, q)
    mask = kwargs.get("mask", args[1] if len(args) > 1 else None)
    value: Any = kwargs.get("value", args[2] if len(args) > 2 else None)
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError("masked_fill only supports a 0-dimensional value tensor")
        value = value.item()
    iv = int(_qbound(q, float(value)))
    res = func(int_view(q), mask, iv)
    return q if func.__name__.endswith("_") else _rewrap(res, q.dtype, q._qp)


@_handles("__setitem__")
def _setitem(func: Any, args: tuple, kwargs: dict) -> None:
    """q[key] = value: float values (numbers or tensors) quantized with q's parameters; a
    quantized value's integers are copied as they are (torch does not requantize them)."""
    q, key, value = args
    if not isinstance(q, QTensor):
        raise RuntimeError("cannot assign a quantized tensor into a non-quantized one: "
                           "dequantize() it first")
    _per_tensor("__setitem__", q)
    if isinstance(value, QTensor):
        if value.dtype is not q.dtype:
            raise RuntimeError(f"__setitem__: quantized dtypes differ ({q.dtype!r} and "
                               f"{value.dtype!r})")
        func(int_view(q), key, int_view(value))
        return
    if isinstance(value, Tensor):
        value = value._host()
    arr = quantize_array(np.asarray(value, np.float32), q.dtype, q._qp.scale, q._qp.zero_point)
    func(int_view(q), key, make(arr, D.QUANT_INFO[q.dtype][0], q.device))


@_handles("equal")
def _equal(func: Any, args: tuple, kwargs: dict) -> bool:
    a, b = args[0], args[1]
    if not (isinstance(a, QTensor) and isinstance(b, QTensor)):
        raise RuntimeError("equal: both tensors must be quantized to compare them")
    pa, pb = a._qp, b._qp
    same = a.dtype is b.dtype and pa.scheme is pb.scheme and a.shape == b.shape
    if same and pa.per_channel:
        same = (pa.axis == pb.axis and np.array_equal(pa.scales, pb.scales)
                and np.array_equal(pa.zero_points, pb.zero_points))
    elif same:
        same = (pa.scale, pa.zero_point) == (pb.scale, pb.zero_point)
    return bool(same and np.array_equal(a._data, b._data))


_CMP = ("eq", "ne", "lt", "le", "gt", "ge")


@_handles(*_CMP, *(f"__{n}__" for n in _CMP), "not_equal", "less", "less_equal", "greater",
          "greater_equal")
def _compare(func: Any, args: tuple, kwargs: dict) -> Any:
    """Comparisons see the dequantized values (torch's quantized comparison kernels)."""
    def deq(a: Any) -> Any:
        return make(dequantize_array(a), D.float32, a.device) if isinstance(a, QTensor) else a

    if "out" in kwargs:
        raise NotImplementedError(f"{func.__name__}(out=) with quantized inputs is not supported")
    res = func(*(deq(a) for a in args), **{k: deq(v) for k, v in kwargs.items()})
    if res is NotImplemented:  # q == None: Python's identity answer (the protocol cannot
        name = func.__name__      # hand NotImplemented back to the interpreter)
        if name in ("__eq__", "__ne__"):
            return (args[0] is args[1]) == (name == "__eq__")
        raise TypeError(f"'{name}' not supported between a quantized tensor and "
                        f"{type(args[1]).__name__}")
    return res


# ------------------------------------------------------------------ integer-domain activations
def _qbound(q: QTensor, v: float) -> Any:
    return quantize_array(np.float32(v), q.dtype, q._qp.scale, q._qp.zero_point)[()]


def _clip(q: QTensor, lo: Any, hi: Any, inplace: bool) -> QTensor:
    """Clamp the integers to [lo, hi] (either may be None), in place or into a new tensor."""
    _per_tensor("clamp", q)
    a = q._data
    out = a if inplace else np.empty_like(a)
    src = a
    # NumPy's integer maximum/minimum against a scalar is unvectorized (about 30x slower
    # than against an array): the bound is broadcast into a full array first
    for bound, fn in ((lo, np.maximum), (hi, np.minimum)):
        if bound is None:
            continue
        full = np.full(a.shape, bound, a.dtype)
        fn(src, full, out=out)
        src = out
    if src is a and not inplace:
        out[...] = a
    if inplace:
        q._bump_version()
        return q
    return wrap(out, q.dtype, q._qp, q.device)


@_handles("relu", "relu_")
def _relu(func: Any, args: tuple, kwargs: dict) -> Any:
    q = args[0]
    inplace = func.__name__ == "relu_" or bool(kwargs.get("inplace", args[1:2] == (True,)))
    return _clip(q, np.asarray(q._qp.zero_point).astype(q._data.dtype)[()], None, inplace)


@_handles("hardtanh", "hardtanh_", "relu6")
def _hardtanh(func: Any, args: tuple, kwargs: dict) -> Any:
    q = args[0]
    name = func.__name__
    if name == "relu6":
        lo, hi = 0.0, 6.0
        inplace = bool(kwargs.get("inplace", args[1:2] == (True,)))
    else:
        lo = kwargs.get("min_val", args[1] if len(args) > 1 else -1.0)
        hi = kwargs.get("max_val", args[2] if len(args) > 2 else 1.0)
        inplace = name == "hardtanh_" or bool(kwargs.get("inplace", args[3:4] == (True,)))
    return _clip(q, _qbound(q, lo), _qbound(q, hi), inplace)


@_handles("clamp", "clip", "clamp_", "clip_")
def _clamp(func: Any, args: tuple, kwargs: dict) -> Any:
    q = args[0]
    if func.__name__.endswith("_"):  # torch's in-place clamp promotes, and refuses quantized
        raise RuntimeError("promoteTypes with quantized numbers is not handled yet; figure out "
                           f"what the correct rules should be, offending types: "
                           f"{scalar_name(q.dtype)} Float")
    lo = kwargs.get("min", args[1] if len(args) > 1 else None)
    hi = kwargs.get("max", args[2] if len(args) > 2 else None)
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        raise NotImplementedError("clamp of a quantized tensor takes Python numbers as bounds")
    return _clip(q, None if lo is None else _qbound(q, lo), None if hi is None else
                 _qbound(q, hi), func.__name__.endswith("_"))


from . import quantized_pool  # noqa: E402,F401  (registers the requantizing ops' handlers)
