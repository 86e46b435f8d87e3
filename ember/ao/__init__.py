"""torch.ao: architecture optimisation; here, quantization (ember.ao.quantization, ember.ao.nn)."""

from . import nn, quantization  # noqa: F401
