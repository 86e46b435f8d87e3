"""nn.functional cosine_similarity and pairwise_distance (composed of ember ops, as torch
composes them); also ember.cosine_similarity / ember.pairwise_distance."""

from __future__ import annotations

from ... import _dtype as D
from ..._tensor import Tensor
from ...ops._core import _tname, result_type
from ...ops._registry import FUNCTIONS, register
from ._util import publish

__all__ = ["cosine_similarity", "pairwise_distance"]


def _cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    dt = result_type(x1, x2)
    if dt.category != D.FLOAT:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_tname(dt)}")
    a, b = FUNCTIONS["broadcast_tensors"](x1.to(dt), x2.to(dt))
    # torch clamps the norms under no_grad: the value is clamped, the gradient is the norm's
    n1 = a.norm(2, dim, keepdim=True)
    n2 = b.norm(2, dim, keepdim=True)
    n1 = n1 + (n1.detach().clamp_min(eps) - n1.detach())
    n2 = n2 + (n2.detach().clamp_min(eps) - n2.detach())
    return ((a / n1) * (b / n2)).sum(dim)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                       keepdim: bool = False) -> Tensor:
    dim = max(x1.dim(), x2.dim()) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)


cosine_similarity = register("cosine_similarity", namespace="nn.functional")(_cosine_similarity)
cosine_similarity.__doc__ = "sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim."
pairwise_distance = register("pairwise_distance", namespace="nn.functional")(_pairwise_distance)
pairwise_distance.__doc__ = "||x1 - x2 + eps||_p along the last dim."
register("cosine_similarity")(_cosine_similarity)
register("pairwise_distance")(_pairwise_distance)
publish("cosine_similarity", "pairwise_distance")
