"""The op catalogue: importing this package registers every op family."""

from . import _registry
from . import creation, views, conversion, arith, reduction  # noqa: F401  (registration)

_registry.install_methods()

OPS = _registry.OPS
FUNCTIONS = _registry.FUNCTIONS
METHODS = _registry.METHODS
