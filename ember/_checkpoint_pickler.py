"""The saving half of ember.save: a pickler that writes torch's global names.

Tensors become `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
hooks)` (Parameters `_rebuild_parameter`), storages persistent ids `('storage',
torch.FloatStorage, key, location, numel)` with one key per root array, so views share one
record; dtypes, devices, Size and memory formats use their `torch.*` names, and every other
`ember.*` global is written as `torch.*` (ember.load maps them back). Built on the pure-Python
pickle._Pickler, whose GLOBAL writing can be overridden without importing torch.
"""

from __future__ import annotations

import pickle
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any, cast

from . import _dtype as D
from ._device import device
from ._storage import UntypedStorage
from ._tensor import Size, Tensor, _alias
from .backends import for_device

_STORAGE_NAMES = {
    D.float64: "DoubleStorage", D.float32: "FloatStorage", D.float16: "HalfStorage",
    D.bfloat16: "BFloat16Storage", D.int64: "LongStorage", D.int32: "IntStorage",
    D.int16: "ShortStorage", D.int8: "CharStorage", D.uint8: "ByteStorage",
    D.bool_: "BoolStorage", D.complex128: "ComplexDoubleStorage",
    D.complex64: "ComplexFloatStorage", D.qint8: "QInt8Storage", D.quint8: "QUInt8Storage",
    D.qint32: "QInt32Storage",
}


class _TorchName:
    """A global written into the pickle by name (module, name) without importing it."""

    __slots__ = ("module", "name")
    module: str
    name: str
    _cache: dict = {}

    def __new__(cls, module: str, name: str) -> _TorchName:
        self = cls._cache.get((module, name))
        if self is None:
            self = cls._cache[(module, name)] = object.__new__(cls)
            self.module, self.name = module, name
        return self

    def __call__(self, *args: Any) -> Any:  # pickle's save_reduce wants a callable
        raise TypeError(f"{self.module}.{self.name} is a name written into a checkpoint")


def _tn(module: str, name: str) -> _TorchName:
    return _TorchName(module, name)


class _StorageRef:
    """One storage record being saved: its persistent id and the array holding its bytes."""

    __slots__ = ("pid", "array")

    def __init__(self, pid: tuple, array: Any) -> None:
        self.pid, self.array = pid, array


def _location(dev: device) -> str:
    return f"cuda:{dev.index or 0}" if dev.type == "cuda" else dev.type


_CLASS_NAMES: dict[int, tuple[str, str]] = {}


def _torch_names_of_classes() -> dict[int, tuple[str, str]]:
    """id -> torch's (module, name) for the ember classes and constants torch names itself."""
    if _CLASS_NAMES:
        return _CLASS_NAMES
    from .nn.parameter import Parameter

    names = {id(Tensor): ("torch", "Tensor"), id(Size): ("torch", "Size"),
             id(device): ("torch", "device"), id(D.dtype): ("torch", "dtype"),
             id(Parameter): ("torch.nn.parameter", "Parameter")}
    for fmt in ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d"):
        names[id(getattr(D, fmt))] = ("torch", fmt)
    from ._quantized import QSCHEMES

    for qs in QSCHEMES:
        names[id(qs)] = ("torch", qs.name)
    _CLASS_NAMES.update(names)
    return _CLASS_NAMES


