"""Tracing the same model code with torch.fx and ember.fx: node lists, outputs, gradients."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import ember
import ember.fx

from .models import make_cnn, make_gpt, make_mlp

pytest.importorskip("torch")
import torch  # noqa: E402
import torch.fx  # noqa: E402

_TORCH_SPACES = (("", torch), ("nn.functional.", torch.nn.functional))


def _torch_name(t: object) -> str:
    for prefix, mod in _TORCH_SPACES:
        for k, v in vars(mod).items():
            if v is t and not k.startswith("_"):
                return prefix + k
    return torch.fx.node._get_qualified_name(t).replace("_operator.", "operator.")


def _ember_name(t: object) -> str:
    from ember.fx._qualname import qualified_name

    q = qualified_name(t)
    return q[len("ember."):] if q.startswith("ember.") else q


def _strip_torch(q: str) -> str:
    return q[len("torch."):] if q.startswith("torch.") else q


def node_list(gm: object, fw: str) -> list[tuple[str, str]]:
    out = []
    for n in gm.graph.nodes:  # type: ignore[attr-defined]
        t = n.target
        if not isinstance(t, str):
            t = _strip_torch(_torch_name(t)) if fw == "torch" else _ember_name(t)
        out.append((n.op, t))
    return out


def _copy_weights(tm: object, em: object) -> None:
    sd = {k: ember.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    em.load_state_dict(sd)


MODELS = {
    "gpt": (make_gpt, lambda rng: rng.integers(0, 17, (2, 8)), 87),
    "cnn": (make_cnn, lambda rng: rng.standard_normal((2, 3, 8, 8)).astype(np.float32), 12),
    "mlp": (make_mlp, lambda rng: rng.standard_normal((4, 8)).astype(np.float32), 30),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_node_lists_and_names_match_torch_fx(name: str) -> None:
    make, _, n_nodes = MODELS[name]
    tg = torch.fx.symbolic_trace(make(torch))
    eg = ember.fx.symbolic_trace(make(ember))
    assert node_list(eg, "ember") == node_list(tg, "torch")
    assert len(eg.graph.nodes) == n_nodes
    assert [n.name for n in eg.graph.nodes] == [n.name for n in tg.graph.nodes]


@pytest.mark.parametrize("name", list(MODELS))
def test_generated_code_matches_eager_and_torch_with_grads(name: str) -> None:
    make, inp, _ = MODELS[name]
    torch.manual_seed(0)
    tm, em = make(torch), make(ember)
    _copy_weights(tm, em)
    tm.eval()
    em.eval()
    x = inp(np.random.default_rng(0))
    gm = ember.fx.symbolic_trace(em)
    ex, tx = ember.tensor(x), torch.tensor(x)
    eager, traced, ref = em(ex), gm(ex), tm(tx)
    np.testing.assert_allclose(traced.detach().numpy(), eager.detach().numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(traced.detach().numpy(), ref.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    (traced * traced).sum().backward()
    (ref * ref).sum().backward()
    tgrads = dict(tm.named_parameters())
    for k, p in gm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tgrads[k].grad.numpy(), rtol=1e-3,
                                   atol=1e-4, err_msg=k)


def test_parameters_buffers_and_constants_become_get_attr_like_torch() -> None:
    def make(fw: object) -> object:
        class M(fw.nn.Module):  # type: ignore[attr-defined, name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.register_buffer("b", fw.ones(4))  # type: ignore[attr-defined]
                self.c = fw.ones(4)  # type: ignore[attr-defined]
                self.p = fw.nn.Parameter(fw.ones(4))  # type: ignore[attr-defined]

            def forward(self, x: object) -> object:
                return (self.b + x, self.b * x, self.c / x, 2 ** x, self.b.add(x), -x,
                        self.p + x, x + self.p, self.p * self.b, self.p.view(2, 2),
                        fw.zeros(4) + x)  # type: ignore[attr-defined]

        return M()

    tg, eg = torch.fx.symbolic_trace(make(torch)), ember.fx.symbolic_trace(make(ember))
    assert node_list(eg, "ember") == node_list(tg, "torch")
    assert [n.name for n in eg.graph.nodes] == [n.name for n in tg.graph.nodes]
    assert "_tensor_constant0" in dict(eg.named_buffers()) or hasattr(eg, "_tensor_constant0")
    x = ember.arange(1.0, 5.0)
    for got, want in zip(eg(x), make(ember).forward(x)):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


def test_methods_attributes_indexing_and_unpacking() -> None:
    def f(x: ember.Tensor) -> object:
        a, b = x.split([2, 2], dim=1)
        n = x.shape[0]
        y = x.view(n, -1).softmax(-1)[:, 1:]
        return a * b, y, x.size(1), x.dtype

    gm = ember.fx.symbolic_trace(f)
    ops = [(n.op, n.target if isinstance(n.target, str) else n.target.__name__)
           for n in gm.graph.nodes]
    assert ("call_method", "split") in ops and ("call_method", "softmax") in ops
    assert ("call_function", "getattr") in ops and ("call_method", "size") in ops
    x = ember.randn(3, 4)
    for got, want in zip(gm(x), f(x)):
        if isinstance(want, ember.Tensor):
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        else:
            assert got == want


def test_wrap_keeps_function_as_leaf_and_math_is_autowrapped() -> None:
    from . import wrapped_helpers as h

    gm = ember.fx.symbolic_trace(h.uses_wrapped)
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert h.leaf_fn in targets  # recorded as one call, not traced through
    assert math.sqrt in targets
    x = ember.randn(3)
    np.testing.assert_allclose(gm(x).numpy(), h.uses_wrapped(x).numpy())
    assert h.leaf_fn is not None and h.leaf_fn.__name__ == "leaf_fn"  # restored after tracing


def test_concrete_args_specialize_and_guard() -> None:
    def f(x: ember.Tensor, flag: bool = True) -> ember.Tensor:
        if flag:
            return x + 1
        return x - 1

    gm = ember.fx.symbolic_trace(f, concrete_args={"flag": False})
    x = ember.zeros(2)
    np.testing.assert_array_equal(gm(x, False).numpy(), [-1, -1])
    with pytest.raises(AssertionError, match="specialized"):
        gm(x, True)


def test_custom_leaf_module_and_call_module() -> None:
    class Inner(ember.nn.Module):
        def forward(self, x: ember.Tensor) -> ember.Tensor:
            return x * 2

    class Outer(ember.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = Inner()

        def forward(self, x: ember.Tensor) -> ember.Tensor:
            return self.inner(x) + 1

    class LeafTracer(ember.fx.Tracer):
        def is_leaf_module(self, m: ember.nn.Module, qualname: str) -> bool:
            return isinstance(m, Inner) or super().is_leaf_module(m, qualname)

    g = LeafTracer().trace(Outer())
    assert [n.op for n in g.nodes] == ["placeholder", "call_module", "call_function", "output"]
    g2 = ember.fx.Tracer().trace(Outer())
    assert [n.target for n in g2.nodes if n.op == "call_function"] == [operator.mul,
                                                                        operator.add]


def test_proxy_operators_record_operator_targets() -> None:
    def f(x: ember.Tensor, y: ember.Tensor) -> tuple:
        return (x + y, x - y, x * y, x / y, x // y, x % y, x ** 2, x @ y, -x, ~(x > y),
                abs(x), x == y, x < y, 1 - x, 2 / x)

    gm = ember.fx.symbolic_trace(f)
    got = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    assert got == [operator.add, operator.sub, operator.mul, operator.truediv,
                   operator.floordiv, operator.mod, operator.pow, operator.matmul,
                   operator.neg, operator.gt, operator.invert, operator.abs, operator.eq,
                   operator.lt, operator.sub, operator.truediv]
    x, y = ember.rand(3, 3) + 1, ember.rand(3, 3) + 1
    for a, b in zip(gm(x, y), f(x, y)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_param_shapes_constant_gives_parameter_proxies() -> None:
    class M(ember.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = ember.nn.Parameter(ember.ones(3, 2))

        def forward(self, x: ember.Tensor) -> ember.Tensor:
            if self.w.shape[0] == 3 and self.w.dim() == 2:  # readable: a real shape
                return x @ self.w
            return x

    with pytest.raises(ember.fx.TraceError):
        ember.fx.Tracer().trace(M())
    g = ember.fx.Tracer(param_shapes_constant=True).trace(M())
    assert [n.op for n in g.nodes] == ["placeholder", "get_attr", "call_function", "output"]


def test_retracing_a_graph_module_and_keyword_only_inputs() -> None:
    def f(x: ember.Tensor, *, scale: float = 2.0) -> ember.Tensor:
        return (x * scale).relu()

    gm = ember.fx.symbolic_trace(f)
    gm2 = ember.fx.symbolic_trace(gm)
    assert [(n.op, n.target) for n in gm2.graph.nodes] == [(n.op, n.target)
                                                           for n in gm.graph.nodes]
    x = ember.tensor([-1.0, 3.0])
    np.testing.assert_array_equal(gm2(x, 3.0).numpy(), [0.0, 9.0])


def test_unsupported_argument_type_and_foreign_module_errors() -> None:
    class Opaque:
        pass

    with pytest.raises(NotImplementedError, match="Opaque"):
        ember.fx.symbolic_trace(lambda x: ember.add(x, Opaque()))  # type: ignore[arg-type]

    class UsesForeign(ember.nn.Module):
        def forward(self, x: ember.Tensor) -> ember.Tensor:
            return ember.nn.ReLU()(x)  # built during forward: not a submodule

    with pytest.raises(NameError, match="not installed as a submodule"):
        ember.fx.symbolic_trace(UsesForeign())


def data_dependent(x: ember.Tensor) -> ember.Tensor:
    return x if x.sum() > 0 else -x


def test_autowrap_functions_and_custom_create_node() -> None:
    def f(x: ember.Tensor) -> ember.Tensor:
        return data_dependent(x) + 1

    with pytest.raises(ember.fx.UntraceableError):
        ember.fx.symbolic_trace(f)

    class Tagging(ember.fx.Tracer):
        def create_node(self, *args: object, **kwargs: object) -> ember.fx.Node:
            n = super().create_node(*args, **kwargs)  # type: ignore[arg-type]
            n.meta["tag"] = "mine"
            return n

    g = Tagging(autowrap_functions=(data_dependent,)).trace(f)
    assert data_dependent in [n.target for n in g.nodes]
    assert all(n.meta["tag"] == "mine" for n in g.nodes)
    gm = ember.fx.GraphModule(ember.nn.Module(), g)
    x = ember.tensor([-2.0, 1.0])
    np.testing.assert_array_equal(gm(x).numpy(), f(x).numpy())
