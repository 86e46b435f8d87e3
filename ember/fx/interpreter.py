"""Interpreter and Transformer: run a GraphModule node by node (torch.fx.Interpreter).

Override one method per opcode (placeholder, get_attr, call_function, call_method,
call_module, output) or `run_node` to observe or change execution. The per-node plan (which
values die after each node) is computed once per graph, so a run costs a dict lookup per
argument and one call per node.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..nn.modules.module import Module
from .graph import Graph
from .graph_module import GraphModule
from .node import Argument, Node, map_aggregate
from .proxy import GraphAppendingTracer, Proxy

__all__ = ["Interpreter", "Transformer"]


class Interpreter:
    """Executes `module`'s graph; `run(*args)` returns what its forward would."""

    def __init__(self, module: Module, garbage_collect_values: bool = True,
                 graph: Graph | None = None) -> None:
        self.module = module
        self.submodules = dict(module.named_modules())
        if graph is not None:
            self.graph = graph
        elif isinstance(module, GraphModule):
            self.graph = module.graph
        else:
            raise RuntimeError("fx.Interpreter needs a GraphModule or an explicit graph=")
        self.env: dict[Node, Any] = {}
        self.name = "Interpreter"
        self.garbage_collect_values = garbage_collect_values
        self.extra_traceback = True
        self.current_node: Node | None = None
        self.args_iter: Iterator[Any] = iter(())
        self._plan: list[tuple[Node, tuple[Node, ...]]] | None = None
        self._plan_version = -1

    def _build_plan(self) -> list[tuple[Node, tuple[Node, ...]]]:
        nodes = list(self.graph.nodes)
        seen: set[Node] = set()
        dies: dict[Node, list[Node]] = {}
        for n in reversed(nodes):
            for inp in n._input_nodes:
                if inp not in seen:
                    seen.add(inp)
                    dies.setdefault(n, []).append(inp)
        return [(n, tuple(dies.get(n, ()))) for n in nodes]

    def run(self, *args: Any, initial_env: dict[Node, Any] | None = None,
            enable_io_processing: bool = True) -> Any:
        """Run the graph on `args`; `initial_env` pre-seeds node values (skipping those nodes)."""
        self.env = env = dict(initial_env) if initial_env else {}
        self.args_iter = iter(args)
        if self._plan is None or self._plan_version != self.graph._version:
            self._plan = self._build_plan()
            self._plan_version = self.graph._version
        gc = self.garbage_collect_values
        for node, dead in self._plan:
            if node in env:
                continue
            try:
                env[node] = self.run_node(node)
            except Exception as e:
                if self.extra_traceback:
                    _note(e, node)
                raise
            if gc:
                for d in dead:
                    env.pop(d, None)
            if node.op == "output":
                return env[node]
        return None

    def boxed_run(self, args_list: list) -> Any:
        """Run with arguments in a list that is cleared first, so inputs can be freed early."""
        args_iter = iter(args_list)
        env: dict[Node, Any] = {}
        for n in self.graph.nodes:
            if n.op == "placeholder":
                env[n] = next(args_iter)
        args_list.clear()
        return self.run(initial_env=env)

    @contextmanager
    def _set_current_node(self, node: Node) -> Iterator[None]:
        prev, self.current_node = self.current_node, node
        try:
            yield
        finally:
            self.current_node = prev

    def run_node(self, n: Node) -> Any:
        """Fetch the node's argument values and dispatch to the method named by its opcode."""
        self.current_node = n
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        return getattr(self, n.op)(n.target, args, kwargs)

    # ------------------------------------------------------------------ one method per opcode
    def placeholder(self, target: str, args: tuple, kwargs: dict) -> Any:
        if target.startswith("*"):
            return list(self.args_iter)
        try:
            return next(self.args_iter)
        except StopIteration as e:
            if args:
                return args[0]
            raise RuntimeError(f"fx.Interpreter: expected a value for positional argument "
                               f"{target!r}") from e

    def get_attr(self, target: str, args: tuple, kwargs: dict) -> Any:
        return self.fetch_attr(target)

    def call_function(self, target: Any, args: tuple, kwargs: dict) -> Any:
        return target(*args, **kwargs)

    def call_method(self, target: str, args: tuple, kwargs: dict) -> Any:
        self_obj, *rest = args
        return getattr(self_obj, target)(*rest, **kwargs)

    def call_module(self, target: str, args: tuple, kwargs: dict) -> Any:
        return self.fetch_attr(target)(*args, **kwargs)

    def output(self, target: str, args: tuple, kwargs: dict) -> Any:
        return args[0]

    # ------------------------------------------------------------------ helpers
    def fetch_attr(self, target: str) -> Any:
        sub = self.submodules.get(target)
        if sub is not None:
            return sub
        obj: Any = self.module
        for i, atom in enumerate(target.split(".")):
            if not hasattr(obj, atom):
                raise RuntimeError(f"fx.Interpreter: node referenced nonexistent target "
                                   f"{'.'.join(target.split('.')[:i + 1])}")
            obj = getattr(obj, atom)
        return obj

    def fetch_args_kwargs_from_env(self, n: Node) -> tuple[tuple, dict]:
        env = self.env
        args = n._args
        if all(type(a) is not list and type(a) is not tuple and type(a) is not dict
               and type(a) is not slice for a in args):
            args = tuple([env[a] if type(a) is Node else a for a in args])
        else:
            args = self.map_nodes_to_values(args, n)
        kwargs = n._kwargs
        if kwargs:
            kwargs = self.map_nodes_to_values(kwargs, n)
        return args, kwargs

    def map_nodes_to_values(self, args: Argument, n: Node) -> Any:
        env = self.env

        def load(a: Any) -> Any:
            if type(a) is Node:
                if a not in env:
                    raise RuntimeError(f"fx.Interpreter: node {n} referenced {a} before it "
                                       "was computed")
                return env[a]
            return a

        return map_aggregate(args, load)


