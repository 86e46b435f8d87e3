"""The loading half of ember.load: torch's global names mapped to ember's objects.

Storages read from a checkpoint (`_LoadedStorage`, what map_location callables receive),
map_location handling, ember's versions of torch._utils' rebuild functions (they check every
argument: a checkpoint is untrusted input), the table of torch names a weights_only load
accepts, and the full unpickler used with weights_only=False.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _dtype as D
from ._checkpoint_pickler import _STORAGE_NAMES, _location
from ._device import CPU, META, device
from ._storage import Storage, UntypedStorage
from ._tensor import Size, Tensor, make
from ._weights_only_unpickler import NotSupported as _NotSupported
from .backends import for_device, to_numpy

_MISSING_DTYPES = ("uint16", "uint32", "uint64", "complex32", "float8_e4m3fn", "float8_e5m2",
                   "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2",
                   "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16", "quint4x2", "quint2x4",
                   *(f"int{i}" for i in range(1, 8)),
                   *(f"uint{i}" for i in range(1, 8)))
_MISSING_STORAGES = ("QUInt4x2Storage", "QUInt2x4Storage")


_device_cls = device


class _LoadedStorage(UntypedStorage):
    """A storage read from a checkpoint (what a map_location callable receives and returns)."""

    __slots__ = ("dtype",)
    dtype: D.dtype  # the dtype the checkpoint reads it as, set right after construction

    def _moved(self, dev: Any) -> _LoadedStorage:
        from ._device import canonical

        dev = canonical(dev)
        if dev == self.device:
            return self
        root = self._storage.root
        if dev.type == "meta":
            root = for_device(META).ghost((int(root.nbytes),), np.uint8)
        else:
            root = for_device(dev).from_host(to_numpy(root), dev.index)
        out = _LoadedStorage(Storage(root), dev)
        out.dtype = self.dtype
        return out

    def cpu(self) -> _LoadedStorage:
        return self._moved(CPU)

    def cuda(self, device: Any = None, non_blocking: bool = False) -> _LoadedStorage:
        if device is None:
            return self._moved("cuda")
        return self._moved(_device_cls("cuda", device) if isinstance(device, int) else device)

    def to(self, *, device: Any, non_blocking: bool = False) -> _LoadedStorage:
        return self._moved(device)


class _StorageType:
    """What a torch storage class name (torch.FloatStorage...) stands for: a dtype."""

    __slots__ = ("dtype", "name")

    def __init__(self, dt: D.dtype | None, name: str) -> None:
        self.dtype, self.name = dt, name

    def __repr__(self) -> str:
        return f"StorageType(torch.{self.name})"


def _text(x: Any) -> str:
    return x.decode("ascii") if isinstance(x, bytes) else str(x)


def location_tag(storage: Any) -> str:
    """torch.serialization.location_tag: 'cpu' or 'cuda:<index>' for a storage or tensor."""
    return _location(storage.device)


def default_restore_location(storage: Any, location: str) -> Any:
    """Move a loaded CPU storage to the device named by `location` ('cpu', 'cuda:1', 'meta')."""
    location = _text(location)
    try:
        dev = _device_cls(location)
    except RuntimeError:
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda", "meta"):
        raise RuntimeError(f"don't know how to restore data location of "
                           f"{type(storage).__name__} (tagged with {location})")
    if dev.type == "cuda":
        from .backends import cuda as _cuda

        if not _cuda.is_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                               "ember.cuda.is_available() is False. If you are running on a "
                               "CPU-only machine, please use ember.load with map_location="
                               "ember.device('cpu') to map your storages to the CPU.")
        n = _cuda.device_count()
        if (dev.index or 0) >= n:
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {dev.index} "
                               f"but ember.cuda.device_count() is {n}. Please use ember.load "
                               "with map_location to map your storages to an existing device.")
    return storage._moved(dev)


def _restore_fn(map_location: Any) -> Callable[[Any, str], Any]:
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        return lambda s, loc: default_restore_location(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, _device_cls)):
        target = _text(map_location) if not isinstance(map_location, _device_cls) \
            else str(map_location)
        return lambda s, loc: default_restore_location(s, target)

    def restore(s: Any, loc: str) -> Any:
        r = map_location(s, loc)
        if r is None:
            return default_restore_location(s, loc)
        if not isinstance(r, UntypedStorage):
            raise TypeError(f"map_location must return a storage or None, got {type(r)}")
        return r

    return restore


def _is_meta_location(map_location: Any) -> bool:
    if isinstance(map_location, (str, bytes)):
        return _text(map_location) == "meta"
    return isinstance(map_location, _device_cls) and map_location.type == "meta"


def _ints(x: Any, what: str) -> tuple:
    if not isinstance(x, (tuple, list)) or not all(type(v) is int for v in x):
        raise RuntimeError(f"expected {what} to be a tuple of ints, got {x!r}")
    return tuple(x)


def _view(storage: Any, dt: Any, offset: Any, size: Any, stride: Any) -> Tensor:
    """A tensor of `dt` on `storage`'s memory (the storage is shared, not copied)."""
    if not isinstance(storage, _LoadedStorage):
        raise RuntimeError(f"expected a storage from the checkpoint, got {type(storage)}")
    if not isinstance(dt, D.dtype):
        raise RuntimeError(f"expected a dtype, got {dt!r}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride) or \
            any(v < 0 for v in size + stride):
        raise RuntimeError(f"invalid tensor geometry: size {list(size)}, stride {list(stride)}, "
                           f"storage offset {offset}")
    dev = storage.device
    isz = dt.itemsize
    nbytes = storage.nbytes()
    numel = 1
    for n in size:
        numel *= n
    if numel:
        need = (offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) + 1) * isz
        if need > nbytes:
            raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, "
                               f"storage offset {offset}, and itemsize {isz} requiring a "
                               f"storage size of {need} are out of bounds for storage of size "
                               f"{nbytes}")
    if dev.type == "meta":
        arr = for_device(META).ghost(size, dt.np)
    else:
        root = storage._storage.root
        boff = min(offset * isz, nbytes)
        bstrides = tuple(s * isz for s in stride)
        if isinstance(root, np.ndarray):
            arr = np.ndarray(size, dt.np, buffer=root, offset=boff, strides=bstrides)
        else:
            xp = for_device(dev).xp
            arr = xp.ndarray(size, dt.np, memptr=root.data + boff, strides=bstrides)
    t = make(arr, dt, dev)
    t._storage = storage._storage
    return t


