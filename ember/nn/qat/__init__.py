"""Legacy name of torch.ao.nn.qat (torch.nn.qat)."""

from ...ao.nn.qat import *  # noqa: F403
from ...ao.nn.qat import __all__  # noqa: F401
