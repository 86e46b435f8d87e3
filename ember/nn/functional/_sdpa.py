"""The fused scaled-dot-product attention op behind F.scaled_dot_product_attention and MHA.

One NumPy forward (matmul, scale, mask, softmax, dropout, matmul) and one backward node that
computes dq, dk, dv (and the gradient of a float mask) from the saved softmax probabilities.
Half precision computes in float32. With create_graph=True the backward differentiates an
ember-op recomputation (_composite), so double backward works.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _dtype as D
from ... import _random
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import like, xp_of
from ...ops._core import _tname, attach
from ...ops._linalg_util import batched_matmul
from ...ops.broadcast import _broadcast_shape

__all__: list = []  # private: attention.py publishes the functions

_F32 = np.dtype(np.float32)
_HALF = (D.float16, D.bfloat16)
_CNAME = {"float32": "float", "float64": "double", "float16": "c10::Half",
          "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
          "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
          "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_tri_cache: dict = {}


def _upper(L: int, S: int) -> np.ndarray:
    """The positions a causal (top-left aligned) mask hides: j > i."""
    m = _tri_cache.get((L, S))
    if m is None:
        m = np.triu(np.ones((L, S), np.bool_), 1)
        if L * S <= 1 << 20:
            _tri_cache[(L, S)] = m
    return m


def _ones(n: int, like: Any) -> Any:
    """An (n, 1) column of ones in like's dtype and array module (for row sums by GEMV)."""
    if type(like) is np.ndarray:
        return np.ones((n, 1), like.dtype)
    return np.ones_like(like, shape=(n, 1))


def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast array down to `shape` (NumPy; for the GQA head reduction)."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and a.shape[lead + i] != 1)
    if axes:
        a = a.sum(axis=axes, keepdims=True)
    return a.reshape(shape) if lead else a


# ------------------------------------------------------------------ argument checks
def _check(query: Any, key: Any, value: Any, attn_mask: Any, dropout_p: float,
           is_causal: bool) -> None:
    for i, (name, t) in enumerate((("query", query), ("key", key), ("value", value))):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position "
                            f"{i + 1}) must be Tensor, not {type(t).__name__}")
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise TypeError("scaled_dot_product_attention(): argument 'attn_mask' must be Tensor, "
                        f"not {type(attn_mask).__name__}")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    dt = query.dtype
    if key.dtype is not dt or value.dtype is not dt:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_CNAME[dt.name]} key.dtype: "
                           f"{_CNAME[key.dtype.name]} and value.dtype: "
                           f"{_CNAME[value.dtype.name]} instead.")
    if query.device != key.device or query.device != value.device:
        raise RuntimeError("Expected query, key, and value to have the same device type, but got "
                           f"query.device: {query.device} key.device: {key.device} and "
                           f"value.device: {value.device} instead.")
    if dt.category == D.COMPLEX:
        raise NotImplementedError('"softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{_tname(dt)}'")
    if dt.category != D.FLOAT:
        raise RuntimeError(f"expected scalar type Float but found {_tname(dt)}")
    if attn_mask is not None:
        md = attn_mask.dtype
        if md is not D.bool_ and md is not D.float32 and md is not dt:
            raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                               f"dtype, but got attn_mask.dtype: {_CNAME[md.name]} and  "
                               f"query.dtype: {_CNAME[dt.name]} instead.")
        if attn_mask.dim() < 2:
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but "
                             "got -2)")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _gqa_groups(q: tuple, k: tuple, v: tuple) -> tuple:
    """Repeat factors of key and value heads (dim -3) for grouped-query attention."""
    for s in (q, k, v):
        if len(s) < 3:
            raise IndexError("Dimension out of range (expected to be in range of [-2, 1], but "
                             "got -3)")
    hq, hk, hv = q[-3], k[-3], v[-3]
    if hk == 0 or hv == 0 or hq % hk or hq % hv:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
    return hq // hk, hq // hv


def _repeat_heads(a: np.ndarray, g: int) -> np.ndarray:
    return a if g == 1 else np.repeat(a, g, axis=-3)


