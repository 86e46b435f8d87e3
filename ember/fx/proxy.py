"""Proxy: the stand-in value that records every op applied to it into a Graph (torch.fx.proxy).

Ops reach a Proxy three ways, as in torch.fx: Python operators (magic methods, recorded as
`operator.*` call_function nodes), Ember functions and Tensor methods called on real tensors
with a Proxy argument (the registry's `__torch_function__` check), and attribute access on the
Proxy (`x.view(...)` becomes a call_method node).

Differs from torch.fx: data-dependent conversions raise `UntraceableError` (a TraceError) that
names the user's file, line and source and says how to trace past it; under `fx.explain` the
tracer records the spot and continues instead.
"""

from __future__ import annotations

import bisect
import builtins
import dis
import inspect
import operator
import sys
from collections.abc import Iterator
from typing import Any

from ._codegen import magic_methods, reflectable_magic_methods
from ._user_frame import current_stack_trace, innermost_user_frame
from .graph import Graph
from .node import Node

__all__ = ["TraceError", "UntraceableError", "TracerBase", "GraphAppendingTracer", "Proxy",
           "Attribute", "ParameterProxy"]


class TraceError(ValueError):
    """A program cannot be traced symbolically (torch.fx.proxy.TraceError)."""


_HINT = ("To trace it: give the value as a constant with symbolic_trace(..., concrete_args="
         "{...}), keep the function that needs it out of the graph with ember.fx.wrap(fn), or "
         "make the module a leaf (a Tracer subclass whose is_leaf_module returns True for it). "
         "ember.fx.explain(module, *example_inputs) lists every such spot at once.")


class UntraceableError(TraceError):
    """A traced value was needed as a concrete Python value (control flow, len, int, NumPy).

    `kind` names the conversion ('bool', 'len', 'iter', 'int', 'float', 'numpy', ...);
    `filename`, `lineno` and `source` locate the user's line.
    """

    def __init__(self, kind: str, what: str, where: tuple[str, int, str, str] | None) -> None:
        self.kind, self.what = kind, what
        self.filename, self.lineno, self.function, self.source = where or ("<unknown>", 0,
                                                                          "", "")
        loc = (f'\n  File "{self.filename}", line {self.lineno}, in {self.function}\n'
               f"    {self.source}" if where else "")
        super().__init__(f"{what}{loc}\n{_HINT}")


_WHAT = {
    "bool": "symbolically traced variables cannot be used as inputs to control flow "
            "(bool() of a traced value: an `if`, `while`, `and`/`or` or assert on it)",
    "len": "len() of a traced value is not known while tracing",
    "iter": "a traced value of unknown length cannot be iterated (a loop, *args or "
            "unpacking into an unknown number of names)",
    "int": "int() of a traced value is not known while tracing",
    "float": "float() of a traced value is not known while tracing",
    "complex": "complex() of a traced value is not known while tracing",
    "index": "a traced value cannot be used as a Python index (operator.index)",
    "numpy": "a traced value cannot be converted to a NumPy array (np.asarray / __array__)",
}


