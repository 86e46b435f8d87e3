"""torch.ao.quantization.backend_config.fbgemm."""

from .native import get_fbgemm_backend_config

__all__ = ["get_fbgemm_backend_config"]
