"""Eager-mode quantization (torch.ao.quantization): observers, fake quantize, qconfigs, workflow.

Names are grouped by the file that defines them; each group extends __all__.
"""

from __future__ import annotations

# --- observers, fake quantize, qconfigs, utils (foundation)
from . import fake_quantize, observer, qconfig, utils
from .fake_quantize import *  # noqa: F403
from .observer import *  # noqa: F403
from .qconfig import *  # noqa: F403
from .utils import *  # noqa: F403

__all__ = [*observer.__all__, *fake_quantize.__all__, *qconfig.__all__, *utils.__all__]
