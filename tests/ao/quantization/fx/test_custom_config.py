"""PrepareCustomConfig / ConvertCustomConfig / FuseCustomConfig against torch's."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.ao.quantization.fx.custom_config import (
    ConvertCustomConfig,
    FuseCustomConfig,
    PrepareCustomConfig,
)

from .canon import node_kinds
from .models import build_pair

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
tqfx = pytest.importorskip("torch.ao.quantization.quantize_fx")
tcc = pytest.importorskip("torch.ao.quantization.fx.custom_config")


def _configs(fw_cc: Any, fw: Any) -> tuple[Any, Any, Any]:
    p = fw_cc.PrepareCustomConfig()
    p.set_non_traceable_module_names(["a"]).set_non_traceable_module_classes([fw.nn.ReLU])
    p.set_input_quantized_indexes([0]).set_output_quantized_indexes([0])
    p.set_preserved_attributes(["x"]).set_float_to_observed_mapping(fw.nn.Linear, fw.nn.Conv1d)
    c = fw_cc.ConvertCustomConfig().set_observed_to_quantized_mapping(fw.nn.Conv1d, fw.nn.Linear)
    c.set_preserved_attributes(["y"])
    f = fw_cc.FuseCustomConfig().set_preserved_attributes(["z"])
    return p, c, f


def _names(d: Any, fw: Any) -> Any:
    """Classes replaced by their names, to compare dicts across frameworks."""
    if isinstance(d, dict):
        return (
            {k: _names(v, fw) for k, v in d.items()}
            if all(isinstance(k, str) for k in d)
            else {_names(k, fw): _names(v, fw) for k, v in d.items()}
        )
    if isinstance(d, (list, tuple)):
        return type(d)(_names(x, fw) for x in d)
    if isinstance(d, type):
        return d.__name__
    return d


def test_dicts_match_torch() -> None:
    import ember.ao.quantization.fx.custom_config as ecc

    for ours, theirs in zip(_configs(ecc, ember), _configs(tcc, torch)):
        assert _names(ours.to_dict(), ember) == _names(theirs.to_dict(), torch)
        again = type(ours).from_dict(ours.to_dict())
        assert again.to_dict() == ours.to_dict()
    assert PrepareCustomConfig().to_dict() == {} and ConvertCustomConfig().to_dict() == {}
    assert FuseCustomConfig().to_dict() == {}
    assert repr(PrepareCustomConfig().set_input_quantized_indexes([0])) == (
        "PrepareCustomConfig({'input_quantized_indexes': [0]})"
    )
    with pytest.raises(ValueError, match="static"):
        from ember.ao.quantization.quant_type import QuantType

        PrepareCustomConfig().set_float_to_observed_mapping(
            ember.nn.Linear, ember.nn.Linear, QuantType.DYNAMIC
        )


def _make_untraceable(torch: Any) -> Any:
    nn = torch.nn

    class DataDependent(nn.Module):
        def forward(self, x: Any) -> Any:
            if x.sum() > 0:  # not symbolically traceable
                return x * 2
            return x - 1

    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = nn.Linear(8, 8)
            self.dd = DataDependent()
            self.fc2 = nn.Linear(8, 4)
            self.kept = 3

        def forward(self, x: Any) -> Any:
            return self.fc2(self.dd(self.fc1(x)))

    return M()


def _pair(make: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    tm = make(torch).eval()
    em = make(ember)
    em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    return em.eval(), tm


@pytest.mark.parametrize("by", ["name", "class"])
def test_non_traceable_module_stays_float(by: str) -> None:
    pytest.importorskip("ember.ao.quantization.qconfig")
    from ember.ao.quantization import get_default_qconfig_mapping
    from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx

    em, tm = _pair(_make_untraceable)
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)

    def cfg(cc: Any, model: Any) -> Any:
        c = cc.PrepareCustomConfig().set_preserved_attributes(["kept"])
        if by == "name":
            return c.set_non_traceable_module_names(["dd"])
        return c.set_non_traceable_module_classes([type(model.dd)])

    import ember.ao.quantization.fx.custom_config as ecc

    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), (ember.from_numpy(x),), cfg(ecc, em))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.get_default_qconfig_mapping("x86"), (torch.from_numpy(x),), cfg(tcc, tm)
        )
    ke = node_kinds(ember, pe)
    assert ("call_module", "DataDependent") in ke
    assert ke == node_kinds(torch, pt)
    assert pe.kept == 3
    pe(ember.from_numpy(x))
    pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    ye, yt = ce(ember.from_numpy(x)).numpy(), ct(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ye, yt, rtol=1e-5, atol=1e-6)


def test_quantized_inputs_and_outputs() -> None:
    pytest.importorskip("ember.ao.quantization.qconfig")
    import ember.ao.quantization.fx.custom_config as ecc
    from ember.ao.quantization import get_default_qconfig_mapping
    from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx

    em, tm, data = build_pair("mlp")

    def cfg(cc: Any) -> Any:
        return (
            cc.PrepareCustomConfig()
            .set_input_quantized_indexes([0])
            .set_output_quantized_indexes([0])
        )

    pe = prepare_fx(em, get_default_qconfig_mapping("x86"), (ember.from_numpy(data[0]),), cfg(ecc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm, tq.get_default_qconfig_mapping("x86"), (torch.from_numpy(data[0]),), cfg(tcc)
        )
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    for x in data:
        pe(ember.from_numpy(x))
        pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    kinds = node_kinds(ember, ce)
    assert kinds == node_kinds(torch, ct)
    assert ("call_function", "torch.quantize_per_tensor") not in kinds[:3]
    qe = ember.quantize_per_tensor(ember.from_numpy(data[1]), 0.05, 128, ember.quint8)
    qt = torch.quantize_per_tensor(torch.from_numpy(data[1]), 0.05, 128, torch.quint8)
    oe, ot = ce(qe), ct(qt)
    assert oe.is_quantized and ot.is_quantized
    np.testing.assert_array_equal(oe.int_repr().numpy(), ot.int_repr().numpy())


def _custom_classes(fw: Any) -> tuple[Any, Any, Any, Any]:
    nn = fw.nn

    class Custom(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(8, 8)

        def forward(self, x: Any) -> Any:
            return self.lin(x) * 2

    class ObservedCustom(Custom):
        @classmethod
        def from_float(cls, m: Any) -> Any:
            o = cls()
            o.lin, o.qconfig = m.lin, m.qconfig
            return o

    class QuantizedCustom(nn.Module):
        @classmethod
        def from_observed(cls, m: Any) -> Any:
            q = cls()
            q.lin = m.lin
            s, z = m.activation_post_process.calculate_qparams()
            q.s, q.z = float(s), int(z)
            return q

        def forward(self, x: Any) -> Any:
            assert x.is_quantized  # the dequantize before a static custom module is dropped
            y = self.lin(x.dequantize()) * 2
            return fw.quantize_per_tensor(y, self.s, self.z, fw.quint8)

    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 8)
            self.custom = Custom()
            self.out = nn.Linear(8, 2)

        def forward(self, x: Any) -> Any:
            return self.out(self.custom(self.fc(x)))

    return M, Custom, ObservedCustom, QuantizedCustom


def test_custom_module_classes() -> None:
    pytest.importorskip("ember.ao.quantization.qconfig")
    import ember.ao.quantization.fx.custom_config as ecc
    from ember.ao.quantization import get_default_qconfig_mapping
    from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx

    E, T = _custom_classes(ember), _custom_classes(torch)
    em, tm = _pair(lambda fw: (E if fw is ember else T)[0]())
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    pe = prepare_fx(
        em,
        get_default_qconfig_mapping("x86"),
        (ember.from_numpy(x),),
        ecc.PrepareCustomConfig().set_float_to_observed_mapping(E[1], E[2]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm,
            tq.get_default_qconfig_mapping("x86"),
            (torch.from_numpy(x),),
            tcc.PrepareCustomConfig().set_float_to_observed_mapping(T[1], T[2]),
        )
    assert type(pe.custom) is E[2] and type(pt.custom) is T[2]
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    pe(ember.from_numpy(x))
    pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce = convert_fx(pe, ecc.ConvertCustomConfig().set_observed_to_quantized_mapping(E[2], E[3]))
        ct = tqfx.convert_fx(
            pt, tcc.ConvertCustomConfig().set_observed_to_quantized_mapping(T[2], T[3])
        )
    assert type(ce.custom) is E[3]
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    with torch.no_grad():
        np.testing.assert_allclose(
            ce(ember.from_numpy(x)).numpy(), ct(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-6
        )


def _standalone_model(fw: Any) -> tuple[Any, Any]:
    nn = fw.nn

    class Standalone(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1)
            self.lin = nn.Linear(6, 6)

        def forward(self, x: Any) -> Any:
            return self.lin(self.conv(x))

    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 4, 3)
            self.sm = Standalone()
            self.conv2 = nn.Conv2d(4, 2, 1)

        def forward(self, x: Any) -> Any:
            return self.conv2(self.sm(self.conv(x)))

    return M(), Standalone


@pytest.mark.parametrize("quantized_io", [True, False])
@pytest.mark.parametrize("by", ["name", "class"])
def test_standalone_modules(by: str, quantized_io: bool) -> None:
    """A standalone submodule is prepared and converted as its own graph; with quantized
    input/output indexes it takes and returns quantized tensors."""
    pytest.importorskip("ember.ao.quantization.qconfig")
    import ember.ao.quantization.fx.custom_config as ecc
    from ember.ao.quantization import get_default_qconfig_mapping
    from ember.ao.quantization.quantize_fx import convert_fx, prepare_fx

    torch.manual_seed(0)
    tm, t_cls = _standalone_model(torch)
    em, e_cls = _standalone_model(ember)
    em.load_state_dict(
        {k: ember.from_numpy(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    )
    em.eval()
    tm.eval()
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((2, 2, 8, 8)).astype(np.float32) for _ in range(3)]

    def cfg(cc: Any, cls: Any, fw: Any) -> Any:
        sub = cc.PrepareCustomConfig()
        if quantized_io:
            sub.set_input_quantized_indexes([0]).set_output_quantized_indexes([0])
        ex = (fw.from_numpy(np.zeros((2, 4, 6, 6), np.float32)),)
        if by == "name":
            return cc.PrepareCustomConfig().set_standalone_module_name("sm", None, ex, sub, None)
        return cc.PrepareCustomConfig().set_standalone_module_class(cls, None, ex, sub, None)

    pe = prepare_fx(
        em, get_default_qconfig_mapping(), (ember.from_numpy(data[0]),), cfg(ecc, e_cls, ember)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = tqfx.prepare_fx(
            tm,
            tq.get_default_qconfig_mapping(),
            (torch.from_numpy(data[0]),),
            cfg(tcc, t_cls, torch),
        )
    assert node_kinds(ember, pe) == node_kinds(torch, pt)
    assert node_kinds(ember, pe.sm) == node_kinds(torch, pt.sm)
    with torch.no_grad():
        for x in data:
            pe(ember.from_numpy(x))
            pt(torch.from_numpy(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ce, ct = convert_fx(pe), tqfx.convert_fx(pt)
    assert node_kinds(ember, ce) == node_kinds(torch, ct)
    assert node_kinds(ember, ce.sm) == node_kinds(torch, ct.sm)
    with torch.no_grad():
        ye, yt = ce(ember.from_numpy(data[1])).numpy(), ct(torch.from_numpy(data[1])).numpy()
    step = float(np.abs(yt).max()) / 127
    assert np.abs(ye - yt).max() <= step
    assert np.count_nonzero(np.abs(ye - yt) > 1e-6) <= max(1, 0.02 * ye.size)
