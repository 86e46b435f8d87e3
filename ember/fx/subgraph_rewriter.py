"""replace_pattern: find every occurrence of a pattern graph and splice in a replacement.

`pattern` and `replacement` are functions (or GraphModules) with the same inputs; both are
traced. A match anchors at the node(s) the pattern returns and walks inputs backwards; the
pattern's placeholders match any value. Nodes inside a match may not be used outside it
(except the anchor). Matches do not overlap. Returns the matches, as
torch.fx.subgraph_rewriter.replace_pattern does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .graph import Graph
from .graph_module import GraphModule
from .node import Node, map_arg

__all__ = ["Match", "replace_pattern"]


@dataclass
class Match:
    anchor: Node  # the graph node matched by the pattern's returned node
    nodes_map: dict[Node, Node]  # pattern node -> graph node


def _graph_of(f: Callable | GraphModule) -> Graph:
    if isinstance(f, GraphModule):
        return f.graph
    from ._symbolic_trace import symbolic_trace

    return symbolic_trace(f).graph


def _match(pn: Node, gn: Node, m: dict[Node, Node]) -> bool:
    if pn in m:
        return m[pn] is gn
    if pn.op == "placeholder":
        if gn in m.values():  # one graph value per pattern input
            return False
        m[pn] = gn
        return True
    if pn.op != gn.op or pn.target != gn.target or len(pn.args) != len(gn.args) \
            or set(pn.kwargs) != set(gn.kwargs):
        return False
    m[pn] = gn
    pairs = list(zip(pn.args, gn.args)) + [(pn.kwargs[k], gn.kwargs[k]) for k in pn.kwargs]
    if all(_match_arg(a, b, m) for a, b in pairs):
        return True
    del m[pn]
    return False


def _match_arg(a: Any, b: Any, m: dict[Node, Node]) -> bool:
    if type(a) is Node:
        return type(b) is Node and _match(a, b, m)
    if type(a) in (list, tuple):
        return type(b) is type(a) and len(a) == len(b) and all(
            _match_arg(x, y, m) for x, y in zip(a, b))
    return type(b) is not Node and a == b


def replace_pattern(gm: GraphModule, pattern: Callable | GraphModule,
                    replacement: Callable | GraphModule) -> list[Match]:
    """Replace every match of `pattern` in `gm` by `replacement`; recompiles `gm`."""
    pg, rg = _graph_of(pattern), _graph_of(replacement)
    p_out = next(n for n in pg.nodes if n.op == "output")
    anchors = [a for a in p_out.all_input_nodes]
    if len(anchors) != 1 or type(p_out.args[0]) is not Node:
        raise NotImplementedError("replace_pattern: only patterns returning a single value are "
                                  "supported")
    anchor_p = anchors[0]
    p_inputs = [n for n in pg.nodes if n.op == "placeholder"]
    graph = gm.graph
    matches: list[Match] = []
    used: set[Node] = set()
    for gn in list(graph.nodes):
        if gn.op in ("placeholder", "output") or gn in used:
            continue
        m: dict[Node, Node] = {}
        if not _match(anchor_p, gn, m):
            continue
        inner = {v for k, v in m.items() if k.op != "placeholder"}
        if inner & used:
            continue
        if any(u not in inner for v in inner if v is not gn for u in v.users):
            continue
        used |= inner
        matches.append(Match(gn, m))
    for match in matches:
        gn = match.anchor
        val_map: dict[Node, Node] = {}
        r_inputs = [n for n in rg.nodes if n.op == "placeholder"]
        if len(r_inputs) != len(p_inputs):
            raise ValueError(f"replace_pattern: the pattern takes {len(p_inputs)} inputs but the "
                             f"replacement takes {len(r_inputs)}")
        for rp, pp in zip(r_inputs, p_inputs):
            val_map[rp] = match.nodes_map[pp]
        with graph.inserting_before(gn):
            for rn in rg.nodes:
                if rn.op == "placeholder":
                    continue
                if rn.op == "output":
                    new = map_arg(rn.args[0], val_map.__getitem__)
                    break
                if rn.op in ("get_attr", "call_module") and isinstance(replacement,
                                                                        GraphModule):
                    _copy_target(replacement, gm, rn.target)
                val_map[rn] = graph.node_copy(rn, val_map.__getitem__)
        gn.replace_all_uses_with(new)
        inner_nodes = {v for k, v in match.nodes_map.items() if k.op != "placeholder"}
        for n in [n for n in reversed(graph.nodes) if n in inner_nodes]:
            if not n.users:
                graph.erase_node(n)
    gm.recompile()
    return matches


def _copy_target(src: GraphModule, dst: GraphModule, target: str) -> None:
    from .graph_module import _copy_attr

    _copy_attr(src, dst, target)
