"""GraphModule: a Module whose forward is Python generated from a Graph (torch.fx.GraphModule).

Each instance gets its own subclass so its generated `forward` is an ordinary class method
(calls cost what an eager module's do). The source is registered with linecache, so tracebacks
show the generated line, and an exception raised while running it gets a note naming the node
and the user's source line that produced it (`node.meta['stack_trace']`).

Pickling stores the graph itself (targets by import path, nodes by name) and regenerates the
code when loaded; code objects are never pickled.
"""

from __future__ import annotations

import copy
import itertools
import linecache
import os
import re
from typing import Any

from ..nn.modules.module import Module
from . import _qualname
from .graph import Graph
from .node import Node, map_aggregate, map_arg

__all__ = ["GraphModule"]

_keys = itertools.count()
_CODE_FIELDS = ("_graph", "_code", "_lineno_map", "_code_key")


def _exec_forward(src: str, globals_: dict) -> tuple[Any, str]:
    key = f"<eval_with_key>.{next(_keys)}"
    linecache.cache[key] = (len(src), None, src.splitlines(True), key)
    g = dict(globals_)
    # Call targets held as globals (wrap()ed and math functions) stay leaves when this code is
    # traced again: the Tracer patches the names listed here, as it does for wrap().
    g["__fx_wrapped__"] = tuple(k for k, v in globals_.items()
                                if callable(v) and not isinstance(v, type) and k != "ember")
    exec(compile(src, key, "exec"), g)
    return g["forward"], key


def _copy_attr(src: Module, dst: Module, target: str) -> None:
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(src, item)
        t = getattr(dst, item, None)
        if t is None or t is f:
            if t is None:
                t = Module()
                setattr(dst, item, t)
        src, dst = f, t
    value = getattr(src, field)
    if field in getattr(src, "_buffers", {}) and field not in dst.__dict__:
        dst.register_buffer(field, value, persistent=field not in src._non_persistent_buffers_set)
    else:
        setattr(dst, field, value)


def _assign_attr(value: Any, dst: Module, target: str) -> None:
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(dst, item, None)
        if t is None:
            t = Module()
            setattr(dst, item, t)
        dst = t
    setattr(dst, field, value)


class GraphModule(Module):
    """A Module built from a root module's attributes and a Graph; forward runs `code`."""

    def __new__(cls, *args: Any, **kwargs: Any) -> GraphModule:
        for base in cls.__mro__:  # never subclass a per-instance class again
            if not base.__dict__.get("_fx_impl", False):
                cls = base
                break
        impl = type("GraphModuleImpl", (cls,), {"_fx_impl": True})
        return super().__new__(impl)

    def __init__(self, root: Module | dict[str, Any], graph: Graph,
                 class_name: str = "GraphModule") -> None:
        super().__init__()
        type(self).__name__ = class_name
        type(self).__qualname__ = class_name
        if isinstance(root, Module):
            self.training = root.training
            for n in graph.nodes:
                if n.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, n.target)
        elif isinstance(root, dict):
            for n in graph.nodes:
                if n.op in ("get_attr", "call_module"):
                    if n.target not in root:
                        raise RuntimeError(f"fx: node {n.name} refers to {n.target!r}, which "
                                           "is missing from the attribute dict")
                    _assign_attr(root[n.target], self, n.target)
        else:
            raise RuntimeError(f"fx: GraphModule root must be a Module or a dict, got "
                               f"{type(root).__name__}")
        self.meta: dict[str, Any] = {}
        self.graph = graph

    # ------------------------------------------------------------------ graph and code
    @property
    def graph(self) -> Graph:
        return self._graph

    @graph.setter
    def graph(self, g: Graph) -> None:
        self.__dict__["_graph"] = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self) -> str:
        return self._code

    def recompile(self) -> Any:
        """Regenerate `code` and `forward` from the graph (after editing it)."""
        pc = self._graph.python_code(root_module="self")
        fn, key = _exec_forward(pc.src, pc.globals)
        d = self.__dict__
        d["_code"], d["_lineno_map"], d["_code_key"] = pc.src, pc.lineno_map, key
        fn.__qualname__ = f"{type(self).__name__}.forward"
        type(self).forward = fn
        return pc

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._call_impl(*args, **kwargs)
        except Exception as e:
            _annotate(e, self)
            raise

    def print_readable(self, print_output: bool = True, include_stack_trace: bool = False
                       ) -> str:
        """The generated class as source (nested GraphModules included); printed by default."""
        out = self._readable(type(self).__name__, include_stack_trace)
        if print_output:
            print(out)
        return out

    def _readable(self, name: str, include_stack_trace: bool) -> str:
        lines = self._code.strip("\n").rstrip().splitlines()
        body = []
        for i, line in enumerate(lines, start=4):
            node = self._lineno_map.get(i)
            st = node.meta.get("stack_trace") if node is not None else None
            if include_stack_trace and st:
                body.append("    # " + _innermost_frame_comment(st))
            body.append(line)
        text = f"class {name}(ember.nn.Module):\n" + "\n".join(
            "    " + ln if ln.strip() else "" for ln in body)
        for sub_name, sub in self.named_children():
            if isinstance(sub, GraphModule):
                inner = sub._readable(sub_name, include_stack_trace)
                text += "\n\n" + "\n".join("    " + ln for ln in inner.splitlines())
        return text + "\n"

    def __str__(self) -> str:
        return super().__repr__() + "\n\n\n" + self._code.strip("\n")

    # ------------------------------------------------------------------ submodules
    def add_submodule(self, target: str, m: Module) -> bool:
        """Install `m` at dotted `target`, creating empty parents; False if one is no Module."""
        *prefix, field = target.split(".")
        mod: Module = self
        for item in prefix:
            sub = getattr(mod, item, None)
            if sub is None:
                sub = Module()
                mod.add_module(item, sub)
            if not isinstance(sub, Module):
                return False
            mod = sub
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target: str) -> bool:
        """Remove the submodule at dotted `target`; False if it is not there."""
        *prefix, field = target.split(".")
        mod: Any = self
        for item in prefix:
            mod = getattr(mod, item, None)
            if not isinstance(mod, Module):
                return False
        if field not in mod._modules:
            return False
        del mod._modules[field]
        return True

    def delete_all_unused_submodules(self) -> None:
        """Delete submodules the graph neither calls nor reads attributes from."""
        used: set[str] = {""}
        for n in self._graph.nodes:
            if n.op in ("call_module", "get_attr"):
                atoms = n.target.split(".")
                for i in range(1, len(atoms) + 1):
                    used.add(".".join(atoms[:i]))
                if n.op == "call_module":  # everything inside a called module is used
                    prefix = n.target + "."
                    used.update(name for name, _ in self.named_modules() if
                                name.startswith(prefix))
        for name, _ in sorted(self.named_modules(), key=lambda kv: -kv[0].count(".")):
            if name not in used:
                self.delete_submodule(name)

    # ------------------------------------------------------------------ copying and saving
    def __deepcopy__(self, memo: dict) -> GraphModule:
        res = GraphModule.__new__(type(self))
        memo[id(self)] = res
        state = {k: v for k, v in self.__dict__.items() if k not in _CODE_FIELDS}
        res.__dict__.update(copy.deepcopy(state, memo))
        type(res).__name__ = type(res).__qualname__ = type(self).__name__
        res.graph = copy.deepcopy(self._graph, memo)
        return res

    def __copy__(self) -> GraphModule:
        res = GraphModule.__new__(type(self))
        res.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _CODE_FIELDS})
        type(res).__name__ = type(res).__qualname__ = type(self).__name__
        res.graph = self._graph
        return res

    def __reduce__(self) -> tuple:
        state = {k: v for k, v in self.__dict__.items()
                 if k not in _CODE_FIELDS and k != "_compiled_call_impl"}
        return (_rebuild, (state, _serialize_graph(self._graph), type(self).__name__))

    def to_folder(self, folder: str | os.PathLike, module_name: str = "FxModule") -> None:
        """Write an importable package: `module.py` with the code, tensors and submodules saved."""
        from ._to_folder import write_folder

        write_folder(self, os.fspath(folder), module_name)