def _rebuild_tensor(storage: Any, storage_offset: int, size: Any, stride: Any) -> Tensor:
    return _view(storage, storage.dtype if isinstance(storage, _LoadedStorage) else None,
                 storage_offset, size, stride)


def _rebuild_tensor_v2(storage: Any, storage_offset: int, size: Any, stride: Any,
                       requires_grad: bool, backward_hooks: Any, metadata: Any = None) -> Tensor:
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage: Any, storage_offset: int, size: Any, stride: Any,
                       requires_grad: bool, backward_hooks: Any, dtype: Any,
                       metadata: Any = None) -> Tensor:
    t = _view(storage, dtype, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _set_obj_state(obj: Any, state: Any) -> Any:
    """Apply pickled attribute state to a rebuilt tensor (instance dict, and subclass slots)."""
    slots = None
    if isinstance(state, tuple):
        if len(state) != 2:
            raise RuntimeError(f"Invalid serialized state: {state}")
        state, slots = state
    if state:
        if not isinstance(state, dict):
            raise RuntimeError(f"Invalid serialized state: {state!r}")
        obj.__dict__.update(state)  # ember's own slots take precedence over the dict
    if slots:
        for k, v in dict(slots).items():
            if k in Tensor.__slots__:
                raise pickle.UnpicklingError(f"refusing to set the internal tensor slot {k}")
            setattr(obj, k, v)
    return obj


def _rebuild_parameter(data: Any, requires_grad: bool, backward_hooks: Any) -> Any:
    from .nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise RuntimeError(f"_rebuild_parameter expects a tensor, got {type(data)}")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data: Any, requires_grad: bool, backward_hooks: Any,
                                  state: Any) -> Any:
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Any:
    if func not in _TENSOR_REBUILDS:
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2: {func!r} is not a tensor rebuild "
                                     "function")
    if not (isinstance(new_type, type) and issubclass(new_type, Tensor)):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2: {new_type!r} is not a Tensor "
                                     "class")
    ret = func(*args)
    if type(ret) is not new_type:
        ret = ret.as_subclass(new_type)
    if getattr(new_type, "__setstate__", Tensor.__setstate__) is not Tensor.__setstate__:
        ret.__setstate__(state)
        return ret
    return _set_obj_state(ret, state)


