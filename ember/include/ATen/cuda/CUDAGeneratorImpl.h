// <ATen/cuda/CUDAGeneratorImpl.h> is outside the subset Ember supports.
#pragma once
#error "<ATen/cuda/CUDAGeneratorImpl.h> is not supported by Ember's C++ extension API: CUDA is not supported: Ember's C++ extensions run on CPU tensors (see docs/cpp-extension.md)"
