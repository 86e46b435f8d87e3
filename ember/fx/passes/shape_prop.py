"""ShapeProp: run a GraphModule on example inputs and record each value's tensor metadata.

`node.meta['tensor_meta']` holds a TensorMetadata (shape, dtype, requires_grad, stride,
memory_format, is_quantized, qparams) for tensor results, a structure of them for tuples and
lists of tensors; `node.meta['type']` holds the result's type. As torch.fx.passes.shape_prop.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..._tensor import Tensor
from ..interpreter import Interpreter
from ..node import Node, map_aggregate

__all__ = ["ShapeProp", "TensorMetadata"]


class TensorMetadata(NamedTuple):
    shape: Any
    dtype: Any
    requires_grad: bool
    stride: tuple[int, ...]
    memory_format: Any
    is_quantized: bool
    qparams: dict[str, Any]


def _extract(t: Tensor) -> TensorMetadata:
    from ... import _dtype as D

    fmt = None
    if t.is_contiguous():
        fmt = D.contiguous_format
    elif t.dim() == 4 and t.is_contiguous(memory_format=D.channels_last):
        fmt = D.channels_last
    return TensorMetadata(t.shape, t.dtype, t.requires_grad, t.stride(), fmt, False, {})


class ShapeProp(Interpreter):
    """`ShapeProp(gm).propagate(*example_inputs)` annotates every node of gm's graph."""

    def run_node(self, n: Node) -> Any:
        result = super().run_node(n)
        found = [False]

        def meta(x: Any) -> Any:
            if isinstance(x, Tensor):
                found[0] = True
                return _extract(x)
            return x

        tm = map_aggregate(result, meta)
        if found[0]:
            n.meta["tensor_meta"] = tm
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args: Any) -> Any:
        """Run the module on `args`, recording metadata; returns the module's result."""
        return self.run(*args)
