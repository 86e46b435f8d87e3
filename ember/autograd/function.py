"""autograd.Function: user-defined ops with forward/backward (both torch styles: a forward
taking ctx, or forward plus setup_context)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .grad_mode import state as _gm
from .graph import Node


class FunctionCtx:
    """What forward sees as `ctx`: save tensors, mark outputs, read needs_input_grad."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args: Any) -> None:
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The graph node of one Function.apply call; it is also the ctx forward received."""

    _forward_cls: Any = None

    def name(self) -> str:
        return type(self).__name__

    def backward(self, *grads: Any) -> Any:
        fn = self._forward_cls
        if fn.backward is Function.backward and fn.vjp is not Function.vjp:
            return fn.vjp(self, *grads)
        return fn.backward(self, *grads)

    def apply(self, *grads: Any) -> Any:
        return self.backward(*grads)


class FunctionMeta(type):
    """Gives each Function subclass its own node class, named `<Name>Backward`."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": cls.__module__})
        super().__init__(name, bases, attrs)


def _is_tensor(x: Any) -> bool:
    from .._tensor import Tensor

    return isinstance(x, Tensor)


class Function(metaclass=FunctionMeta):
    """Base class for custom autograd ops; call them through `.apply(*args)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: https://pytorch.org/docs/stable/autograd."
                           "html#torch.autograd.Function)")

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from .._tensor import Tensor, _alias
        from ..ops._core import attach, rebase_history

        ctx = cls._backward_cls()
        ctx._materialize = True
        ctx.needs_input_grad = tuple(_is_tensor(a) and a._requires_grad for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        prev = _gm.enabled
        _gm.enabled = False
        try:
            if uses_setup:
                out = cls.forward(*args, **kwargs)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        finally:
            _gm.enabled = prev
        if uses_setup:
            cls.setup_context(ctx, args, out)

        is_tuple = isinstance(out, tuple)
        outs = list(out) if is_tuple else [out]
        record = prev and any(ctx.needs_input_grad)
        dirty = {id(t) for t in getattr(ctx, "dirty_tensors", ())}
        for t in getattr(ctx, "dirty_tensors", ()):
            t._bump_version()
        input_ids = {id(a) for a in args if _is_tensor(a)}
        if not record:
            return out
        non_diff = {id(t) for t in getattr(ctx, "non_differentiable", ())}
        diff_outs: list = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor) or id(o) in non_diff or o.dtype.category < 2:
                diff_outs.append(None)
                continue
            if id(o) in dirty:
                if o.grad_fn is None and o._requires_grad:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                       "in-place operation.")
                diff_outs.append(o)
                continue
            if id(o) in input_ids:
                o = outs[i] = _alias(o)  # an input returned unchanged becomes a new output
            diff_outs.append(o)
        # dirty outputs keep their identity: connect through an alias, then rebase
        connect = [(_alias(o) if o is not None and id(o) in dirty else o) for o in diff_outs]
        attach(ctx, args, connect)
        for o, c in zip(diff_outs, connect):
            if o is not None and c is not o:
                rebase_history(o, c)
        ctx._n_outputs = len(outs)
        if len(outs) > 1 or any(o is None for o in connect):
            ctx._out_meta = [(o.shape, o.dtype, o.device) if isinstance(o, Tensor) else
                             ((), None, None) for o in outs]
        to_save = getattr(ctx, "to_save", None)
        if to_save is not None:
            out_pos = {id(o): k for k, o in enumerate(outs) if isinstance(o, Tensor)}
            saved: list[tuple[Tensor, int, int] | None] = []
            for t in to_save:
                if t is None:
                    saved.append(None)
                elif id(t) in out_pos and id(t) not in input_ids:
                    saved.append((_alias(t), t._version, out_pos[id(t)]))
                else:
                    saved.append((t, t._version, -1))
            ctx._saved = saved
            del ctx.to_save
        elif ctx._saved is None:
            ctx._saved = []
        return tuple(outs) if is_tuple else outs[0]


def _ctx_saved_tensors(self: BackwardCFunction) -> tuple:
    return Node.saved_tensors.fget(self)  # type: ignore[attr-defined]


BackwardCFunction.saved_tensors = property(_ctx_saved_tensors)  # type: ignore[assignment]


def once_differentiable(fn: Callable) -> Callable:
    """Run backward with grad mode off; a double backward through it then has no graph."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        prev = _gm.enabled
        _gm.enabled = False
        try:
            return fn(ctx, *args)
        finally:
            _gm.enabled = prev

    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
