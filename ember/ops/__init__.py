"""The op catalogue: importing this package registers every op family (one file each)."""

import warnings

# NumPy reports overflow / invalid / divide-by-zero (log(0), 1/0) as RuntimeWarnings; torch is
# silent. A filter scoped to ember's op modules costs nothing per call, unlike np.errstate.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember\.(ops|autograd)\.")

from . import _registry
from . import (  # each import registers a family
    addmm, arith, binary, broadcast, comparison, conversion, creation, cross, cumulative, diag,
    einsum, index_dim, indexing, linalg, logical, masked, pointwise, random, random_inplace,
    new_factories, ranges, reduction, repeat, scatter, shape, sorting, statistics, strided,
    unary, views,
)
from . import fake_quant, quantize  # noqa: E402,F401  (quantization: qtensors, fake quant)

_registry.install_methods()

OPS = _registry.OPS
FUNCTIONS = _registry.FUNCTIONS
METHODS = _registry.METHODS
