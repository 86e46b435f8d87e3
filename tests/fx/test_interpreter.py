"""Interpreter and Transformer."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx import Interpreter, Transformer

from .models import make_cnn, make_gpt


@pytest.mark.parametrize("make,inp", [
    (make_gpt, lambda: ember.randint(0, 17, (2, 8))),
    (make_cnn, lambda: ember.randn(2, 3, 8, 8)),
])
def test_interpreter_matches_generated_code(make: object, inp: object) -> None:
    gm = ember.fx.symbolic_trace(make(ember).eval())  # type: ignore[operator]
    x = inp()  # type: ignore[operator]
    np.testing.assert_array_equal(Interpreter(gm).run(x).detach().numpy(),
                                  gm(x).detach().numpy())
    interp = Interpreter(gm)
    args = [x]
    np.testing.assert_array_equal(interp.boxed_run(args).detach().numpy(),
                                  gm(x).detach().numpy())
    assert args == []


def test_overriding_opcode_methods_changes_execution() -> None:
    gm = ember.fx.symbolic_trace(lambda x: ember.sigmoid(x) + x.neg())

    class NegSigmoidSwap(Interpreter):
        def call_function(self, target: object, args: tuple, kwargs: dict) -> object:
            if target is ember.sigmoid:
                return ember.neg(*args, **kwargs)
            return super().call_function(target, args, kwargs)

        def call_method(self, target: str, args: tuple, kwargs: dict) -> object:
            if target == "neg":
                return ember.sigmoid(*args, **kwargs)
            return super().call_method(target, args, kwargs)

    x = ember.randn(5)
    np.testing.assert_allclose(NegSigmoidSwap(gm).run(x).numpy(),
                               gm(x).numpy(), rtol=1e-6)


def test_initial_env_skips_nodes_and_gc_frees_values() -> None:
    gm = ember.fx.symbolic_trace(lambda x: x.exp().relu() + 1)
    exp = next(n for n in gm.graph.nodes if n.target == "exp")
    interp = Interpreter(gm)
    out = interp.run(ember.zeros(2), initial_env={exp: ember.full((2,), -3.0)})
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0])  # relu(-3) + 1
    assert exp not in interp.env  # freed after its last use
    keep = Interpreter(gm, garbage_collect_values=False)
    keep.run(ember.zeros(2))
    assert len(keep.env) == len(gm.graph.nodes)


def test_errors_name_the_node_and_missing_inputs() -> None:
    gm = ember.fx.symbolic_trace(lambda x, y: x @ y)
    with pytest.raises(RuntimeError) as info:
        Interpreter(gm).run(ember.randn(2, 3), ember.randn(4, 2))
    assert "While executing %matmul" in "\n".join(getattr(info.value, "__notes__", [])
                                                  + [str(info.value)])
    with pytest.raises(RuntimeError, match="expected a value"):
        Interpreter(gm).run(ember.randn(2, 3))
    with pytest.raises(RuntimeError, match="GraphModule"):
        Interpreter(ember.nn.Linear(2, 2))


def test_transformer_rewrites_calls_and_keeps_attributes() -> None:
    m = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.ReLU())
    gm = ember.fx.symbolic_trace(m)

    class ReluToGelu(Transformer):
        def call_module(self, target: str, args: tuple, kwargs: dict) -> object:
            if isinstance(self.fetch_attr(target), ember.nn.ReLU):
                return self.tracer.create_proxy("call_function", ember.nn.functional.gelu,
                                                args, kwargs)
            return super().call_module(target, args, kwargs)

    new = ReluToGelu(gm).transform()
    new.graph.lint()
    assert [n.op for n in new.graph.nodes] == ["placeholder", "call_module", "call_function",
                                               "output"]
    x = ember.randn(2, 3)
    np.testing.assert_allclose(new(x).detach().numpy(),
                               ember.nn.functional.gelu(m[0](x)).detach().numpy(), rtol=1e-6)
    assert new.get_submodule("0").weight is m[0].weight


def test_transformer_identity_preserves_graph() -> None:
    gm = ember.fx.symbolic_trace(lambda x: (x * 2).sum(dim=0) + operator.neg(x).mean())
    new = Transformer(gm).transform()
    assert [(n.op, n.target) for n in new.graph.nodes] == [(n.op, n.target)
                                                           for n in gm.graph.nodes]
    x = ember.randn(3, 3)
    np.testing.assert_allclose(new(x).numpy(), gm(x).numpy())


def test_interpreter_sees_graph_edits_between_runs() -> None:
    gm = ember.fx.symbolic_trace(lambda x: x.relu() + 1)
    interp = Interpreter(gm)
    x = ember.tensor([-1.0, 2.0])
    np.testing.assert_array_equal(interp.run(x).numpy(), [1.0, 3.0])
    relu = next(n for n in gm.graph.nodes if n.target == "relu")
    relu.target = "neg"  # same node count: the cached plan must still be refreshed
    add = next(n for n in gm.graph.nodes if n.target is operator.add)
    add.update_arg(1, 10)
    np.testing.assert_array_equal(interp.run(x).numpy(), [11.0, 8.0])
