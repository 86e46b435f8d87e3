"""torch.ao: architecture optimisation; here, quantization (ember.ao.quantization, ember.ao.nn)."""

from . import quantization  # noqa: F401
