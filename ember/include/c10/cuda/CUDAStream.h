// <c10/cuda/CUDAStream.h> is outside the subset Ember supports.
#pragma once
#error "<c10/cuda/CUDAStream.h> is not supported by Ember's C++ extension API: CUDA is not supported: Ember's C++ extensions run on CPU tensors (see docs/cpp-extension.md)"
