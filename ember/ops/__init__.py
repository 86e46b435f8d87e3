"""The op catalogue: importing this package registers every op family (one file each)."""

from . import _registry
from . import (arith, binary, comparison, conversion, creation, cumulative,  # noqa: F401
               indexing, linalg, logical, pointwise, random, reduction, shape, sorting,
               statistics, unary, views)

_registry.install_methods()

OPS = _registry.OPS
FUNCTIONS = _registry.FUNCTIONS
METHODS = _registry.METHODS