def _note(e: BaseException, node: Node) -> None:
    if getattr(e, "_fx_interp_noted", False):
        return
    try:
        e._fx_interp_noted = True  # type: ignore[attr-defined]
    except AttributeError:
        return
    st = node.meta.get("stack_trace")
    msg = f"While executing {node.format_node()}" + (
        f"\nOriginal traceback:\n{st.rstrip()}" if st else "")
    if hasattr(e, "add_note"):
        e.add_note(msg)
    elif e.args and isinstance(e.args[0], str):  # Python 3.10: no notes
        e.args = (e.args[0] + "\n" + msg,) + e.args[1:]


class Transformer(Interpreter):
    """Builds a new graph by running the old one on Proxies; `transform()` returns it."""

    def __init__(self, module: GraphModule) -> None:
        super().__init__(module)
        self.new_graph = Graph()
        self.new_graph._tracer_cls = module.graph._tracer_cls
        self.tracer = GraphAppendingTracer(self.new_graph)
        self.tracer.root = module

    def placeholder(self, target: str, args: tuple, kwargs: dict) -> Proxy:
        default = args[0] if args else inspect.Signature.empty
        return Proxy(self.new_graph.placeholder(target, default_value=default), self.tracer)

    def get_attr(self, target: str, args: tuple, kwargs: dict) -> Proxy:
        return self.tracer.create_proxy("get_attr", target, args, kwargs)

    def call_function(self, target: Any, args: tuple, kwargs: dict) -> Any:
        return self.tracer.create_proxy("call_function", target, args, kwargs)

    def call_method(self, target: str, args: tuple, kwargs: dict) -> Any:
        return self.tracer.create_proxy("call_method", target, args, kwargs)

    def call_module(self, target: str, args: tuple, kwargs: dict) -> Any:
        return self.tracer.create_proxy("call_module", target, args, kwargs)

    def run_node(self, n: Node) -> Any:
        result = super().run_node(n)
        if isinstance(result, Proxy):
            node = result.node
            for k, v in n.meta.items():
                node.meta.setdefault(k, v)
        return result

    def transform(self) -> GraphModule:
        """Run the transformation; the result shares the original module's attributes."""
        result = self.run(enable_io_processing=False)
        self.new_graph.output(self.tracer.create_arg(result))
        return GraphModule(self.module, self.new_graph)
