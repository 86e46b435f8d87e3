"""Numeric debugging of quantized models (torch.ao.ns's purpose, a simpler API).

See ember.ao.ns.numeric_debugger: compare_layers and quantize_with_float_fallback.
"""

from .numeric_debugger import (
    LayerReport,
    NumericReport,
    compare_layers,
    compute_sqnr,
    quantize_with_float_fallback,
)

__all__ = [
    "LayerReport",
    "NumericReport",
    "compare_layers",
    "compute_sqnr",
    "quantize_with_float_fallback",
]
