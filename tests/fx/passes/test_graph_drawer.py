"""Drawing graphs: DOT and Mermaid text always; SVG when Graphviz is installed."""

from __future__ import annotations

import pytest

import ember
import ember.fx
from ember.fx.passes import graph_drawer
from ember.fx.passes.graph_drawer import FxGraphDrawer
from ember.fx.passes.shape_prop import ShapeProp


def _gm() -> ember.fx.GraphModule:
    return ember.fx.symbolic_trace(ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU()))


def test_dot_has_every_node_and_edge() -> None:
    gm = _gm()
    ShapeProp(gm).propagate(ember.randn(2, 3))
    dot = FxGraphDrawer(gm, "seq").get_dot_graph()
    assert dot.startswith('digraph "seq" {') and dot.rstrip().endswith("}")
    for n in gm.graph.nodes:
        assert f'"{n.name}" [label=' in dot
    assert '"input_1" -> "_0";' in dot and '"_0" -> "_1";' in dot
    assert "[2, 4] ember.float32" in dot  # shapes from ShapeProp


def test_mermaid_text() -> None:
    text = FxGraphDrawer(_gm(), "seq").get_mermaid()
    assert text.startswith("flowchart TD")
    assert "input_1 --> _0" in text and "_1 --> output" in text


def test_svg_with_graphviz_or_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    gm = _gm()
    if graph_drawer.svg_available():
        assert "<svg" in FxGraphDrawer(gm, "seq").get_svg()
    monkeypatch.setattr(graph_drawer.shutil, "which", lambda name: None)
    import builtins

    real_import = builtins.__import__

    def no_graphviz(name: str, *a: object, **k: object) -> object:
        if name == "graphviz":
            raise ImportError("no graphviz")
        return real_import(name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_graphviz)
    assert not graph_drawer.svg_available()
    with pytest.raises(RuntimeError, match="Graphviz"):
        graph_drawer.to_svg(gm)


def test_svg_pipes_dot_source_through_the_dot_program(tmp_path: object,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import stat
    import sys

    fake = tmp_path / "dot"  # type: ignore[operator]
    fake.write_text(f"#!{sys.executable}\nimport sys\nsrc = sys.stdin.read()\n"
                    "assert sys.argv[1:] == ['-Tsvg'], sys.argv\n"
                    "print('<svg><!--' + str(src.count('->')) + ' edges--></svg>')\n")
    os.chmod(fake, fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(graph_drawer.shutil, "which", lambda name: str(fake))
    gm = _gm()
    svg = graph_drawer.to_svg(gm)
    n_edges = sum(len(n.all_input_nodes) for n in gm.graph.nodes)
    assert svg.strip() == f"<svg><!--{n_edges} edges--></svg>"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('bad')\nsys.exit(1)\n")
    with pytest.raises(RuntimeError, match="dot failed: bad"):
        graph_drawer.to_svg(gm)
