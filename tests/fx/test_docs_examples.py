"""torch.fx's documented examples, written once and run with both torch and ember."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
import ember.fx

pytest.importorskip("torch")
import torch  # noqa: E402
import torch.fx  # noqa: E402


def _my_module(fw: Any) -> Any:
    class MyModule(fw.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.param = fw.nn.Parameter(fw.rand(3, 4))
            self.linear = fw.nn.Linear(4, 5)

        def forward(self, x: Any) -> Any:
            return self.linear(x + self.param).clamp(min=0.0, max=1.0)

    return MyModule()


def _same_code(tcode: str, ecode: str) -> None:
    assert ecode.strip() == tcode.strip().replace("torch.", "ember.").replace(
        " : _Any_", "").replace(" -> _Any_", "")


def test_overview_example_code_is_torch_fx_code() -> None:
    tg, eg = torch.fx.symbolic_trace(_my_module(torch)), ember.fx.symbolic_trace(
        _my_module(ember))
    _same_code(tg.code, eg.code)
    assert [(n.op, n.name) for n in eg.graph.nodes] == [(n.op, n.name) for n in tg.graph.nodes]


def _add_to_mul(fw: Any, fx: Any) -> tuple[Any, Any]:
    class M(fw.nn.Module):
        def forward(self, x: Any, y: Any) -> Any:
            return fw.add(x, y)

    gm = fx.symbolic_trace(M())
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target == fw.add:
            node.target = fw.mul
    gm.graph.lint()
    gm.recompile()
    return gm, M


def test_graph_manipulation_example_add_to_mul() -> None:
    egm, _ = _add_to_mul(ember, ember.fx)
    tgm, _ = _add_to_mul(torch, torch.fx)
    _same_code(tgm.code, egm.code)
    x, y = np.arange(3.0), np.arange(3.0) + 2
    np.testing.assert_array_equal(egm(ember.tensor(x), ember.tensor(y)).numpy(),
                                  tgm(torch.tensor(x), torch.tensor(y)).numpy())


def _insert_relu_after_add(fw: Any, fx: Any) -> Any:
    def f(x: Any) -> Any:
        return fw.add(x, 1).sum()

    gm = fx.symbolic_trace(f)
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target == fw.add:
            with gm.graph.inserting_after(node):
                new = gm.graph.call_function(fw.relu, args=(node,))
                node.replace_all_uses_with(new)
                new.update_arg(0, node)  # replace_all_uses_with also rewired new itself
    gm.recompile()
    return gm


def test_inserting_after_and_replace_all_uses_example() -> None:
    egm, tgm = _insert_relu_after_add(ember, ember.fx), _insert_relu_after_add(torch, torch.fx)
    _same_code(tgm.code, egm.code)
    x = np.array([-3.0, 0.5, 2.0])
    np.testing.assert_allclose(egm(ember.tensor(x)).numpy(), tgm(torch.tensor(x)).numpy())


def _decompose(fw: Any, fx: Any) -> Any:
    F = fw.nn.functional

    def relu_decomposition(x: Any) -> Any:
        return (x > 0) * x

    rules = {F.relu: relu_decomposition}

    class M(fw.nn.Module):
        def forward(self, x: Any) -> Any:
            return F.relu(x) + 1

    model = M()
    graph = fx.Tracer().trace(model)
    new_graph = fx.Graph()
    env: dict[str, Any] = {}
    tracer = fx.proxy.GraphAppendingTracer(new_graph)
    for node in graph.nodes:
        if node.op == "call_function" and node.target in rules:
            proxy_args = [fx.Proxy(env[a.name], tracer) if isinstance(a, fx.Node) else a
                          for a in node.args]
            env[node.name] = rules[node.target](*proxy_args).node
        else:
            env[node.name] = new_graph.node_copy(node, lambda a: env[a.name])
    return fx.GraphModule(model, new_graph)


def test_proxy_decomposition_example() -> None:
    egm, tgm = _decompose(ember, ember.fx), _decompose(torch, torch.fx)
    _same_code(tgm.code, egm.code)
    x = np.array([-1.0, 0.0, 2.5])
    np.testing.assert_array_equal(egm(ember.tensor(x)).numpy(), tgm(torch.tensor(x)).numpy())
