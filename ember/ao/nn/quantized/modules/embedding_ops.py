"""Weight-only quantized Embedding and EmbeddingBag (quint8 rows, float scale and offset)."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember

from ....._tensor import Tensor
from .....nn.modules.module import Module
from .....ops.creation import ones, zeros
from .....ops.quantize import _make_per_channel_quantized_tensor, quantize_per_channel

__all__ = ["EmbeddingPackedParams", "Embedding", "EmbeddingBag"]


class EmbeddingPackedParams(Module):
    """Row-wise quint8 weight; state_dict keys `dtype` and `_packed_weight`, as torch's."""

    _version = 1

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = None) -> None:
        super().__init__()
        self.dtype = ember.quint8 if dtype is None else dtype
        if self.dtype != ember.quint8:
            raise NotImplementedError(f"quantized Embedding with dtype {self.dtype} is not "
                                      "implemented in Ember (quint8 only)")
        w = _make_per_channel_quantized_tensor(
            zeros(num_embeddings, embedding_dim, dtype=ember.uint8),
            ones(num_embeddings), zeros(num_embeddings), 0)
        self.set_weight(w)

    def set_weight(self, weight: Tensor) -> None:
        self._qweight = weight
        q = weight.int_repr().numpy()
        scales = weight.q_per_channel_scales().numpy().astype(np.float32)
        zps = weight.q_per_channel_zero_points().numpy().astype(np.float32)
        self._values = q
        self._scales = scales[:, None]
        # the packed row stores scale and bias = -zero_point * scale in float32
        self._offsets = (-zps * scales)[:, None].astype(np.float32)

    def dequantized_rows(self, idx: np.ndarray) -> np.ndarray:
        return self._values[idx].astype(np.float32) * self._scales[idx] + self._offsets[idx]

    def forward(self, x: Any) -> Any:
        return x

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        super()._save_to_state_dict(destination, prefix, keep_vars)
        destination[prefix + "dtype"] = self.dtype
        destination[prefix + "_packed_weight"] = self._qweight

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        self.dtype = state_dict.pop(prefix + "dtype")
        self.set_weight(state_dict.pop(prefix + "_packed_weight"))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, False, missing_keys,
                                      unexpected_keys, error_msgs)

    def __repr__(self) -> str:
        return repr(self._qweight)


def _check_indices(indices: Tensor, num: int, name: str) -> np.ndarray:
    if indices.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(f"{name}: indices must be int32 or int64, got {indices.dtype}")
    idx = indices.numpy()
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError(f"{name}: index out of range for {num} embeddings")
    return idx


class Embedding(Module):
    """Quantized Embedding: lookups return float rows q * scale + bias (weight-only)."""

    _version = 1

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.dtype = ember.quint8 if dtype is None else dtype
        self._packed_params = EmbeddingPackedParams(num_embeddings, embedding_dim, self.dtype)
        if _weight is not None:
            self._packed_params.set_weight(_weight)

    def forward(self, indices: Tensor) -> Tensor:
        idx = _check_indices(indices, self.num_embeddings, self._get_name())
        return ember.from_numpy(self._packed_params.dequantized_rows(idx))

    def _get_name(self) -> str:
        return "QuantizedEmbedding"

    def __repr__(self) -> str:
        from .utils import hide_packed_params_repr
        return hide_packed_params_repr(self, EmbeddingPackedParams)

    def extra_repr(self) -> str:
        w = self.weight()
        return (f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}, "
                f"dtype={self._packed_params.dtype}, qscheme={w.qscheme()}")

    def set_weight(self, w: Tensor) -> None:
        self._packed_params.set_weight(w)

    def weight(self) -> Tensor:
        return self._packed_params._qweight

    @classmethod
    def from_float(cls, mod: Any, use_precomputed_fake_quant: bool = False) -> Any:
        """Row-wise quint8 weight from `float_qparams_weight_only_qconfig`-style observers."""
        if hasattr(mod, "weight_fake_quant"):
            weight_observer = mod.weight_fake_quant
        else:
            if not hasattr(mod, "qconfig") or mod.qconfig is None:
                raise AssertionError("Embedding input float module must have qconfig defined")
            weight_observer = mod.qconfig.weight()
        if weight_observer.qscheme != ember.per_channel_affine_float_qparams:
            raise AssertionError("Embedding quantization is only supported with "
                                 "float_qparams_weight_only_qconfig.")
        dtype = weight_observer.dtype
        if dtype != ember.quint8:
            raise NotImplementedError(f"quantized {cls.__name__} with dtype {dtype} is not "
                                      "implemented in Ember (quint8 only)")
        weight_observer(mod.weight)
        scales, zps = weight_observer.calculate_qparams()
        qweight = quantize_per_channel(mod.weight.float(), scales.to(ember.float),
                                             zps.to(ember.float), 0, ember.quint8)
        return cls._from_qweight(mod, qweight, dtype)

    @classmethod
    def _from_qweight(cls, mod: Any, qweight: Tensor, dtype: Any) -> Any:
        q = cls(mod.num_embeddings, mod.embedding_dim, dtype=dtype)
        q.set_weight(qweight)
        return q


class EmbeddingBag(Embedding):
    """Quantized EmbeddingBag: sums of dequantized rows per bag, weight-only.

    As in torch 2.13, `mode` is stored but the bags are always summed (torch's forward passes
    mode 0 to its kernel), so a float 'mean' EmbeddingBag converts to a summing one.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "sum",
                 sparse: bool = False, _weight: Tensor | None = None,
                 include_last_offset: bool = False, dtype: Any = None) -> None:
        super().__init__(num_embeddings, embedding_dim, _weight=_weight, dtype=dtype)
        self.mode = mode  # kept, but torch's kernel call always sums (mode 0): so does this
        self.include_last_offset = include_last_offset

    def forward(self, indices: Tensor, offsets: Tensor | None = None,  # type: ignore[override]
                per_sample_weights: Tensor | None = None,
                compressed_indices_mapping: Tensor | None = None) -> Tensor:
        idx = _check_indices(indices, self.num_embeddings, self._get_name())
        if idx.ndim == 2:
            bags = [idx[i] for i in range(idx.shape[0])]
            psw = None if per_sample_weights is None else list(per_sample_weights.numpy())
        else:
            if offsets is None:
                raise ValueError("offsets has to be a 1D Tensor but got None")
            off = offsets.numpy().astype(np.int64)
            ends = list(off[1:]) + ([] if self.include_last_offset else [idx.size])
            starts = off[:-1] if self.include_last_offset else off
            bags = [idx[s:e] for s, e in zip(starts, ends)]
            w = None if per_sample_weights is None else per_sample_weights.numpy()
            psw = None if w is None else [w[s:e] for s, e in zip(starts, ends)]
        out = np.zeros((len(bags), self.embedding_dim), dtype=np.float32)
        for i, bag in enumerate(bags):
            if bag.size == 0:
                continue
            rows = self._packed_params.dequantized_rows(bag)
            if psw is not None:
                rows = rows * np.asarray(psw[i], dtype=np.float32).reshape(-1, 1)
            out[i] = rows.sum(0)
        return ember.from_numpy(out)

    def _get_name(self) -> str:
        return "QuantizedEmbeddingBag"

    @classmethod
    def _from_qweight(cls, mod: Any, qweight: Tensor, dtype: Any) -> Any:
        q = cls(mod.num_embeddings, mod.embedding_dim, mode=getattr(mod, "mode", "sum"),
                include_last_offset=getattr(mod, "include_last_offset", False), dtype=dtype)
        q.set_weight(qweight)
        return q
