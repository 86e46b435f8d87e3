"""Autograd graph nodes: Node (a grad_fn), AccumulateGrad for leaves, saved tensors, hooks."""

from __future__ import annotations

import itertools
import traceback
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..backends import is_writeable
from .grad_mode import state as _gm

_seq = itertools.count()
_SAVED_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)


class RemovableHandle:
    """torch.utils.hooks.RemovableHandle: remove() unregisters a hook (and its extra flags)."""

    next_id: int = 0

    def __init__(self, hooks_dict: Any, *, extra_dict: Any = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self) -> tuple:
        return (self.hooks_dict_ref(), self.id, tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state: tuple) -> None:
        self.hooks_dict_ref = weakref.ref(state[0] if state[0] is not None else OrderedDict())
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extra = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Node:
    """A backward function: grad_fn of a tensor. Subclasses implement backward(*grads).

    next_functions: one (node, input_nr) edge per differentiable input, (None, 0) for inputs
    that need no gradient. _input_meta: (shape, dtype) of each input, used by the engine to sum
    broadcast gradients and cast them back (rule 3 of DESIGN.md).
    """

    __slots__ = ("next_functions", "_input_meta", "_seq", "__weakref__", "__dict__")
    _metadata: dict | None = None
    next_functions: tuple
    _input_meta: Any
    _seq: int  # creation order, set when the node is attached (engine runs newest first)
    _saved: list | None = None
    _n_outputs: int = 1

    # Rarely used fields live in __dict__; these class defaults keep node creation cheap.
    _pre_hooks: dict | None = None
    _tensor_pre_hooks: dict | None = None
    _retain_grad_tensors: dict | None = None
    _post_hooks: dict | None = None
    _out_meta: list | None = None
    _hooked: bool = False  # any hook or retain_grad registered: the engine's slow path

    # No __init__: creating a node costs only the allocation; ops.attach() stamps _seq (and,
    # in anomaly mode, the forward traceback) when it connects the node.

    # --- saved tensors: the version recorded at save time guards against in-place edits
    def save(self, *tensors: Any) -> None:
        saved: list[tuple | None] = []
        for t in tensors:
            if t is None:
                saved.append(None)
                continue
            s = t._storage  # t._version, inlined: this runs for every recorded op
            if s is None and t._base is not None:
                s = t._base._storage
            saved.append((t, 0 if s is None else s.version, -1))
        self._saved = saved

    def save_outputs(self, *tensors: Any) -> None:
        """Save this node's own outputs without a reference cycle (output -> node -> output)."""
        from .._tensor import _alias

        saved = self._saved if self._saved is not None else []
        saved.extend((_alias(t), t._version, getattr(t, "_output_nr", 0)) for t in tensors)
        self._saved = saved

    @property
    def metadata(self) -> dict:
        """A dict for user annotations (anomaly mode keeps the forward traceback here)."""
        return self.__dict__.setdefault("_metadata", {})

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise RuntimeError(_SAVED_FREED)
        out: list[Any] = []
        for item in saved:
            if item is None:
                out.append(None)
                continue
            t, v, out_nr = item
            st = t._storage  # t._version, inlined
            if st is None and t._base is not None:
                st = t._base._storage
            if (0 if st is None else st.version) != v:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{_type_name(t)} {list(t.shape)}], which is output "
                    f"{getattr(t, '_output_nr', 0)} of {_fn_name(t)}, is at version "
                    f"{t._version}; expected version {v} instead. Hint: enable anomaly detection "
                    "to find the operation that failed to compute its gradient, with "
                    "torch.autograd.set_detect_anomaly(True)."
                )
            if out_nr >= 0 and _gm.enabled:  # reconnect an output to this node (double backward)
                from .._tensor import _alias

                t = _alias(t)
                t.grad_fn, t._output_nr, t._requires_grad = self, out_nr, True
            out.append(t)
        return tuple(out)

    def name(self) -> str:
        return type(self).__name__

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError(f"{self.name()} has no backward formula")

    def __call__(self, *grads: Any) -> Any:
        return self.backward(*grads)

    def register_hook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_inputs, grad_outputs) after this node runs; may return new grad_inputs."""
        if self._post_hooks is None:
            self._post_hooks = OrderedDict()
            self._hooked = True
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = fn
        return h

    def register_prehook(self, fn: Callable) -> RemovableHandle:
        """fn(grad_outputs) before this node runs; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = OrderedDict()
            self._hooked = True
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


