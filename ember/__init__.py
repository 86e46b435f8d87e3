"""Ember: PyTorch's API on NumPy. `import ember as torch`."""

from __future__ import annotations

import builtins as _builtins
import typing as _typing

__version__ = "0.1.0"

from . import _alloc

_alloc.configure()

from . import _dtype
from ._device import device, get_default_device, set_default_device
from ._dtype import (bfloat16, can_cast, complex64, complex128, dtype, finfo, float16, float32,
                     float64, get_default_dtype, iinfo, int8, int16, int32, int64,
                     promote_types, set_default_dtype, uint8)
from ._dtype import bool_ as bool  # noqa: A001 - torch's name
from ._dtype import (channels_last, channels_last_3d, contiguous_format, memory_format,
                     preserve_format)
from ._tensor import Size, Tensor
from ._dtype import qint8, qint32, quint4x2, quint8
from ._quantized import (per_channel_affine, per_channel_affine_float_qparams,
                         per_channel_symmetric, per_tensor_affine, per_tensor_symmetric, qscheme)
from ._tensor_str import set_printoptions
from . import ops as _ops
from .ops.creation import from_dlpack, from_numpy
from .ops._reduce import return_types
from .ops._core import result_type as _result_type
from . import autograd
from .autograd import (enable_grad, inference_mode, is_grad_enabled,
                       is_inference_mode_enabled, no_grad, set_grad_enabled)
from .overrides import _disabled_torch_function_impl  # noqa: F401
from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,
                      seed, set_rng_state)
from ._threads import (get_num_interop_threads, get_num_threads, set_num_interop_threads,
                       set_num_threads)
from . import cuda, __config__, random
from . import serialization
from .serialization import load, save

float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
cfloat = complex64
cdouble = complex128
strided = "ember.strided"

if _typing.TYPE_CHECKING:  # installed from the registry at the end; named for mypy
    from .ops.creation import as_tensor, empty, tensor
    from .ops.random import multinomial, randint, randperm
    from .ops.shape import stack


def result_type(tensor1, tensor2):  # noqa: ANN001, ANN201
    """torch.result_type: the dtype an arithmetic op on these operands would produce."""
    return _result_type(tensor1, tensor2)


def is_tensor(obj) -> _builtins.bool:  # noqa: ANN001
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> _builtins.bool:  # noqa: A002
    return input.is_floating_point()


def is_complex(input: Tensor) -> _builtins.bool:  # noqa: A002
    return input.is_complex()


def numel(input: Tensor) -> _builtins.int:  # noqa: A002
    return input.numel()
from . import utils  # noqa: E402  (torch imports torch.utils.data with torch)
from . import nn, optim  # noqa: E402
from . import library  # noqa: E402
from . import ao, quantization  # noqa: E402  (after nn: observers are Modules)

# Every registered op is published once, after nn.functional has added the top-level ops torch
# also has (ember.softmax, ember.conv2d, ...)
globals().update(_ops.FUNCTIONS)
_ops._registry.install_methods()
from . import fx  # noqa: E402  (after the registry is published: fx indexes ember.*)

