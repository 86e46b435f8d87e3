"""Attention: scaled_dot_product_attention and multi_head_attention_forward (torch.nn.functional).

scaled_dot_product_attention is one fused op (_sdpa.py): one forward, one backward node
(ScaledDotProductFlashAttentionForCpuBackward0, torch's CPU node name). Differences from torch:
double backward works (torch's CPU flash kernel raises); dropout masks come from ember's
generator, so they differ from torch's for the same seed; is_causal with an explicit attn_mask
always raises (torch's flash path silently ignores the mask).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, cast

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops._registry import register
from ._sdpa import _attention

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


@register("scaled_dot_product_attention", namespace="nn.functional")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v, fused; a bool mask keeps True positions, fully masked
    rows give zeros. Dropout draws from ember's generator (not torch's stream)."""
    return _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa,
                      False, True)[0]


# ------------------------------------------------------------------ multi-head attention
def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Tensor | None:
    """A bool mask as an additive float mask (-inf where True); float masks pass through."""
    if mask is None:
        return None
    is_float = mask.dtype.category == D.FLOAT
    if mask.dtype is not D.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=2)
    if not is_float:
        from ...ops.creation import zeros

        mask = zeros(tuple(mask.shape), dtype=target_type, device=mask.device).masked_fill_(
            mask, -math.inf)
    return mask


def _none_or_dtype(input: Tensor | None) -> Any:
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                     attn_mask: Any, num_heads: int) -> bool:
    """torch's shape checks of multi_head_attention_forward; True when the input is batched."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                                 f" but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.dim()}-D tensor instead")
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.dim()}-D and {value.dim()}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.dim()}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.dim()}-D tensor "
                                     "instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{attn_mask.shape}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.dim()}-D query tensor")


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    from .linear import linear

    return linear(x, w, b)


def _pad_last(t: Tensor) -> Tensor:
    """F.pad(t, (0, 1)): one zero column appended on the last dim."""
    from ...ops.creation import zeros
    from ...ops.shape import cat

    return cat([t, zeros(tuple(t.shape[:-1]) + (1,), dtype=t.dtype, device=t.device)], -1)


def _in_projection(query: Tensor, key: Tensor, value: Tensor, w: Tensor | None,
                   b: Tensor | None, sep: tuple | None) -> tuple:
    """q, k, v projections from the packed (3E, E) weight, or from separate weights."""
    E = query.shape[-1]
    if sep is None:
        w = cast(Tensor, w)  # the packed weight is given whenever sep is None
        if key is value:
            if query is key:  # self-attention: one GEMM
                proj = _linear(query, w, b)
                return proj[..., :E], proj[..., E:2 * E], proj[..., 2 * E:]
            w_q, w_kv = w[:E], w[E:]
            b_q, b_kv = (None, None) if b is None else (b[:E], b[E:])
            kv = _linear(key, w_kv, b_kv)
            return _linear(query, w_q, b_q), kv[..., :E], kv[..., E:]
        ws = w.chunk(3)
        bs = (None,) * 3 if b is None else b.chunk(3)
        return tuple(_linear(x, wi, bi) for x, wi, bi in zip((query, key, value), ws, bs,
                                                              strict=True))
    w_q, w_k, w_v = sep
    Ek, Ev = key.shape[-1], value.shape[-1]
    for name, wt, shape in (("query", w_q, (E, E)), ("key", w_k, (E, Ek)),
                            ("value", w_v, (E, Ev))):
        if tuple(wt.shape) != shape:
            raise AssertionError(f"expecting {name} weights shape of {shape}, but got "
                                 f"{wt.shape}")
    bs = (None,) * 3 if b is None else b.chunk(3)
    return _linear(query, w_q, bs[0]), _linear(key, w_k, bs[1]), _linear(value, w_v, bs[2])


@register("multi_head_attention_forward", namespace="nn.functional")
def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple:
    """The forward of nn.MultiheadAttention on sequence-first inputs (L, N, E) or (L, E)."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone drives the causal masking
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        for name, wt in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if wt is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        q, k, v = _in_projection(query, key, value, None, in_proj_bias,
                                 (q_proj_weight, k_proj_weight, v_proj_weight))
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, None)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        from ...ops.shape import cat

        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _static_or(k, static_k, bsz * num_heads, head_dim, "static_k")
    v = _static_or(v, static_v, bsz * num_heads, head_dim, "static_v")
    if add_zero_attn:
        from ...ops.creation import zeros
        from ...ops.shape import cat

        zshape = (bsz * num_heads, 1, head_dim)
        k = cat([k, zeros(zshape, dtype=k.dtype, device=k.device)], dim=1)
        v = cat([v, zeros(zshape, dtype=v.dtype, device=v.device)], dim=1)
        if attn_mask is not None:
            attn_mask = _pad_last(attn_mask)
        if key_padding_mask is not None:
            key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        kpm = key_padding_mask.view(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    # q, k, v: (bsz * num_heads, len, head_dim); one fused attention call
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, w = _attention(q, k, v, attn_mask, dropout_p, False, None, False, True, False)
    else:
        out, w = _attention(q, k, v, attn_mask, dropout_p, is_causal, None, False, False, True)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, -1)
    if w is not None:
        w = w.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(dim=1)
    if not is_batched:
        out = out.squeeze(1)
        if w is not None:
            w = w.squeeze(0)
    return out, w


def _static_or(t: Tensor, static: Tensor | None, bh: int, head_dim: int, name: str) -> Tensor:
    if static is None:
        return t.reshape(t.shape[0], bh, head_dim).transpose(0, 1)
    if static.size(0) != bh:
        raise AssertionError(f"expecting {name}.size(0) of {bh}, but got {static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")
    return static
