"""torch.quantization, the legacy name: everything in ember.ao.quantization, same objects.

`import ember.quantization.observer` (and the other public submodules) gives ember.ao's module.
"""

from __future__ import annotations

import sys as _sys

from ..ao.quantization import *  # noqa: F403
from ..ao.quantization import __all__  # noqa: F401


def _alias_submodules() -> None:
    prefix = "ember.ao.quantization."
    for name, mod in list(_sys.modules.items()):
        sub = name[len(prefix):]
        if name.startswith(prefix) and "." not in sub and not sub.startswith("_"):
            _sys.modules[f"{__name__}.{sub}"] = mod
            # a function of the same name (quantize, fuse_modules) wins, as in torch
            globals().setdefault(sub, mod)


_alias_submodules()
