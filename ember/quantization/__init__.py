"""torch.quantization: the legacy names of torch.ao.quantization."""

# --- eager workflow (part 2) ---
from ..ao.quantization import (
                               DeQuantStub,
                               QuantStub,
                               QuantWrapper,
                               add_quant_dequant,
                               convert,
                               fuse_modules,
                               fuse_modules_qat,
                               get_default_dynamic_quant_module_mappings,
                               get_default_qat_module_mappings,
                               get_default_qconfig_propagation_list,
                               get_default_static_quant_module_mappings,
                               prepare,
                               prepare_qat,
                               propagate_qconfig_,
                               quantize,
                               quantize_dynamic,
                               quantize_qat,
                               swap_module,
)

__all__ = [
    "DeQuantStub",
    "QuantStub",
    "QuantWrapper",
    "add_quant_dequant",
    "convert",
    "fuse_modules",
    "fuse_modules_qat",
    "get_default_dynamic_quant_module_mappings",
    "get_default_qat_module_mappings",
    "get_default_qconfig_propagation_list",
    "get_default_static_quant_module_mappings",
    "prepare",
    "prepare_qat",
    "propagate_qconfig_",
    "quantize",
    "quantize_dynamic",
    "quantize_qat",
    "swap_module",
]
# --- end eager workflow ---
