"""Legacy name of torch.ao.nn.intrinsic.qat."""

from ....ao.nn.intrinsic.qat import *  # noqa: F403
from ....ao.nn.intrinsic.qat import __all__  # noqa: F401