def _rebuild_meta_tensor_no_storage(dtype: Any, size: Any, stride: Any,
                                    requires_grad: bool) -> Tensor:
    from .ops.creation import empty_strided

    if not isinstance(dtype, D.dtype):
        raise RuntimeError(f"expected a dtype, got {dtype!r}")
    t = empty_strided(_ints(size, "size"), _ints(stride, "stride"), dtype=dtype, device="meta")
    return t.requires_grad_(True) if requires_grad else t


def _rebuild_device_tensor_from_cpu_tensor(data: Any, dtype: Any, device: Any,
                                           requires_grad: bool) -> Tensor:
    if not isinstance(data, Tensor):
        raise RuntimeError(f"expected a tensor, got {type(data)}")
    t = data.to(device=device, dtype=dtype)
    return t.requires_grad_(True) if requires_grad else t


def _get_layout(name: str) -> Any:
    if name != "torch.strided":
        raise NotImplementedError(f"ember supports only the strided layout, not {name}")
    from . import strided

    return strided


def _rebuild_qtensor(storage: Any, storage_offset: int, size: Any, stride: Any,
                     quantizer_params: Any, requires_grad: bool, backward_hooks: Any) -> Tensor:
    """torch._utils._rebuild_qtensor: a quantized tensor on the checkpoint's storage."""
    from ._quantized import QParams, QTensor, per_tensor_affine, wrap_view
    from ._quantized import per_channel_affine as pca
    from ._quantized import per_channel_affine_float_qparams as pcf

    dt = storage.dtype if isinstance(storage, _LoadedStorage) else None
    if dt is None or dt.category != D.QUANT:
        raise RuntimeError(f"_rebuild_qtensor: expected a quantized storage, got {dt!r}")
    if not isinstance(quantizer_params, tuple) or not quantizer_params:
        raise RuntimeError(f"_rebuild_qtensor: bad quantizer parameters {quantizer_params!r}")
    qs = quantizer_params[0]
    if qs is per_tensor_affine and len(quantizer_params) == 3:
        _, scale, zp = quantizer_params
        qp = QParams(per_tensor_affine, float(scale), int(zp))
    elif qs in (pca, pcf) and len(quantizer_params) == 4:
        _, scales, zps, axis = quantizer_params
        z = np.asarray(zps._host() if isinstance(zps, Tensor) else zps)
        floats = z.dtype.kind == "f" or qs is pcf
        pdt = np.float32 if floats else np.float64  # float qparams are float32 in torch
        s = np.asarray(scales._host() if isinstance(scales, Tensor) else scales, pdt)
        qp = QParams(pcf if floats else pca, scales=s.reshape(-1),
                     zero_points=z.reshape(-1).astype(np.float32 if floats else np.int64),
                     axis=int(axis))
    else:
        raise RuntimeError(f"Can't deserialize quantized tensor with qscheme {qs!r}")
    plain = _view(storage, D.QUANT_INFO[dt][0], storage_offset, size, stride)
    q: QTensor = wrap_view(plain, dt, qp)
    q._base = None
    q._storage = plain._storage
    if requires_grad:
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return q


_TENSOR_REBUILDS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3,
                    _rebuild_meta_tensor_no_storage, _rebuild_device_tensor_from_cpu_tensor)
