// <torch/library.h> is outside the subset Ember supports.
#pragma once
#error "<torch/library.h> is not supported by Ember's C++ extension API: TORCH_LIBRARY registration is not supported; register ops from Python with ember.library (see docs/cpp-extension.md)"
