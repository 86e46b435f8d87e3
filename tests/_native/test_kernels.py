"""ember._native: the C kernels against their NumPy paths (exact for int8) and torch (GELU)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ember import _native
from ember.ao.nn.quantized._int8_gemm import int8_linear, int8_linear_np, row_sum
from ember.nn.functional import _gelu as G

torch = pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_native = pytest.mark.skipif(
    not _native.available(), reason="native kernels unavailable (no C compiler?)"
)


def _operands(rng: np.random.Generator, m: int, k: int, n: int) -> tuple:
    x = rng.integers(0, 256, (m, k), dtype=np.uint8)
    w = rng.integers(-128, 128, (n, k), dtype=np.int8)
    return x, w


@needs_native
@pytest.mark.parametrize(
    "m,k,n",
    [
        (1, 1, 1),
        (1, 768, 13),
        (2, 3, 4),
        (5, 1, 9),
        (4, 4, 4),
        (7, 33, 5),
        (17, 100, 31),
        (300, 9, 6),
        (6, 1100, 7),
    ],
)
@pytest.mark.parametrize("x_zp", [0, 1, 128, 255])
def test_int8_linear_native_exact(m: int, k: int, n: int, x_zp: int) -> None:
    rng = np.random.default_rng(m * 1000 + k * 10 + n + x_zp)
    x, w = _operands(rng, m, k, n)
    for w_zp in (0, -7, rng.integers(-128, 128, n), np.zeros(n, dtype=np.int64)):
        expect = int8_linear_np(x, x_zp, w, w_zp)
        for sums in (None, row_sum(w)):
            got = _native.u8s8_gemm(x, x_zp, w, w_zp, sums)
            assert got is not None and got.dtype == np.int32
            np.testing.assert_array_equal(got, expect)
        np.testing.assert_array_equal(int8_linear(x, x_zp, w, w_zp), expect)


@needs_native
@pytest.mark.parametrize(
    "xv,wv,x_zp,w_zp",
    [(255, -128, 0, 127), (0, 127, 255, -128), (255, 127, 0, -128), (0, -128, 255, 127)],
)
def test_int8_linear_extremes(xv: int, wv: int, x_zp: int, w_zp: int) -> None:
    m, k, n = 6, 1031, 5
    x = np.full((m, k), xv, dtype=np.uint8)
    w = np.full((n, k), wv, dtype=np.int8)
    got = _native.u8s8_gemm(x, x_zp, w, w_zp)
    assert got is not None
    np.testing.assert_array_equal(got, np.full((m, n), k * (xv - x_zp) * (wv - w_zp)))
    np.testing.assert_array_equal(got, int8_linear_np(x, x_zp, w, w_zp))


@needs_native
def test_int8_linear_strided_and_refused_inputs() -> None:
    rng = np.random.default_rng(1)
    cols, w = _operands(rng, 9, 2 * 12, 7)
    x = cols.reshape(9, 2, 12)[:, 1]  # a conv's per-group view: rows with a wider stride
    w = w[:, :12]  # and a weight view likewise
    np.testing.assert_array_equal(_native.u8s8_gemm(x, 3, w, 2), int8_linear_np(x, 3, w, 2))
    xt = np.ascontiguousarray(cols[:, :7].T)[::-1]  # negative row stride: copied first
    wt = w[:, :9]
    np.testing.assert_array_equal(_native.u8s8_gemm(xt, 5, wt, 0), int8_linear_np(xt, 5, wt))
    # what the kernel does not cover comes back as None for the NumPy path
    assert _native.u8s8_gemm(x.astype(np.int8), 0, w, 0) is None
    assert _native.u8s8_gemm(x, 0, w[:, :5], 0) is None
    assert _native.u8s8_gemm(x, 0, w, np.zeros(3, dtype=np.int32)) is None
    big_x = np.ones((1, 65537), dtype=np.uint8)
    big_w = np.ones((1, 65537), dtype=np.int8)
    assert _native.u8s8_gemm(big_x, 0, big_w, 0) is None
    assert int8_linear(big_x, 0, big_w)[0, 0] == 65537


@pytest.mark.parametrize("m,k,n", [(0, 3, 4), (3, 0, 4), (3, 4, 0)])
def test_int8_linear_empty(m: int, k: int, n: int) -> None:
    x = np.zeros((m, k), dtype=np.uint8)
    w = np.zeros((n, k), dtype=np.int8)
    got = int8_linear(x, 5, w, 3)
    assert got.shape == (m, n) and got.dtype == np.int32 and not got.any()


def _gelu_np(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with _native.disabled():  # the NumPy path of the same op
        return G._forward(a, "none")


@needs_native
def test_gelu_native_matches_numpy_and_torch() -> None:
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(70001) * 4).astype(np.float32)  # several blocks and a tail
    a[:6] = [0.0, -0.0, 5.7, -5.7, 40.0, -40.0]  # zero and both sides of the clip
    y, aux = G._forward(a, "none")
    y_np, aux_np = _gelu_np(a)
    # the same float32 operations in the same order, none fused: equal bit for bit
    np.testing.assert_array_equal(aux, aux_np)
    np.testing.assert_array_equal(y, y_np)
    t = torch.from_numpy(a).requires_grad_()
    ty = torch.nn.functional.gelu(t)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1.3e-6, atol=1e-5)
    g = rng.standard_normal(a.size).astype(np.float32)
    gx = G._backward(a, g, aux, "none")
    ty.backward(torch.from_numpy(g))
    np.testing.assert_allclose(gx, t.grad.numpy(), rtol=1.3e-6, atol=1e-5)
    # the native exp against float64 in the backward's formula
    ref = g * (
        aux_np.astype(np.float64)
        + a * np.exp(-0.5 * a.astype(np.float64) ** 2) / np.sqrt(2 * np.pi)
    )
    np.testing.assert_allclose(gx, ref, rtol=1e-6, atol=1e-6)


@needs_native
def test_gelu_native_nan_inf_and_refusals() -> None:
    a = np.array([np.nan, np.inf, -np.inf, 1.0], dtype=np.float32)
    y, aux = G._forward(a, "none")
    y_np, _ = _gelu_np(a)
    np.testing.assert_array_equal(y, y_np)
    np.testing.assert_array_equal(y, torch.nn.functional.gelu(torch.from_numpy(a)).numpy())
    gx = G._backward(a, np.ones(4, dtype=np.float32), aux, "none")
    t = torch.from_numpy(a).requires_grad_()
    torch.nn.functional.gelu(t).sum().backward()
    np.testing.assert_allclose(gx, t.grad.numpy(), rtol=1.3e-6)  # nan at nan and +-inf
    p, q = G._PHI_P_ARR, G._PHI_Q_ARR
    out = np.empty(4, dtype=np.float32)
    assert not _native.gelu_f32(a.astype(np.float64), out, out, p, q, 1.0)
    assert not _native.gelu_f32(a[::2], out[:2], out[:2], p, q, 1.0)
    with pytest.raises(ValueError, match="sizes differ"):
        _native.gelu_f32(a, out[:3], out, p, q, 1.0)


def test_gelu_noncontiguous_through_the_op() -> None:
    import ember

    rng = np.random.default_rng(2)
    a = rng.standard_normal((33, 65)).astype(np.float32)
    e = ember.from_numpy(a).t().requires_grad_()
    t = torch.from_numpy(a).t().requires_grad_()
    ye, yt = ember.nn.functional.gelu(e), torch.nn.functional.gelu(t)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1.3e-6, atol=1e-5)
    g = rng.standard_normal((65, 33)).astype(np.float32)
    ye.backward(ember.from_numpy(g))
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1.3e-6, atol=1e-5)


_PROBE = textwrap.dedent("""
    import os, numpy as np, ember
    from ember import _native
    from ember.ao.nn.quantized._int8_gemm import int8_linear, int8_linear_np
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    w = np.arange(-8, 8, dtype=np.int8).reshape(4, 4)
    assert (int8_linear(x, 2, w, -1) == int8_linear_np(x, 2, w, -1)).all()
    y = ember.nn.functional.gelu(ember.tensor([-1.0, 0.5, 2.0]))
    assert np.allclose(y.numpy(), [-0.15865526, 0.34573123, 1.9544997], atol=1e-6)
    print("available", _native.available())