class TracerBase:
    """Records ops into `self.graph`: create_node, create_proxy, create_arg."""

    graph: Graph
    record_stack_traces: bool = True
    traced_func_name: str = "forward"
    # Set by fx.explain: a callback (kind, proxy, where) -> best-effort value; None raises.
    _on_untraceable: Any = None

    def create_node(self, kind: str, target: Any, args: tuple, kwargs: dict,
                    name: str | None = None, type_expr: Any = None) -> Node:
        return self.graph.create_node(kind, target, args, kwargs, name, type_expr)

    def proxy(self, node: Node) -> Proxy:
        return Proxy(node, self)

    def create_proxy(self, kind: str, target: Any, args: tuple, kwargs: dict,
                     name: str | None = None, type_expr: Any = None,
                     proxy_factory_fn: Any = None) -> Proxy:
        node = self.create_node(kind, target, self.create_arg(args), self.create_arg(kwargs),
                                name, type_expr)
        if self.record_stack_traces:
            node.meta["stack_trace"] = current_stack_trace(2)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a: Any) -> Any:
        """Turn a value into a graph argument: Proxies become their nodes, containers recurse."""
        t = type(a)
        if t in _ATOMIC:
            return a
        if isinstance(a, Proxy):
            return a.node
        if t is tuple:
            return tuple([self.create_arg(e) for e in a])
        if t is list:
            return [self.create_arg(e) for e in a]
        if t is dict:
            out = {}
            for k, v in a.items():
                if isinstance(k, (Proxy, Node)):
                    raise RuntimeError(f"fx: dictionary keys cannot be traced values; got {k}")
                out[k] = self.create_arg(v)
            return out
        if t is slice:
            return slice(self.create_arg(a.start), self.create_arg(a.stop),
                         self.create_arg(a.step))
        if t is range:
            return range(self.create_arg(a.start), self.create_arg(a.stop),
                         self.create_arg(a.step))
        if isinstance(a, tuple) and hasattr(a, "_fields"):
            return t(*[self.create_arg(e) for e in a])
        if t is Node or isinstance(a, _ATOMIC_BASES):
            return a
        raise NotImplementedError(f"fx: argument of type {t.__name__} cannot be recorded in a "
                                  f"graph")

    def to_bool(self, obj: Proxy) -> bool:
        return self._untraceable("bool", obj)

    def iter(self, obj: Proxy) -> Iterator:
        return self._untraceable("iter", obj)

    def keys(self, obj: Proxy) -> Any:
        return Attribute(obj, "keys")()

    def _untraceable(self, kind: str, obj: Proxy) -> Any:
        where = innermost_user_frame(2)
        if self._on_untraceable is not None:
            return self._on_untraceable(kind, obj, where)
        raise UntraceableError(kind, _WHAT[kind], where)


class GraphAppendingTracer(TracerBase):
    """A tracer that only appends to an existing graph (used by Transformer and rewriters)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.root = graph.owning_module
        self.record_stack_traces = False


def _find_tracer(a: Any, found: list) -> None:
    if isinstance(a, Proxy):
        if a.tracer not in found:
            found.append(a.tracer)
    elif type(a) in (list, tuple):
        for e in a:
            _find_tracer(e, found)
    elif type(a) is dict:
        for e in a.values():
            _find_tracer(e, found)


# Tensor dunders reaching __torch_function__ (a real tensor on the left of an operator) are
# recorded under the method name torch.fx uses for them.
_DUNDER_TO_METHOD = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
    "__div__": "div", "__matmul__": "matmul", "__floordiv__": "floor_divide",
    "__mod__": "remainder", "__pow__": "pow", "__and__": "bitwise_and", "__or__": "bitwise_or",
    "__xor__": "bitwise_xor", "__lshift__": "bitwise_left_shift",
    "__rshift__": "bitwise_right_shift", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt",
    "__le__": "le", "__gt__": "gt", "__ge__": "ge",
}
_UNPACK_CACHE: dict[Any, tuple[list[int], list[dis.Instruction]]] = {}


class Proxy:
    """A traced value: operations on it append nodes to its tracer's graph."""

    tracer: TracerBase
    node: Node

    def __init__(self, node: Node, tracer: TracerBase | None = None) -> None:
        self.tracer = tracer if tracer is not None else GraphAppendingTracer(node.graph)
        self.node = node

    def __repr__(self) -> str:
        return f"Proxy({self.node.name})"

    def __getattr__(self, k: str) -> Attribute:
        if k.startswith("__") and k.endswith("__") or k in _OWN_FIELDS:
            raise AttributeError(k)
        return Attribute(self, k)

    def __call__(self, *args: Any, **kwargs: Any) -> Proxy:
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.tracer.create_proxy("call_function", operator.setitem, (self, key, value), {})

    def __iter__(self) -> Iterator:
        n = _known_length(self.node)
        if n is None:
            n = _unpack_count(sys._getframe(1))
        if n is not None:
            return iter([self[i] for i in range(n)])  # type: ignore[index]
        return self.tracer.iter(self)

    def __len__(self) -> int:
        return self.tracer._untraceable("len", self)

    def __bool__(self) -> bool:
        return self.tracer.to_bool(self)

    def __int__(self) -> int:
        return self.tracer._untraceable("int", self)

    def __float__(self) -> float:
        return self.tracer._untraceable("float", self)

    def __complex__(self) -> complex:
        return self.tracer._untraceable("complex", self)

    def __index__(self) -> int:
        return self.tracer._untraceable("index", self)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self.tracer._untraceable("numpy", self)

    def keys(self) -> Any:
        return self.tracer.keys(self)

    @classmethod
    def __torch_function__(cls, orig_method: Any, types: Any, args: tuple = (),
                           kwargs: dict | None = None) -> Proxy:
        kwargs = kwargs or {}
        found: list = []
        _find_tracer(args, found)
        _find_tracer(kwargs, found)
        if len(found) != 1:
            raise RuntimeError(f"fx: found {len(found)} different tracers while tracing "
                               f"{orig_method}")
        tracer = found[0]
        if getattr(orig_method, "_ember_kind", None) == "method":
            name = orig_method.__name__
            return tracer.create_proxy("call_method", _DUNDER_TO_METHOD.get(name, name), args,
                                       kwargs)
        return tracer.create_proxy("call_function", orig_method, args, kwargs)


