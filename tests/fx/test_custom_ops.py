"""Custom ops (ember.library) through fx tracing: recorded as one call_function node, as
torch.fx records torch.library ops; the generated code runs them with their autograd formula."""

import numpy as np
import pytest

import ember
from ember import fx

torch = pytest.importorskip("torch")


def _model(m, qual):
    @m.library.custom_op(qual, mutates_args=())
    def twice_sin(x: m.Tensor, scale: float) -> m.Tensor:
        return (x.sin() * scale * 2).clone()

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])
        ctx.scale = inputs[1]

    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.cos() * ctx.scale * 2, None

    twice_sin.register_autograd(backward, setup_context=setup)

    class M(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = m.nn.Linear(4, 4)

        def forward(self, x):
            return twice_sin(self.lin(x), 0.5).relu()

    return M()


def _kinds(gm):
    # torch's target is an OpOverload (str "emfx.twice_sin.default"); ember's is the op's
    # dispatch function, whose qualified name is "emfx.twice_sin"
    def target(n):
        if n.op != "call_function":
            return str(n.target)
        return getattr(n.target, "_name", None) or n.target.__module__ + "." + n.target.__qualname__
    return [(n.op, n.name, target(n).replace("::", ".").removeprefix("ember.ops."))
            for n in gm.graph.nodes]


def test_custom_op_is_one_call_function_node_like_torch_fx():
    em, tm = _model(ember, "emfx::twice_sin"), _model(torch, "emfx::twice_sin")
    tm.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in em.state_dict().items()})
    eg, tg = fx.symbolic_trace(em), torch.fx.symbolic_trace(tm)
    assert _kinds(eg) == _kinds(tg)
    target = [n.target for n in eg.graph.nodes if n.op == "call_function"][0]
    assert target is ember.ops.emfx.twice_sin.default
    assert "ember.ops.emfx.twice_sin" in eg.code

    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, yt = eg(xe), tg(xt)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ye.detach().numpy(), em(xe).detach().numpy())
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
