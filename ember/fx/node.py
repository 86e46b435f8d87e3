"""Node: one operation in an fx Graph (torch.fx.Node), with its uses kept in both directions.

Differs from torch.fx: `is_impure()` also treats in-place calls (`add_`, `operator.iadd`,
`out=`), random ops and `setitem` as side effects, so dead-code elimination keeps them.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .graph import Graph

__all__ = ["Node", "map_arg", "map_aggregate", "has_side_effect", "Argument", "Target"]

Argument = Any
Target = Any

OPCODES = ("placeholder", "get_attr", "call_function", "call_method", "call_module", "output")

# Python operators that write into their first operand.
_INPLACE_OPERATORS = {getattr(operator, n) for n in (
    "iadd", "iand", "iconcat", "ifloordiv", "ilshift", "imatmul", "imod", "imul", "ior", "ipow",
    "irshift", "isub", "itruediv", "ixor", "setitem", "delitem")}
# Ops whose result depends on hidden state (the random generator) or that act on the world.
_IMPURE_NAMES = {
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like",
    "bernoulli", "multinomial", "normal", "poisson", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu", "manual_seed", "seed",
    "set_rng_state", "print", "_assert", "_assert_is_none", "backward", "copy_",
    "set_", "uniform_", "normal_", "exponential_", "geometric_", "cauchy_", "log_normal_",
    "random_", "bernoulli_", "requires_grad_", "retain_grad", "register_hook",
}


_side_effectful_functions: set[Callable] = set()


def has_side_effect(fn: Callable) -> Callable:
    """Mark a call_function target as side-effecting: dead-code elimination keeps its calls."""
    _side_effectful_functions.add(fn)
    return fn


def map_aggregate(a: Any, fn: Callable[[Any], Any]) -> Any:
    """Apply `fn` to every leaf of a nested tuple/list/dict/slice structure."""
    t = type(a)
    if t is tuple:
        return tuple([map_aggregate(e, fn) for e in a])
    if t is list:
        return [map_aggregate(e, fn) for e in a]
    if t is dict:
        return {k: map_aggregate(v, fn) for k, v in a.items()}
    if t is slice:
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn),
                     map_aggregate(a.step, fn))
    if isinstance(a, tuple) and hasattr(a, "_fields"):  # namedtuple
        return t(*[map_aggregate(e, fn) for e in a])
    return fn(a)


def map_arg(a: Any, fn: Callable[[Node], Any]) -> Any:
    """Apply `fn` to every Node inside a nested argument structure; other leaves stay."""
    return map_aggregate(a, lambda x: fn(x) if type(x) is Node else x)


def _collect_nodes(a: Any, out: dict) -> None:
    t = type(a)
    if t is Node:
        out[a] = None
    elif t is tuple or t is list:
        for e in a:
            te = type(e)
            if te is Node:
                out[e] = None
            elif te is tuple or te is list or te is dict or te is slice:
                _collect_nodes(e, out)
    elif t is dict:
        for e in a.values():
            _collect_nodes(e, out)
    elif t is slice:
        _collect_nodes(a.start, out)
        _collect_nodes(a.stop, out)
        _collect_nodes(a.step, out)


class Node:
    """One operation: `op` (one of six opcodes), `target`, `args`/`kwargs` referencing nodes.

    Nodes live in their graph's doubly linked list; `users` and `all_input_nodes` are kept in
    sync whenever args change.
    """

    __slots__ = ("graph", "name", "op", "target", "_args", "_kwargs", "_input_nodes", "users",
                 "type", "_prev", "_next", "_erased", "meta", "_sort_key")

    def __init__(self, graph: Graph, name: str, op: str, target: Target, args: tuple,
                 kwargs: dict, return_type: Any = None) -> None:
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes: dict[Node, None] = {}
        self.users: dict[Node, None] = {}
        self.type = return_type
        self._prev = self
        self._next = self
        self._erased = False
        self.meta: dict[str, Any] = {}
        self._sort_key = 0
        self._args: tuple = ()
        self._kwargs: dict = {}
        self._update_args_kwargs(args, kwargs)

    # ------------------------------------------------------------------ linked list
    @property
    def next(self) -> Node:
        return self._next

    @property
    def prev(self) -> Node:
        return self._prev

    def prepend(self, x: Node) -> None:
        """Insert `x` just before this node (moving it if already in the list)."""
        if x is self:
            return
        x._remove_from_list()
        self.graph._version += 1
        p = self._prev
        p._next, x._prev, x._next, self._prev = x, p, self, x

    def append(self, x: Node) -> None:
        """Insert `x` just after this node."""
        self._next.prepend(x)

    def _remove_from_list(self) -> None:
        p, n = self._prev, self._next
        p._next, n._prev = n, p
        self._prev = self._next = self

    # ------------------------------------------------------------------ args and uses
    @property
    def args(self) -> tuple:
        return self._args

    @args.setter
    def args(self, a: tuple) -> None:
        self._update_args_kwargs(tuple(a), self._kwargs)

    @property
    def kwargs(self) -> dict:
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k: dict) -> None:
        self._update_args_kwargs(self._args, dict(k))

    @property
    def all_input_nodes(self) -> list[Node]:
        return list(self._input_nodes)

    def _update_args_kwargs(self, args: tuple, kwargs: dict) -> None:
        self.graph._version += 1  # cached plans (Interpreter) notice edits
        for old in self._input_nodes:
            old.users.pop(self, None)
        self._args, self._kwargs = args, kwargs
        found: dict[Node, None] = {}
        _collect_nodes(args, found)
        if kwargs:
            _collect_nodes(kwargs, found)
        self._input_nodes = found
        for n in found:
            n.users[self] = None

    def update_arg(self, idx: int, arg: Argument) -> None:
        a = list(self._args)
        a[idx] = arg
        self.args = tuple(a)

    def insert_arg(self, idx: int, arg: Argument) -> None:
        a = list(self._args)
        a.insert(idx, arg)
        self.args = tuple(a)

    def update_kwarg(self, key: str, arg: Argument) -> None:
        self.kwargs = {**self._kwargs, key: arg}

    def replace_all_uses_with(self, replace_with: Node,
                              delete_user_cb: Callable[[Node], bool] = lambda user: True, *,
                              propagate_meta: bool = False) -> list[Node]:
        """Make every user (for which `delete_user_cb` is true) read `replace_with` instead."""
        if propagate_meta:
            for k, v in self.meta.items():
                replace_with.meta.setdefault(k, v)
        changed = [u for u in self.users if delete_user_cb(u)]
        for u in changed:
            u.replace_input_with(self, replace_with)
        return changed

    def replace_input_with(self, old_input: Node, new_input: Node) -> None:
        def swap(n: Node) -> Node:
            return new_input if n is old_input else n

        self._update_args_kwargs(map_arg(self._args, swap), map_arg(self._kwargs, swap))

    # ------------------------------------------------------------------ metadata
    @property
    def stack_trace(self) -> str | None:
        return self.meta.get("stack_trace")

    @stack_trace.setter
    def stack_trace(self, trace: str | None) -> None:
        self.meta["stack_trace"] = trace

    def is_impure(self) -> bool:
        """Whether removing this node could change results even when its value is unused."""
        op = self.op
        if op in ("placeholder", "output"):
            return True
        if op == "call_module":
            mod = self.graph.owning_module
            if mod is None:
                return False
            sub = mod.get_submodule(self.target)
            return bool(getattr(sub, "_is_impure", False))
        if op == "get_attr":
            return False
        if "out" in self._kwargs:
            return True
        if op == "call_method":
            name = self.target
            return name.endswith("_") and not name.endswith("__") or name in _IMPURE_NAMES \
                or name in ("__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__")
        target = self.target
        try:
            if target in _INPLACE_OPERATORS or target in _side_effectful_functions \
                    or target is builtins.print:
                return True
        except TypeError:  # an unhashable callable: not registered
            pass
        name = getattr(target, "__name__", "")
        if name.endswith("_") and not name.endswith("__"):
            return True
        if name in _IMPURE_NAMES:
            return True
        return bool(self._kwargs.get("inplace", False))

    # ------------------------------------------------------------------ printing
    def __repr__(self) -> str:
        return self.name

    def _pretty_print_target(self) -> str:
        t = self.target
        if isinstance(t, str):
            return t
        from ._qualname import qualified_name

        return qualified_name(t)

    def format_node(self, placeholder_names: list[str] | None = None,
                    maybe_return_typename: list[str] | None = None) -> str:
        """One line like torch.fx's: `%name : [num_users=N] = op[target=...](args=..., ...)`."""
        if self.op == "placeholder":
            arg_str = self.target
            if self._args:
                arg_str += f" = {self._args[0]!r}"
            if placeholder_names is not None:
                placeholder_names.append(arg_str)
                return ""
            return (f"%{self.name} : [num_users={len(self.users)}] = "
                    f"placeholder[target={self.target}]")
        if self.op == "output":
            return f"return {self._args[0]!r}"
        return (f"%{self.name} : [num_users={len(self.users)}] = "
                f"{self.op}[target={self._pretty_print_target()}]"
                f"(args = {_fmt_arg(self._args)}, kwargs = {_fmt_arg(self._kwargs)})")


def _fmt_arg(a: Any) -> str:
    t = type(a)
    if t is Node:
        return "%" + a.name
    if t is tuple:
        items = ", ".join(_fmt_arg(e) for e in a)
        return f"({items},)" if len(a) == 1 else f"({items})"
    if t is list:
        return "[" + ", ".join(_fmt_arg(e) for e in a) + "]"
    if t is dict:
        return "{" + ", ".join(f"{k}: {_fmt_arg(v)}" for k, v in a.items()) + "}"
    if t is slice:
        return f"slice({_fmt_arg(a.start)}, {_fmt_arg(a.stop)}, {_fmt_arg(a.step)})"
    return repr(a)
