"""GraphModule: generated code, recompile, copying, pickling, to_folder, submodules."""

from __future__ import annotations

import copy
import importlib
import operator
import pickle
import sys

import numpy as np
import pytest

import ember
import ember.fx
from ember.fx import GraphModule

from .models import make_gpt, make_mlp


def test_code_print_readable_and_recompile_after_edit(capsys: pytest.CaptureFixture) -> None:
    m = make_mlp(ember)
    gm = ember.fx.symbolic_trace(m)
    assert gm.code.lstrip().startswith("def forward(self, x):")
    assert "inp = self.inp(x);  x = None" in gm.code
    text = gm.print_readable()
    assert capsys.readouterr().out.startswith("class ResidualMLP(ember.nn.Module):")
    assert "def forward(self, x):" in text
    with_st = gm.print_readable(print_output=False, include_stack_trace=True)
    assert "# File: " in with_st and "models.py" in with_st
    for n in gm.graph.nodes:  # swap every tanh for sigmoid
        if n.target is ember.tanh:
            n.target = ember.sigmoid
    gm.recompile()
    assert "ember.sigmoid" in gm.code and "ember.tanh" not in gm.code
    x = ember.randn(4, 8)
    h = m.inp(x)
    for lin, norm in zip(m.layers, m.norms):
        h = h + ember.nn.functional.gelu(lin(norm(h))) * m.scale
        h = ember.sigmoid(h) + h.mean(dim=-1, keepdim=True)
    np.testing.assert_allclose(gm(x).detach().numpy(), m.out(h).sum(-1).detach().numpy(),
                               rtol=1e-6)


def test_attributes_are_copied_and_state_dict_matches() -> None:
    m = make_gpt(ember)
    gm = ember.fx.symbolic_trace(m)
    assert dict(gm.named_parameters()).keys() == dict(m.named_parameters()).keys()
    # `self.mask == 0` runs eagerly on the real buffer (as in torch.fx): a constant, no buffer
    assert hasattr(gm, "_tensor_constant0") and "blocks.0.attn.mask" not in gm.state_dict()
    w = gm.get_submodule("blocks.0.attn.c_attn").weight
    assert w is m.blocks[0].attn.c_attn.weight  # shared, not copied
    assert type(gm.get_submodule("blocks.0")) is ember.nn.Module  # parents: plain Modules
    assert type(gm).__name__ == "GPT"


def test_deepcopy_and_pickle_regenerate_code() -> None:
    m = make_gpt(ember)
    gm = ember.fx.symbolic_trace(m)
    idx = ember.randint(0, 17, (2, 8))
    want = gm(idx).detach().numpy()
    for clone in (copy.deepcopy(gm), pickle.loads(pickle.dumps(gm))):
        assert clone.code == gm.code
        assert type(clone) is not type(gm) and type(clone).__name__ == "GPT"
        assert clone.wpe is not gm.wpe
        np.testing.assert_array_equal(clone(idx).detach().numpy(), want)
        clone.graph.lint()
    shallow = copy.copy(gm)
    assert shallow.wpe is gm.wpe


def test_pickle_keeps_stack_traces_and_wrapped_targets() -> None:
    from . import wrapped_helpers as h

    gm = ember.fx.symbolic_trace(h.uses_wrapped)
    gm2 = pickle.loads(pickle.dumps(gm))
    assert [n.stack_trace for n in gm2.graph.nodes] == [n.stack_trace for n in gm.graph.nodes]
    x = ember.randn(3)
    np.testing.assert_allclose(gm2(x).numpy(), gm(x).numpy())


def test_to_folder_writes_an_importable_module(tmp_path: object) -> None:
    m = make_mlp(ember)
    gm = ember.fx.symbolic_trace(m)
    folder = tmp_path / "exported"  # type: ignore[operator]
    gm.to_folder(folder, "Exported")
    assert (folder / "module.py").exists() and (folder / "attrs.pt").exists()
    sys.path.insert(0, str(tmp_path))
    try:
        mod = importlib.import_module("exported")
        loaded = mod.Exported()
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("exported", None)
        sys.modules.pop("exported.module", None)
    x = ember.randn(4, 8)
    np.testing.assert_allclose(loaded(x).detach().numpy(), gm(x).detach().numpy(), rtol=1e-6)
    assert sorted(loaded.state_dict()) == sorted(gm.state_dict())


def test_submodule_management() -> None:
    gm = ember.fx.symbolic_trace(make_mlp(ember, depth=2))
    assert gm.add_submodule("extra.deep.lin", ember.nn.Linear(2, 2))
    assert isinstance(gm.get_submodule("extra.deep.lin"), ember.nn.Linear)
    assert gm.delete_submodule("extra.deep.lin")
    assert not gm.delete_submodule("extra.deep.lin")
    gm.add_submodule("unused", ember.nn.ReLU())
    for n in list(gm.graph.nodes):  # drop the last layer's uses: out becomes unused
        if n.op == "call_module" and n.target == "out":
            n.replace_all_uses_with(n.args[0])
            gm.graph.erase_node(n)
    gm.recompile()
    gm.delete_all_unused_submodules()
    names = dict(gm.named_modules())
    assert "unused" not in names and "out" not in names and "extra" not in names
    assert "layers.0" in names and "norms.1" in names


def test_graph_module_from_dict_root_and_bad_root() -> None:
    g = ember.fx.Graph()
    x = g.placeholder("x")
    w = g.get_attr("sub.w")
    g.output(g.call_function(operator.mul, (x, w)))
    gm = GraphModule({"sub.w": ember.tensor([2.0, 3.0])}, g)
    np.testing.assert_array_equal(gm(ember.ones(2)).numpy(), [2.0, 3.0])
    with pytest.raises(RuntimeError, match="missing"):
        GraphModule({}, g)
    with pytest.raises(RuntimeError, match="Module or a dict"):
        GraphModule(3, g)  # type: ignore[arg-type]


def test_generated_code_trains_like_eager() -> None:
    ember.manual_seed(0)
    m = make_mlp(ember)
    gm = ember.fx.symbolic_trace(copy.deepcopy(m))
    x = ember.randn(4, 8)
    for mod in (m, gm):
        opt = ember.optim.SGD(mod.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            mod(x).pow(2).mean().backward()
            opt.step()
    np.testing.assert_allclose(gm.out.weight.detach().numpy(), m.out.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_retracing_generated_code_keeps_wrapped_and_math_calls_as_leaves() -> None:
    from . import wrapped_helpers as h

    gm = ember.fx.symbolic_trace(h.uses_wrapped)
    outer = ember.nn.Sequential(gm)  # nested: its forward's globals are patched on first call
    for root in (gm, outer):
        again = ember.fx.symbolic_trace(root)
        targets = [n.target for n in again.graph.nodes if n.op == "call_function"]
        assert h.leaf_fn in targets and len(targets) == len(
            [n for n in gm.graph.nodes if n.op == "call_function"])
        x = ember.randn(3)
        np.testing.assert_allclose(again(x).numpy(), h.uses_wrapped(x).numpy(), rtol=1e-6)
    assert "__fx_wrapped__" in type(gm).forward.__globals__
