"""Legacy name of torch.ao.nn.intrinsic (torch.nn.intrinsic)."""

from ...ao.nn.intrinsic import *  # noqa: F403
from ...ao.nn.intrinsic import __all__  # noqa: F401
from . import qat, quantized  # noqa: F401
