"""Graph: the fx IR, a doubly linked list of Nodes with unique names (torch.fx.Graph).

Differs from torch.fx: `eliminate_dead_code` keeps in-place and other side-effecting calls
(see `Node.is_impure`); `print_tabular` needs no third-party package.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import keyword
import re
from collections.abc import Callable, Iterator
from typing import Any

from ._codegen import PythonCode, magic_methods, python_code, reflectable_magic_methods
from .node import OPCODES, Argument, Node, Target, map_arg

__all__ = ["Graph", "PythonCode", "magic_methods", "reflectable_magic_methods"]

_NAME = re.compile(r"^(.*?)(?:_(\d+))?$")
_ILLEGAL = re.compile(r"[^0-9a-zA-Z_]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake_case(s: str) -> str:
    return _CAMEL.sub(r"_\1", s).lower()


class _Namespace:
    """Unique Python identifiers for nodes: `add`, `add_1`, ...; never shadowing builtins."""

    __slots__ = ("used", "base_count")

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.base_count: dict[str, int] = {}

    def create_name(self, candidate: str) -> str:
        if not candidate.isidentifier():
            candidate = _ILLEGAL.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = "_" + candidate
        m = _NAME.match(candidate)
        assert m is not None
        base, num = m.group(1), m.group(2)
        if num is None or candidate in self.used:
            n = self.base_count.get(base, 0)
            if candidate in self.used or keyword.iskeyword(candidate) \
                    or hasattr(builtins, candidate):
                n += 1
                candidate = f"{base}_{n}"
        else:
            n = int(num)
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        self.base_count[base] = n
        return candidate


class _NodeList:
    __slots__ = ("_graph", "_reverse")

    def __init__(self, graph: Graph, reverse: bool = False) -> None:
        self._graph, self._reverse = graph, reverse

    def __len__(self) -> int:
        return self._graph._len

    def __iter__(self) -> Iterator[Node]:
        root = self._graph._root
        cur = root._prev if self._reverse else root._next
        while cur is not root:
            nxt = cur._prev if self._reverse else cur._next
            if not cur._erased:
                yield cur
            cur = nxt

    def __reversed__(self) -> Iterator[Node]:
        return iter(_NodeList(self._graph, not self._reverse))


class _InsertPoint:
    def __init__(self, graph: Graph, new_insert: Callable[[Node], None]) -> None:
        self.graph, self.new = graph, new_insert

    def __enter__(self) -> None:
        self.orig, self.graph._insert = self.graph._insert, self.new

    def __exit__(self, *exc: Any) -> None:
        self.graph._insert = self.orig


class Graph:
    """The nodes of a traced program, in execution order, ending at one `output` node."""

    def __init__(self, owning_module: Any = None, tracer_cls: type | None = None,
                 tracer_extras: dict | None = None) -> None:
        self._version = 0  # bumped by every edit; see Interpreter's plan cache
        self._root = Node(self, "", "root", "", (), {})
        self._len = 0
        self._ns = _Namespace()
        self._insert: Callable[[Node], None] = self._root.prepend
        self.owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras
        self._counter = 0

    @property
    def nodes(self) -> _NodeList:
        return _NodeList(self)

    def find_nodes(self, *, op: str, target: Target = None) -> list[Node]:
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    # ------------------------------------------------------------------ building
    def create_node(self, op: str, target: Target, args: tuple | None = None,
                    kwargs: dict | None = None, name: str | None = None,
                    type_expr: Any = None) -> Node:
        if op not in OPCODES:
            raise AssertionError(f"fx: unknown opcode {op!r}; expected one of {OPCODES}")
        candidate = name if name is not None else self._target_to_str(target)
        n = Node(self, self._ns.create_name(candidate), op, target,
                 () if args is None else args, {} if kwargs is None else kwargs, type_expr)
        self._counter += 1
        n._sort_key = self._counter
        self._insert(n)
        self._len += 1
        return n

    @staticmethod
    def _target_to_str(target: Target) -> str:
        if isinstance(target, str):
            if target.startswith("__") and target.endswith("__"):
                target = target[2:-2]
            return _snake_case(target.replace(".", "_"))
        name = getattr(target, "__name__", None) or type(target).__name__
        return _snake_case(name)

    def placeholder(self, name: str, type_expr: Any = None,
                    default_value: Any = inspect.Signature.empty) -> Node:
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args, type_expr=type_expr)

    def get_attr(self, qualified_name: str, type_expr: Any = None) -> Node:
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name: str, args: tuple | None = None,
                    kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name: str, args: tuple | None = None,
                    kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function: Callable, args: tuple | None = None,
                      kwargs: dict | None = None, type_expr: Any = None) -> Node:
        return self.create_node("call_function", the_function, args, kwargs,
                                type_expr=type_expr)

    def output(self, result: Argument, type_expr: Any = None) -> Node:
        return self.create_node("output", "output", (result,), type_expr=type_expr)

    def inserting_before(self, n: Node | None = None) -> _InsertPoint:
        """Context manager: nodes created inside go before `n` (default: graph start)."""
        if n is None:
            return self.inserting_after(self._root)
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n: Node | None = None) -> _InsertPoint:
        """Context manager: nodes created inside go after `n` (each after the previous one)."""
        if n is None:
            return self.inserting_before(self._root)
        state = {"last": n}

        def insert(x: Node) -> None:
            state["last"].append(x)
            state["last"] = x

        return _InsertPoint(self, insert)

    def erase_node(self, to_erase: Node) -> None:
        if to_erase.graph is not self:
            raise RuntimeError(f"fx: node {to_erase} does not belong to this graph")
        if to_erase._erased:
            raise RuntimeError(f"fx: node {to_erase} was already erased")
        if to_erase.users:
            raise RuntimeError(f"fx: tried to erase node {to_erase} but it still has "
                               f"{len(to_erase.users)} users in the graph: "
                               f"{list(to_erase.users)}!")
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        self._version += 1
        to_erase._update_args_kwargs((), {})

    def node_copy(self, node: Node, arg_transform: Callable[[Node], Argument] = lambda x: x
                  ) -> Node:
        """Copy `node` from another graph into this one, mapping its inputs by `arg_transform`."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        new = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        new.meta = copy.copy(node.meta)
        return new

    def graph_copy(self, g: Graph, val_map: dict[Node, Node], return_output_node: bool = False
                   ) -> Any:
        """Append the nodes of `g` (except output) to this graph; returns output's value."""
        for n in g.nodes:
            if n in val_map:
                continue
            if n.op == "output":
                rv = map_arg(n.args[0], lambda x: val_map[x])
                return (rv, n) if return_output_node else rv
            val_map[n] = self.node_copy(n, lambda x: val_map[x])
        return None

    def __deepcopy__(self, memo: dict | None = None) -> Graph:
        memo = memo if memo is not None else {}
        g = Graph(tracer_cls=self._tracer_cls)
        out = g.graph_copy(self, {}, return_output_node=True)
        if out is not None:
            rv, old_out = out
            new_out = g.output(rv, type_expr=old_out.type)
            new_out.meta = copy.copy(old_out.meta)
        return g

    # ------------------------------------------------------------------ passes
    def lint(self) -> None:
        """Check the invariants: known opcodes, unique names, inputs defined before use."""
        seen: set[Node] = set()
        names: set[str] = set()
        for n in self.nodes:
            if n.op not in OPCODES:
                raise RuntimeError(f"fx lint: node {n} has unknown opcode {n.op!r}")
            if n.graph is not self:
                raise RuntimeError(f"fx lint: node {n} does not belong to this graph")
            if n.name in names:
                raise RuntimeError(f"fx lint: node name {n.name!r} is used twice")
            names.add(n.name)
            for inp in n._input_nodes:
                if inp not in seen:
                    where = "erased" if inp._erased else "defined after its use"
                    raise RuntimeError(f"fx lint: argument {inp} of node {n} is {where}")
                if n not in inp.users:
                    raise RuntimeError(f"fx lint: {n} uses {inp} but is not among its users")
            seen.add(n)
        mod = self.owning_module
        if mod is not None:
            for n in self.nodes:
                if n.op in ("get_attr", "call_module"):
                    try:
                        _fetch(mod, n.target)
                    except AttributeError as e:
                        raise RuntimeError(f"fx lint: node {n} refers to {n.target!r}, which "
                                           f"the owning module lacks") from e

    def eliminate_dead_code(self, is_impure_node: Callable[[Node], bool] | None = None
                            ) -> bool:
        """Erase nodes whose results are unused, keeping side effects (in-place, random, ...)."""
        impure = is_impure_node or (lambda n: n.is_impure())
        changed = False
        for n in reversed(self.nodes):
            if not n.users and not impure(n):
                self.erase_node(n)
                changed = True
        return changed

    def python_code(self, root_module: str = "self", verbose: bool = False) -> PythonCode:
        return python_code(self, root_module)

    # ------------------------------------------------------------------ printing
    def __str__(self) -> str:
        return "graph():\n" + "\n".join("    " + n.format_node() for n in self.nodes)

    def print_tabular(self) -> None:
        """Print opcode, name, target, args and kwargs of every node as a table."""
        rows = [["opcode", "name", "target", "args", "kwargs"]]
        for n in self.nodes:
            rows.append([n.op, n.name, n._pretty_print_target(), repr(n.args),
                         repr(n.kwargs)])
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        rows.insert(1, ["-" * w for w in widths])
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _fetch(mod: Any, target: str) -> Any:
    obj = mod
    for atom in target.split("."):
        obj = getattr(obj, atom)
    return obj
