// <torch/script.h> is outside the subset Ember supports.
#pragma once
#error "<torch/script.h> is not supported by Ember's C++ extension API: TorchScript is not supported (see docs/cpp-extension.md)"
