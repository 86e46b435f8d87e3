"""Drawing a graph: DOT text always, SVG through Graphviz when installed, Mermaid text without.

Differs from torch.fx.passes.graph_drawer: no pydot dependency; `get_dot_graph()` returns the
DOT source as a string. SVG needs the `dot` program or the `graphviz` Python package.
"""

from __future__ import annotations

import shutil
from typing import Any

from ..graph import Graph
from ..node import Node

__all__ = ["FxGraphDrawer", "to_dot", "to_mermaid", "to_svg", "svg_available"]

_COLORS = {"placeholder": "#AAFFAA", "get_attr": "#FFFFAA", "call_module": "#AACCFF",
           "call_method": "#FFCCAA", "call_function": "#FFAAAA", "output": "#CCCCCC"}


def _graph(g: Any) -> Graph:
    return g if isinstance(g, Graph) else g.graph


def _label(n: Node) -> str:
    target = n._pretty_print_target()
    meta: Any = n.meta.get("tensor_meta")
    shape = f"\\n{list(meta.shape)} {meta.dtype}" if hasattr(meta, "shape") else ""
    return f"{n.name}\\n{n.op}: {target}{shape}".replace('"', '\\"')


def to_dot(g: Any, name: str = "fx_graph") -> str:
    """DOT source: one box per node (coloured by opcode), one edge per use."""
    graph = _graph(g)
    lines = [f'digraph "{name}" {{', '  rankdir=TB;',
             '  node [shape=record, style=filled, fontname="monospace"];']
    for n in graph.nodes:
        lines.append(f'  "{n.name}" [label="{{{_label(n)}}}", fillcolor="{_COLORS[n.op]}"];')
    for n in graph.nodes:
        for inp in n.all_input_nodes:
            lines.append(f'  "{inp.name}" -> "{n.name}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(g: Any) -> str:
    """Mermaid flowchart text (renders in GitHub/GitLab markdown without Graphviz)."""
    graph = _graph(g)
    lines = ["flowchart TD"]
    for n in graph.nodes:
        label = _label(n).replace("\\n", "<br/>").replace('\\"', "'")
        lines.append(f'    {n.name}["{label}"]')
    for n in graph.nodes:
        for inp in n.all_input_nodes:
            lines.append(f"    {inp.name} --> {n.name}")
    return "\n".join(lines) + "\n"


def svg_available() -> bool:
    if shutil.which("dot"):
        return True
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return False
    return True


def to_svg(g: Any, name: str = "fx_graph") -> str:
    """SVG text rendered by Graphviz; RuntimeError naming what to install when it is missing."""
    dot = to_dot(g, name)
    exe = shutil.which("dot")
    if exe:
        import subprocess  # only when drawing: keeps `import ember` fast

        done = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"fx drawing: dot failed: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()
    try:
        import graphviz
    except ImportError as e:
        raise RuntimeError("fx drawing: SVG needs Graphviz (the `dot` program, e.g. apt install "
                           "graphviz, or pip install graphviz); use to_dot() or to_mermaid() "
                           "for text without it") from e
    return graphviz.Source(dot).pipe(format="svg").decode()


class FxGraphDrawer:
    """torch.fx's drawer interface over the functions above."""

    def __init__(self, graph_module: Any, name: str) -> None:
        self.graph_module, self.name = graph_module, name

    def get_dot_graph(self) -> str:
        return to_dot(self.graph_module, self.name)

    def get_svg(self) -> str:
        return to_svg(self.graph_module, self.name)

    def get_mermaid(self) -> str:
        return to_mermaid(self.graph_module)
