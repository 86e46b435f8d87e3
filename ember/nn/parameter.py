"""Parameter, Buffer and UninitializedParameter, as torch.nn.parameter."""

from __future__ import annotations

from typing import Any

from .. import _dtype as D
from .._device import device as _device
from .._tensor import Tensor, _init_empty, _new_obj, _share
from ..overrides import _disabled_torch_function_impl

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy"]


def _empty() -> Tensor:
    from ..ops.creation import empty

    return empty(0)


def _make_subclass(cls: type[Tensor], data: Tensor, requires_grad: bool) -> Any:
    """A leaf of type `cls` sharing `data`'s storage (torch's Tensor._make_subclass)."""
    t = _new_obj(cls)
    _init_empty(t)
    _share(t, data)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _ParameterMeta(type):
    """isinstance(t, Parameter) also holds for plain tensors flagged `_is_param`, as torch."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Parameter and isinstance(instance, Tensor) and \
                getattr(instance, "_is_param", False):
            return True
        return super().__instancecheck__(instance)


class Parameter(Tensor, metaclass=_ParameterMeta):
    """A Tensor that a Module registers as a parameter when assigned as an attribute."""

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = _empty()
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not "
                            f"{type(data).__name__}")
        return _make_subclass(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)  # attributes dropped, as torch
        memo[id(self)] = result
        return result

    # mypy treats a dunder's parameters as positional-only, which leaves Tensor.__repr__'s
    # keyword-only tensor_contents nameless: no override can match it (not even an identical one)
    def __repr__(self) -> str:  # type: ignore[override]
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, proto: Any) -> tuple:
        return (_rebuild_parameter, (self.data, self.requires_grad, self.__dict__ or None))


def _rebuild_parameter(data: Tensor, requires_grad: bool, state: Any) -> Parameter:
    p = Parameter(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


class _BufferMeta(type):
    """isinstance(t, Buffer) holds for tensors made by Buffer(...) (flagged `_is_buffer`)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor as a buffer when assigned to a Module attribute; Buffer(...) returns a
    plain detached Tensor flagged as a buffer (torch's behaviour)."""

    __torch_function__ = _disabled_torch_function_impl

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:  # type: ignore[misc]
        if data is None:
            data = _empty()
        t = data.detach()
        if data.requires_grad:
            t.requires_grad_(True)
        t.persistent = persistent
        t._is_buffer = True
        return t


_ALLOWED = frozenset({"__hash__", "size", "copy_", "is_complex", "is_floating_point", "half",
                      "float", "double", "char", "short", "int", "long", "cuda", "cpu", "to",
                      "get_device", "__get__", "__set__", "detach", "requires_grad_"})


def _uninit_torch_function(cls: type[Any], func: Any, types: Any, args: Any = (),
                           kwargs: Any = None) -> Any:
    """Only conversions and metadata queries work before materialize(), as in torch."""
    name = getattr(func, "__name__", "")
    if name in _ALLOWED:
        from ..overrides import DisableTorchFunctionSubclass

        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))
    raise ValueError(f"Attempted to use an uninitialized parameter in {func}. This error happens "
                     "when you are using a `LazyModule` or explicitly manipulating "
                     f"`torch.nn.parameter.{cls.__name__}` objects. When using LazyModules Call "
                     "`forward` with a dummy batch to initialize the parameters before calling "
                     "torch functions")


class UninitializedTensorMixin:
    """Shared behaviour of lazy (uninitialized) parameters and buffers."""

    # provided by the Tensor class this is mixed into
    device: _device
    dtype: D.dtype
    requires_grad: bool
    data: Tensor

    cls_to_become: Any = None

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor a shape and storage, then turn it into cls_to_become."""
        from ..ops.creation import empty

        if device is None:
            device = self.device
        if dtype is None:
            dtype = self.dtype
        if isinstance(shape, int):
            shape = (shape,)
        self.data = empty(*shape, device=device, dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:  # type: ignore[override]
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def share_memory_(self) -> Any:
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto: Any) -> tuple:
        return (self.__class__, (self.requires_grad,))

    __torch_function__ = classmethod(_uninit_torch_function)


# ignore[misc] on the two classes below: the mixin's __repr__ meets Tensor's, the mypy limitation
# noted at Parameter.__repr__
class UninitializedParameter(UninitializedTensorMixin, Parameter):  # type: ignore[misc]
    """A parameter whose shape is not known yet (lazy modules); only materialize() works."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,  # type: ignore[misc]
                dtype: Any = None) -> UninitializedParameter:
        from ..ops.creation import empty

        data = empty(0, device=device, dtype=dtype or D.get_default_dtype())
        return _make_subclass(cls, data, requires_grad)

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> UninitializedParameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):  # type: ignore[misc]  # as above
    """A buffer whose shape is not known yet (lazy modules); only materialize() works."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None,  # type: ignore[misc]
                dtype: Any = None, persistent: bool = True) -> UninitializedBuffer:
        from ..ops.creation import empty

        data = empty(0, device=device, dtype=dtype or D.get_default_dtype())
        t = _make_subclass(cls, data, requires_grad)
        t.persistent = persistent
        return t


def is_lazy(param: Any) -> bool:
    """True for uninitialized (lazy) parameters and buffers."""
    return isinstance(param, UninitializedTensorMixin)
