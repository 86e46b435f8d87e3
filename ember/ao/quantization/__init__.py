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

# --- eager workflow: stubs, fusion, module mappings, prepare/convert (quantized modules)
# (after the foundation: the workflow builds on its observers and qconfigs)
from . import fuser_method_mappings, quantization_mappings, stubs  # noqa: E402, F401
from . import quantize as _quantize_file  # noqa: E402
from .fuse_modules import fuse_known_modules, fuse_modules, fuse_modules_qat  # noqa: E402
from .fuser_method_mappings import get_fuser_method  # noqa: E402
from .quantization_mappings import *  # noqa: E402, F403
from .quantize import *  # noqa: E402, F403
from .stubs import *  # noqa: E402, F403

__all__ += ["fuse_known_modules", "fuse_modules", "fuse_modules_qat", "get_fuser_method",
            *quantization_mappings.__all__, *_quantize_file.__all__, *stubs.__all__]

# --- FX graph mode: QConfigMapping, BackendConfig, quantize_fx (prepare_fx, ...)
from . import backend_config, quantize_fx  # noqa: E402,F401
from . import qconfig_mapping as _qconfig_mapping_file  # noqa: E402
from .qconfig_mapping import *  # noqa: E402,F403

__all__ += [*_qconfig_mapping_file.__all__]
