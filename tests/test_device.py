"""Devices against torch: parsing, repr/str/eq/hash, errors, CUDA without CuPy, mixed devices,
the default device."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import ember
from ember import _device
from ember.backends import cuda as ember_cuda
from tests.harness import raises_both, torch

GOOD = [("cpu",), ("cuda",), ("cuda:1",), ("cuda:0",), ("meta",), ("cuda", 0), ("cuda", 3),
        ("cpu", 0), ("cpu:0",), ("cpu:1",), ("meta:0",), ("cuda", None), ("mps",), ("xla:2",)]
BAD = [("cuda:-1",), ("cuda", -1), ("gpu",), ("cuda:x",), ("",), ("cuda:1", 2), ("cuda:1", "2"),
       ("cuda", "1"), (" cuda",), ("cuda:01",), ("CUDA",), ("cuda:",), (":1",), ("cuda:1:2",),
       ("cuda: 1",), ("cuda:1 ",), (None,), (1.5,), (True,), (-1,), ("cuda", True),
       ("cuda", 1.0), ("cuda_x",)]


def _same(e, t) -> None:  # noqa: ANN001
    assert e.type == t.type and e.index == t.index
    assert repr(e) == repr(t) and str(e) == str(t)


@pytest.mark.parametrize("args", GOOD, ids=str)
def test_parse(args: tuple) -> None:
    _same(ember.device(*args), torch.device(*args))


@pytest.mark.parametrize("args", BAD, ids=str)
def test_parse_errors(args: tuple) -> None:
    raises_both(lambda m: m.device(*args))


def test_keywords_and_copy_constructor() -> None:
    _same(ember.device(type="cuda", index=2), torch.device(type="cuda", index=2))
    d = ember.device("cuda:1")
    assert ember.device(d) is d
    raises_both(lambda m: m.device(m.device("cuda:1"), 0))
    raises_both(lambda m: m.device("cuda:1", None))


def test_ordinal_means_cuda() -> None:
    # torch maps an int to the current accelerator (CUDA when present); ember always to CUDA.
    _same(ember.device(1), torch.device("cuda", 1))


def test_eq_hash() -> None:
    D = ember.device
    assert D("cuda:1") == D("cuda", 1)
    assert D("cuda") != D("cuda:0")           # no index is not index 0, as in torch
    assert D("cpu") == D("cpu") and not (D("cpu") != D("cpu"))
    assert hash(D("cuda:1")) == hash(D("cuda", 1))
    assert {D("cpu"): 1}[D("cpu")] == 1
    # torch compares devices with strings as unequal; ember does the same
    assert (D("cpu") == "cpu") is (torch.device("cpu") == "cpu") is False
    assert (D("cpu") != "cpu") is (torch.device("cpu") != "cpu") is True
    raises_both(lambda m: m.device("cpu") < m.device("cpu"))


def test_immutable() -> None:
    d = ember.device("cpu")
    with pytest.raises(AttributeError):
        d.type = "cuda"
    with pytest.raises(AttributeError):
        d.index = 1


@pytest.mark.parametrize("s", ["cpu", "cuda", "cuda:3", "meta"])
def test_pickle_copy(s: str) -> None:
    d = ember.device(s)
    for r in (pickle.loads(pickle.dumps(d)), copy.copy(d), copy.deepcopy(d)):
        assert r == d and type(r) is ember.device


def test_tensor_device_attributes() -> None:
    for m in (ember, torch):
        t = m.zeros(2)
        assert t.device == m.device("cpu") and str(t.device) == "cpu"
        assert t.is_cpu and not t.is_cuda and not t.is_meta
        assert t.get_device() == -1
        assert m.zeros(2, device="cpu:0").device == m.device("cpu")
        assert m.zeros(2, device=m.device("cpu", 0)).device == m.device("cpu")
        mt = m.zeros(2, device="meta")
        assert mt.is_meta and mt.device.type == "meta" and not mt.is_cpu


@pytest.mark.skipif(ember_cuda.is_available(), reason="CuPy and a GPU are present")
@pytest.mark.parametrize("make", [
    lambda: ember.zeros(2).to("cuda"),
    lambda: ember.zeros(2).cuda(),
    lambda: ember.zeros(2, device="cuda"),
    lambda: ember.tensor([1., 2.], device="cuda:0"),
    lambda: ember.arange(3, device="cuda"),
    lambda: ember.zeros(2).to(ember.device("cuda", 1)),
])
def test_cuda_without_cupy_says_how_to_get_it(make) -> None:  # noqa: ANN001
    with pytest.raises(RuntimeError, match="CuPy") as info:
        make()
    assert "pip install cupy" in str(info.value)
    assert not ember_cuda.is_available()


def test_unbacked_device_types_raise() -> None:
    with pytest.raises(RuntimeError):
        ember.zeros(2, device="mps")
    with pytest.raises(RuntimeError):
        ember.zeros(2).to("xla")


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: b + a, lambda a, b: ember.add(a, b),
    lambda a, b: a * b, lambda a, b: b.sub(a),
])
def test_mixed_devices_raise(op) -> None:  # noqa: ANN001
    a = ember.zeros(2, device="meta")
    b = ember.zeros(2)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device") as e:
        op(a, b)
    assert "meta" in str(e.value) and "cpu" in str(e.value)
    with pytest.raises(RuntimeError):
        op(torch.zeros(2, device="meta"), torch.zeros(2))


def test_cpu_zero_dim_mixes_with_meta_like_torch() -> None:
    for m in (ember, torch):
        r = m.zeros(2, 3, device="meta") + m.tensor(2.)
        assert r.device.type == "meta" and tuple(r.shape) == (2, 3)


def test_default_device_context() -> None:
    with ember.device("meta"):
        assert ember.zeros(2).device.type == "meta"
        assert ember.empty(2, 3).device.type == "meta"
        assert ember.ones(2).device.type == "meta"
        assert ember.full((2,), 1.).device.type == "meta"
        assert ember.tensor([1.]).device.type == "meta"
        assert ember.arange(3).device.type == "meta"
        assert ember.linspace(0, 1, 3).device.type == "meta"
        assert ember.eye(2).device.type == "meta"
        assert ember.as_tensor([1.]).device.type == "meta"
        assert ember.from_numpy(np.zeros(2)).device.type == "cpu"  # as torch
        assert ember.zeros_like(ember.zeros(1, device="cpu")).device.type == "cpu"
        assert ember.zeros(2, device="cpu").device.type == "cpu"
        with ember.device("cpu"):
            assert ember.zeros(2).device.type == "cpu"
        assert ember.zeros(2).device.type == "meta"
        assert _device.get_default_device() == ember.device("meta")
    assert ember.zeros(2).device.type == "cpu"
    assert _device.get_default_device() == ember.device("cpu")


def test_set_default_device() -> None:
    try:
        _device.set_default_device("meta")
        assert ember.zeros(1).device.type == "meta"
        assert _device.get_default_device() == ember.device("meta")
    finally:
        _device.set_default_device(None)
    assert ember.zeros(1).device.type == "cpu"
