"""torch.ao.quantization: observers, fake quantization, qconfigs and the eager workflow."""

# --- eager workflow: stubs, fusion, mappings, prepare/convert (part 2) ---
from .fuse_modules import fuse_known_modules, fuse_modules, fuse_modules_qat
from .fuser_method_mappings import get_fuser_method
from .quantization_mappings import (
                                    get_default_dynamic_quant_module_mappings,
                                    get_default_qat_module_mappings,
                                    get_default_qconfig_propagation_list,
                                    get_default_static_quant_module_mappings,
                                    get_dynamic_quant_module_class,
                                    get_embedding_qat_module_mappings,
                                    get_embedding_static_quant_module_mappings,
                                    get_static_quant_module_class,
                                    no_observer_set,
)
from .quantize import (
                                    add_quant_dequant,
                                    convert,
                                    get_default_custom_config_dict,
                                    prepare,
                                    prepare_qat,
                                    propagate_qconfig_,
                                    quantize,
                                    quantize_dynamic,
                                    quantize_qat,
                                    swap_module,
)
from .stubs import DeQuantStub, QuantStub, QuantWrapper

__all__ = [
    "fuse_known_modules",
    "fuse_modules",
    "fuse_modules_qat",
    "get_fuser_method",
    "get_default_dynamic_quant_module_mappings",
    "get_default_qat_module_mappings",
    "get_default_qconfig_propagation_list",
    "get_default_static_quant_module_mappings",
    "get_dynamic_quant_module_class",
    "get_embedding_qat_module_mappings",
    "get_embedding_static_quant_module_mappings",
    "get_static_quant_module_class",
    "no_observer_set",
    "add_quant_dequant",
    "convert",
    "get_default_custom_config_dict",
    "prepare",
    "prepare_qat",
    "propagate_qconfig_",
    "quantize",
    "quantize_dynamic",
    "quantize_qat",
    "swap_module",
    "DeQuantStub",
    "QuantStub",
    "QuantWrapper",
]
# --- end eager workflow ---
