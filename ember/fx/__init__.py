"""ember.fx: symbolic tracing, the graph IR, code generation and passes (torch.fx's API).

    gm = ember.fx.symbolic_trace(model)     # Graph + generated forward
    print(gm.code); gm.graph.print_tabular()
    print(ember.fx.explain(model, x))        # every untraceable spot at once

See docs/fx.md for what differs from torch.fx.
"""

from __future__ import annotations

from . import passes, subgraph_rewriter
from ._explain import ExplainReport, explain
from ._symbolic_trace import PH, Tracer, symbolic_trace, wrap
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, has_side_effect, map_arg
from .proxy import Proxy, TraceError, UntraceableError
from .subgraph_rewriter import replace_pattern

__all__ = ["symbolic_trace", "Tracer", "wrap", "PH", "Graph", "GraphModule", "Node", "Proxy",
           "Interpreter", "Transformer", "map_arg", "has_side_effect", "TraceError",
           "UntraceableError", "explain", "ExplainReport", "replace_pattern", "passes",
           "subgraph_rewriter"]
