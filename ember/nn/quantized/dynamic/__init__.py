"""Legacy name of torch.ao.nn.quantized.dynamic (torch.nn.quantized.dynamic)."""

from ....ao.nn.quantized.dynamic import *  # noqa: F403
from ....ao.nn.quantized.dynamic import __all__  # noqa: F401
