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

# --- eager workflow: stubs, fusion, module mappings, prepare/convert (quantized modules)
from . import fuser_method_mappings, quantization_mappings, stubs  # noqa: F401
from . import quantize as _quantize_file
from .fuse_modules import fuse_known_modules, fuse_modules, fuse_modules_qat
from .fuser_method_mappings import get_fuser_method
from .quantization_mappings import *  # noqa: F403
from .quantize import *  # noqa: F403
from .stubs import *  # noqa: F403

__all__ += ["fuse_known_modules", "fuse_modules", "fuse_modules_qat", "get_fuser_method",
            *quantization_mappings.__all__, *_quantize_file.__all__, *stubs.__all__]

# --- FX graph mode: QConfigMapping, QuantType, BackendConfig, quantize_fx (prepare_fx, ...)
from . import backend_config, quantize_fx  # noqa: E402,F401
from . import qconfig_mapping as _qconfig_mapping_file  # noqa: E402
from .qconfig_mapping import *  # noqa: E402,F403
from .quant_type import QuantType  # noqa: E402

__all__ += [*_qconfig_mapping_file.__all__, "QuantType"]
