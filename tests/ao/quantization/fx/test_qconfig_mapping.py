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
