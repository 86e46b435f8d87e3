"""QConfigMapping: the setters, the legacy dict form, and which qconfig each node gets."""

from __future__ import annotations

from typing import Any

import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.ao.quantization.fx.tracer import QuantizationTracer
from ember.ao.quantization.qconfig_mapping import QConfigMapping
from ember.fx import GraphModule

# qconfigs are only compared by identity here; strings make the expectations readable
G, T, R, N, ORD = "global", "type", "regex", "name", "order"


class Sub(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.conv = nn.Conv1d(4, 4, 1)

    def forward(self, x: Any) -> Any:
        return F.linear(F.relu(self.lin(x)), self.lin.weight) + F.linear(x, self.lin.weight)


class Top(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = Sub()
        self.b = Sub()
        self.head = nn.Linear(4, 2)

    def forward(self, x: Any) -> Any:
        return self.head(self.a(x) + self.b(x)).relu()


def _qconfigs(mapping: QConfigMapping) -> dict[str, Any]:
    pytest.importorskip("ember.ao.quantization.observer")  # node classification needs observers
    from ember.ao.quantization.fx.qconfig_mapping_utils import generate_node_name_to_qconfig

    m = Top()
    tracer = QuantizationTracer([], [])
    gm = GraphModule(m, tracer.trace(m))
    mods = dict(gm.named_modules())
    return generate_node_name_to_qconfig(mods, gm.graph, mapping, tracer.node_name_to_scope)


def test_setters_chain_and_repr() -> None:
    m = QConfigMapping().set_global(G).set_object_type(nn.Linear, T)
    m.set_module_name_regex("a.*", R).set_module_name("b", N)
    m.set_module_name_object_type_order("a", F.linear, 1, ORD)
    assert m.global_qconfig == G
    assert list(m.object_type_qconfigs.items()) == [(nn.Linear, T)]
    text = repr(m)
    assert text.startswith("QConfigMapping (\n global_qconfig\n  global")
    assert "module_name_object_type_order_qconfigs" in text


def test_priorities() -> None:
    qc = _qconfigs(QConfigMapping().set_global(G))
    assert set(qc.values()) == {G, None}  # placeholders and output get None
    qc = _qconfigs(QConfigMapping().set_global(G).set_object_type(nn.Linear, T))
    assert qc["a_lin"] == T and qc["head"] == T and qc["relu"] == G
    m = QConfigMapping().set_global(G).set_object_type(nn.Linear, T)
    m.set_module_name_regex("a\\..*", R).set_module_name("b", N)
    qc = _qconfigs(m)
    assert qc["a_lin"] == R  # regex beats object type
    assert qc["b_lin"] == N
    assert qc["relu_1"] == N  # functions inside module b take b's qconfig
    assert qc["head"] == T
    # the second F.linear called inside `a` (index 1)
    m.set_module_name_object_type_order("a", F.linear, 1, ORD)
    qc = _qconfigs(m)
    assert [qc["linear"], qc["linear_1"]] == [G, ORD]  # "a" itself does not match "a\\..*"


def test_method_qconfig_by_name() -> None:
    qc = _qconfigs(QConfigMapping().set_global(G).set_object_type("relu", T))
    assert qc["relu_2"] == T  # the .relu() method call at the end


def test_dict_round_trip() -> None:
    m = QConfigMapping().set_global(G).set_object_type(nn.Linear, T)
    m.set_module_name_regex("a.*", R).set_module_name("b", N)
    m.set_module_name_object_type_order("a", F.linear, 1, ORD)
    d = m.to_dict()
    assert d == {
        "": G,
        "object_type": [(nn.Linear, T)],
        "module_name_regex": [("a.*", R)],
        "module_name": [("b", N)],
        "module_name_object_type_order": [("a", F.linear, 1, ORD)],
    }
    assert QConfigMapping.from_dict(d).to_dict() == d


def test_legacy_dict_matches_torch_keys() -> None:
    torch = pytest.importorskip("torch")
    from torch.ao.quantization import QConfigMapping as TorchMapping

    assert set(TorchMapping().to_dict()) == set(QConfigMapping().to_dict())
    assert ember is not None and torch is not None


def _describe(qc: Any) -> Any:
    """A framework-neutral description of a QConfig: what its constructors build."""
    if qc is None:
        return None

    def obs(ctr: Any) -> Any:
        if ctr is None:
            return None
        o = ctr()
        inner = getattr(o, "activation_post_process", None)
        fields = (type(o).__name__, str(o.dtype).rsplit(".", 1)[-1],
                  str(getattr(o, "qscheme", None)).rsplit(".", 1)[-1],
                  getattr(o, "quant_min", None), getattr(o, "quant_max", None),
                  getattr(o, "reduce_range", None), getattr(o, "is_dynamic", None))  # fmt: skip
        return fields + ((obs(lambda: inner),) if inner is not None else ())

    return (obs(qc.activation), obs(qc.weight))


@pytest.mark.parametrize("backend", ["x86", "fbgemm", "qnnpack", "onednn"])
@pytest.mark.parametrize("qat", [False, True])
def test_default_mappings_match_torch(backend: str, qat: bool) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("ember.ao.quantization.qconfig")
    import warnings

    import torch.ao.quantization as tq

    from ember.ao.quantization import qconfig_mapping as eqm

    from .canon import pattern_name

    fn = "get_default_qat_qconfig_mapping" if qat else "get_default_qconfig_mapping"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(eqm, fn)(backend)
        theirs = getattr(tq, fn)(backend)
        assert _describe(ours.global_qconfig) == _describe(theirs.global_qconfig)
        mine = {pattern_name(ember, k): _describe(v) for k, v in ours.object_type_qconfigs.items()}
        ref = {pattern_name(torch, k): _describe(v) for k, v in theirs.object_type_qconfigs.items()}
    lacking = {k for k in ref if "3d" in k}  # ConvTranspose3d / conv_transpose3d
    assert set(mine) == set(ref) - lacking
    for k in mine:
        assert mine[k] == ref[k], k
    # one QConfig object shared by all ops with the same fixed-qparams observer, as torch
    assert ours.object_type_qconfigs["sigmoid"] is ours.object_type_qconfigs[ember.nn.Sigmoid]
