"""Tracer and symbolic_trace: run a module's forward on Proxies and record a Graph.

As in torch.fx, tracing patches `Module.__call__` (so submodule calls reach
`Tracer.call_module`, which records leaf modules as call_module nodes) and `Module.__getattr__`
(parameters read in forward become get_attr nodes), plus the globals registered with `wrap()`
and the functions of `autowrap_modules` (math by default). Everything is restored afterwards.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .._tensor import Tensor
from ..nn.modules.container import Sequential
from ..nn.modules.module import Module
from ..nn.parameter import Parameter
from ._user_frame import STOP_CODES
from .graph import Graph
from .node import has_side_effect
from .proxy import _ATOMIC, ParameterProxy, Proxy, TracerBase

__all__ = ["Tracer", "symbolic_trace", "wrap", "PH", "PHBase"]

# (id(globals), name) -> globals dict, filled by wrap() at module scope
_wrapped_fns_to_patch: dict[tuple[int, str], dict] = {}


class PHBase:
    """Marks a concrete_args entry that should stay a placeholder."""

    def __repr__(self) -> str:
        return "PH"


PH = PHBase()


@has_side_effect
def _assert_is_none(value: Any, msg: str) -> None:
    """Guard for a concrete_args value of None (torch.fx's node of the same name)."""
    if value is not None:
        raise AssertionError(msg)


@has_side_effect
def _assert(condition: Any, message: str) -> None:
    """Guard for a concrete_args scalar: `_assert(x == value, msg)`, as torch._assert."""
    if not condition:
        raise AssertionError(message)


class _Patcher:
    def __init__(self) -> None:
        self.undo: list[tuple[Any, str, Any, bool]] = []
        self.visited: set[int] = set()

    def patch(self, container: Any, name: str, new: Any) -> None:
        if isinstance(container, dict):
            had = name in container
            self.undo.append((container, name, container.get(name), had))
            container[name] = new
        else:
            self.undo.append((container, name, container.__dict__.get(name), name in
                              container.__dict__))
            setattr(container, name, new)

    def visit_once(self, obj: Any) -> bool:
        if id(obj) in self.visited:
            return False
        self.visited.add(id(obj))
        return True

    def __enter__(self) -> _Patcher:
        return self

    def __exit__(self, *exc: Any) -> None:
        for container, name, old, had in reversed(self.undo):
            if isinstance(container, dict):
                if had:
                    container[name] = old
                else:
                    container.pop(name, None)
            elif had:
                setattr(container, name, old)
            else:
                delattr(container, name)
        self.undo.clear()


def _find_proxy(args: tuple, kwargs: dict) -> Proxy | None:
    for a in (*args, *kwargs.values()):
        if isinstance(a, Proxy):
            return a
        if type(a) in (list, tuple):
            for e in a:
                if isinstance(e, Proxy):
                    return e
    return None


def _create_wrapped_func(orig_fn: Callable) -> Callable:
    @functools.wraps(orig_fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        p = _find_proxy(args, kwargs)
        if p is not None:
            return p.tracer.create_proxy("call_function", orig_fn, args, kwargs)
        return orig_fn(*args, **kwargs)

    return wrapped


def wrap(fn_or_name: str | Callable) -> Any:
    """At module scope: keep calls to this global function as call_function leaves in traces."""
    if callable(fn_or_name):
        name = fn_or_name.__name__
    elif isinstance(fn_or_name, str):
        name = fn_or_name
    else:
        raise RuntimeError("fx.wrap: expected a global function or its name, got "
                           f"{type(fn_or_name).__name__}")
    caller = sys._getframe(1)
    if caller.f_code.co_name != "<module>":
        raise NotImplementedError("fx.wrap must be called at the top level of a module")
    g = caller.f_globals
    _wrapped_fns_to_patch[(id(g), name)] = g
    return fn_or_name


class Tracer(TracerBase):
    """Records a Module's forward (or a function) into a Graph; subclass to customize."""

    def __init__(self, autowrap_modules: tuple[ModuleType, ...] = (math,),
                 autowrap_functions: tuple[Callable, ...] = (),
                 param_shapes_constant: bool = False) -> None:
        self._autowrap_function_ids = {
            id(v) for m in autowrap_modules for k, v in vars(m).items()
            if not k.startswith("_") and callable(v)}
        self._autowrap_function_ids.update(id(f) for f in autowrap_functions)
        self._autowrap_search = list(autowrap_modules)
        self.param_shapes_constant = param_shapes_constant
        self.proxy_buffer_attributes = False
        self.submodule_paths: dict[int, str] | None = None
        self.root: Module = Module()
        self.graph = Graph(tracer_cls=type(self))
        self.tensor_attrs: dict[int, str] = {}
        self._param_names: dict[int, str] = {}
        self._constants: list[Tensor] = []
        self._suspended = False  # fx.explain runs real ops mid-trace with patches inactive

    # ------------------------------------------------------------------ hooks to override
    def is_leaf_module(self, m: Module, module_qualified_name: str) -> bool:
        """ember.nn's own modules (except Sequential) are leaves, like torch.nn's in torch.fx."""
        mod = type(m).__module__
        return (mod.startswith("ember.nn.") or mod.startswith("ember.ao.nn.")) \
            and not isinstance(m, Sequential)

    def path_of_module(self, mod: Module) -> str:
        if self.submodule_paths is None:
            self.submodule_paths = {}
            for name, m in self.root.named_modules():
                self.submodule_paths.setdefault(id(m), name)
        path = self.submodule_paths.get(id(mod))
        if path is None:
            raise NameError(f"fx: module {type(mod).__name__} is not installed as a submodule "
                            "of the traced module")
        return path

    def call_module(self, m: Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        """A leaf module becomes a call_module node; any other module is traced through."""
        qualname = self.path_of_module(m)
        if not self.is_leaf_module(m, qualname):
            return forward(*args, **kwargs)
        return self.create_proxy("call_module", qualname, args, kwargs)

    def getattr(self, attr: str, attr_val: Any, parameter_proxy_cache: dict[str, Proxy]
                ) -> Any:
        """A parameter read in forward becomes (one cached) get_attr Proxy."""
        if isinstance(attr_val, Parameter):
            name = self._param_names.get(id(attr_val))
            if name is not None:
                p = parameter_proxy_cache.get(name)
                if p is None:
                    pname: str = name
                    factory = ((lambda node: ParameterProxy(self, node, pname, attr_val))
                               if self.param_shapes_constant else None)
                    p = self.create_proxy("get_attr", name, (), {}, proxy_factory_fn=factory)
                    parameter_proxy_cache[name] = p
                return p
        if self.proxy_buffer_attributes and isinstance(attr_val, Tensor):
            name = self.tensor_attrs.get(id(attr_val))
            if name is not None:
                p = parameter_proxy_cache.get(name)
                if p is None:
                    p = parameter_proxy_cache[name] = self.create_proxy("get_attr", name, (), {})
                return p
        return attr_val

    def create_arg(self, a: Any) -> Any:
        """Tensors of the root become get_attr nodes; other tensors become `_tensor_constantN`."""
        if type(a) in _ATOMIC:
            return a
        if isinstance(a, Tensor):
            if isinstance(a, Parameter):
                name = self._param_names.get(id(a))
                if name is None:
                    raise NameError("fx: a parameter used in forward is not a member of the "
                                    "traced module")
                return self.create_node("get_attr", name, (), {})
            name = self.tensor_attrs.get(id(a))
            if name is None:
                i = 0
                while hasattr(self.root, f"_tensor_constant{i}"):
                    i += 1
                name = f"_tensor_constant{i}"
                setattr(self.root, name, a)
                self.tensor_attrs[id(a)] = name
                self._constants.append(a)
            return self.create_node("get_attr", name, (), {})
        return super().create_arg(a)

    # ------------------------------------------------------------------ tracing
    def _index_root(self) -> None:
        self._param_names = {}
        for name, p in self.root.named_parameters():
            self._param_names.setdefault(id(p), name)
        self.tensor_attrs = {}
        for name, b in self.root.named_buffers():
            self.tensor_attrs.setdefault(id(b), name)
        for prefix, m in self.root.named_modules():
            for k, v in m.__dict__.items():
                if isinstance(v, Tensor) and not isinstance(v, Parameter):
                    self.tensor_attrs.setdefault(id(v), f"{prefix}.{k}" if prefix else k)
        self.submodule_paths = None

    def create_args_for_root(self, fn: Callable, is_module: bool,
                             concrete_args: dict[str, Any] | tuple | None = None
                             ) -> tuple[list, dict]:
        code = fn.__code__
        names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        sig = inspect.signature(fn)
        pos: list[Any] = []
        if is_module:
            names = names[1:]
            pos.append(self.root)
        if isinstance(concrete_args, tuple):
            concrete_args = dict(zip(names, concrete_args))
        concrete_args = concrete_args or {}
        unknown = set(concrete_args) - set(names)
        if unknown:
            raise TypeError(f"fx: concrete_args names {sorted(unknown)} are not parameters of "
                            f"{fn.__qualname__}")
        kw: dict[str, Any] = {}
        n_pos = code.co_argcount - (1 if is_module else 0)
        for i, name in enumerate(names):
            value = self._placeholder(name, concrete_args, sig)
            if i < n_pos:
                pos.append(value)
            else:
                kw[name] = value
        if code.co_flags & inspect.CO_VARARGS:
            pos.append(self._placeholder("*" + code.co_varnames[len(names) + is_module], {},
                                         sig))
        if code.co_flags & inspect.CO_VARKEYWORDS:
            raise NotImplementedError("fx: tracing a forward that takes **kwargs is not "
                                      "supported; name its keyword arguments")
        return pos, kw

    def _placeholder(self, name: str, concrete_args: dict, sig: inspect.Signature) -> Any:
        if name.startswith("*"):
            return self.create_proxy("placeholder", name, (), {})
        param = sig.parameters[name]
        default = () if param.default is inspect.Parameter.empty else (param.default,)
        if name not in concrete_args:
            return self.create_proxy("placeholder", name, default, {},
                                     type_expr=None if param.annotation is param.empty
                                     else param.annotation)
        value = concrete_args[name]
        if isinstance(value, PHBase):
            return self.create_proxy("placeholder", name, default, {})
        ph = self.create_proxy("placeholder", f"{name}_1", default, {})
        msg = f"{name} has been specialized to have value {value} but got another value"
        if value is None:
            self.create_proxy("call_function", _assert_is_none, (ph, msg), {})
        elif type(value) in (bool, int, float, str, complex):
            self.create_proxy("call_function", _assert, (ph == value, msg), {})
        else:
            warnings.warn(f"fx: could not add a check that input {name} equals the concrete "
                          "value it was specialized to; passing another value is unchecked",
                          stacklevel=4)
        return value

    def trace(self, root: Module | Callable, concrete_args: dict[str, Any] | None = None
              ) -> Graph:
        """Run `root` (a Module's forward, or a function) on Proxies; returns the Graph."""
        if isinstance(root, Module):
            self.root = root
            fn = getattr(type(root), self.traced_func_name)
            is_module = True
        else:
            self.root = Module()
            fn = root
            is_module = False
        self.graph = Graph(tracer_cls=type(self))
        self._index_root()
        fn_globals = fn.__globals__
        pos, kw = self.create_args_for_root(fn, is_module, concrete_args)
        cache: dict[str, Proxy] = {}
        orig_getattr, orig_call = Module.__getattr__, Module.__call__
        tracer = self

        def module_getattr_wrapper(mod: Module, attr: str) -> Any:
            if tracer._suspended:
                return orig_getattr(mod, attr)
            return tracer.getattr(attr, orig_getattr(mod, attr), cache)

        def module_call_wrapper(mod: Module, *args: Any, **kwargs: Any) -> Any:
            if tracer._suspended:
                return orig_call(mod, *args, **kwargs)

            def forward(*a: Any, **k: Any) -> Any:
                return orig_call(mod, *a, **k)

            fwd = getattr(type(mod), "forward", None)
            g = getattr(fwd, "__globals__", None)
            if g is not None and patcher.visit_once(g):
                self._autowrap(patcher, g)
            return tracer.call_module(mod, forward, args, kwargs)

        with _Patcher() as patcher:
            patcher.patch(Module, "__getattr__", module_getattr_wrapper)
            patcher.patch(Module, "__call__", module_call_wrapper)
            for (_, name), g in _wrapped_fns_to_patch.items():
                if name in g:
                    patcher.patch(g, name, _create_wrapped_func(g[name]))
            patcher.visit_once(fn_globals)
            self._autowrap(patcher, fn_globals)
            for m in self._autowrap_search:  # `math.sqrt(x)` reads the module's own dict
                if patcher.visit_once(m.__dict__):
                    self._autowrap(patcher, m.__dict__)
            result = fn(*pos, **kw)
            self.create_node("output", "output", (self.create_arg(result),), {},
                             type_expr=fn.__annotations__.get("return"))
        self.submodule_paths = None
        return self.graph

    def _autowrap(self, patcher: _Patcher, g: dict) -> None:
        for name in g.get("__fx_wrapped__", ()):  # generated code (a GraphModule) traced again
            patcher.patch(g, name, _create_wrapped_func(g[name]))
        ids = self._autowrap_function_ids
        if not ids:
            return
        for name, value in list(g.items()):
            if not name.startswith("_") and callable(value) and id(value) in ids:
                patcher.patch(g, name, _create_wrapped_func(value))


STOP_CODES.add(Tracer.trace.__code__)


def symbolic_trace(root: Module | Callable, concrete_args: dict[str, Any] | None = None
                   ) -> Any:
    """Trace `root` into a GraphModule whose generated forward computes the same thing."""
    from .graph_module import GraphModule

    tracer = Tracer()
    graph = tracer.trace(root, concrete_args)
    name = type(root).__name__ if isinstance(root, Module) else root.__name__  # type: ignore
    return GraphModule(tracer.root, graph, name)

