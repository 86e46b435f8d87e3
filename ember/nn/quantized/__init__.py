"""Legacy name of torch.ao.nn.quantized (torch.nn.quantized)."""

from ...ao.nn.quantized import *  # noqa: F403
from ...ao.nn.quantized import __all__, functional  # noqa: F401
from . import dynamic  # type: ignore[no-redef]  # noqa: F401
