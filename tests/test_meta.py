"""The meta device against torch: creation, geometry, views, op results, in-place ops,
conversions, and the errors for data access."""

from __future__ import annotations

import pytest

import ember
from tests.harness import ALL_DTYPES, dtype_name, raises_both, run_both, torch


def _info(t) -> tuple:  # noqa: ANN001
    return (t.device.type, tuple(t.shape), dtype_name(t.dtype))


def both(fn) -> tuple:  # noqa: ANN001
    """fn(module) on ember and torch: same device type, shape and dtype of the result."""
    e, t = fn(ember), fn(torch)
    if isinstance(t, torch.Tensor):
        assert _info(e) == _info(t)
    else:
        assert e == t, (e, t)
    return e, t


@pytest.mark.parametrize("make", [
    lambda m: m.zeros(2, 3, device="meta"),
    lambda m: m.empty(4, device="meta"),
    lambda m: m.empty((2, 0, 3), device="meta"),
    lambda m: m.ones((), device="meta"),
    lambda m: m.full((2, 3), 7, device="meta"),
    lambda m: m.full((2,), True, device="meta"),
    lambda m: m.zeros(2, 3, dtype=m.float16, device="meta"),
    lambda m: m.arange(5, device="meta"),
    lambda m: m.arange(0., 1., 0.25, device="meta"),
    lambda m: m.linspace(0, 1, 7, device="meta"),
    lambda m: m.logspace(0, 1, 7, device="meta"),
    lambda m: m.eye(3, 4, device="meta"),
    lambda m: m.tensor([[1, 2]], device="meta"),
    lambda m: m.empty_strided((2, 3), (3, 1), device="meta"),
    lambda m: m.zeros_like(m.zeros(2, 3), device="meta"),
    lambda m: m.empty_like(m.zeros(2, 3, device="meta")),
    lambda m: m.full_like(m.zeros(2, 3, device="meta"), 2),
    lambda m: m.ones_like(m.zeros(2, 3, device="meta"), dtype=m.int8),
    lambda m: m.zeros(2, 3).to("meta"),
    lambda m: m.zeros(2, 3).to("meta", m.float64),
    lambda m: m.zeros(2, 3).to(device="meta", dtype=m.bfloat16),
])
def test_creation(make) -> None:  # noqa: ANN001
    e, t = both(make)
    assert e.stride() == t.stride()  # contiguous results
    assert e.numel() == t.numel() and e.dim() == t.dim()
    assert e.element_size() == t.element_size() and e.nbytes == t.nbytes
    assert e.data_ptr() == t.data_ptr() == 0
    assert e.is_meta and not e.is_cpu
    assert e.untyped_storage().nbytes() == t.untyped_storage().nbytes()
    assert e.type() == t.type()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_all_dtypes(dtype: str) -> None:
    both(lambda m: m.empty(2, 3, dtype=getattr(m, dtype), device="meta"))


@pytest.mark.parametrize("view", [
    lambda x: x.view(3, 2), lambda x: x.view(-1), lambda x: x.reshape(1, 6),
    lambda x: x.transpose(0, 1), lambda x: x.t(), lambda x: x.permute(1, 0),
    lambda x: x.expand(4, 2, 3), lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(0).squeeze(0),
    lambda x: x.narrow(1, 1, 2), lambda x: x.select(0, 1), lambda x: x.flatten(),
    lambda x: x.detach(), lambda x: x.clone(), lambda x: x.contiguous(),
])
def test_views_keep_shape(view) -> None:  # noqa: ANN001
    both(lambda m: view(m.zeros(2, 3, device="meta")))


@pytest.mark.parametrize("op", [
    lambda m, x: x + 1, lambda m, x: x * 2.5, lambda m, x: x / 2, lambda m, x: -x,
    lambda m, x: x.int() / 2, lambda m, x: x.int() * 2.5, lambda m, x: x.to(m.uint8) + 1,
    lambda m, x: x.to(m.uint8) + m.zeros(3, dtype=m.int8, device="meta"),
    lambda m, x: x + m.zeros(3, dtype=m.float64, device="meta"),
    lambda m, x: x.unsqueeze(-1) + m.zeros(4, device="meta"),
    lambda m, x: x + m.tensor(2.),  # a cpu 0-d tensor mixes with meta, as in torch
    lambda m, x: x.sum(), lambda m, x: x.sum(0), lambda m, x: x.mean(1, keepdim=True),
    lambda m, x: x.to(m.float16), lambda m, x: x.double(), lambda m, x: x.long(),
])
def test_ops_produce_meta(op) -> None:  # noqa: ANN001
    both(lambda m: op(m, m.zeros(2, 3, device="meta")))


@pytest.mark.parametrize("op", [
    lambda m, x: x.fill_(2.), lambda m, x: x.zero_(), lambda m, x: x.add_(1),
    lambda m, x: x.mul_(m.zeros(3, device="meta")), lambda m, x: x.copy_(m.ones(2, 3)),
    lambda m, x: x.copy_(m.ones(3, device="meta")), lambda m, x: x.copy_(m.tensor(1.)),
])
def test_inplace_on_meta(op) -> None:  # noqa: ANN001
    def f(m):  # noqa: ANN001, ANN202
        x = m.zeros(2, 3, device="meta")
        r = op(m, x)
        assert r is x
        return x

    both(f)


def test_autograd_on_meta() -> None:
    def f(m):  # noqa: ANN001, ANN202
        x = m.zeros(2, 3, device="meta", requires_grad=True)
        (x.to(m.float64) * 2).sum().backward()
        return x.grad

    both(f)


@pytest.mark.parametrize("fn", [
    lambda m: m.zeros(1, device="meta").item(),
    lambda m: m.zeros(2, device="meta").item(),
    lambda m: bool(m.zeros(1, device="meta")),
    lambda m: m.zeros(2, device="meta").numpy(),
    lambda m: m.zeros(2, device="meta").to("cpu"),
    lambda m: m.zeros(2, device="meta").cpu(),
    lambda m: m.zeros(2, device="meta").to("cpu", m.float64),
    lambda m: m.ones(2).copy_(m.zeros(2, device="meta")),
    lambda m: m.zeros(2, device="meta") + m.zeros(2),
    lambda m: m.tensor(m.zeros(2, device="meta"), device="cpu"),
])
def test_data_access_raises(fn) -> None:  # noqa: ANN001
    raises_both(fn)


def test_to_cpu_message() -> None:
    e = raises_both(lambda m: m.zeros(2, device="meta").to("cpu"))
    assert isinstance(e, NotImplementedError) and str(e) == "Cannot copy out of meta tensor; no data!"


def test_meta_to_meta_is_self() -> None:
    x = ember.zeros(2, device="meta")
    assert x.to("meta") is x and x.to(ember.float32) is x
    run_both(lambda m: m.zeros(2, device="meta").to("meta").shape)


# Known gaps in ember/_tensor.py (reported): meta tensors hold zero-strided ghosts, so
# is_contiguous() reads False, and tolist() raises RuntimeError where torch raises
# NotImplementedError.
def test_is_contiguous() -> None:
    both(lambda m: m.zeros(2, 3, device="meta").is_contiguous())


def test_tolist_raises_not_implemented() -> None:
    raises_both(lambda m: m.zeros(2, device="meta").tolist())