def _unrepeat_heads(a: np.ndarray, g: int, shape: tuple) -> np.ndarray:
    """The gradient of _repeat_heads: sum each group of `g` heads (after batch reduction)."""
    if g == 1:
        return a
    rep = shape[:-3] + (shape[-3] * g,) + shape[-2:]
    a = _sum_to(a, rep)
    return a.reshape(shape[:-3] + (shape[-3], g) + shape[-2:]).sum(axis=-3)


# ------------------------------------------------------------------ the fused op
class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """dq, dk, dv (and d attn_mask for a float mask) from the saved softmax probabilities."""

    _materialize = False  # a missing gradient of the weights output stays None

    def __init__(self, scale: float, keep_scale: float, causal: bool, safe: bool,
                 groups: tuple, cd: np.dtype) -> None:
        super().__init__()
        self.scale, self.keep_scale, self.causal, self.safe = scale, keep_scale, causal, safe
        self.groups, self.cd = groups, cd

    def backward(self, go: Tensor | None, gw: Tensor | None = None) -> tuple:
        q, k, v, mask, p, keep = self.saved_tensors
        if _gm.enabled:  # create_graph=True: a differentiable recomputation
            return self._graph_backward(go, gw, q, k, v, mask, keep)
        cd, sc, (gk, gv) = self.cd, self.scale, self.groups
        qa, ka, va = (t._data.astype(cd, copy=False) for t in (q, k, v))
        ka, va = _repeat_heads(ka, gk), _repeat_heads(va, gv)
        pa = p._data
        pd = pa
        if keep is not None:
            pd = np.multiply(pa, keep._data)
            pd *= self.keep_scale
        need = [fn is not None for fn, _ in self.next_functions]
        dv = dpd = None
        if go is not None:
            goa = go._data.astype(cd, copy=False)
            if need[2]:
                dv = batched_matmul(np.swapaxes(pd, -1, -2), goa)
            if need[0] or need[1] or need[3]:
                dpd = batched_matmul(goa, np.swapaxes(va, -1, -2))
        if gw is not None and (need[0] or need[1] or need[3]):
            gwa = gw._data.astype(cd, copy=False)
            dpd = gwa.copy() if dpd is None else np.add(dpd, gwa, out=dpd)
        ds = None
        if dpd is not None:
            if keep is not None:
                dpd *= keep._data
                dpd *= self.keep_scale
            rows = np.matmul(np.multiply(dpd, pa), _ones(pa.shape[-1], pa))
            dpd -= rows
            dpd *= pa
            ds = dpd  # gradient of the masked, scaled scores
        dt = q.dtype
        dev = q.device
        res: list = [None, None, None, None]
        if ds is not None:
            if need[0]:
                dq = batched_matmul(ds, ka)
                dq *= sc
                res[0] = make(dq.astype(dt.np, copy=False), dt, dev)
            if need[1]:
                dk = batched_matmul(np.swapaxes(ds, -1, -2), qa)
                dk *= sc
                dk = _unrepeat_heads(dk, gk, tuple(k._data.shape))
                res[1] = make(dk.astype(dt.np, copy=False), dt, dev)
            if need[3]:
                res[3] = make(ds.astype(mask.dtype.np, copy=False), mask.dtype, dev)
        if dv is not None:
            dv = _unrepeat_heads(dv, gv, tuple(v._data.shape))
            res[2] = make(dv.astype(dt.np, copy=False), dt, dev)
        return tuple(res)

    def _graph_backward(self, go: Tensor | None, gw: Tensor | None, q: Tensor, k: Tensor,
                        v: Tensor, mask: Tensor | None, keep: Tensor | None) -> tuple:
        from ...autograd import grad

        ins = [t if fn is not None else None
               for t, (fn, _) in zip((q, k, v, mask), self.next_functions, strict=True)]
        out, w = _composite(q, k, v, mask, keep, self.scale, self.keep_scale, self.causal,
                            self.safe, self.groups)
        outs, gos = [], []
        for o, g in ((out, go), (w, gw)):
            if g is not None:
                outs.append(o)
                gos.append(g)
        wanted = [t for t in ins if t is not None]
        if not outs or not wanted:
            return (None,) * 4
        gs = iter(grad(outs, wanted, gos, create_graph=True, allow_unused=True))
        return tuple(None if t is None else next(gs) for t in ins)


