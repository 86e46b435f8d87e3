"""nn.functional embedding, embedding_bag and one_hot (torch's nn/functional sparse section).

embedding's backward sums gradient rows into the table with one BLAS product against a one-hot
matrix when that is small, else by sorting the indices and one segmented sum; padding_idx rows get
no gradient and scale_grad_by_freq divides by each index's count in the batch. max_norm
renormalises the looked-up rows of weight in place, as torch does. sparse=True gradients are not
implemented (NotImplementedError).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _dtype as D
from ..._tensor import Tensor, make
from ...autograd.grad_mode import state as _gm
from ...autograd.graph import Node
from ...backends import add_at, like, reduceat, sparse_indices, to_numpy, xp_of
from ...ops._core import attach
from ...ops._registry import FUNCTIONS, register
from ._util import F32, HALF, publish

__all__ = ["embedding", "embedding_bag", "one_hot"]

_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
          "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
          "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
          "bool": "BoolTensor"}


def _indices(name: str, input: Any, n: int) -> Any:
    """The indices as an int64 array (torch's dtype and range checks)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'indices' must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got torch."
                           f"{_TYPES.get(input.dtype.name, 'Tensor')} instead (while checking "
                           f"arguments for {name})")
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    return idx


def scatter_rows(idx: Any, rows: Any, n: int) -> Any:
    """out[i] = sum of rows[j] with idx[j] == i, for i < n (a new (n, d) array)."""
    m = len(idx)
    d = rows.shape[1]
    if type(rows) is not np.ndarray:  # a device array: one scatter-add
        out = xp_of(rows).zeros((n, d), rows.dtype)
        add_at(out, like(rows, idx), rows)
        return out
    if m == 0:
        return np.zeros((n, d), rows.dtype)
    if n <= 128:  # few rows: a one-hot matrix product (BLAS)
        oh = np.zeros((n, m), rows.dtype)
        oh[idx, np.arange(m)] = 1
        return oh @ rows
    order = np.argsort(idx, kind="stable")
    si = idx[order]
    starts = np.flatnonzero(np.r_[True, si[1:] != si[:-1]])
    out = np.zeros((n, d), rows.dtype)
    out[si[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


def _renorm_(weight: Tensor, idx: Any, max_norm: float, norm_type: float) -> None:
    """torch.embedding_renorm_: rows of weight used by idx with norm > max_norm are scaled to
    max_norm (in place, no autograd)."""
    u = np.unique(idx)
    if not u.size:
        return
    w = weight._data
    rows = w[u].astype(np.float64)
    norms = np.linalg.norm(rows, ord=norm_type, axis=1) if norm_type != 0 else \
        (rows != 0).sum(axis=1).astype(np.float64)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[u[big]] = (rows[big] * scale[:, None]).astype(w.dtype)
        weight._bump_version()


# ------------------------------------------------------------------ embedding
class EmbeddingBackward0(Node):
    def __init__(self, idx: Any, n: int, padding_idx: int, scale_freq: bool) -> None:
        super().__init__()
        self.idx, self.n, self.padding_idx, self.scale_freq = idx, n, padding_idx, scale_freq

    def _coef(self) -> Any:
        """Per-lookup multiplier of the gradient rows (None when all ones)."""
        idx = self.idx.reshape(-1)
        coef = None
        if self.scale_freq:
            counts = np.bincount(idx, minlength=self.n)
            coef = 1.0 / counts[idx]
        if self.padding_idx >= 0:
            keep = (idx != self.padding_idx).astype(np.float64)
            coef = keep if coef is None else coef * keep
        return coef

    def backward(self, grad: Tensor) -> Tensor:
        d = grad.shape[-1]
        idx = self.idx.reshape(-1)
        coef = self._coef()
        if _gm.enabled:
            g2 = grad.reshape(-1, d)
            if coef is not None:
                g2 = g2 * make(coef.astype(grad.dtype.np)[:, None], grad.dtype, grad.device)
            z = FUNCTIONS["zeros"](self.n, d, dtype=grad.dtype, device=grad.device)
            return z.index_add(0, make(idx, D.int64, grad.device), g2)
        g2 = grad._data.reshape(-1, d)
        half = grad.dtype in HALF
        if half:
            g2 = g2.astype(F32)
        if coef is not None:
            g2 = g2 * coef.astype(g2.dtype)[:, None]
        r = scatter_rows(idx, g2, self.n)
        return make(r.astype(grad.dtype.np) if half else r, grad.dtype, grad.device)


def _embedding(weight: Tensor, input: Tensor, padding_idx: int = -1,
               scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    if sparse:
        raise NotImplementedError("embedding(sparse=True): sparse gradients are not implemented "
                                  "in ember; use sparse=False")
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding(): argument 'weight' must be Tensor, not "
                        f"{type(weight).__name__}")
    if weight.dim() != 2:
        raise RuntimeError(f"'weight' must be 2-D, got {weight.dim()}-D")
    n = weight.shape[0]
    idx = _indices("embedding", input, n)
    res = make(np.take(weight._data, idx, axis=0), weight.dtype, weight.device)
    if _gm.enabled and weight._requires_grad:
        attach(EmbeddingBackward0(idx, n, padding_idx, scale_grad_by_freq), (weight,), (res,))
    return res


@register("embedding", namespace="nn.functional")
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """weight[input]; padding_idx rows get no gradient; max_norm renormalises the used rows of
    weight in place."""
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.size(0):
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        idx = _indices("embedding", input, weight.shape[0])
        _renorm_(weight, idx, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


register("embedding")(_embedding)


# ------------------------------------------------------------------ embedding_bag
class EmbeddingBagBackward0(Node):
    def __init__(self, plan: dict) -> None:
        super().__init__()
        self.plan = plan

    def backward(self, grad: Tensor) -> tuple:
        p = self.plan
        (weight, psw) = self.saved_tensors
        nf = self.next_functions
        idx, bag, n, d = p["idx"], p["bag"], p["n"], grad.shape[-1]
        gw = gp = None
        if _gm.enabled:
            return self._graph(grad, weight, psw, nf)
        g = grad._data.astype(F32) if grad.dtype in HALF else grad._data
        if p["mode"] == 2:
            if nf[0][0] is not None:
                sel = p["argmax"]  # (B, d) positions into idx, -1 for empty bags
                ok = sel >= 0
                flat = idx[np.where(ok, sel, 0)] * d + xp_of(idx).arange(d)[None, :]
                r = np.bincount(flat[ok], weights=g[ok], minlength=n * d).reshape(n, d)
                gw = make(r.astype(grad.dtype.np), grad.dtype, grad.device)
            return gw, gp
        rows = g[bag]
        coef = p["coef"]
        if nf[0][0] is not None:
            c = coef if psw is None else coef * _up(psw._data)
            r = scatter_rows(idx, rows * c.astype(rows.dtype)[:, None], n)
            gw = make(r.astype(grad.dtype.np), grad.dtype, grad.device)
        if psw is not None and nf[1][0] is not None:
            w = _up(weight._data)[idx]
            r = np.einsum("ij,ij->i", rows, w) * coef
            gp = make(r.astype(psw.dtype.np), psw.dtype, psw.device)
        return gw, gp

    def _graph(self, grad: Tensor, weight: Tensor, psw: Any, nf: tuple) -> tuple:
        p = self.plan
        idx, bag, n, d = p["idx"], p["bag"], p["n"], grad.shape[-1]
        dev = grad.device
        zeros = FUNCTIONS["zeros"]
        if p["mode"] == 2:
            sel = p["argmax"]
            ok = sel >= 0
            flat = (idx[np.where(ok, sel, 0)] * d + xp_of(idx).arange(d)[None, :])[ok]
            gsel = grad.reshape(-1)[make(np.flatnonzero(ok.reshape(-1)), D.int64, dev)]
            gw = zeros(n * d, dtype=grad.dtype, device=dev).index_add(
                0, make(flat, D.int64, dev), gsel).reshape(n, d)
            return gw, None
        rows = grad[make(bag, D.int64, dev)]
        coef = make(p["coef"].astype(grad.dtype.np), grad.dtype, dev)
        gw = gp = None
        if nf[0][0] is not None:
            c = coef if psw is None else coef * psw
            gw = zeros(n, d, dtype=grad.dtype, device=dev).index_add(
                0, make(idx, D.int64, dev), rows * c.unsqueeze(1))
        if psw is not None and nf[1][0] is not None:
            gp = (rows * weight[make(idx, D.int64, dev)]).sum(1) * coef
        return gw, gp


def _up(a: Any) -> Any:
    return a.astype(F32) if a.dtype in (np.dtype(np.float16), np.dtype(D.bfloat16.np)) else a


def _bags(offsets: Any, n_idx: int, include_last: bool) -> tuple:
    """(starts, ends) of each bag from torch's offsets."""
    off = to_numpy(offsets._data).astype(np.int64, copy=False).reshape(-1)  # the plan: host
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(off[0])}")
    if off.size and off[-1] > n_idx:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n_idx} but "
                           f"got offsets[-1] of {int(off[-1])}")
    if include_last:
        return off[:-1], off[1:]
    return off, np.r_[off[1:], n_idx].astype(np.int64)


