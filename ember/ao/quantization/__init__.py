"""Eager-mode quantization (torch.ao.quantization): observers, fake quantize, qconfigs, workflow.

Names are grouped by the file that defines them; each group extends __all__ (`__all__ += [...]`
after the first group).
"""

from __future__ import annotations

from typing import Any

# --- observers, fake quantize, qconfigs, utils (foundation)
from . import (
    fake_quantize,
    observer,
    qconfig,
    quant_type,
    utils,  # noqa: F401  (ember.ao.quantization.utils, as torch)
)
from .fake_quantize import *  # noqa: F403
from .observer import *  # noqa: F403
from .qconfig import *  # noqa: F403
from .quant_type import *  # noqa: F403
from .utils import get_combined_dict

ObserverOrFakeQuantize = ObserverBase | FakeQuantizeBase  # noqa: F405


def default_eval_fn(model: Any, calib_data: Any) -> None:
    """Calibration loop: model(data) for each (data, target) in calib_data."""
    for data, _target in calib_data:
        model(data)


__all__ = [*observer.__all__, *fake_quantize.__all__, *qconfig.__all__, *quant_type.__all__,
           "get_combined_dict", "ObserverOrFakeQuantize", "default_eval_fn"]