def _innermost_frame_comment(stack_trace: str) -> str:
    """`File: path:line in fn, code: source` for the last (innermost) frame of a stack trace."""
    lines = stack_trace.rstrip().splitlines()
    idx = max(i for i, ln in enumerate(lines) if ln.lstrip().startswith("File "))
    m = re.match(r'\s*File "(.*)", line (\d+), in (.*)', lines[idx])
    code = lines[idx + 1].strip() if idx + 1 < len(lines) else ""
    if m is None:
        return lines[idx].strip()
    return f"File: {m.group(1)}:{m.group(2)} in {m.group(3)}, code: {code}"


def _annotate(e: BaseException, gm: GraphModule) -> None:
    if getattr(e, "_fx_annotated", False):
        return
    key: str = gm.__dict__.get("_code_key", "")
    tb, node = e.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == key:
            node = gm._lineno_map.get(tb.tb_lineno)
        tb = tb.tb_next
    if node is None:
        return
    src = linecache.getline(key, [k for k, v in gm._lineno_map.items() if v is node][0]).strip()
    note = f"While executing node {node.name!r} of the traced module ({src})"
    st = node.meta.get("stack_trace")
    note += f", recorded from user code:\n{st.rstrip()}" if st else ""
    try:
        e._fx_annotated = True  # type: ignore[attr-defined]
    except AttributeError:
        return
    if hasattr(e, "add_note"):
        e.add_note(note)
    elif e.args and isinstance(e.args[0], str):
        e.args = (e.args[0] + "\n" + note,) + e.args[1:]


class _NodeRef:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __reduce__(self) -> tuple:
        return (_NodeRef, (self.name,))


class _Target:
    """A call target pickled by its import path (Ember's dispatch wrappers are not importable
    under their __module__)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (_Target, (self.path,))


def _serialize_graph(g: Graph) -> list[tuple]:
    out = []
    for n in g.nodes:
        t = n.target
        if n.op == "call_function" and _qualname.is_resolvable(t):
            t = _Target(_qualname.qualified_name(t))
        meta = {k: v for k, v in n.meta.items() if k in ("stack_trace",)}
        out.append((n.name, n.op, t, map_arg(n.args, lambda x: _NodeRef(x.name)),
                    map_arg(n.kwargs, lambda x: _NodeRef(x.name)), meta))
    return out


def _deserialize_graph(data: list[tuple]) -> Graph:
    g = Graph()
    env: dict[str, Node] = {}

    def load(x: Any) -> Any:
        return env[x.name] if type(x) is _NodeRef else x

    for name, op, target, args, kwargs, meta in data:
        if type(target) is _Target:
            target = _qualname.resolve(target.path)
        n = g.create_node(op, target, map_aggregate(args, load), map_aggregate(kwargs, load),
                          name)
        n.meta.update(meta)
        env[name] = n
    return g


def _rebuild(state: dict, graph_data: list[tuple], class_name: str) -> GraphModule:
    res = GraphModule.__new__(GraphModule)
    res.__dict__.update(state)
    type(res).__name__ = type(res).__qualname__ = class_name
    res.graph = _deserialize_graph(graph_data)
    return res
