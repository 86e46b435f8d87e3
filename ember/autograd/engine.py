"""The backward engine: walk the graph from the roots in dependency order, reduce broadcast
gradients to each input's shape, run hooks, accumulate into leaves or capture for grad()."""

from __future__ import annotations

import heapq
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .grad_mode import state as _gm
from .graph import AccumulateGrad, Node, edge_of


def _sum_to(g: Any, shape: tuple) -> Any:
    """Sum a broadcast gradient back down to `shape`."""
    gs = g.shape
    if len(gs) == len(shape) and all(a == b for a, b in zip(gs, shape)):
        return g
    lead = len(gs) - len(shape)
    dims = list(range(lead))
    dims += [lead + i for i, s in enumerate(shape) if s == 1 and gs[lead + i] != 1]
    if dims:
        g = g.sum(dim=tuple(dims), keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def _fit(g: Any, meta: tuple, node: Node, i: int) -> Any:
    shape, dt = meta
    if tuple(g.shape) != shape:
        try:
            g = _sum_to(g, shape)
        except Exception:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(g.shape)} but expected shape compatible with {list(shape)}"
            ) from None
    if g.dtype is not dt:
        g = g.to(dt)
    return g


def _run_tensor_hooks(hooks: dict | None, g: Any) -> Any:
    if hooks:
        for h in list(hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    return g


def _discover(roots: list) -> tuple[dict, set]:
    """Count, for every node reachable from the roots, the edges that lead into it."""
    deps: dict = {}
    stack = list(dict.fromkeys(n for n in roots if n is not None))  # roots may repeat
    seen = set(stack)
    push, pop = stack.append, stack.pop
    while stack:
        for nxt, _ in pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                if nxt not in seen:  # each node is expanded once
                    seen.add(nxt)
                    push(nxt)
    return deps, seen


def _needed(nodes: set, targets: set) -> set:
    """Nodes from which some target node can be reached (others need not run)."""
    memo: dict = {}
    for start in nodes:
        if start in memo:
            continue
        stack = [(start, iter(start.next_functions))]
        path = {start}
        while stack:
            node, it = stack[-1]
            advanced = False
            for nxt, _ in it:
                if nxt is None:
                    continue
                if nxt in memo:
                    if memo[nxt]:
                        memo[node] = True
                    continue
                if nxt in path:
                    continue
                path.add(nxt)
                stack.append((nxt, iter(nxt.next_functions)))
                advanced = True
                break
            if not advanced:
                stack.pop()
                path.discard(node)
                res = memo.get(node, False) or node in targets
                memo[node] = res
                if res and stack:
                    memo[stack[-1][0]] = True
    return {n for n, v in memo.items() if v}


def run_backward(outputs: Sequence, grad_outputs: Sequence, retain_graph: bool,
                 create_graph: bool, inputs: Sequence | None = None, accumulate: bool = True,
                 allow_unused: bool = True) -> tuple:
    """Backpropagate; with `inputs` and accumulate=False, return their gradients instead."""
    root_edges = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        root_edges.append(edge_of(t))

    capture: dict = {}     # (node, input_nr) -> positions in `inputs`
    targets: set = set()
    if inputs is not None:
        for k, t in enumerate(inputs):
            node, nr = edge_of(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault((node, nr), []).append(k)
            targets.add(node)
    deps, nodes = _discover([n for n, _ in root_edges])
    needed = _needed(nodes, targets) if inputs is not None else None
    results: list = [None] * (len(inputs) if inputs is not None else 0)

    buffers: dict = {}
    for (node, nr), g in zip(root_edges, grad_outputs):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    heap = [(-n._seq, id(n), n) for n in buffers if n not in deps]
    heapq.heapify(heap)

    prev = _gm.enabled
    _gm.enabled = create_graph
    pop, push = heapq.heappop, heapq.heappush
    plain = not _gm.anomaly  # no per-node anomaly checks
    try:
        while heap:
            node = pop(heap)[2]
            grads = buffers.pop(node, None)
            if grads is None or (needed is not None and node not in needed):
                # no gradient reached this node (or it leads to no requested input): its
                # inputs get none either
                _release_edges(node, deps, heap)
                continue
            if node._hooked:
                grads = _pre_hooks(node, grads)
            if type(node) is AccumulateGrad:
                g = grads[0]
                if g is None:
                    continue
                hooks = getattr(node.variable, "_hooks", None)
                if hooks:
                    g = _run_tensor_hooks(hooks, g)
                if inputs is None:
                    node.accumulate(g, create_graph)
                elif (node, 0) in capture:
                    for k in capture[(node, 0)]:
                        results[k] = g
                    if accumulate:
                        node.accumulate(g, create_graph)
                continue
            if capture:
                for nr in range(node._n_outputs):
                    ks = capture.get((node, nr))
                    if ks:
                        for k in ks:
                            results[k] = grads[nr]
                if not accumulate and node in targets and not any(
                        nxt in needed for nxt, _ in node.next_functions  # type: ignore[operator]
                        if nxt is not None):
                    _release_edges(node, deps, heap)
                    continue
            if plain and node._out_meta is None and not node._hooked:
                # the common case, inlined: one output, no hooks, no anomaly checks
                in_grads = node.backward(*grads)
                if in_grads.__class__ is not tuple:
                    in_grads = tuple(in_grads) if isinstance(in_grads, list) else (in_grads,)
                if len(in_grads) != len(node.next_functions):
                    in_grads = _check_count(node, in_grads)
            else:
                in_grads = _call(node, grads)
            if not retain_graph:
                node._saved = None  # free what backward needed
            metas = node._input_meta
            for i, (nxt, nr) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                g = in_grads[i]
                if g is not None:
                    shape, dt = metas[i]
                    if g._data.shape != shape or g.dtype is not dt:
                        g = _fit(g, metas[i], node, i)
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * nxt._n_outputs
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if not left:
                    push(heap, (-nxt._seq, id(nxt), nxt))
    finally:
        _gm.enabled = prev
    if inputs is not None and not allow_unused:
        for r in results:
            if r is None:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
    return tuple(results)


def _pre_hooks(node: Node, grads: list) -> list:
    """Tensor hooks of non-leaf outputs, retain_grad, then the node's own pre-hooks."""
    if node._tensor_pre_hooks:
        for idx, entries in node._tensor_pre_hooks.items():
            if grads[idx] is not None:
                for d, hid in entries:
                    h = d.get(hid)
                    if h is not None:
                        r = h(grads[idx])
                        if r is not None:
                            grads[idx] = r
    if node._retain_grad_tensors:
        for idx, ref in node._retain_grad_tensors.items():
            t = ref()
            if t is not None and grads[idx] is not None and t._retains_grad:
                g = grads[idx].detach()
                t._grad = g.clone() if t._grad is None else t._grad + g
    if node._pre_hooks:
        for h in list(node._pre_hooks.values()):
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
    return grads


def _release_edges(node: Node, deps: dict, heap: list) -> None:
    for nxt, _ in node.next_functions:
        if nxt is None:
            continue
        deps[nxt] -= 1
        if deps[nxt] == 0:
            heapq.heappush(heap, (-nxt._seq, id(nxt), nxt))


def _check_count(node: Node, res: tuple) -> tuple:
    """Trailing None gradients beyond the inputs are allowed (as torch allows); else raise."""
    n = len(node.next_functions)
    if len(res) > n and all(r is None for r in res[n:]):
        return res[:n]
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                       f"(expected {n}, got {len(res)})")


def _call(node: Node, grads: list) -> tuple:
    if node._out_meta is not None and getattr(node, "_materialize", True) and \
            any(g is None for g in grads):
        meta = node._out_meta
        if meta is not None:
            from ..ops.creation import zeros

            grads = [zeros(m[0], dtype=m[1], device=m[2]) if g is None else g
                     for g, m in zip(grads, meta)]
    try:
        res = node.backward(*grads)
    except Exception:
        if _gm.anomaly and node._metadata:
            tb = "".join(node._metadata.get("traceback_", []))
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          f"caused the error:\n{tb}", stacklevel=2)
        raise
    if type(res) is not tuple:
        res = tuple(res) if isinstance(res, list) else (res,)
    if len(res) != len(node.next_functions):
        res = _check_count(node, res)
    if node._post_hooks:
        for h in list(node._post_hooks.values()):
            r = h(res, tuple(grads))
            if r is not None:
                res = tuple(r)
    if _gm.anomaly and _gm.anomaly_nan:
        for i, g in enumerate(res):
            if g is not None and g.dtype.category >= 2 and bool(np.isnan(g._data).any()):
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                                   f"{i}th output.")
    return res
