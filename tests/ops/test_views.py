"""Views share storage (rule 5), report torch's strides, and raise torch's errors."""

import numpy as np
import pytest

import ember
from tests.harness import run_both, torch


def a(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


VIEWS = [
    lambda m, x: x.view(4, 6),
    lambda m, x: x.transpose(0, 2),
    lambda m, x: x.permute(1, 2, 0),
    lambda m, x: x.unsqueeze(1),
    lambda m, x: x[0] if m is torch else x.select(0, 0),
    lambda m, x: x.narrow(2, 1, 2),
    lambda m, x: x.expand(3, 2, 3, 4),
    lambda m, x: x.diagonal(0, 1, 2),
    lambda m, x: x.unfold(2, 2, 1),
    lambda m, x: x.as_strided((2, 2), (4, 1), 3),
    lambda m, x: x.t() if x.dim() <= 2 else x.mT,
    lambda m, x: x.movedim(0, 2),
    lambda m, x: x.split(1, 1)[1],
    lambda m, x: x.chunk(2, 2)[1],
    lambda m, x: x.unbind(1)[2],
    lambda m, x: x.flatten(1),
    lambda m, x: x.view(ember.int32 if m is ember else torch.int32),
]


@pytest.mark.parametrize("i", range(len(VIEWS)))
def test_views_share_storage_with_torch_strides_and_offsets(i):
    fn = VIEWS[i]
    def f(m, x):
        v = fn(m, x)
        assert v.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
        assert v._version == x._version
        return v.stride(), v.storage_offset(), tuple(v.shape), v.is_contiguous()

    run_both(f, a(2, 3, 4))


def test_write_through_view_is_visible_in_base():
    x = ember.zeros(3, 4)
    x.select(0, 1).fill_(5)
    x.narrow(1, 3, 1).add_(1)
    x.t().select(0, 0).mul_(0)
    expected = np.zeros((3, 4), np.float32)
    expected[1] = 5
    expected[:, 3] += 1
    expected[:, 0] = 0
    np.testing.assert_array_equal(x.numpy(), expected)


def test_view_incompatible_strides_raises_and_reshape_copies():
    for m in (ember, torch):
        x = m.tensor(a(2, 3, 4)).transpose(0, 1)
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            x.view(24)
        y = x.reshape(24)
        assert y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()
        z = m.tensor(a(2, 3, 4)).reshape(6, 4)
        assert z._base is not None


def test_expand_has_zero_strides_and_is_not_a_copy():
    def f(m, x):
        e = x.expand(4, 3, 5)
        assert e.data_ptr() == x.data_ptr()
        return e.stride()

    run_both(f, a(3, 1))


def test_view_dtype_reinterprets_bytes():
    def f(m, x):
        return x.view(m.int32), x.view(m.uint8).shape, x.view(m.float64).shape

    run_both(f, a(2, 4))


def test_as_strided_out_of_bounds_raises():
    for m in (ember, torch):
        x = m.zeros(4)
        with pytest.raises(RuntimeError, match="out of bounds"):
            x.as_strided((3,), (2,))


def test_contiguous_returns_self_or_a_copy():
    x = ember.tensor(a(2, 3))
    assert x.contiguous() is x
    y = x.t()
    c = y.contiguous()
    assert c is not y and c.is_contiguous() and c.stride() == (2, 1)


def test_view_ops_on_meta_device_keep_shape():
    x = ember.empty(2, 3, 4, device="meta")
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.view(6, 4).shape == (6, 4)
    assert x.expand(5, 2, 3, 4).shape == (5, 2, 3, 4)
    assert x.view(6, 4).is_meta
