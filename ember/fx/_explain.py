"""explain(module, *example_inputs): every spot that stops symbolic tracing, in one report.

The module is traced with a tracer that, instead of raising at a data-dependent conversion
(`if` on a traced value, len, int/float, iteration of unknown length, np.asarray), records the
user's file, line and source and continues. With example inputs it continues with the real
value, computed by running the part of the graph recorded so far on (copies of) them, so later
spots are found along the path those inputs take; without them it guesses (True, 0, empty).
The module is deep-copied first so running the partial graph cannot change it.
"""

from __future__ import annotations

import copy
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import no_grad
from ..nn.modules.module import Module
from ._symbolic_trace import Tracer
from ._user_frame import user_frames
from .graph import Graph
from .node import Node, map_arg
from .proxy import _WHAT, UntraceableError

__all__ = ["explain", "ExplainReport", "Issue"]


@dataclass
class Issue:
    """One untraceable spot: what conversion, and where in the user's code."""

    kind: str
    message: str
    filename: str
    lineno: int
    function: str
    source: str

    def __str__(self) -> str:
        return (f'  File "{self.filename}", line {self.lineno}, in {self.function}\n'
                f"    {self.source}\n    -> {self.message}")


@dataclass
class ExplainReport:
    """The result of `explain`: `issues` (empty when the module traces), the best-effort graph."""

    name: str
    issues: list[Issue] = field(default_factory=list)
    graph: Graph | None = None

    @property
    def traceable(self) -> bool:
        return not self.issues

    def __str__(self) -> str:
        if not self.issues:
            n = len(self.graph.nodes) if self.graph is not None else 0
            return f"ember.fx.explain({self.name}): traces cleanly ({n} nodes)"
        head = (f"ember.fx.explain({self.name}): {len(self.issues)} spot(s) stop symbolic "
                "tracing:")
        tips = ("Fixes: pass such values with symbolic_trace(..., concrete_args={...}), keep "
                "the function that needs them out of the graph with ember.fx.wrap(fn), or "
                "make the module a leaf (Tracer.is_leaf_module).")
        body = "\n".join(f"{i}. {iss}" for i, iss in enumerate(self.issues, 1))
        return f"{head}\n{body}\n{tips}"


_GUESS: dict[str, Any] = {"bool": True, "len": 0, "int": 0, "float": 0.0, "complex": 0j,
                          "index": 0}


class _Evaluator:
    """Runs the graph recorded so far on the example inputs, incrementally."""

    def __init__(self, tracer: Tracer, inputs: tuple) -> None:
        self.tracer, self.inputs = tracer, inputs
        self.env: dict[Node, Any] = {}
        self.n_placeholders = 0

    def value(self, node: Node) -> Any:
        tracer = self.tracer
        tracer._suspended = True
        try:
            with no_grad():
                for n in tracer.graph.nodes:
                    if n not in self.env:
                        self.env[n] = self._run(n)
                    if n is node:
                        break
        finally:
            tracer._suspended = False
        return self.env[node]

    def _run(self, n: Node) -> Any:
        root = self.tracer.root
        if n.op == "placeholder":
            i = self.n_placeholders
            self.n_placeholders += 1
            if i < len(self.inputs):
                return self.inputs[i]
            if n.args:
                return n.args[0]
            raise LookupError(f"no example input for {n.target}")
        args = map_arg(n.args, self.env.__getitem__)
        kwargs = map_arg(n.kwargs, self.env.__getitem__)
        if n.op == "get_attr":
            obj: Any = root
            for a in n.target.split("."):
                obj = getattr(obj, a)
            return obj
        if n.op == "call_function":
            return n.target(*args, **kwargs)
        if n.op == "call_method":
            return getattr(args[0], n.target)(*args[1:], **kwargs)
        if n.op == "call_module":
            return root.get_submodule(n.target)(*args, **kwargs)
        raise LookupError(n.op)


def explain(module: Module, *example_inputs: Any, concrete_args: dict[str, Any] | None = None,
            tracer_cls: type[Tracer] = Tracer) -> ExplainReport:
    """Trace `module`, collecting every untraceable spot instead of stopping at the first."""
    try:
        target = copy.deepcopy(module)
    except Exception:  # noqa: BLE001 - a module that cannot be copied is traced in place
        target = module
    inputs = tuple(a.detach().clone() if isinstance(a, Tensor) else a for a in example_inputs)
    tracer = tracer_cls()
    report = ExplainReport(type(module).__name__)
    seen: set[tuple] = set()
    evaluator = _Evaluator(tracer, inputs)

    def on_untraceable(kind: str, proxy: Any, where: tuple | None) -> Any:
        fn, line, func, src = where or ("<unknown>", 0, "", "")
        if (fn, line, kind) not in seen:
            seen.add((fn, line, kind))
            report.issues.append(Issue(kind, _WHAT[kind], fn, line, func, src))
        value: Any = None
        known = False
        try:
            value, known = evaluator.value(proxy.node), True
        except Exception:  # noqa: BLE001 - no example inputs, or they fail: guess below
            known = False
        if kind == "iter":
            n = len(value) if known else 0
            return iter([proxy[i] for i in range(n)])
        if kind == "numpy":
            return np.asarray(value) if known else np.zeros(())
        if not known:
            return _GUESS[kind]
        conv: Any = {"bool": bool, "len": len, "int": int, "float": float, "complex": complex,
                "index": operator.index}[kind]
        return conv(value)

    tracer._on_untraceable = on_untraceable
    try:
        report.graph = tracer.trace(target, concrete_args)
    except UntraceableError as e:  # raised by a custom tracer hook
        report.issues.append(Issue(e.kind, e.what, e.filename, e.lineno, e.function, e.source))
    except Exception as e:  # noqa: BLE001 - any other failure is the last spot found
        tb = e.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        frames = user_frames(tb.tb_frame if tb is not None else None)
        fn, line, func = frames[0] if frames else ("<unknown>", 0, "")
        import linecache

        report.issues.append(Issue("error", f"{type(e).__name__}: {e}", fn, line, func,
                                   linecache.getline(fn, line).strip()))
    return report
