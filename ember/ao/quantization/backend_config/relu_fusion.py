"""Fusing torch.relu and x.relu() after a conv or Linear, which torch's backends leave unfused.

torch's BackendConfigs fuse nn.ReLU and F.relu into the conv/Linear before them, but not
torch.relu or the Tensor.relu() method: those stay a separate op whose input is quantized with
a signed range and requantized after the ReLU. `with_relu_fusion(config)` returns a copy of a
BackendConfig that fuses them too (into ConvReLU/LinearReLU, as F.relu is): one
requantization, and the output range starts at zero. Results then differ from torch's (they
are closer to the float model); the default configs stay torch's.
"""

from __future__ import annotations

import copy

from ._fusers import sequential_wrapper2
from .backend_config import BackendConfig, BackendPatternConfig

__all__ = ["with_relu_fusion"]


def with_relu_fusion(backend_config: BackendConfig) -> BackendConfig:
    """A copy of backend_config that also fuses torch.relu / x.relu() after Conv1d/2d, Linear."""
    import ember
    import ember.nn as nn

    conf = copy.deepcopy(backend_config)
    conf.name = backend_config.name + "+relu_fusion"
    fused = {nn.Conv1d: "ConvReLU1d", nn.Conv2d: "ConvReLU2d", nn.Linear: "LinearReLU"}
    existing = conf._pattern_complex_format_to_config
    for root, fused_name in fused.items():
        reference = existing.get((nn.ReLU, root))
        if reference is None:
            raise ValueError(
                f"with_relu_fusion: {backend_config.name} does not fuse {root.__name__} with "
                "nn.ReLU, so there is nothing to extend"
            )
        relu_fn: object = getattr(ember, "relu")  # noqa: B009 - published at import time
        for relu in (relu_fn, "relu"):
            conf.set_backend_pattern_config(
                BackendPatternConfig((root, relu))
                .set_dtype_configs(reference.dtype_configs)
                .set_fuser_method(sequential_wrapper2(fused_name))
                .set_fused_module(reference.fused_module)
            )
    return conf