def _composite(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, keep: Tensor | None,
               scale: float, keep_scale: float, causal: bool, safe: bool,
               groups: tuple) -> tuple:
    """The attention forward written with ember ops (differentiable; the double backward)."""
    dt = q.dtype
    if dt in _HALF:
        q, k, v = q.float(), k.float(), v.float()
    if groups[0] > 1:
        k = k.repeat_interleave(groups[0], dim=-3)
    if groups[1] > 1:
        v = v.repeat_interleave(groups[1], dim=-3)
    s = q.matmul(k.transpose(-2, -1)) * scale
    L, S = s.shape[-2], s.shape[-1]
    if causal:
        s = s.masked_fill(make(_upper(L, S), D.bool_, s.device), -math.inf)
    elif mask is not None:
        s = s.masked_fill(mask.logical_not(), -math.inf) if mask.dtype is D.bool_ \
            else s + mask.to(s.dtype)
    mx = s.detach().amax(-1, keepdim=True)
    if safe:
        mx = mx.masked_fill(mx.isinf(), 0.0)
    e = (s - mx).exp()
    den = e.sum(-1, keepdim=True)
    if safe:
        den = den.masked_fill(den == 0, 1.0)
    p = e / den
    if keep is not None:
        p = p * (keep.to(p.dtype) * keep_scale)
    out = p.matmul(v)
    if dt in _HALF:
        out, p = out.to(dt), p.to(dt)
    return out, p


def _scores(qa: Any, kr: Any, sc: float) -> Any:
    """q k^T * scale as a fresh (*batch, L, S) array (the scale applied to q, the smaller)."""
    if sc != 1.0:
        qa = np.multiply(qa, qa.dtype.type(sc))
    return batched_matmul(qa, np.swapaxes(kr, -1, -2))


_TINY = {np.dtype(np.float32): 1e-25, np.dtype(np.float64): 1e-280}
_tri01: dict = {}


def _exp_scores(s: Any, fmask: Any, keep: Any) -> Any:
    """exp of the masked scores in place and their row sums, or None when that is not exact.

    softmax is shift-invariant, so the shift only has to prevent overflow: none when every
    score is below 60, else the global maximum (two cheap reductions instead of one slow
    per-row maximum). A bool/causal mask multiplies after exp. None (use _softmax_rows) when
    a score is not finite or some row sum is tiny: a row far below the shift, or fully masked.
    """
    if fmask is not None:
        s += fmask
    if not s.size:
        return None
    gm = s.max()
    if not np.isfinite(gm):
        return None
    if gm > 60:
        s -= gm
    np.exp(s, out=s)
    if keep is not None:
        np.multiply(s, keep, out=s)
    den = np.matmul(s, _ones(s.shape[-1], s))  # row sums through BLAS: ~8x faster than sum
    if not (den >= _TINY[s.dtype]).all():
        return None
    return s, den


def _softmax_rows(s: Any, safe: bool) -> Any:
    """Softmax over the last dim in place, shifted by each row's maximum."""
    if type(s) is np.ndarray:
        mx = s.max(axis=-1, keepdims=True, initial=-np.inf)
    elif s.shape[-1]:  # CuPy's max has no `initial`
        mx = s.max(axis=-1, keepdims=True)
    else:
        mx = xp_of(s).full(s.shape[:-1] + (1,), -np.inf, s.dtype)
    if safe:  # rows with every key masked give zeros, as torch's fused kernels do
        np.copyto(mx, 0.0, where=np.isneginf(mx))
    s -= mx
    np.exp(s, out=s)
    den = np.matmul(s, _ones(s.shape[-1], s))
    if safe:
        np.copyto(den, 1.0, where=den == 0)
    s /= den
    return s


def _masks(L: int, S: int, causal: bool, attn_mask: Tensor | None, cd: Any) -> tuple:
    """(additive float mask, multiplicative keep mask) arrays for _exp_scores."""
    if causal:
        key = (L, S, cd)
        m = _tri01.get(key)
        if m is None:
            m = (~_upper(L, S)).astype(cd)
            if L * S <= 1 << 20:
                _tri01[key] = m
        return None, m
    if attn_mask is None:
        return None, None
    m = attn_mask._data
    if attn_mask.dtype is D.bool_:
        return None, m
    return m.astype(cd, copy=False), None


