"""split_module: cut a GraphModule into `submod_<i>` GraphModules by a per-node partition.

`split_callback(node)` gives each computing node a partition id. Each partition becomes a
GraphModule taking the values it reads from other partitions (and the inputs) and returning
the values others read; the top-level module calls the partitions in dependency order.
Attributes (get_attr) are copied into the partitions that read them. As
torch.fx.passes.split_module.split_module (without its symbolic-shape options).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ...nn.modules.module import Module
from ..graph import Graph
from ..graph_module import GraphModule
from ..node import Node, map_arg

__all__ = ["split_module", "Partition"]


class Partition:
    def __init__(self, name: str) -> None:
        self.name = name
        self.submod_name = f"submod_{name}"
        self.node_names: list[str] = []
        self.nodes: list[Node] = []
        self.inputs: dict[Node, None] = {}
        self.outputs: dict[Node, None] = {}
        self.depends_on: dict[str, None] = {}
        self.first_index = 0

    def __repr__(self) -> str:
        return (f"name: {self.name},\n nodes: {self.node_names},\n inputs: "
                f"{list(self.inputs)},\n outputs: {list(self.outputs)}")


def split_module(m: GraphModule, root_m: Module, split_callback: Callable[[Node], Any],
                 qualname_map: dict[str, str] | None = None,
                 keep_original_order: bool = False) -> GraphModule:
    """Split `m` into partitions by `split_callback`; attributes are taken from `root_m`."""
    parts: dict[str, Partition] = {}
    part_of: dict[Node, Partition] = {}
    order = list(m.graph.nodes)
    for i, n in enumerate(order):
        if n.op in ("placeholder", "get_attr", "output"):
            continue
        key = str(split_callback(n))
        p = parts.get(key)
        if p is None:
            p = parts[key] = Partition(key)
            p.first_index = i
        p.nodes.append(n)
        p.node_names.append(n.name)
        part_of[n] = p
    for n in order:
        if n.op in ("placeholder", "get_attr"):
            continue
        for inp in n.all_input_nodes:
            src = part_of.get(inp)
            if n.op == "output":
                if src is not None:
                    src.outputs[inp] = None
                continue
            dst = part_of[n]
            if inp.op in ("placeholder",) or (src is not None and src is not dst):
                dst.inputs[inp] = None
            if src is not None and src is not dst:
                src.outputs[inp] = None
                dst.depends_on[src.name] = None
    ready = sorted(parts.values(), key=lambda p: p.first_index)
    done: list[Partition] = []
    seen: set[str] = set()
    while ready:
        for p in ready:
            if all(d in seen for d in p.depends_on):
                done.append(p)
                seen.add(p.name)
                ready.remove(p)
                break
        else:
            raise RuntimeError("split_module: the partitions depend on each other in a cycle: "
                               + ", ".join(p.name for p in ready))
    base = Graph()
    env: dict[Node, Node] = {}
    for n in order:
        if n.op == "placeholder":
            env[n] = base.node_copy(n)
    attrs: dict[str, Any] = {}
    for p in done:
        g = Graph()
        local: dict[Node, Node] = {}
        for inp in p.inputs:
            local[inp] = g.placeholder(inp.name)
            local[inp].meta = dict(inp.meta)

        def fetch(x: Node, g: Graph = g, local: dict = local) -> Node:
            if x not in local and x.op == "get_attr":
                local[x] = g.node_copy(x)
            return local[x]

        for n in p.nodes:
            local[n] = g.node_copy(n, fetch)
        outs = [local[o] for o in p.outputs]
        g.output(outs[0] if len(outs) == 1 else tuple(outs))
        attrs[p.submod_name] = GraphModule(root_m, g, p.submod_name)
        call = base.call_module(p.submod_name, tuple(env[i] for i in p.inputs))
        if len(outs) == 1:
            env[next(iter(p.outputs))] = call
        else:
            for k, o in enumerate(p.outputs):
                env[o] = base.call_function(operator.getitem, (call, k))
    out = next(n for n in order if n.op == "output")
    base.output(map_arg(out.args[0], lambda x: env[x]))
    return GraphModule(attrs, base, "GraphModule")
