"""Eager workflow mechanics against torch: qconfig propagation, where observers go, what
convert swaps, quantize_dynamic/QuantWrapper/add_quant_dequant structure, hooks, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ember
import ember.ao.quantization as eq
from tests.ao.quantization.qmodels import FUSE, copy_weights, mlp, static_net

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation",
                                        "ignore:.*TypedStorage", "ignore::DeprecationWarning")


def _names(m, pred):
    return sorted(n for n, c in m.named_modules() if pred(c))


def _types(m):
    return [(n, type(c).__name__) for n, c in m.named_modules()
            if "activation_post_process" not in n]


def test_legacy_namespace_is_the_same():
    for name in ("quantize_dynamic", "prepare", "convert", "prepare_qat", "QuantStub",
                 "DeQuantStub", "fuse_modules", "get_default_qconfig", "quantize"):
        assert getattr(ember.quantization, name) is getattr(eq, name)
    assert ember.nn.quantized.Linear is ember.ao.nn.quantized.Linear
    assert ember.nn.quantized.dynamic.Linear is ember.ao.nn.quantized.dynamic.Linear
    assert ember.nn.intrinsic.ConvReLU2d is ember.ao.nn.intrinsic.ConvReLU2d
    assert ember.nn.qat.Linear is ember.ao.nn.qat.Linear


def test_propagate_qconfig_by_type_and_name():
    t, e = mlp(torch), mlp(ember)
    tq.propagate_qconfig_(t, {torch.nn.Linear: tq.default_qconfig, "3": tq.default_qconfig})
    eq.propagate_qconfig_(e, {ember.nn.Linear: eq.default_qconfig, "3": eq.default_qconfig})
    has = lambda c: getattr(c, "qconfig", None) is not None  # noqa: E731
    assert _names(e, has) == _names(t, has)


def test_prepare_places_observers_like_torch():
    t, e = static_net(torch), static_net(ember)
    for m, q in ((t, tq), (e, eq)):
        m.eval()
        m.qconfig = q.get_default_qconfig("fbgemm")
        q.fuse_modules(m, FUSE, inplace=True)
        q.prepare(m, inplace=True)
    has = lambda c: hasattr(c, "activation_post_process")  # noqa: E731
    assert _names(e, has) == _names(t, has)
    assert _types(e) == _types(t)
    assert repr(e).replace("ember.", "torch.") == repr(t)


def test_convert_swaps_like_torch_and_removes_qconfig():
    t, e = static_net(torch), static_net(ember)
    copy_weights(t, e)
    x = np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32)
    for m, q, xx in ((t, tq, torch.from_numpy(x)), (e, eq, ember.from_numpy(x))):
        m.eval()
        m.qconfig = q.get_default_qconfig("fbgemm")
        q.fuse_modules(m, FUSE, inplace=True)
        q.prepare(m, inplace=True)
        m(xx)
    ct, ce = tq.convert(t), eq.convert(e)
    assert _types(ce) == _types(ct)
    assert not any(hasattr(c, "qconfig") for c in ce.modules())
    # scales come from float activations: compare them to 4 digits, the rest exactly
    assert _rounded(repr(ce).replace("ember.", "torch.")) == _rounded(repr(ct))
    # not in place: the observed model still has its observers
    assert hasattr(e.conv, "activation_post_process")


def _rounded(text):
    return re.sub(r"\d+\.\d+(e-?\d+)?", lambda m: f"{float(m.group()):.4g}", text)


def test_quantize_dynamic_structure_and_repr():
    t, e = mlp(torch), mlp(ember)
    qt = tq.quantize_dynamic(t, {torch.nn.Linear}, dtype=torch.qint8)
    qe = ember.quantization.quantize_dynamic(e, {ember.nn.Linear}, dtype=ember.qint8)
    assert repr(qe).replace("ember.", "torch.") == repr(qt)
    qt16 = tq.quantize_dynamic(t, {torch.nn.Linear}, dtype=torch.float16)
    qe16 = eq.quantize_dynamic(e, {ember.nn.Linear}, dtype=ember.float16)
    assert repr(qe16).replace("ember.", "torch.") == repr(qt16)
    qt_default = tq.quantize_dynamic(t)
    qe_default = eq.quantize_dynamic(e)
    assert _types(qe_default) == _types(qt_default)
    with pytest.raises(ValueError, match="Provide full qconfig"):
        eq.quantize_dynamic(e, None, dtype=ember.qint32)


def test_quant_wrapper_and_add_quant_dequant():
    t = tq.add_quant_dequant(_with_qconfig(mlp(torch), tq))
    e = eq.add_quant_dequant(_with_qconfig(mlp(ember), eq))
    assert _types(e) == _types(t)
    w = eq.QuantWrapper(ember.nn.Linear(2, 2))
    assert [n for n, _ in w.named_children()] == ["quant", "dequant", "module"]


def _with_qconfig(m, q):
    for c in m.modules():
        if not list(c.children()):
            c.qconfig = q.default_qconfig
    return m


def test_missing_quant_stub_names_the_module():
    e = ember.nn.Sequential(ember.nn.Linear(4, 4))
    e.eval()
    e.qconfig = eq.get_default_qconfig("fbgemm")
    eq.prepare(e, inplace=True)
    e(ember.randn(3, 4))
    eq.convert(e, inplace=True)
    with pytest.raises(RuntimeError, match="QuantizedLinear.*float tensor.*QuantStub"):
        e(ember.randn(3, 4))


def test_swap_module_keeps_user_hooks():
    e = ember.nn.Sequential(eq.QuantStub(), ember.nn.Linear(4, 4), eq.DeQuantStub())
    e.eval()
    e.qconfig = eq.get_default_qconfig("fbgemm")
    eq.prepare(e, inplace=True)
    seen = []
    e[1].register_forward_hook(lambda m, i, o: seen.append(type(m).__name__))
    e(ember.randn(3, 4))
    eq.convert(e, inplace=True)
    e(ember.randn(3, 4))
    assert seen == ["Linear", "Linear"]
    assert type(e[1]).__name__ == "Linear" and e[1]._get_name() == "QuantizedLinear"


def test_prepare_qat_needs_training_mode_and_swaps():
    t, e = static_net(torch), static_net(ember)
    for m, q in ((t, tq), (e, eq)):
        m.train()
        m.qconfig = q.get_default_qat_qconfig("fbgemm")
        q.fuse_modules_qat(m, FUSE, inplace=True)
        q.prepare_qat(m, inplace=True)
    assert _types(e) == _types(t)
    assert repr(e).replace("ember.", "torch.") == repr(t)
    with pytest.raises(AssertionError, match="training mode"):
        eq.prepare_qat(static_net(ember).eval())