_TABLE: dict[str, Any] = {}


def _torch_globals() -> dict[str, Any]:
    """torch's allow-listed global names -> the ember objects they load as."""
    if _TABLE:
        return _TABLE
    import codecs
    from collections import Counter

    from .nn.parameter import Parameter

    rc: dict[str, Any] = {
        "collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": Parameter, "torch.Size": Size, "torch.Tensor": Tensor,
        "torch.device": device, "torch.serialization._get_layout": _get_layout,
        "_codecs.encode": codecs.encode, "builtins.bytearray": bytearray,
        "builtins.set": set, "builtins.frozenset": frozenset, "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
    }
    for f in _TENSOR_REBUILDS:
        rc[f"torch._utils.{f.__name__}"] = f
    for dt in D.ALL + (D.qint8, D.quint8, D.qint32):
        rc[f"torch.{dt.name}"] = dt
    from ._quantized import QSCHEMES

    for qs in QSCHEMES:
        rc[f"torch.{qs.name}"] = qs
    rc["torch._utils._rebuild_qtensor"] = _rebuild_qtensor
    for fmt in ("contiguous_format", "preserve_format", "channels_last", "channels_last_3d"):
        rc[f"torch.{fmt}"] = getattr(D, fmt)
    for dt, name in _STORAGE_NAMES.items():
        rc[f"torch.{name}"] = rc[f"torch.cuda.{name}"] = _StorageType(dt, name)
    rc["torch.UntypedStorage"] = rc["torch.storage.UntypedStorage"] = \
        _StorageType(None, "UntypedStorage")
    for name in _MISSING_DTYPES:
        rc[f"torch.{name}"] = _NotSupported(f"ember has no dtype torch.{name}, which this "
                                            "checkpoint uses")
    for name in _MISSING_STORAGES:
        rc[f"torch.{name}"] = _NotSupported(f"ember cannot load quantized storages "
                                            f"(torch.{name})")
    for name in ("_rebuild_sparse_tensor", "_rebuild_nested_tensor",
                 "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy"):
        kind = name[len("_rebuild_"):].replace("_", " ")
        rc[f"torch._utils.{name}"] = _NotSupported(f"ember cannot load this checkpoint: it "
                                                   f"holds a {kind} (torch._utils.{name})")
    _TABLE.update(rc)
    return _TABLE


def _translate(module: str, name: str) -> list[str]:
    """The ember spelling of a torch.* global, for matching the user's safe globals."""
    if module == "torch" or module.startswith("torch."):
        return [f"ember{module[len('torch'):]}.{name}"]
    return []


_UNPICKLERS: dict[Any, type] = {}


def _full_unpickler(pickle_module: Any) -> type:
    """An Unpickler class of `pickle_module` resolving torch's names to ember's (cached)."""
    cls = _UNPICKLERS.get(pickle_module.Unpickler)
    if cls is None:
        cls = _UNPICKLERS[pickle_module.Unpickler] = _make_full_unpickler(pickle_module)
    return cls


def _make_full_unpickler(pickle_module: Any) -> type:
    import _compat_pickle

    class _Unpickler(pickle_module.Unpickler):  # type: ignore[misc, name-defined]
        """Full pickle (it can run any code) with torch's names mapped to ember's."""

        _pl: Callable

        def find_class(self, module: str, name: str) -> Any:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
            found = _torch_globals().get(f"{module}.{name}")
            if type(found) is _NotSupported:
                raise NotImplementedError(found.message)
            if found is not None:
                return found
            if module == "torch" or module.startswith("torch."):
                import importlib

                try:
                    obj: Any = importlib.import_module("ember" + module[len("torch"):])
                    for part in name.split("."):
                        obj = getattr(obj, part)
                    return obj
                except (ImportError, AttributeError):
                    raise NotImplementedError(f"ember has no counterpart of {module}.{name}, "
                                              "which this checkpoint uses") from None
            return super().find_class(module, name)

        def persistent_load(self, pid: Any) -> Any:
            return self._pl(pid)

    return _Unpickler
