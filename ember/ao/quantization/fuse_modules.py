"""fuse_modules / fuse_modules_qat: replace a list of submodules by one fused module."""

from __future__ import annotations

import copy
from typing import Any

from ... import nn
from .fuser_method_mappings import get_fuser_method

__all__ = ["fuse_known_modules", "fuse_modules", "fuse_modules_qat", "get_fuser_method"]


def _get_module(model: Any, name: str) -> Any:
    for part in name.split("."):
        model = getattr(model, part)
    return model


def _set_module(model: Any, name: str, new: Any) -> None:
    *parents, last = name.split(".")
    for part in parents:
        model = getattr(model, part)
    setattr(model, last, new)


def fuse_known_modules(mod_list: list, is_qat: bool,
                       additional_fuser_method_mapping: dict | None = None) -> list:
    """Fuse the modules of mod_list; the first becomes the fused one, the rest Identity.

    Forward pre-hooks of the first module and forward hooks of the last move to the fused one.
    """
    types = tuple(type(m) for m in mod_list)
    fuser = get_fuser_method(types, additional_fuser_method_mapping)
    fused = fuser(is_qat, *mod_list)
    for hook in mod_list[0]._forward_pre_hooks.values():
        fused.register_forward_pre_hook(hook)
    mod_list[0]._forward_pre_hooks.clear()
    for hook in mod_list[-1]._forward_hooks.values():
        fused.register_forward_hook(hook)
    mod_list[-1]._forward_hooks.clear()
    new_mods: list = [fused]
    for _ in mod_list[1:]:
        identity = nn.Identity()
        identity.training = mod_list[0].training
        new_mods.append(identity)
    return new_mods


def _fuse_helper(model: Any, names: list, is_qat: bool, fuser_func: Any,
                 fuse_custom_config_dict: dict | None) -> None:
    extra = (fuse_custom_config_dict or {}).get("additional_fuser_method_mapping", {})
    mods = [_get_module(model, n) for n in names]
    for name, new in zip(names, fuser_func(mods, is_qat, extra)):
        _set_module(model, name, new)


def _fuse_modules(model: Any, modules_to_fuse: list, is_qat: bool, inplace: bool,
                  fuser_func: Any, fuse_custom_config_dict: dict | None) -> Any:
    if not inplace:
        model = copy.deepcopy(model)
    if all(isinstance(m, str) for m in modules_to_fuse):
        _fuse_helper(model, modules_to_fuse, is_qat, fuser_func, fuse_custom_config_dict)
    else:
        for group in modules_to_fuse:
            _fuse_helper(model, group, is_qat, fuser_func, fuse_custom_config_dict)
    return model


def fuse_modules(model: Any, modules_to_fuse: list, inplace: bool = False,
                 fuser_func: Any = fuse_known_modules,
                 fuse_custom_config_dict: dict | None = None) -> Any:
    """Fuse conv-bn, conv-bn-relu, conv-relu, linear-relu, linear-bn, bn-relu (eval mode).

    modules_to_fuse is one list of dotted names or a list of such lists.
    """
    return _fuse_modules(model, modules_to_fuse, False, inplace, fuser_func,
                         fuse_custom_config_dict)


def fuse_modules_qat(model: Any, modules_to_fuse: list, inplace: bool = False,
                     fuser_func: Any = fuse_known_modules,
                     fuse_custom_config_dict: dict | None = None) -> Any:
    """fuse_modules for QAT: BatchNorm is kept inside ConvBn/ConvBnReLU/LinearBn modules."""
    return _fuse_modules(model, modules_to_fuse, True, inplace, fuser_func,
                         fuse_custom_config_dict)
