"""Python source for a Graph: the `forward` a GraphModule runs (torch.fx's code layout).

Each node becomes one line named after the node; a value is set to None right after its last
use so memory is released as in eager code. `lineno_map` maps source lines back to nodes so a
runtime error can name the node and the user's line that produced it.
"""

from __future__ import annotations

import builtins
import keyword
import math
import operator
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .node import Node

if TYPE_CHECKING:
    from .graph import Graph

reflectable_magic_methods = {
    "add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}",
    "truediv": "{} / {}", "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}",
    "rshift": "{} >> {}", "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}",
    "getitem": "{}[{}]", "matmul": "{} @ {}",
}
magic_methods = {
    "eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}",
    "ge": "{} >= {}", "pos": "+{}", "neg": "-{}", "invert": "~{}", **reflectable_magic_methods,
}
# Formatting keyed by the operator function itself (identity lookups while generating).
_OPERATOR_FORMATS = {getattr(operator, k): v for k, v in magic_methods.items()}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BASE_TYPES = (int, float, bool, complex, str, bytes, type(None), type(Ellipsis))


@dataclass
class PythonCode:
    """Generated source, the globals it needs, and source line -> node."""

    src: str
    globals: dict[str, Any]
    lineno_map: dict[int, Node] = field(default_factory=dict)


class _Globals:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.by_id: dict[int, str] = {}

    def add(self, obj: Any, hint: str) -> str:
        key = id(obj)
        if key in self.by_id:
            return self.by_id[key]
        base = re.sub(r"[^0-9A-Za-z_]", "_", hint) or "_global"
        if base[0].isdigit():
            base = "_" + base
        name, i = base, 0
        while name in self.values or keyword.iskeyword(name) or hasattr(builtins, name):
            i += 1
            name = f"{base}_{i}"
        self.values[name] = obj
        self.by_id[key] = name
        return name


def _callable_ref(obj: Any, g: _Globals) -> str:
    """How generated code names a call target: `ember.x.y`, a builtin, or a global."""
    from ._qualname import is_resolvable, qualified_name

    try:
        qn = qualified_name(obj)
    except RuntimeError:
        return g.add(obj, getattr(obj, "__name__", "fn"))
    if "." not in qn and getattr(builtins, qn, None) is obj:
        return qn
    if qn.startswith("ember.") and is_resolvable(obj):
        import ember

        g.values["ember"] = ember
        return qn
    return g.add(obj, ("_" + qn) if qn.startswith("operator.") else qn)


def format_arg(a: Any, g: _Globals) -> str:
    t = type(a)
    if t is Node:
        return a.name
    if t is tuple:
        items = [format_arg(e, g) for e in a]
        return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
    if t is list:
        return "[" + ", ".join(format_arg(e, g) for e in a) + "]"
    if t is dict:
        return "{" + ", ".join(f"{k!r}: {format_arg(v, g)}" for k, v in a.items()) + "}"
    if t is slice:
        return (f"slice({format_arg(a.start, g)}, {format_arg(a.stop, g)}, "
                f"{format_arg(a.step, g)})")
    if t is float and not math.isfinite(a):
        return f"float('{a}')"
    if t is complex and not (math.isfinite(a.real) and math.isfinite(a.imag)):
        return f"complex('{a}')"
    if isinstance(a, _BASE_TYPES):
        return repr(a)
    if t is range:
        return f"range({a.start}, {a.stop}, {a.step})"
    from .._dtype import dtype

    if t is dtype:
        import ember

        g.values["ember"] = ember
        return repr(a)
    if isinstance(a, tuple) and hasattr(a, "_fields"):  # namedtuple: rebuild via its type
        cls = g.add(t, t.__name__)
        return f"{cls}(" + ", ".join(format_arg(e, g) for e in a) + ")"
    if callable(a) and hasattr(a, "__name__"):
        return _callable_ref(a, g)
    return g.add(a, type(a).__name__.lower())


def _attr_path(root: str, target: str) -> str:
    out = root
    for atom in target.split("."):
        out = f"{out}.{atom}" if _IDENT.match(atom) and not keyword.iskeyword(atom) \
            else f'getattr({out}, "{atom}")' if '"' not in atom else f"getattr({out}, {atom!r})"
    return out


def _call_args(args: tuple, kwargs: dict, g: _Globals) -> str:
    parts = [format_arg(a, g) for a in args]
    parts += [f"{k} = {format_arg(v, g)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def python_code(graph: Graph, root_module: str = "self") -> PythonCode:
    """Source of `def forward(<root_module>, <placeholders>)` computing the graph."""
    g = _Globals()
    nodes = list(graph.nodes)
    last_use: dict[Node, Node] = {}
    frees: dict[Node, list[Node]] = {}
    for n in reversed(nodes):
        for inp in n._input_nodes:
            if inp not in last_use:
                last_use[inp] = n
                frees.setdefault(n, []).append(inp)
    params: list[str] = []
    body: list[str] = []
    lineno_map: dict[int, Node] = {}
    header_lines = 4  # "\n\n\ndef forward(...):" puts the def on line 4
    for n in nodes:
        op = n.op
        if op == "placeholder":
            t = n.target
            params.append(t if not n._args else f"{t} = {format_arg(n._args[0], g)}")
            if t.lstrip("*") != n.name:
                body.append(f"{n.name} = {t.lstrip('*')}")
                lineno_map[header_lines + len(body)] = n
            continue
        if op == "output":
            line = f"return {format_arg(n._args[0], g)}"
        else:
            line = f"{n.name} = {_node_expr(n, root_module, g)}"
            dead = list(frees.get(n, []))
            if not n.users:
                dead.append(n)
            dead = [d for d in dead if d.op != "placeholder" or d.name != "self"]
            if dead:
                line += ";  " + " = ".join(d.name for d in dead) + " = None"
        body.append(line)
        lineno_map[header_lines + len(body)] = n
    if not body:
        body.append("pass")
    src = (f"\n\n\ndef forward({', '.join([root_module] + params)}):\n"
           + "".join(f"    {b}\n" for b in body) + "    ")
    return PythonCode(src, g.values, lineno_map)


def _node_expr(n: Node, root: str, g: _Globals) -> str:
    op, t, args, kwargs = n.op, n.target, n._args, n._kwargs
    if op == "get_attr":
        return _attr_path(root, t)
    if op == "call_module":
        return f"{_attr_path(root, t)}({_call_args(args, kwargs, g)})"
    if op == "call_method":
        obj = format_arg(args[0], g)
        if type(args[0]) is not Node and not _IDENT.match(obj):
            obj = f"({obj})"
        return f"{obj}.{t}({_call_args(args[1:], kwargs, g)})"
    if op == "call_function":
        fmt = _OPERATOR_FORMATS.get(t) if not kwargs and type(t).__hash__ is not None else None
        if fmt is not None and fmt.count("{}") == len(args):
            return fmt.format(*(format_arg(a, g) for a in args))
        if (t is builtins.getattr and len(args) == 2 and isinstance(args[1], str)
                and _IDENT.match(args[1]) and not kwargs):
            return f"{format_arg(args[0], g)}.{args[1]}"
        return f"{_callable_ref(t, g)}({_call_args(args, kwargs, g)})"
    raise RuntimeError(f"fx: node {n.name} has unknown opcode {op!r}")