_OWN_FIELDS = frozenset({"tracer", "node", "root", "attr", "_node", "param", "name"})


def _known_length(node: Node) -> int | None:
    """Result lengths Python code may iterate over: split by sizes, tensor_split."""
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    if node.op not in ("call_method", "call_function") or name not in ("split", "tensor_split"):
        return None
    arg: Any = node.args[1] if len(node.args) > 1 else node.kwargs.get(
        "split_size_or_sections", node.kwargs.get("indices_or_sections",
                                                  node.kwargs.get("sections")))
    if type(arg) in (list, tuple) and all(type(e) is int for e in arg):
        return len(arg) if name == "split" else len(arg) + 1
    if name == "tensor_split" and type(arg) is int:
        return arg
    return None


def _unpack_count(frame: Any) -> int | None:
    """`a, b = proxy`: the number of names the calling bytecode unpacks into, if any."""
    code = frame.f_code
    entry = _UNPACK_CACHE.get(code)
    if entry is None:
        insts = list(dis.get_instructions(code))
        entry = ([i.offset for i in insts], insts)
        _UNPACK_CACHE[code] = entry
    offsets, insts = entry
    i = bisect.bisect_left(offsets, frame.f_lasti)
    if i < len(insts) and insts[i].opname == "UNPACK_SEQUENCE":
        return int(insts[i].argval)
    return None


class Attribute(Proxy):
    """`proxy.name`: becomes a call_method node when called, a getattr node when used."""

    def __init__(self, root: Proxy, attr: str) -> None:
        self.root, self.attr, self.tracer = root, attr, root.tracer
        self._node: Node | None = None

    @property
    def node(self) -> Node:  # type: ignore[override]
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", builtins.getattr,
                                                  (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args: Any, **kwargs: Any) -> Proxy:
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


class ParameterProxy(Proxy):
    """A Parameter's Proxy: shape, size, dim, ndim, numel read the real parameter."""

    def __init__(self, tracer: TracerBase, node: Node, name: str, param: Any) -> None:
        super().__init__(node, tracer)
        self.param, self.name = param, name

    def __repr__(self) -> str:
        return f"ParameterProxy({self.name})"

    @property
    def shape(self) -> Any:
        return self.param.shape

    def size(self, dim: int | None = None) -> Any:
        return self.param.size() if dim is None else self.param.size(dim)

    def dim(self) -> int:
        return self.param.dim()

    @property
    def ndim(self) -> int:
        return self.param.ndim

    def numel(self) -> int:
        return self.param.numel()

    def nelement(self) -> int:
        return self.param.nelement()


def _install_magic() -> None:
    def unary_or_binary(method: str) -> None:
        target = getattr(operator, method)

        def impl(*args: Any) -> Proxy:
            return args[0].tracer.create_proxy("call_function", target, args, {})

        impl.__name__ = f"__{method.strip('_')}__"
        setattr(Proxy, impl.__name__, impl)

    for m in magic_methods:
        unary_or_binary(m)
    unary_or_binary("abs")

    def reflected(method: str) -> None:
        target = getattr(operator, method)

        def impl(self: Proxy, lhs: Any) -> Proxy:
            return self.tracer.create_proxy("call_function", target, (lhs, self), {})

        impl.__name__ = f"__r{method.strip('_')}__"
        setattr(Proxy, impl.__name__, impl)

    for m in reflectable_magic_methods:
        if m != "getitem":
            reflected(m)


_install_magic()

from .. import _dtype as _D  # noqa: E402
from .._device import device as _device  # noqa: E402

_ATOMIC = frozenset({int, float, bool, complex, str, bytes, type(None), type(Ellipsis),
                     _D.dtype, _device, _D.memory_format})
_ATOMIC_BASES = (int, float, str, _D.dtype, _device, inspect.Parameter)
