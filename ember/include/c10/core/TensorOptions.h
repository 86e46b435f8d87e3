// <c10/core/TensorOptions.h>: Ember provides this through its own headers (see docs/cpp-extension.md).
#pragma once
#include "ember/core.h"