def _type_name(t: Any) -> str:
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
             "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}
    return "torch." + names.get(t.dtype.name, t.dtype.name + "Tensor")


def _fn_name(t: Any) -> str:
    fn = t.grad_fn
    return fn.name() if fn is not None else "AccumulateGrad"


def _alias(t: Any) -> Any:
    global _alias
    from .._tensor import _alias as real

    _alias = real
    return real(t)


class AccumulateGrad(Node):
    """The sink for a leaf tensor: adds incoming gradients into `variable.grad`."""

    # The leaf holds its AccumulateGrad strongly and the node holds the leaf weakly: no
    # reference cycle, and a leaf reused across steps (a parameter) keeps one node.
    __slots__ = ("_var_ref",)

    def __init__(self, variable: Any) -> None:
        self._seq = next(_seq)
        self._var_ref = weakref.ref(variable)
        self.next_functions = ()
        self._input_meta = ()

    @property
    def variable(self) -> Any:
        return self._var_ref()

    def name(self) -> str:
        return "AccumulateGrad"

    def accumulate(self, grad: Any, create_graph: bool) -> None:
        var = self._var_ref()
        if var is None:  # the leaf is gone: nobody can read its gradient
            return
        old = var._grad
        if old is None:
            if create_graph:
                var._grad = grad
            elif grad._base is None and is_writeable(grad._data) and grad._data.base is None:
                var._grad = _alias(grad)  # a fresh buffer nobody else holds: keep it
            else:
                var._grad = grad.clone()
        elif create_graph or _gm.enabled:
            var._grad = old + grad
        else:
            old.add_(grad)
        hooks = getattr(var, "_post_acc_hooks", None)
        if hooks:
            for h in list(hooks.values()):
                h(var)


def grad_accumulator(t: Any) -> AccumulateGrad:
    acc = getattr(t, "_grad_acc", None)
    if acc is None:
        acc = t._grad_acc = AccumulateGrad(t)
    return acc


def edge_of(t: Any) -> tuple:
    """The graph edge a gradient for tensor `t` flows into."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (grad_accumulator(t), 0)
    return (None, 0)


def stamp(node: Node) -> None:
    """Give a node its creation order (and forward traceback in anomaly mode)."""
    node._seq = next(_seq)
    if _gm.anomaly:
        node.__dict__["_metadata"] = {"traceback_": traceback.format_stack()[:-3]}


def register_tensor_hook(t: Any, hook: Callable) -> RemovableHandle:
    if not t._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    hooks = getattr(t, "_hooks", None)
    if hooks is None:
        hooks = t._hooks = OrderedDict()
    h = RemovableHandle(hooks)
    hooks[h.id] = hook
    fn = t.grad_fn
    if fn is not None:  # non-leaf: the node runs the hook on the matching grad
        if fn._tensor_pre_hooks is None:
            fn._tensor_pre_hooks = {}
            fn._hooked = True
        fn._tensor_pre_hooks.setdefault(t._output_nr, []).append((hooks, h.id))
    return h


def register_post_accumulate_hook(t: Any, hook: Callable) -> RemovableHandle:
    if t.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = getattr(t, "_post_acc_hooks", None)
    if hooks is None:
        hooks = t._post_acc_hooks = OrderedDict()
    h = RemovableHandle(hooks)
    hooks[h.id] = hook
    return h