""")


def _probe(env: dict[str, str]) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=ROOT, **env)
    return subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        timeout=120,
    )


def test_disabled_falls_back_to_numpy() -> None:
    p = _probe({"EMBER_NATIVE": "0"})
    assert p.returncode == 0, p.stderr
    assert "available False" in p.stdout


def test_failed_build_falls_back_with_a_debug_warning(tmp_path: object) -> None:
    fake = os.path.join(str(tmp_path), "fakecc")
    with open(fake, "w") as fh:
        fh.write(
            '#!/bin/sh\n[ "$1" = --version ] && { echo fakecc 1.0; exit 0; }\n'
            "echo 'fakecc: cannot compile' >&2; exit 1\n"
        )
    os.chmod(fake, 0o755)
    p = _probe({"CC": fake, "EMBER_DEBUG": "1", "TORCH_EXTENSIONS_DIR": str(tmp_path)})
    assert p.returncode == 0, p.stderr
    assert "available False" in p.stdout
    assert "native kernels unavailable" in p.stderr and "fakecc: cannot compile" in p.stderr


@needs_native
def test_second_process_loads_the_cache(tmp_path: object) -> None:
    env = {"TORCH_EXTENSIONS_DIR": str(tmp_path)}
    p = _probe(env)
    assert p.returncode == 0 and "available True" in p.stdout, p.stderr
    folder = [
        os.path.join(r, f) for r, _, fs in os.walk(str(tmp_path)) for f in fs if f.endswith(".so")
    ]
    assert len(folder) == 1
    before = os.stat(folder[0])
    p = _probe(env)
    assert p.returncode == 0 and "available True" in p.stdout, p.stderr
    after = os.stat(folder[0])
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len([f for _, _, fs in os.walk(str(tmp_path)) for f in fs if f.endswith(".so")]) == 1


@needs_native
def test_dynamic_quantization_ends_match_numpy() -> None:
    from ember.ao.nn.quantized import _int8_gemm as Q

    rng = np.random.default_rng(3)
    x = (rng.standard_normal((37, 19)) * 50).astype(np.float32)
    x[0, :6] = [0.5, 1.5, 2.5, -0.5, 1e9, -1e9]  # ties round to even; far values clamp
    acc = rng.integers(-(2**31), 2**31 - 1, (37, 11), dtype=np.int64).astype(np.int32)
    scale = (rng.random(11) * 1e-3).astype(np.float32)
    bias = rng.standard_normal(11).astype(np.float32)
    for s, zp in ((1.0, 0), (0.37, 128), (1e-4, 255)):
        got = Q.quantize_dynamic_input(x, s, zp)
        with _native.disabled():
            expect = Q.quantize_dynamic_input(x, s, zp)
        np.testing.assert_array_equal(got, expect)
    for b in (None, bias):
        got = Q.dequantize_acc(acc, scale, b)
        with _native.disabled():
            expect = Q.dequantize_acc(acc, scale, b)
        np.testing.assert_array_equal(got, expect)


@needs_native
@pytest.mark.parametrize("per_channel", [False, True])
def test_dynamic_linear_native_equals_numpy_and_torch(per_channel: bool) -> None:
    import ember

    ember.manual_seed(0)
    lin = ember.nn.Linear(70, 13)
    qconfig = ember.ao.quantization.per_channel_dynamic_qconfig if per_channel else None
    spec = {"": qconfig} if per_channel else {ember.nn.Linear}
    q = ember.ao.quantization.quantize_dynamic(ember.nn.Sequential(lin), spec, dtype=ember.qint8)
    tl = torch.nn.Linear(70, 13)
    tl.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in lin.state_dict().items()})
    tspec = (
        {"": torch.ao.quantization.per_channel_dynamic_qconfig}
        if per_channel
        else {torch.nn.Linear}
    )
    tq = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(tl), tspec, dtype=torch.qint8)
    for batch in (1, 5, 64):
        x = np.random.default_rng(batch).standard_normal((batch, 70)).astype(np.float32)
        got = q(ember.from_numpy(x)).numpy()
        with _native.disabled():
            np.testing.assert_array_equal(got, q(ember.from_numpy(x)).numpy())
        np.testing.assert_array_equal(got, tq(torch.from_numpy(x)).detach().numpy())


@needs_native
def test_dynamic_linear_row_split_over_two_threads_is_exact() -> None:
    import ember

    ember.manual_seed(1)
    lin = ember.nn.Linear(256, 192)
    q = ember.ao.quantization.quantize_dynamic(ember.nn.Sequential(lin), {ember.nn.Linear},
                                               dtype=ember.qint8)
    tl = torch.nn.Linear(256, 192)
    tl.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in lin.state_dict().items()})
    tq = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(tl), {torch.nn.Linear},
                                                dtype=torch.qint8)
    for batch in (97, 128):  # above _SPLIT_MACS; an odd batch splits unevenly
        assert batch * 256 * 192 >= _native._SPLIT_MACS
        x = np.random.default_rng(batch).standard_normal((batch, 256)).astype(np.float32)
        got = q(ember.from_numpy(x)).numpy()
        with _native.disabled():
            np.testing.assert_array_equal(got, q(ember.from_numpy(x)).numpy())
        np.testing.assert_array_equal(got, tq(torch.from_numpy(x)).detach().numpy())


@needs_native
def test_portable_build_matches_numpy(tmp_path: object) -> None:
    """kernels.c without -march=native: the plain loops (no AVX-512 VNNI intrinsics)."""
    import ctypes

    lib_path = os.path.join(str(tmp_path), "portable.so")
    cmd = [_native._compiler(), *_native._BASE_FLAGS, _native._SOURCE, "-o", lib_path]
    subprocess.run(cmd, check=True, capture_output=True)
    saved = list(_native._state)
    _native._state[:] = [_native._bind(ctypes.CDLL(lib_path))]
    try:
        rng = np.random.default_rng(4)
        for m, k, n in ((1, 1, 1), (5, 70, 9), (9, 1100, 6), (4, 128, 8)):
            x, w = _operands(rng, m, k, n)
            zp = rng.integers(-128, 128, n)
            got = _native.u8s8_gemm(x, 7, w, zp)
            np.testing.assert_array_equal(got, int8_linear_np(x, 7, w, zp))
        a = (rng.standard_normal(1000) * 4).astype(np.float32)
        y, aux = G._forward(a, "none")
        y_np, aux_np = _gelu_np(a)
        np.testing.assert_array_equal(y, y_np)
        g = np.ones_like(a)
        ref = aux_np + a * np.exp(-0.5 * a.astype(np.float64) ** 2) / np.sqrt(2 * np.pi)
        np.testing.assert_allclose(G._backward(a, g, aux, "none"), ref, rtol=1e-6, atol=1e-6)
    finally:
        _native._state[:] = saved


@needs_native
def test_dynamic_linear_weight_cache_follows_the_weight() -> None:
    import copy
    import gc

    import ember

    ember.manual_seed(1)
    q = ember.ao.quantization.quantize_dynamic(
        ember.nn.Sequential(ember.nn.Linear(40, 12)), {ember.nn.Linear}, dtype=ember.qint8
    )
    x = ember.from_numpy(np.random.default_rng(5).standard_normal((3, 40)).astype(np.float32))
    expect = q(x).numpy()
    values = q[0]._packed_params.packed.values
    assert id(values) in _native._weights
    q2 = copy.deepcopy(q)  # new arrays: the copy must not use the original's pointers
    del q, values
    gc.collect()
    np.testing.assert_array_equal(q2(x).numpy(), expect)
    vid = id(q2[0]._packed_params.packed.values)
    assert vid in _native._weights
    del q2
    gc.collect()
    assert vid not in _native._weights
