"""torch.ao.quantization.backend_config.x86."""

from .native import get_x86_backend_config

__all__ = ["get_x86_backend_config"]