def _attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None,
               dropout_p: float, is_causal: bool, scale: float | None, enable_gqa: bool,
               need_weights: bool, safe: bool) -> tuple:
    """The fused forward: (output, attention weights after dropout or None)."""
    _check(query, key, value, attn_mask, dropout_p, is_causal)
    dt = query.dtype
    cd = _F32 if dt in _HALF else dt.np
    qa, ka, va = (t._data.astype(cd, copy=False) for t in (query, key, value))
    groups = _gqa_groups(qa.shape, ka.shape, va.shape) if enable_gqa else (1, 1)
    kr, vr = _repeat_heads(ka, groups[0]), _repeat_heads(va, groups[1])
    batch = _broadcast_shape([qa.shape[:-2], kr.shape[:-2], vr.shape[:-2]])
    E, L, S = qa.shape[-1], qa.shape[-2], kr.shape[-2]
    nb = math.prod(batch)
    if kr.shape[-1] != E:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {E}] but got: [{nb}, {kr.shape[-1]}].")
    if vr.shape[-2] != S:
        raise RuntimeError("Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{nb}, {S}] but got: [{nb}, {vr.shape[-2]}].")
    if attn_mask is not None and not is_causal:
        full = _broadcast_shape([batch + (L, S), tuple(attn_mask.shape)])
        if full != batch + (L, S):
            raise RuntimeError(f"output with shape {list(batch + (L, S))} doesn't match the "
                               f"broadcast shape {list(full)}")
    sc = 1.0 / math.sqrt(E) if scale is None else float(scale)
    mask_g = attn_mask if attn_mask is not None and attn_mask.dtype is not D.bool_ and \
        attn_mask._requires_grad else None
    record = _gm.enabled and (query._requires_grad or key._requires_grad or
                              value._requires_grad or mask_g is not None)

    fmask, kmask = _masks(L, S, is_causal, attn_mask, cd)
    fmask, kmask = like(qa, fmask), like(qa, kmask)  # the causal mask is built on the host
    r = _exp_scores(_scores(qa, kr, sc), fmask, kmask)
    inv = None   # 1 / row sums, applied to the output when p stays unnormalised
    if r is None:  # a non-finite score, a row far below the shift, or a fully masked row
        s = _scores(qa, kr, sc)
        if is_causal:
            np.copyto(s, -np.inf, where=like(s, _upper(L, S)))
        elif kmask is not None:
            np.copyto(s, -np.inf, where=~kmask)
        elif fmask is not None:
            s += fmask
        p = _softmax_rows(s, safe)
    else:
        p, inv = r
        np.reciprocal(inv, out=inv)
        if record or need_weights:
            p *= inv
            inv = None

    keep = None
    keep_scale = 1.0
    pd = p
    dev = query.device
    if dropout_p > 0:
        if dropout_p >= 1:
            k_arr = np.zeros(p.shape, np.bool_)
            keep_scale = 0.0
        else:
            gen = _random.generator_for(dev)
            k_arr = gen._np.random(p.shape, dtype=np.float32) >= dropout_p
            keep_scale = 1.0 / (1.0 - dropout_p)
        if type(p) is not np.ndarray and dev.type != "cpu":
            from ...backends import for_device

            k_arr = for_device(dev).from_host(k_arr)
        pd = np.multiply(p, k_arr)
        pd *= keep_scale
        keep = make(k_arr, D.bool_, dev)
    out = batched_matmul(pd, vr)
    if inv is not None:
        out *= inv
    res = make(out.astype(dt.np, copy=False), dt, dev)
    w = None
    if need_weights:
        w = make(pd.astype(dt.np) if pd is p else pd.astype(dt.np, copy=False), dt, dev)
    if record:
        node = ScaledDotProductFlashAttentionForCpuBackward0(sc, keep_scale, is_causal, safe,
                                                             groups, cd)
        attach(node, (query, key, value, mask_g), (res, w) if w is not None else (res,))
        pdt = D.float32 if dt in _HALF else dt
        node.save(query, key, value, attn_mask, make(p, pdt, dev), keep)
    return res, w
