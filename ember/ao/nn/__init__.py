"""torch.ao.nn: quantized, dynamic, QAT and fused (intrinsic) modules."""

from . import intrinsic, qat, quantized
from .intrinsic import qat as _iqat  # noqa: F401  (import order: qat modules need nnq)
from .intrinsic import quantized as _iq  # noqa: F401

__all__ = ["intrinsic", "qat", "quantized"]

# the legacy torch.nn.quantized / intrinsic / qat names; imported here because they re-export
# these packages, which need ember.nn complete first
from ...nn import intrinsic as _legacy_nni  # noqa: E402, F401
from ...nn import qat as _legacy_nnqat  # noqa: E402, F401
from ...nn import quantized as _legacy_nnq  # noqa: E402, F401