class _Saver:
    """The state of one ember.save: the storages met so far, keyed by their root array."""

    def __init__(self) -> None:
        self.refs: dict[int, tuple[_StorageRef, Any, D.dtype | None]] = {}
        self.records: list[_StorageRef] = []

    def _new_ref(self, array: Any, dt: D.dtype | None, dev: device) -> _StorageRef:
        key = str(len(self.records))
        if dt is None:
            pid = ("storage", _tn("torch", "UntypedStorage"), key, _location(dev),
                   int(array.nbytes))
        else:
            pid = ("storage", _tn("torch", _STORAGE_NAMES[dt]), key, _location(dev),
                   int(array.nbytes) // dt.itemsize)
        ref = _StorageRef(pid, array)
        self.records.append(ref)
        return ref

    def storage_of(self, t: Tensor) -> tuple[_StorageRef, int]:
        """The record holding t's memory and t's element offset in it (shared by views)."""
        root = t._get_storage().root
        be = for_device(t.device)
        isz = t.dtype.itemsize
        a = t._data
        off = be.data_ptr(a) - be.data_ptr(root)
        nb = int(root.nbytes)
        span = sum((n - 1) * s for n, s in zip(a.shape, a.strides, strict=True)) + isz \
            if a.size else 0
        dense = root.flags.c_contiguous or root.flags.f_contiguous  # one block of memory
        shareable = (dense and off >= 0 and off % isz == 0
                     and all(s >= 0 and s % isz == 0 for s in a.strides)
                     and off + span <= nb and (a.size or off <= nb))
        if not shareable:  # memory ember cannot describe as (storage, offset, strides): copy
            return self._new_ref(be.xp.ascontiguousarray(a), t.dtype, t.device), 0
        hit = self.refs.get(id(root))
        if hit is None:
            ref = self._new_ref(root, t.dtype, t.device)
            self.refs[id(root)] = (ref, root, t.dtype)  # holding root keeps id(root) unique
        else:
            ref, _, dt = hit
            if dt is not t.dtype:
                raise RuntimeError("Cannot save multiple tensors or storages that view the "
                                   "same data as different types")
        return ref, off // isz

    def untyped(self, s: UntypedStorage) -> _StorageRef:
        root = s._storage.root
        hit = self.refs.get(id(root))
        if hit is not None:
            if hit[2] is not None:
                raise RuntimeError("Cannot save multiple tensors or storages that view the "
                                   "same data as different types")
            return hit[0]
        ref = self._new_ref(root, None, s.device)
        self.refs[id(root)] = (ref, root, None)
        return ref

    def reduce_tensor(self, t: Tensor) -> tuple:
        from ._quantized import QTensor
        from .nn.parameter import Parameter

        if isinstance(t, QTensor):
            return self._reduce_qtensor(t)
        hooks: OrderedDict = OrderedDict()
        state = t.__dict__
        if issubclass(type(t), Parameter):
            data = _alias(t)
            if state:
                return (_tn("torch._utils", "_rebuild_parameter_with_state"),
                        (data, t.requires_grad, hooks, dict(state)))
            return (_tn("torch._utils", "_rebuild_parameter"), (data, t.requires_grad, hooks))
        if t.device.type == "meta":
            func = _tn("torch._utils", "_rebuild_meta_tensor_no_storage")
            args: tuple = (t.dtype, tuple(t.shape), t.stride(), t.requires_grad)
        else:
            ref, offset = self.storage_of(t)
            func = _tn("torch._utils", "_rebuild_tensor_v2")
            args = (ref, offset, tuple(t.shape), t.stride(), t.requires_grad, hooks)
        if type(t) is Tensor and not state:
            return (func, args)
        return (_tn("torch._tensor", "_rebuild_from_type_v2"), (func, type(t), args,
                                                                 dict(state)))


    def _reduce_qtensor(self, t: Any) -> tuple:
        """torch._utils._rebuild_qtensor(storage, offset, size, stride, qparams, ...)."""
        from ._quantized import per_channel_affine, per_tensor_affine
        from .ops.creation import tensor

        if t.dtype not in _STORAGE_NAMES:
            raise NotImplementedError(f"ember.save: quantized tensors of dtype {t.dtype} cannot "
                                      "be saved (torch stores them packed)")
        qp = t._qp
        if qp.per_channel:  # torch writes per_channel_affine for float qparams too
            params: tuple = (per_channel_affine, tensor(qp.scales), tensor(qp.zero_points),
                             qp.axis)
        else:
            params = (per_tensor_affine, qp.scale, qp.zero_point)
        ref, offset = self.storage_of(t)
        return (_tn("torch._utils", "_rebuild_qtensor"),
                (ref, offset, tuple(t.shape), t.stride(), params, False, OrderedDict()))


def _write_name(pickler: Any, module: str, name: str) -> None:
    if pickler.proto >= 4:
        pickler.save(module)
        pickler.save(name)
        pickler.write(pickle.STACK_GLOBAL)
    else:
        pickler.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8")
                      + b"\n")


