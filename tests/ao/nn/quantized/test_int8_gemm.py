"""The int8 GEMM and fbgemm requantization on NumPy arrays: exact against int64 and torch."""

from __future__ import annotations

import numpy as np
import pytest

from ember.ao.nn.quantized import _int8_gemm as G

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:.*quantized tensor creation")


@pytest.fixture(autouse=True)
def _fbgemm():
    old = torch.backends.quantized.engine
    torch.backends.quantized.engine = "fbgemm"
    yield
    torch.backends.quantized.engine = old


def _ref_acc(x, xzp, w, wzp):
    wz = np.asarray(wzp, dtype=np.int64).reshape(-1, 1)
    return (x.astype(np.int64) - xzp) @ (w.astype(np.int64) - wz).T


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (3, 17, 5), (16, 768, 8), (2, 5000, 3),
                                   (0, 4, 3), (2, 0, 3)])
def test_int8_linear_exact(m, k, n):
    rng = np.random.default_rng(k)
    x = rng.integers(0, 256, (m, k)).astype(np.uint8)
    w = rng.integers(-128, 128, (n, k)).astype(np.int8)
    got = G.int8_linear(x, 3, w, 0)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, _ref_acc(x, 3, w, 0))


def test_int8_linear_worst_case_needs_chunking():
    # every product is 255 * -128: one float32 BLAS call would round sums above 2**24
    k = 4096
    x = np.full((2, k), 255, np.uint8)
    w = np.full((3, k), -128, np.int8)
    got = G.int8_linear(x, 0, w, 0)
    np.testing.assert_array_equal(got, _ref_acc(x, 0, w, 0))
    assert got[0, 0] == 255 * -128 * k


def test_int8_linear_row_l1_bound():
    # typical weights: the L1 bound lets K=3072 run as one GEMM, still exact
    rng = np.random.default_rng(2)
    x = rng.integers(0, 128, (5, 3072)).astype(np.uint8)
    w = np.clip(np.rint(rng.standard_normal((7, 3072)) * 30), -127, 127).astype(np.int8)
    l1 = G.row_l1(w)
    assert 64 * l1.max() <= 2**24  # the single-GEMM branch is taken
    np.testing.assert_array_equal(G.int8_linear(x, 64, w, 0, l1), _ref_acc(x, 64, w, 0))
    # worst case with the bound given: falls back to chunks, still exact
    xw = np.full((2, 4096), 255, np.uint8)
    ww = np.full((3, 4096), -128, np.int8)
    np.testing.assert_array_equal(G.int8_linear(xw, 0, ww, 0, G.row_l1(ww)),
                                  _ref_acc(xw, 0, ww, 0))
    zps = np.arange(7) - 3
    np.testing.assert_array_equal(G.row_l1(w, zps),
                                  np.abs(w.astype(np.int64) - zps[:, None]).sum(1))


def test_int8_linear_per_row_zero_points():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (4, 3000)).astype(np.uint8)
    w = rng.integers(-128, 128, (6, 3000)).astype(np.int8)
    zps = np.array([0, 5, -7, 127, -128, 1])
    np.testing.assert_array_equal(G.int8_linear(x, 200, w, zps), _ref_acc(x, 200, w, zps))


def _torch_packed(w, b, per_channel):
    tw = torch.from_numpy(w)
    if per_channel:
        scales = tw.abs().amax(1).double() / 127.5 + 1e-4
        qw = torch.quantize_per_channel(tw, scales, torch.zeros(w.shape[0], dtype=torch.long),
                                        0, torch.qint8)
        ws = qw.q_per_channel_scales().numpy().astype(np.float32)
    else:
        qw = torch.quantize_per_tensor(tw, float(tw.abs().max()) / 127.5, 0, torch.qint8)
        ws = np.full(w.shape[0], qw.q_scale(), np.float32)
    return qw, ws, torch.ops.quantized.linear_prepack(qw, torch.from_numpy(b))


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_static_requantize_matches_fbgemm(seed, per_channel):
    rng = np.random.default_rng(seed)
    m, k, n = rng.integers(1, 40), rng.integers(1, 400), rng.integers(1, 40)
    x = (rng.standard_normal((m, k)) * rng.uniform(0.1, 3)).astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    qw, ws, packed = _torch_packed(w, b, per_channel)
    xs, xz, os_, oz = float(rng.uniform(0.01, 0.1)), int(rng.integers(0, 256)), 0.07, 60
    qx = torch.quantize_per_tensor(torch.from_numpy(x), xs, xz, torch.quint8)
    for relu, op in ((False, torch.ops.quantized.linear), (True, torch.ops.quantized.linear_relu)):
        ref = op(qx, packed, os_, oz).int_repr().numpy()
        acc = G.int8_linear(qx.int_repr().numpy(), xz, qw.int_repr().numpy(), 0)
        mine = G.requantize(acc, np.float32(xs) * ws, b, os_, oz, relu=relu)
        np.testing.assert_array_equal(mine, ref)


@pytest.mark.parametrize("reduce_range", [True, False])
@pytest.mark.parametrize("seed", range(8))
def test_choose_qparams_matches_torch(seed, reduce_range):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((5, 7)) * rng.uniform(1e-6, 50) + rng.uniform(-3, 3))
    x = x.astype(np.float32)
    if seed == 0:
        x = np.abs(x)
    if seed == 1:
        x = -np.abs(x)
    if seed == 2:
        x = np.zeros_like(x)
    s, z = torch._choose_qparams_per_tensor(torch.from_numpy(x), reduce_range)
    s2, z2 = G.choose_qparams_dynamic(x, reduce_range)
    assert (np.float32(s), z) == (np.float32(s2), z2)


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_dynamic_linear_bitwise(seed, per_channel):
    rng = np.random.default_rng(100 + seed)
    m, k, n = rng.integers(1, 40), rng.integers(1, 600), rng.integers(1, 30)
    x = (rng.standard_normal((m, k)) * rng.uniform(0.01, 5) + rng.uniform(-1, 1))
    x = x.astype(np.float32)
    w = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    qw, ws, packed = _torch_packed(w, b, per_channel)
    ref = torch.ops.quantized.linear_dynamic(torch.from_numpy(x), packed, True).numpy()
    s, z = G.choose_qparams_dynamic(x, True)
    acc = G.int8_linear(G.quantize_dynamic_input(x, s, z), z, qw.int_repr().numpy(), 0)
    out = G.dequantize_acc(acc, np.float32(s) * ws, b)
    np.testing.assert_array_equal(out, ref)
