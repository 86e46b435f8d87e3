"""Tensor: a backend array view, the storage it shares with its views, dtype, device, autograd.

No math lives here: ops are attached as methods from the op registry (ember/ops).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _dtype as D
from ._device import CPU, device
from ._storage import Storage, UntypedStorage, root_array
from ._tensor_python import PythonConversions
from .backends import xp_of

_new_obj = object.__new__
_ndarray = np.ndarray


class Size(tuple):
    """torch.Size: a tuple of ints with torch's repr."""

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item: Any) -> Any:
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other: Any) -> Size:
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self) -> tuple:
        return (Size, (tuple(self),))


class Tensor(PythonConversions):
    """A multi-dimensional array with autograd, torch.Tensor's API.

    Tensor(data) is not torch's legacy constructor: use ember.tensor / ember.empty.
    """

    __slots__ = (
        "_data",       # backend array: a view into the storage's memory
        "dtype",
        "device",
        "_storage",    # Storage shared with views; created lazily
        "_base",       # the tensor this one views, or None
        "_requires_grad",
        "grad_fn",
        "_output_nr",
        "_grad",
        "_grad_acc",   # this leaf's AccumulateGrad node (which refers back weakly)
        "_retains_grad",
        "_hooks",
        "_post_acc_hooks",
        "__dict__",
        "__weakref__",
    )
    _data: Any
    dtype: D.dtype
    device: device
    _storage: Storage | None
    _base: Tensor | None
    _requires_grad: bool
    grad_fn: Any
    _output_nr: int
    _grad: Tensor | None
    _grad_acc: Any
    _retains_grad: bool
    _hooks: dict | None
    _post_acc_hooks: dict | None

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        """torch's legacy constructor: Tensor(*sizes) is uninitialised, Tensor(data) copies
        data in the default float dtype."""
        if cls is Tensor and args:
            from .ops.creation import empty, tensor

            if all(isinstance(a, int) and not isinstance(a, bool) for a in args) or \
                    (len(args) == 1 and isinstance(args[0], Size)):
                return empty(*args, **kwargs)
            if len(args) == 1:
                return tensor(args[0], dtype=D.get_default_dtype(), **kwargs)
            raise TypeError(f"Tensor(): invalid arguments {args!r}")
        t = _new_obj(cls)
        _init_empty(t)
        return t

    # ----------------------------------------------------------------- geometry
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def stride(self, dim: int | None = None) -> Any:
        a = self._data
        if self.device.type == "meta":
            st = _contiguous_strides(a.shape)
        else:
            isz = a.itemsize
            st = tuple(s // isz for s in a.strides)
            if not a.size and not any(st):  # NumPy 2 zeroes the strides of empty arrays
                st = _contiguous_strides(a.shape)
        if dim is None:
            return st
        return st[_wrap_dim(dim, a.ndim, "stride")]

    def storage_offset(self) -> int:
        if self.device.type == "meta":
            return 0
        from .backends import for_device

        b = for_device(self.device)
        root = self._get_storage().root
        return (b.data_ptr(self._data) - b.data_ptr(root)) // self._data.itemsize

    def data_ptr(self) -> int:
        from .backends import for_device

        return for_device(self.device).data_ptr(self._data)

    def untyped_storage(self) -> UntypedStorage:
        return UntypedStorage(self._get_storage(), self.device)

    def _get_storage(self) -> Storage:
        s = self._storage
        if s is None:
            b = self._base  # views share their root's storage, created on first need
            s = self._storage = b._get_storage() if b is not None else \
                Storage(root_array(self._data))
        return s

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return self.device.type == "meta" or bool(self._data.flags.c_contiguous)

    def element_size(self) -> int:
        return self.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.size) * self.dtype.itemsize

    @property
    def _version(self) -> int:
        s = self._storage
        if s is None:
            b = self._base
            s = b._storage if b is not None else None
            if s is None:
                return 0
        return s.version

    def _bump_version(self) -> None:
        self._get_storage().version += 1

    # ----------------------------------------------------------------- dtype/device info
    def is_floating_point(self) -> bool:
        return self.dtype.category == D.FLOAT

    def is_complex(self) -> bool:
        return self.dtype.category == D.COMPLEX

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    @property
    def is_meta(self) -> bool:
        return self.device.type == "meta"

    @property
    def is_quantized(self) -> bool:
        return False

    @property
    def is_sparse(self) -> bool:
        return False

    @property
    def layout(self) -> str:
        return "ember.strided"

    def get_device(self) -> int:
        return -1 if self.device.type == "cpu" else (self.device.index or 0)

    # ----------------------------------------------------------------- autograd fields
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and self.dtype.category < D.FLOAT:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               f"gradients (got {self.dtype})")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and not getattr(self, "_retains_grad", False):
            import warnings

            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during autograd.backward(). If you "
                "indeed want the .grad field to be populated for a non-leaf Tensor, use "
                ".retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: grad "
                                   f"{list(value.shape)} vs tensor {list(self.shape)}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} vs {self.dtype}")
            if value.device != self.device:
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"{value.device} vs {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> Tensor:
        return _alias(self)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data, self.dtype, self.device = value._data, value.dtype, value.device
        self._storage = value._get_storage()

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def retains_grad(self) -> bool:
        return bool(getattr(self, "_retains_grad", False))

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        fn = self.grad_fn
        if fn is not None and not getattr(self, "_retains_grad", False):
            self._retains_grad = True
            if fn._retain_grad_tensors is None:
                fn._retain_grad_tensors = {}
                fn._hooked = True
            fn._retain_grad_tensors[self._output_nr] = weakref.ref(self)

    def register_hook(self, hook: Any) -> Any:
        """Call hook(grad) when this tensor's gradient is computed; may return a new grad."""
        from .autograd.graph import register_tensor_hook

        return register_tensor_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        from .autograd.graph import register_post_accumulate_hook

        return register_post_accumulate_hook(self, hook)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into the leaves' .grad (see ember.autograd.backward)."""
        if gradient is None and inputs is None and self._requires_grad and \
                self._data.size == 1 and self.dtype.category == D.FLOAT:
            a = self._data  # the common loss.backward(): skip argument normalisation
            one = make(np.ones(a.shape, a.dtype) if type(a) is np.ndarray else
                       xp_of(a).ones(a.shape, a.dtype), self.dtype, self.device)
            _run_backward([self], [one], create_graph if retain_graph is None else retain_graph,
                          create_graph)
            return
        _autograd_backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        from ._tensor_str import tensor_repr

        return tensor_repr(self, tensor_contents)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and self.device.type != "meta":
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __deepcopy__(self, memo: dict) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        new = _new_obj(type(self))
        _init_empty(new)
        new._data, new.dtype, new.device = self._data.copy(), self.dtype, self.device
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        if self.__dict__:
            import copy

            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, proto: Any) -> tuple:
        return (_rebuild, (type(self), self._host(), self.dtype.name, str(self.device),
                           self._requires_grad, self.__dict__ or None))

    def __setstate__(self, state: Any) -> None:
        if state:
            self.__dict__.update(state)

    # ----------------------------------------------------------------- overrides
    @classmethod
    def __torch_function__(cls, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        """Default: run `func` without subclass dispatch, then re-wrap results as `cls`."""
        from .overrides import default_torch_function

        return default_torch_function(cls, func, types, args, kwargs)

    def as_subclass(self, cls: type) -> Any:
        new: Any = _new_obj(cls)
        _init_empty(new)
        _share(new, self)
        new._requires_grad, new.grad_fn = self._requires_grad, self.grad_fn
        new._output_nr = self._output_nr
        return new

    if TYPE_CHECKING:  # methods and operators are attached from the op registry at import
        def __getattr__(self, name: str) -> Any: ...
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __getitem__(self, key: Any) -> Tensor: ...
        def __setitem__(self, key: Any, value: Any) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from .overrides import note_subclass

        note_subclass(cls)


def _run_backward(*args: Any) -> Any:
    global _run_backward
    from .autograd.engine import run_backward

    _run_backward = run_backward  # type: ignore[assignment]  # resolved once, then direct
    return run_backward(*args)


def _autograd_backward(*args: Any, **kwargs: Any) -> None:
    global _autograd_backward
    from .autograd import backward

    _autograd_backward = backward
    backward(*args, **kwargs)


def _init_empty(t: Tensor) -> None:
    t._data = np.empty((0,), np.float32)
    t.dtype, t.device = D.float32, CPU
    t._storage = t._base = t.grad_fn = t._grad = None
    t._requires_grad = False
    t._output_nr = 0


def _share(dst: Tensor, src: Tensor) -> None:
    dst._data, dst.dtype, dst.device = src._data, src.dtype, src.device
    dst._storage = src._get_storage()
    dst._base = None


def _alias(t: Tensor) -> Tensor:
    """A new leaf tensor on the same storage (detach without the op record)."""
    n = _new_obj(Tensor)
    n._data, n.dtype, n.device = t._data, t.dtype, t.device
    n._storage = t._get_storage()
    n._base = n.grad_fn = n._grad = None
    n._requires_grad = False
    n._output_nr = 0
    return n


def _host_to(arr: np.ndarray, dev: device) -> Any:
    if dev.type != "cuda":
        return arr  # meta tensors hold NumPy ghosts
    from .backends import cuda

    return cuda.from_host(arr, dev.index)


def make(arr: Any, dt: D.dtype, dev: device) -> Tensor:
    """Wrap a fresh backend array (the hot path: one type and one identity test).

    A host array given for a CUDA device is copied there, so host-side helpers that build
    small arrays with NumPy still give device tensors."""
    if arr.__class__ is not _ndarray:
        if isinstance(arr, np.generic):
            arr = np.asarray(arr)  # NumPy returns scalars for 0-d operands
            if dev is not CPU:
                arr = _host_to(arr, dev)
    elif dev is not CPU:
        arr = _host_to(arr, dev)
    t = _new_obj(Tensor)
    t._data = arr
    t.dtype = dt
    t.device = dev
    t._storage = t._base = t.grad_fn = t._grad = None
    t._requires_grad = False
    t._output_nr = 0
    return t


def make_view(arr: Any, base: Tensor, dt: D.dtype | None = None) -> Tensor:
    """Wrap `arr`, a view of base's memory: the new tensor shares base's storage."""
    t = _new_obj(Tensor)
    t._data = arr
    t.dtype = base.dtype if dt is None else dt
    t.device = base.device
    t._storage = base._storage  # None until someone needs it: see _get_storage
    t._base = base._base if base._base is not None else base
    t.grad_fn = t._grad = None
    t._requires_grad = False
    t._output_nr = 0
    return t


def _rebuild(cls: type, arr: np.ndarray, dtname: str, dev: str, requires_grad: bool,
             state: Any) -> Tensor:
    from .ops.creation import tensor as _tensor_fn

    dt = getattr(D, dtname) if dtname != "bool" else D.bool_
    t = _tensor_fn(np.asarray(arr), dtype=dt, device=dev)
    if cls is not Tensor:
        t = t.as_subclass(cls)
    if requires_grad:
        t.requires_grad_(True)
    if state:
        t.__dict__.update(state)
    return t


def _contiguous_strides(shape: tuple) -> tuple:
    st = []
    acc = 1
    for s in reversed(shape):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _wrap_dim(dim: int, ndim: int, op: str = "") -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim + n if dim < 0 else dim


contiguous_strides = _contiguous_strides
