"""Copies and conversions against torch, beyond the OpInfo rows: to() overloads and identity,
type strings, layouts, clone/contiguous, copy_, fill_/zero_, gradients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from tests.harness import ALL_DTYPES, assert_close, raises_both, run_both, torch

# ----------------------------------------------------------------------------- to()


def test_to_returns_self_when_nothing_changes() -> None:
    for m in (ember, torch):
        x = m.zeros(2, 3)
        for r in (x.to(m.float32), x.to("cpu"), x.to(m.device("cpu")), x.to("cpu", m.float32),
                  x.to(m.zeros(1)), x.to(dtype=m.float32), x.to(device="cpu"), x.to(),
                  x.float(), x.cpu(), x.type(m.float32), x.type_as(m.zeros(1)),
                  x.to(m.float32, copy=False), x.contiguous()):
            assert r is x


def test_to_copy() -> None:
    for m in (ember, torch):
        x = m.arange(6.).reshape(2, 3)
        for y in (x.to(m.float32, copy=True), x.to("cpu", copy=True), x.to(copy=True),
                  x.to(m.float32, False, True), x.to("cpu", m.float32, False, True),
                  x.to(x, False, True)):
            assert y is not x and y.data_ptr() != x.data_ptr()
            assert y.tolist() == x.tolist() and y.dtype == x.dtype


def test_to_overloads() -> None:
    run_both(lambda m: m.zeros(2).to(m.float64))
    run_both(lambda m: m.zeros(2).to("cpu", m.int32))
    run_both(lambda m: m.zeros(2).to(m.device("cpu"), dtype=m.int8))
    run_both(lambda m: m.zeros(2).to(dtype=m.int32, device="cpu"))
    run_both(lambda m: m.zeros(2).to(m.zeros(1, dtype=m.int32)))
    run_both(lambda m: m.zeros(2).to(m.zeros(1, dtype=m.int32), False, True))
    run_both(lambda m: m.zeros(2).to(m.float16, non_blocking=True))
    run_both(lambda m: m.zeros(2).to("meta").device.type)
    run_both(lambda m: m.zeros(2).to(None, m.float64))


@pytest.mark.parametrize("call", [
    lambda m, x: x.to(m.float32, "x"), lambda m, x: x.to(m.float64, dtype=m.int32),
    lambda m, x: x.to(foo=1), lambda m, x: x.to(m.float32, False, True, True),
    lambda m, x: x.to("cpu", "cpu"), lambda m, x: x.to(m.float32, copy=True, non_blocking=1,
                                                       foo=2),
    lambda m, x: x.to("gpu"), lambda m, x: x.to(m.zeros(1), dtype=m.float64),
])
def test_to_bad_arguments(call) -> None:  # noqa: ANN001
    raises_both(lambda m: call(m, m.zeros(2)))


@pytest.mark.parametrize("src", ALL_DTYPES)
def test_to_all_pairs(src: str) -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(-300, 300, (3, 5)).astype(np.float32)
    for dst in ALL_DTYPES:
        run_both(lambda m, d=dst: m.tensor(a).to(getattr(m, src)).to(getattr(m, d)),
                 rtol=0, atol=0)


def test_float_to_int_special_values_without_warnings() -> None:
    vals = [float("nan"), float("inf"), -float("inf"), 1e10, -1e10, 300., -300., 2.7, -2.7, 255.9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for d in ("int64", "int32", "int16", "int8", "uint8", "bool", "float16", "bfloat16"):
            run_both(lambda m, d=d: m.tensor(vals).to(getattr(m, d)), rtol=0, atol=0)
            run_both(lambda m, d=d: m.tensor(vals, dtype=m.float64).to(getattr(m, d)),
                     rtol=0, atol=0)
        run_both(lambda m: m.tensor([1e39, 3.4e38], dtype=m.float64).float(), rtol=0, atol=0)
        run_both(lambda m: m.tensor([70000., 65519.9, 65520.]).half(), rtol=0, atol=0)
        run_both(lambda m: m.tensor([2**63 - 1, 2**31, 257, -1]).to(m.int32), rtol=0, atol=0)
        run_both(lambda m: m.tensor([-1, 256]).to(m.uint8), rtol=0, atol=0)


def test_complex_to_real_discards_imaginary() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns once per process; ember does not
        for d in ("float32", "float64", "int64", "bool", "float16"):
            run_both(lambda m, d=d: m.tensor([1 + 2j, -3.5 - 1j, 1j]).to(getattr(m, d)),
                     rtol=0, atol=0)


@pytest.mark.parametrize("src", [
    lambda m: m.ones(2, 3).t(), lambda m: m.ones(2, 3, 4).permute(2, 0, 1),
    lambda m: m.ones(3).expand(2, 3), lambda m: m.ones(4, 6).t().narrow(0, 1, 2),
    lambda m: m.ones(2, 1, 4).permute(2, 0, 1), lambda m: m.ones(3, 1, 4).expand(3, 5, 4),
])
def test_conversion_layouts(src) -> None:  # noqa: ANN001
    for f in (lambda m, x: x.to(m.float64), lambda m, x: x.to(m.float32, copy=True),
              lambda m, x: x.clone(), lambda m, x: x.double(), lambda m, x: x.int(),
              lambda m, x: x.contiguous(), lambda m, x: x.to("meta").stride() and x.clone()):
        run_both(lambda m, f=f: f(m, src(m)), check_stride=True)


def test_memory_format_contiguous() -> None:
    # ember has no memory_format objects yet; any value whose str says contiguous_format works
    e = ember.ones(2, 3).t()
    t = torch.ones(2, 3).t()
    for fe, ft in ((e.clone(memory_format="ember.contiguous_format"),
                    t.clone(memory_format=torch.contiguous_format)),
                   (e.to(memory_format="ember.contiguous_format"),
                    t.to(memory_format=torch.contiguous_format)),
                   (e.float(memory_format="ember.contiguous_format"),
                    t.float(memory_format=torch.contiguous_format))):
        assert fe.stride() == ft.stride()  # float() of a float32 tensor is self: (1, 2)
    c = ember.ones(2, 3).t()
    assert c.to(memory_format="ember.contiguous_format") is c  # no conversion: self, as torch
    assert c.double(memory_format="ember.contiguous_format").stride() == \
        torch.ones(2, 3).t().double(memory_format=torch.contiguous_format).stride()
    with pytest.raises(NotImplementedError):
        c.clone(memory_format="ember.channels_last")


# ----------------------------------------------------------------------------- type()
@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_type_strings(dtype: str) -> None:
    run_both(lambda m: m.zeros(2, dtype=getattr(m, dtype)).type())
    run_both(lambda m: m.zeros(2, dtype=getattr(m, dtype), device="meta").type())


def test_type_conversions() -> None:
    run_both(lambda m: m.zeros(2, 3).type(m.float64))
    for s in ("torch.DoubleTensor", "torch.LongTensor", "torch.BoolTensor", "torch.HalfTensor",
              "torch.BFloat16Tensor", "torch.ComplexFloatTensor", "torch.ByteTensor"):
        run_both(lambda m, s=s: m.arange(3.).type(s))
    for bad in ("torch.Foo", "DoubleTensor", "float64", "torch.float64", "torch.mps.FloatTensor"):
        raises_both(lambda m, b=bad: m.zeros(2).type(b))
    raises_both(lambda m: m.zeros(2).type(3))


# ----------------------------------------------------------------------------- clone/contiguous
def test_clone_and_contiguous() -> None:
    for m in (ember, torch):
        x = m.arange(6.).reshape(2, 3)
        c = x.clone()
        assert c.data_ptr() != x.data_ptr() and c.tolist() == x.tolist()
        c.fill_(0.)
        assert x.tolist()[0][1] == 1.
        t = x.t()
        assert not t.is_contiguous()
        tc = t.contiguous()
        assert tc.is_contiguous() and tc.data_ptr() != t.data_ptr()
        assert tc.tolist() == t.tolist()
        assert x.contiguous() is x
    run_both(lambda m: m.arange(6.).reshape(2, 3).t().contiguous().stride())


def test_clone_contiguous_gradients() -> None:
    run_both(lambda m, x: x.clone() * m.arange(12.).reshape(3, 4), np.ones((3, 4)), grad=True)
    run_both(lambda m, x: x.t().contiguous() * 2, np.ones((3, 4)), grad=True)
    run_both(lambda m, x: (x.clone().grad_fn is not None, x.t().contiguous().grad_fn.name()
                           if m is ember else x.t().contiguous().grad_fn.name()),
             np.ones((3, 4)), grad=True)


def test_gradients_through_to() -> None:
    for d in ("float32", "float16", "bfloat16", "float64"):
        run_both(lambda m, x, d=d: x.to(getattr(m, d)) * 3, np.arange(4.), grad=True)
    run_both(lambda m, x: x.float().double() * x, np.arange(4.), grad=True)
    for m in (ember, torch):
        x = m.ones(3, dtype=m.float64, requires_grad=True)
        i = x.long()
        assert not i.requires_grad and i.grad_fn is None
        b = x.to(m.bool)
        assert not b.requires_grad
        y = x.to(m.float32)
        assert y.requires_grad and not y.is_leaf
        y.sum().backward()
        assert x.grad.dtype == m.float64 and x.grad.tolist() == [1., 1., 1.]


def test_detach_() -> None:
    for m in (ember, torch):
        y = m.ones(2, requires_grad=True) * 2
        assert y.detach_() is y and not y.requires_grad and y.grad_fn is None


# ----------------------------------------------------------------------------- copy_
def test_copy_() -> None:
    def f(m):  # noqa: ANN001, ANN202
        x = m.zeros(2, 3)
        v = x._version
        r = x.copy_(m.tensor([1, 2, 3]))
        assert r is x and x._version > v
        return x

    run_both(f)
    run_both(lambda m: m.zeros(3).copy_(m.tensor(5.)))
    run_both(lambda m: m.zeros(3, dtype=m.uint8).copy_(m.tensor([300., -1, 2.5])))
    run_both(lambda m: m.zeros(3, dtype=m.int32).copy_(m.tensor([1.7, -1.7, 1e10])))
    run_both(lambda m: m.zeros(2, 3).t().copy_(m.arange(6.).reshape(3, 2)))
    run_both(lambda m: m.zeros(3, dtype=m.bfloat16).copy_(m.tensor([1.1, 2.2, 3.3])))
    run_both(lambda m: m.zeros(3, dtype=m.complex64).copy_(m.tensor([1, 2, 3])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_both(lambda m: m.zeros(3).copy_(m.tensor([1 + 2j, 2, 3])))

    def overlap(m):  # noqa: ANN001, ANN202
        x = m.arange(6.)
        x.narrow(0, 1, 5).copy_(x.narrow(0, 0, 5))
        return x

    raises_both(overlap)  # partial overlap of dense views is refused
    run_both(lambda m: m.arange(6.).copy_(m.arange(6.)))

    def same(m):  # noqa: ANN001, ANN202
        x = m.arange(6.)
        return x.copy_(x)  # full overlap is allowed

    run_both(same)

    def interleaved(m):  # noqa: ANN001, ANN202
        x = m.arange(6.)
        x.as_strided((3,), (2,)).copy_(x.as_strided((3,), (2,), 1))
        return x

    run_both(interleaved)


def test_copy_between_devices() -> None:
    x = ember.zeros(2, 3, device="meta")
    assert x.copy_(ember.ones(2, 3)) is x and x.device.type == "meta"
    raises_both(lambda m: m.ones(2).copy_(m.zeros(2, device="meta")))


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(2, 3).copy_(m.tensor([1, 2])),
    lambda m: m.zeros(3).copy_(m.zeros(2, 3)),
    lambda m: m.zeros(3).copy_([1, 2, 3]),
    lambda m: m.zeros(1).expand(3).copy_(m.ones(3)),
    lambda m: m.ones(2, requires_grad=True).copy_(m.zeros(2)),
])
def test_copy_errors(call) -> None:  # noqa: ANN001
    raises_both(call)


def test_copy_gradients() -> None:
    def f(m, src):  # noqa: ANN001, ANN202
        dst = m.zeros(2, 3, dtype=m.float64)
        dst.copy_(src)
        return dst * m.arange(6., dtype=m.float64).reshape(2, 3)

    run_both(f, np.arange(3.), grad=True)  # broadcast source: gradient summed back

    def g(m, a, src):  # noqa: ANN001, ANN202
        dst = a * 1
        dst.narrow(1, 0, 2).copy_(src)
        return dst * 2

    run_both(g, np.ones((2, 3)), np.full((2, 2), 5.), grad=True)


# ----------------------------------------------------------------------------- fill_/zero_
@pytest.mark.parametrize("value,dtype", [
    (2.5, "float32"), (2.7, "int64"), (-2.7, "int32"), (300, "uint8"), (-1, "uint8"),
    (2.7, "uint8"), (1j, "uint8"), (1j, "float32"), (1j, "complex64"), (1e300, "float32"),
    (float("nan"), "int32"), (float("nan"), "float16"), (2.5, "bool"), (0, "bool"),
    (True, "float64"), (np.float64(1.5), "float32"), (2**63, "int64"), (1.5, "bfloat16"),
])
def test_fill_values(value, dtype: str) -> None:  # noqa: ANN001
    def f(m):  # noqa: ANN001, ANN202
        x = m.zeros(3, dtype=getattr(m, dtype))
        v = x._version
        assert x.fill_(value) is x and x._version > v
        return x

    try:
        t = f(torch)
    except Exception:  # noqa: BLE001
        raises_both(f)
        return
    assert_close(f(ember), t, rtol=0, atol=0)


def test_fill_tensor_values_and_zero() -> None:
    run_both(lambda m: m.zeros(2).fill_(m.tensor(3)))
    run_both(lambda m: m.zeros(2, 3).t().fill_(m.tensor(4.5)))
    run_both(lambda m: m.ones(2, 3).zero_())
    run_both(lambda m: m.ones(2, 3, dtype=m.int8).zero_())
    raises_both(lambda m: m.zeros(2).fill_(m.tensor([3., 4.])))
    raises_both(lambda m: m.zeros(2).fill_(m.tensor([3.])))
    raises_both(lambda m: m.zeros(2).fill_("a"))
    raises_both(lambda m: m.ones(2, requires_grad=True).fill_(1.))


@pytest.mark.xfail(strict=True, reason="ember refuses in-place writes to expanded tensors "
                   "(read-only NumPy views); torch allows fill_ on them")
def test_fill_expanded() -> None:
    run_both(lambda m: m.zeros(1).expand(3).fill_(1.))


def test_fill_gradients() -> None:
    def f(m, x, v):  # noqa: ANN001, ANN202
        y = x * 2
        y.narrow(0, 0, 1).fill_(v.sum())
        return y * 3

    run_both(f, np.arange(4.), np.array([1.5]), grad=True)

    def g(m, x):  # noqa: ANN001, ANN202
        y = x * 2
        y.fill_(7.)
        return y

    run_both(g, np.arange(4.), grad=True)
