// <ATen/cpu/vec/vec.h> is outside the subset Ember supports.
#pragma once
#error "<ATen/cpu/vec/vec.h> is not supported by Ember's C++ extension API: this part of ATen is not in Ember's C++ API (see docs/cpp-extension.md)"
