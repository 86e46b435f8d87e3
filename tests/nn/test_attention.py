"""scaled_dot_product_attention, multi_head_attention_forward and nn.MultiheadAttention vs torch."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional  # noqa: F401 - publishes ember.nn
from tests.harness import gradcheck, noncontig, raises_both, run_both, torch

RNG = np.random.default_rng(7)


def r(*shape: int, dtype: str = "float32") -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def sdpa(m: object, *args: object, **kw: object) -> object:
    return m.nn.functional.scaled_dot_product_attention(*args, **kw)


# ------------------------------------------------------------------ forward and gradients
@pytest.mark.parametrize("qs,ks,vs", [
    ((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)),      # Ev != E, L != S
    ((2, 3, 6, 8), (2, 3, 6, 8), (2, 3, 6, 8)),
    ((3, 4, 8), (3, 5, 8), (3, 5, 8)),               # 3-D
    ((4, 8), (5, 8), (5, 3)),                        # 2-D
    ((2, 3, 4, 8), (1, 3, 5, 8), (1, 1, 5, 8)),      # broadcast batch dims
    ((2, 3, 4, 8), (5, 8), (5, 8)),                  # key/value shared by every batch
    ((1, 2, 2, 4, 8), (1, 2, 2, 5, 8), (1, 2, 2, 5, 8)),  # 5-D
])
def test_sdpa_matches_torch(qs: tuple, ks: tuple, vs: tuple) -> None:
    run_both(sdpa, r(*qs), r(*ks), r(*vs), grad=True)


@pytest.mark.parametrize("L,S", [(4, 4), (3, 6), (6, 3)])
def test_sdpa_causal(L: int, S: int) -> None:
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True), r(2, 2, L, 8), r(2, 2, S, 8),
             r(2, 2, S, 8), grad=True)


@pytest.mark.parametrize("mshape", [(4, 5), (2, 1, 4, 5), (1, 3, 1, 5)])
def test_sdpa_bool_mask(mshape: tuple) -> None:
    mask = RNG.random(mshape) < 0.6
    mask[..., 0] = True  # no fully masked row here
    run_both(lambda m, q, k, v, mk: sdpa(m, q, k, v, attn_mask=mk), r(2, 3, 4, 8), r(2, 3, 5, 8),
             r(2, 3, 5, 8), mask, grad=True)


def test_sdpa_float_mask_and_its_gradient() -> None:
    mask = r(3, 4, 5)
    mask[0, 1, 2] = -np.inf
    run_both(lambda m, q, k, v, mk: sdpa(m, q, k, v, attn_mask=mk, scale=0.25), r(2, 3, 4, 8),
             r(2, 3, 5, 8), r(2, 3, 5, 8), mask, grad=True)  # the mask requires grad too


def test_sdpa_fully_masked_rows_are_zero() -> None:
    mask = np.ones((4, 5), bool)
    mask[1] = False
    fmask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    for mk in (mask, fmask):
        e, _ = run_both(lambda m, q, k, v, mk: sdpa(m, q, k, v, attn_mask=mk), r(2, 4, 8),
                        r(2, 5, 8), r(2, 5, 8), mk, grad=True)
        assert not np.any(e.detach().numpy()[:, 1])


def test_sdpa_float64_and_scale() -> None:
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, scale=1.7), r(2, 4, 3, dtype="float64"),
             r(2, 6, 3, dtype="float64"), r(2, 6, 2, dtype="float64"), grad=True, rtol=1e-10,
             atol=1e-12)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_sdpa_half_precision(dt: str) -> None:
    def f(m: object, q: object, k: object, v: object) -> object:
        d = getattr(m, dt)
        q, k, v = (x.detach().to(d).requires_grad_() for x in (q, k, v))
        out = sdpa(m, q, k, v, attn_mask=m.zeros(4, 5))  # a float32 mask is allowed
        out.float().sum().backward()
        return out, q.grad, k.grad, v.grad
    e, _ = run_both(f, r(2, 4, 8), r(2, 5, 8), r(2, 5, 8), atol=2e-2, rtol=2e-2)
    assert e[0].dtype is getattr(ember, dt)


def test_sdpa_gqa() -> None:
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, enable_gqa=True), r(2, 4, 3, 8), r(2, 2, 5, 8),
             r(2, 1, 5, 8), grad=True)
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, enable_gqa=True, is_causal=True), r(6, 3, 4),
             r(2, 3, 4), r(3, 3, 4), grad=True)


def test_sdpa_batch_split_across_threads() -> None:
    # big enough for the two-thread batched matmul (and a broadcast key/value batch)
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True), r(8, 4, 64, 32),
             r(8, 4, 64, 32), r(8, 4, 64, 32), grad=True)
    run_both(sdpa, r(8, 4, 64, 32), r(1, 4, 64, 32), r(1, 4, 64, 32), grad=True)
    from ember import _parallel

    assert ember.get_num_threads() < 2 or _parallel._pool  # the split ran


def test_sdpa_noncontiguous_and_empty() -> None:
    run_both(sdpa, noncontig(r(2, 4, 8)), noncontig(r(2, 5, 8)), noncontig(r(2, 5, 8)),
             grad=True)
    run_both(sdpa, r(2, 0, 8), r(2, 5, 8), r(2, 5, 8), grad=True)   # no queries
    run_both(sdpa, r(2, 4, 8), r(2, 0, 8), r(2, 0, 8), grad=True)   # no keys: zeros
    run_both(sdpa, r(0, 4, 8), r(0, 5, 8), r(0, 5, 8), grad=True)   # empty batch


def test_sdpa_grad_fn_and_no_grad_fast_path() -> None:
    q, k, v = (ember.tensor(r(2, 2, 4, 8), requires_grad=True) for _ in range(3))
    out = sdpa(ember, q, k, v)
    assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert len(out.grad_fn.next_functions) == 4  # q, k, v, attn_mask
    with ember.no_grad():
        assert sdpa(ember, q, k, v).grad_fn is None
    q.detach().add_(1.0)  # an in-place change of a saved input is caught
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


# ------------------------------------------------------------------ gradcheck (float64)
def test_sdpa_gradcheck() -> None:
    q, k, v = r(1, 2, 3, 4), r(1, 2, 4, 4), r(1, 2, 4, 3)
    gradcheck(sdpa, q, k, v)
    gradcheck(lambda m, q, k, v: sdpa(m, q, k, v, is_causal=True), q, k, v)
    mask = np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]], bool)  # a fully masked row
    gradcheck(lambda m, q, k, v, mk: sdpa(m, q, k, v, attn_mask=mk), q, k, v, mask)
    gradcheck(lambda m, q, k, v, mk: sdpa(m, q, k, v, attn_mask=mk, scale=0.7), q, k, v,
              r(2, 3, 4))  # the float mask is differentiated too
    gradcheck(lambda m, q, k, v: sdpa(m, q, k, v, enable_gqa=True), r(1, 4, 3, 4), k, v)


def test_sdpa_gradcheck_with_dropout() -> None:
    def f(m: object, q: object, k: object, v: object) -> object:
        ember.manual_seed(3)  # the same dropout mask on every evaluation
        return sdpa(m, q, k, v, dropout_p=0.4)
    gradcheck(f, r(1, 2, 3, 4), r(1, 2, 5, 4), r(1, 2, 5, 3))


def test_sdpa_double_backward() -> None:
    ts = [ember.tensor(a, requires_grad=True) for a in
          (r(1, 2, 3, 4, dtype="float64"), r(1, 2, 4, 4, dtype="float64"),
           r(1, 2, 4, 3, dtype="float64"))]
    assert ember.autograd.gradgradcheck(lambda q, k, v: sdpa(ember, q, k, v, is_causal=True),
                                        tuple(ts))


# ------------------------------------------------------------------ dropout
def test_sdpa_dropout_scales_kept_probabilities() -> None:
    q, k = r(2, 3, 16, 8), r(2, 3, 16, 8)
    eye = np.broadcast_to(np.eye(16, dtype=np.float32), (2, 3, 16, 16)).copy()
    p = sdpa(ember, ember.tensor(q), ember.tensor(k), ember.tensor(eye)).numpy()
    ember.manual_seed(0)
    d = sdpa(ember, ember.tensor(q), ember.tensor(k), ember.tensor(eye), dropout_p=0.25).numpy()
    kept = d != 0
    np.testing.assert_allclose(d[kept], p[kept] / 0.75, rtol=1e-5)
    assert 0.65 < kept.mean() < 0.85
    ember.manual_seed(0)
    d2 = sdpa(ember, ember.tensor(q), ember.tensor(k), ember.tensor(eye), dropout_p=0.25)
    np.testing.assert_array_equal(d, d2.numpy())  # seeded: reproducible
    z = sdpa(ember, ember.tensor(q), ember.tensor(k), ember.tensor(eye), dropout_p=1.0)
    assert not np.any(z.numpy())
    run_both(lambda m, q, k, v: sdpa(m, q, k, v, dropout_p=-0.5), q, k, eye)  # ignored


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("case", [
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(4, 5, dtype=m.int64)),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(4, 5, dtype=m.float64)),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(3, 5, dtype=m.bool)),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(1, 1, 1, 4, 5, dtype=m.bool)),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(4, 5, dtype=m.bool), is_causal=True),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=m.ones(5, dtype=m.bool)),
    lambda m, q, k, v: sdpa(m, q, k.double(), v),
    lambda m, q, k, v: sdpa(m, q.long(), k.long(), v.long()),
    lambda m, q, k, v: sdpa(m, q, k[..., :7], v),
    lambda m, q, k, v: sdpa(m, q, k, v[:, :, :4]),
    lambda m, q, k, v: sdpa(m, q, k[:, :2], v[:, :2]),
    lambda m, q, k, v: sdpa(m, q, k[:, :3], v[:, :3], enable_gqa=True),
    lambda m, q, k, v: sdpa(m, q[0, 0], k[0, 0], v[0, 0], enable_gqa=True),
    lambda m, q, k, v: sdpa(m, q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]),
    lambda m, q, k, v: sdpa(m, q, k, v, dropout_p=1.5),
    lambda m, q, k, v: sdpa(m, q.tolist(), k, v),
    lambda m, q, k, v: sdpa(m, q, k, v, attn_mask=[[True] * 5] * 4),
])
def test_sdpa_errors(case: object) -> None:
    # value width 6 != 8: torch takes its math path, whose checks are complete
    raises_both(case, r(2, 4, 4, 8), r(2, 4, 5, 8), r(2, 4, 5, 6))


def test_sdpa_error_messages() -> None:
    e = raises_both(lambda m, q: sdpa(m, q, q, q, attn_mask=m.ones(4, 4, dtype=m.int64)),
                    r(2, 4, 8))
    assert "attn_mask.dtype: long int" in str(e)
    e = raises_both(lambda m, q: sdpa(m, q, q.double(), q), r(2, 4, 8))
    assert "key.dtype: double" in str(e)


# ------------------------------------------------------------------ nn.MultiheadAttention
def mha_pair(*args: object, **kw: object) -> tuple:
    tm = torch.nn.MultiheadAttention(*args, **kw)
    em = ember.nn.MultiheadAttention(*args, **kw)
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def run_mha(tm: object, em: object, q: np.ndarray, k: np.ndarray | None = None,
            v: np.ndarray | None = None, grad: bool = True, **kw: object) -> tuple:
    """Call both modules (self-attention when k is None), compare outputs and gradients."""
    def call(m: object, mod: object, *ts: object) -> object:
        kws = {n: (m.tensor(a) if isinstance(a, np.ndarray) else a) for n, a in kw.items()}
        if len(ts) == 1:
            return mod(ts[0], ts[0], ts[0], **kws)
        return mod(*ts, **kws)
    arrays = [a for a in (q, k, v) if a is not None]
    e, t = run_both(lambda m, *ts: call(m, em if m is ember else tm, *ts), *arrays, grad=grad)
    if grad:
        for (n, p), (_, p2) in zip(em.named_parameters(), tm.named_parameters()):
            if p2.grad is not None:
                np.testing.assert_allclose(p.grad.numpy(), p2.grad.numpy(), rtol=1e-4,
                                           atol=1e-5, err_msg=n)
    return e, t


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_self_attention(batch_first: bool, need_weights: bool, average: bool) -> None:
    tm, em = mha_pair(8, 2, batch_first=batch_first)
    run_mha(tm, em, r(3, 5, 8), need_weights=need_weights, average_attn_weights=average)


def test_mha_cross_attention_and_separate_dims() -> None:
    tm, em = mha_pair(8, 4)
    run_mha(tm, em, r(3, 2, 8), r(5, 2, 8), r(5, 2, 8))
    tm, em = mha_pair(8, 2, kdim=6, vdim=3, batch_first=True)
    assert em.in_proj_weight is None and tuple(em.k_proj_weight.shape) == (8, 6)
    run_mha(tm, em, r(2, 3, 8), r(2, 5, 6), r(2, 5, 3), need_weights=False)
    run_mha(tm, em, r(3, 8), r(5, 6), r(5, 3))   # unbatched


def test_mha_key_value_shared_tensor() -> None:
    tm, em = mha_pair(8, 2)
    kv = r(5, 2, 8)
    run_mha(tm, em, r(3, 2, 8), kv, kv)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_masks(need_weights: bool) -> None:
    tm, em = mha_pair(8, 2, batch_first=True)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    causal = np.triu(np.ones((5, 5), bool), 1)
    run_mha(tm, em, r(2, 5, 8), key_padding_mask=kpm, need_weights=need_weights)
    run_mha(tm, em, r(2, 5, 8), attn_mask=causal, need_weights=need_weights)
    run_mha(tm, em, r(2, 5, 8), attn_mask=causal, key_padding_mask=kpm,
            need_weights=need_weights)
    fmask = np.where(causal, -np.inf, 0.0).astype(np.float32)
    fkpm = np.where(kpm, -1e9, 0.0).astype(np.float32)
    run_mha(tm, em, r(2, 5, 8), attn_mask=fmask, key_padding_mask=fkpm,
            need_weights=need_weights)
    run_mha(tm, em, r(2, 5, 8), attn_mask=fmask, is_causal=True, need_weights=need_weights)
    mask3 = r(4, 5, 5)   # (N * num_heads, L, S) float mask
    run_mha(tm, em, r(2, 5, 8), attn_mask=mask3, need_weights=need_weights)


def test_mha_bias_options() -> None:
    tm, em = mha_pair(8, 2, bias=False)
    assert em.in_proj_bias is None and em.out_proj.bias is None
    run_mha(tm, em, r(3, 2, 8))
    tm, em = mha_pair(8, 2, add_bias_kv=True, add_zero_attn=True)
    kpm = np.array([[False] * 4, [False, True, True, True]])
    run_mha(tm, em, r(3, 2, 8), r(4, 2, 8), r(4, 2, 8), key_padding_mask=kpm,
            attn_mask=np.zeros((3, 4), bool))


def test_mha_dropout_and_eval_fast_path_values() -> None:
    tm, em = mha_pair(8, 2, dropout=1.0, batch_first=True)
    run_mha(tm, em, r(2, 4, 8))                        # p=1: weights all dropped
    tm.eval()
    em.eval()
    run_mha(tm, em, r(2, 4, 8))
    with torch.no_grad(), ember.no_grad():             # torch takes its native fast path here
        kpm = np.array([[False] * 4, [False, False, True, True]])
        run_mha(tm, em, r(2, 4, 8), grad=False, key_padding_mask=kpm)


def test_mha_init_and_repr() -> None:
    m = ember.nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert [n for n, _ in m.named_parameters()] == [
        "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight",
        "out_proj.bias"]
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (16 + 48))                     # xavier_uniform_ on (3E, E)
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    assert not np.any(m.in_proj_bias.detach().numpy())
    assert not np.any(m.out_proj.bias.detach().numpy())
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert repr(m) == repr(torch.nn.MultiheadAttention(16, 4, add_bias_kv=True))


@pytest.mark.parametrize("case", [
    lambda m: m.nn.MultiheadAttention(8, 3),
    lambda m: m.nn.MultiheadAttention(0, 2),
    lambda m: m.nn.MultiheadAttention(8, 2)(m.randn(3, 2, 8), m.randn(4, 2, 8),
                                            m.randn(5, 2, 8)),
    lambda m: m.nn.MultiheadAttention(8, 2)(m.randn(3, 2, 6), m.randn(3, 2, 6),
                                            m.randn(3, 2, 6)),
    lambda m: m.nn.MultiheadAttention(8, 2)(m.randn(3, 2, 8), m.randn(3, 8), m.randn(3, 8)),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(3, 2, 8),) * 3,
                                            attn_mask=m.zeros(4, 3)),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(3, 2, 8),) * 3,
                                            attn_mask=m.zeros(3, 3, 3)),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(3, 2, 8),) * 3,
                                            attn_mask=m.zeros(3, 3, dtype=m.int64)),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(3, 2, 8),) * 3,
                                            key_padding_mask=m.zeros(2, 4, dtype=m.bool)),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(3, 2, 8),) * 3, is_causal=True),
    lambda m: m.nn.MultiheadAttention(8, 2)(*(m.randn(2, 3, 2, 8),) * 3),
])
def test_mha_errors(case: object) -> None:
    raises_both(case)


def test_multi_head_attention_forward_functional() -> None:
    tm, em = mha_pair(8, 2)
    q = r(3, 2, 8)

    def f(m: object, mod: object, x: object) -> object:
        return m.nn.functional.multi_head_attention_forward(
            x, x, x, 8, 2, mod.in_proj_weight, mod.in_proj_bias, None, None, False, 0.0,
            mod.out_proj.weight, mod.out_proj.bias, training=False)
    run_both(lambda m, x: f(m, em if m is ember else tm, x), q, grad=True)
