"""OpInfo: one table row per op drives the generic tests in test_opinfo.py.

A row names the op, how to call it on a module (ember or torch), and sample inputs. Sample
arrays are NumPy; the harness turns them into tensors of each module, so every sample is a
differential test against torch. Rows live in tests/ops/db_<family>.py, in a list `OPS`.

Generic tests per row (see test_opinfo.py):
  forward      every sample, every dtype in `dtypes`: values, shape, dtype vs torch
  noncontig    samples with their arrays given as non-contiguous views
  grad         float64 samples: gradients vs torch, and ember.autograd.gradcheck on the first
  method       Tensor.<name> agrees with ember.<name> (when method=True)
  inplace      Tensor.<name>_ on a clone: same values as torch, returns self, bumps version
  out          out= writes the result into the given tensor
  errors       `error_samples` raise the same exception type as torch
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    args: tuple
    kwargs: dict = field(default_factory=dict)
    desc: str = ""


def S(*args: Any, desc: str = "", **kwargs: Any) -> Sample:
    return Sample(args, kwargs, desc)


@dataclass
class OpInfo:
    name: str
    samples: Callable[[np.random.Generator, str], list]   # (rng, dtype name) -> [Sample]
    op: Callable | None = None              # (module, *args, **kwargs) -> result
    dtypes: tuple = ("float32", "float64")
    grad: bool = True                       # differentiable w.r.t. float inputs
    gradcheck: bool = True                  # also run ember's numerical gradcheck
    method: bool = True                     # Tensor.<name> exists
    inplace: bool = False                   # Tensor.<name>_ exists
    out: bool = False                       # supports out=
    rtol: float = 1.3e-6
    atol: float = 1e-5
    error_samples: Callable[[np.random.Generator], list] | None = None
    skip: tuple = ()                        # names of generic tests to skip, with a reason
    grad_samples: Callable[[np.random.Generator], list] | None = None

    def call(self, m: Any, *args: Any, **kwargs: Any) -> Any:
        if self.op is not None:
            return self.op(m, *args, **kwargs)
        return getattr(m, self.name)(*args, **kwargs)