def _make_pickler(base: type[pickle._Pickler]) -> type:
    class _Pickler(base):  # type: ignore[misc, valid-type]
        """Pickles tensors, storages, dtypes, devices and ember classes under torch's names."""

        dispatch: dict[type, Callable[..., None]] = dict(base.dispatch)

        def __init__(self, file: IO[bytes], protocol: int, saver: _Saver) -> None:
            super().__init__(file, protocol)
            self.saver = saver
            self.class_names = _torch_names_of_classes()

        def persistent_id(self, obj: Any) -> Any:
            t = type(obj)
            if t is _StorageRef:
                return obj.pid
            if t is UntypedStorage:
                return self.saver.untyped(obj).pid
            return None

        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, Tensor):
                return self.saver.reduce_tensor(obj)
            if type(obj) is device:
                return (_tn("torch", "device"), obj.__reduce__()[1])
            if type(obj) is Size:
                return (_tn("torch", "Size"), (tuple(obj),))
            return NotImplemented

        def _save_torch_name(self, obj: _TorchName) -> None:
            _write_name(self, obj.module, obj.name)
            self.memoize(obj)

        def _save_dtype(self, obj: D.dtype) -> None:
            _write_name(self, "torch", obj.name)
            self.memoize(obj)

        dispatch[_TorchName] = _save_torch_name
        dispatch[D.dtype] = _save_dtype
        dispatch[D._QuantizedDtype] = _save_dtype  # qint8 & co. (a quantized model's dtype)

        def save_global(self, obj: Any, name: str | None = None) -> None:
            named = self.class_names.get(id(obj))
            if named is not None:
                _write_name(self, *named)
                self.memoize(obj)
                return
            qual = cast(str, name or getattr(obj, "__qualname__", None)
                        or getattr(obj, "__name__", ""))
            # whichmodule is pickle's (undocumented) public helper; typeshed leaves it out
            module = pickle.whichmodule(obj, qual)  # type: ignore[attr-defined]
            if module == "ember" or module.startswith("ember."):
                import importlib

                found: Any = importlib.import_module(module)
                for part in qual.split("."):
                    found = getattr(found, part, None)
                if found is not obj:
                    raise pickle.PicklingError(f"Can't pickle {obj!r}: it's not found as "
                                               f"{module}.{qual}")
                _write_name(self, "torch" + module[len("ember"):], qual)
                self.memoize(obj)
                return
            super().save_global(obj, name)

        def _save_function(self, obj: Any) -> None:
            self.save_global(obj)  # the base table holds the base save_global: reroute

        dispatch[types.FunctionType] = _save_function

    return _Pickler


_PICKLERS: dict[type, type] = {}


def _pickler_class(pickle_module: Any) -> type:
    base = getattr(pickle_module, "_Pickler", None) if pickle_module is pickle else \
        getattr(pickle_module, "Pickler", None)
    if not (isinstance(base, type) and issubclass(base, pickle._Pickler)):
        raise ValueError(f"ember.save: pickle_module {getattr(pickle_module, '__name__', '?')} "
                         "must provide a pure-Python Pickler (a subclass of pickle._Pickler, "
                         "as pickle and dill do): ember writes torch's global names through it")
    cls = _PICKLERS.get(base)
    if cls is None:
        cls = _PICKLERS[base] = _make_pickler(base)
    return cls