@register("embedding_bag", namespace="nn.functional")
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sums, means or maxes of bags of embeddings (bags: rows of a 2-d input, or 1-d input cut
    at offsets), without materialising the per-index embeddings' graph."""
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape!r}) "
                         f"is not None, then it must have the same shape as the input "
                         f"({input.shape!r})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    n, d = weight.shape
    idx = _indices("embedding_bag", input, n).reshape(-1)
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        b, L = input.shape
        starts = np.arange(0, b * L, L, dtype=np.int64) if L else np.zeros(b, np.int64)
        ends = starts + L
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts, ends = _bags(offsets, len(idx), include_last_offset)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    modes = {"sum": 0, "mean": 1, "max": 2}
    if mode not in modes:
        raise ValueError("mode has to be one of sum, mean or max")
    m = modes[mode]
    if m == 2 and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if m == 2 and sparse:
        raise ValueError("max mode does not support sparse weights")
    if sparse:
        raise NotImplementedError("embedding_bag(sparse=True): sparse gradients are not "
                                  "implemented in ember; use sparse=False")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if per_sample_weights is not None and m != 0:
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    nb = len(starts)
    counts = ends - starts
    total = int(ends[-1]) if nb else 0
    idx = idx[:total]
    w = _up(weight._data)
    xp = xp_of(w)
    bag = like(w, np.repeat(np.arange(nb), counts))
    keep = idx != padding_idx if padding_idx is not None else xp.ones(total, bool)
    rows = w[idx]
    coef = keep.astype(rows.dtype)
    if per_sample_weights is not None:
        psw = _up(per_sample_weights._data).reshape(-1)[:total]
        rows = rows * (psw * coef)[:, None]
    elif padding_idx is not None:
        rows = rows * coef[:, None]
    nonempty = counts > 0
    ne = like(w, nonempty)
    out = xp.zeros((nb, d), rows.dtype)
    argmax = None
    if m == 2:
        masked = np.where(keep[:, None], rows, -np.inf)
        if total:
            out[ne] = reduceat(np.maximum, masked, starts[nonempty])
        out[~np.isfinite(out) & (out < 0)] = 0
        pos = xp.arange(total)[:, None]
        hit = (masked == out[bag]) & keep[:, None]
        score = np.where(hit, -pos, -np.iinfo(np.int64).max)
        argmax = xp.full((nb, d), -1, np.int64)
        if total:
            best = reduceat(np.maximum, score, starts[nonempty])
            argmax[ne] = np.where(best > -np.iinfo(np.int64).max, -best, -1)
    else:
        if total:
            out[ne] = reduceat(np.add, rows, starts[nonempty])
        if m == 1:
            cnt: Any = reduceat(np.add, keep.astype(rows.dtype), starts[nonempty]) if total else 0
            full = xp.zeros(nb, rows.dtype)
            full[ne] = cnt
            out /= np.maximum(full, 1)[:, None]
            coef = coef / np.maximum(full, 1)[bag]
    if scale_grad_by_freq and m != 2:
        coef = coef / np.bincount(idx, minlength=n)[idx]
    res = make(out.astype(weight.dtype.np), weight.dtype, weight.device)
    need_p = per_sample_weights is not None and per_sample_weights._requires_grad
    if _gm.enabled and (weight._requires_grad or need_p):
        plan = {"idx": idx, "bag": bag, "n": n, "mode": m, "coef": coef, "argmax": argmax}
        node = EmbeddingBagBackward0(plan)
        attach(node, (weight, per_sample_weights), (res,))
        node.save(weight, per_sample_weights)
    return res


# ------------------------------------------------------------------ one_hot
@register("one_hot", namespace="nn.functional")
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """An int64 tensor with a trailing dim of num_classes: 1 at each value's index."""
    if not isinstance(tensor, Tensor) or tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    r = xp_of(a).zeros(a.shape + (num_classes,), np.int64)
    if type(a) is np.ndarray:
        np.put_along_axis(r, a[..., None], 1, axis=-1)
    else:
        r[tuple(sparse_indices(a.shape, xp_of(a))) + (a,)] = 1
    return make(r, D.int64, tensor.device)


publish("embedding")
