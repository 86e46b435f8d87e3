"""Graph IR: building, editing, linting, dead-code elimination and printing."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx import Graph, GraphModule


def _traced(f: object) -> GraphModule:
    return ember.fx.symbolic_trace(f)


def test_build_graph_by_hand_and_run() -> None:
    g = Graph()
    x = g.placeholder("x")
    y = g.placeholder("y", default_value=2.0)
    s = g.call_function(ember.add, (x, y))
    r = g.call_method("relu", (s,))
    g.output(r)
    g.lint()
    gm = GraphModule(ember.nn.Module(), g)
    assert "def forward(self, x, y = 2.0)" in gm.code
    np.testing.assert_array_equal(gm(ember.tensor([-5.0, 1.0])).numpy(), [0.0, 3.0])
    assert [n.name for n in g.nodes] == ["x", "y", "add", "relu", "output"]
    assert list(x.users) == [s] and s.all_input_nodes == [x, y]
    assert s.next is r and r.prev is s


def test_dead_code_elimination_keeps_inplace_and_impure_calls() -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        x.add_(1)                 # in-place method, result unused
        x * 3                     # pure and unused: removed
        z = x * 0
        ember.add(x, 1, out=z)    # out= write
        ember.nn.functional.dropout(x, 0.5)  # random: advances the generator
        return x + z

    gm = _traced(f)
    assert y_unused_present(gm)
    z = next(n for n in gm.graph.nodes if n.target is operator.mul and n.args[1] == 0)
    with gm.graph.inserting_after(z):  # `z += 1` by hand: tracing records operator.add
        gm.graph.call_function(operator.iadd, (z, 1))
    gm.graph.eliminate_dead_code()
    gm.recompile()
    names = [n.target if isinstance(n.target, str) else n.target.__name__
             for n in gm.graph.nodes]
    assert "add_" in names and "iadd" in names and "dropout" in names
    assert sum(n.target is operator.mul for n in gm.graph.nodes) == 1
    assert any(n.kwargs.get("out") is not None for n in gm.graph.nodes)
    a = ember.zeros(3)
    out = gm(a)
    np.testing.assert_array_equal(a.numpy(), [1, 1, 1])  # the in-place add still happened
    np.testing.assert_array_equal(out.numpy(), [3, 3, 3])  # x=1; z=0, +=1, out= x+1=2


def y_unused_present(gm: GraphModule) -> bool:
    return any(n.target is operator.mul and not n.users for n in gm.graph.nodes)


def test_dead_code_elimination_removes_pure_chains() -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        a = x.relu()
        _ = a.exp().sum()
        return x + 1

    gm = _traced(f)
    assert gm.graph.eliminate_dead_code()
    assert [n.op for n in gm.graph.nodes] == ["placeholder", "call_function", "output"]


def test_inserting_before_after_replace_and_erase() -> None:
    gm = _traced(lambda x: x.relu() + 1)
    g = gm.graph
    relu = next(n for n in g.nodes if n.target == "relu")
    with g.inserting_after(relu):
        neg = g.call_function(operator.neg, (relu,))
    relu.replace_all_uses_with(neg, delete_user_cb=lambda u: u is not neg)
    assert neg.args == (relu,)
    gm.recompile()
    np.testing.assert_array_equal(gm(ember.tensor([1.0, -2.0])).numpy(), [0.0, 1.0])
    with g.inserting_before(neg):
        s = g.call_method("sigmoid", (relu,))
    neg.replace_input_with(relu, s)
    neg.update_arg(0, s)
    g.lint()
    with pytest.raises(RuntimeError, match="still has"):
        g.erase_node(s)
    add = next(n for n in g.nodes if n.target is operator.add)
    add.update_arg(0, relu)
    g.erase_node(neg)
    g.erase_node(s)
    gm.recompile()
    np.testing.assert_array_equal(gm(ember.tensor([1.0, -2.0])).numpy(), [2.0, 1.0])
    assert len(g.nodes) == 4


def test_lint_catches_use_before_definition_and_missing_targets() -> None:
    gm = _traced(lambda x: x.relu().exp())
    g = gm.graph
    relu, exp = [n for n in g.nodes if n.op == "call_method"]
    exp.prepend(exp)  # no-op
    relu._remove_from_list()
    exp.append(relu)  # relu now after its user
    with pytest.raises(RuntimeError, match="defined after its use"):
        g.lint()
    g2 = Graph(owning_module=ember.nn.Module())
    g2.output(g2.get_attr("missing"))
    with pytest.raises(RuntimeError, match="lacks"):
        g2.lint()


def test_node_copy_graph_copy_and_deepcopy() -> None:
    import copy

    gm = _traced(lambda x, y: (x * y).sum(dim=0, keepdim=True))
    g2 = Graph()
    env = {n: g2.placeholder(n.name) for n in gm.graph.nodes if n.op == "placeholder"}
    out = g2.graph_copy(gm.graph, env)
    g2.output(out)
    g2.lint()
    g3 = copy.deepcopy(gm.graph)
    g3.lint()
    assert [str(a) for a in g3.nodes] == [str(a) for a in gm.graph.nodes]
    assert all(a is not b for a, b in zip(g3.nodes, gm.graph.nodes))
    x, y = ember.randn(2, 3), ember.randn(2, 3)
    for g in (g2, g3):
        np.testing.assert_allclose(GraphModule(gm, g)(x, y).numpy(), gm(x, y).numpy())


def test_names_are_unique_and_avoid_builtins() -> None:
    def f(x: ember.Tensor) -> object:
        return x.sum(), x.sum(), x.max(), getattr(x, "shape"), x.shape  # noqa: B009

    gm = _traced(f)
    names = [n.name for n in gm.graph.nodes]
    assert names == ["x", "sum_1", "sum_2", "max_1", "getattr_1", "getattr_2", "output"]


def test_print_tabular_str_and_format_node(capsys: pytest.CaptureFixture) -> None:
    gm = _traced(lambda x: ember.relu(x) + 1)
    gm.graph.print_tabular()
    out = capsys.readouterr().out
    assert "opcode" in out and "call_function  relu" in out and "ember.relu" in out
    s = str(gm.graph)
    assert s.startswith("graph():")
    assert "%relu : [num_users=1] = call_function[target=ember.relu](args = (%x,)" in s
    assert "return add" in s
    pc = gm.graph.python_code("self")
    assert "relu = ember.relu(x);  x = None" in pc.src
    assert pc.globals["ember"] is ember


def test_find_nodes_and_kwargs_setters() -> None:
    gm = _traced(lambda x: x.sum(dim=0) + x.mean(dim=1).sum())
    assert [n.target for n in gm.graph.find_nodes(op="call_method")] == ["sum", "mean", "sum"]
    n = gm.graph.find_nodes(op="call_method", target="mean")[0]
    n.update_kwarg("dim", 0)
    gm.recompile()
    x = ember.randn(3, 3)
    np.testing.assert_allclose(gm(x).numpy(), (x.sum(dim=0) + x.mean(dim=0).sum()).numpy(),
                               rtol=1e-6)


def test_unknown_opcode_is_rejected() -> None:
    with pytest.raises(AssertionError, match="unknown opcode"):  # torch's type
        Graph().create_node("call_something", "x")


def _log_call(x: ember.Tensor) -> ember.Tensor:
    return x


def test_has_side_effect_marks_functions_dce_must_keep() -> None:
    def build() -> GraphModule:
        g = Graph()
        x = g.placeholder("x")
        g.call_function(_log_call, (x,))
        g.output(x)
        return GraphModule(ember.nn.Module(), g)

    gm = build()
    assert gm.graph.eliminate_dead_code()  # unmarked: removed
    ember.fx.node.has_side_effect(_log_call)
    try:
        gm = build()
        assert not gm.graph.eliminate_dead_code()
        assert any(n.target is _log_call for n in gm.graph.nodes)
    finally:
        ember.fx.node._side_effectful_functions.discard(_log_call)
