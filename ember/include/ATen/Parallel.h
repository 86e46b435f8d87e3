// <ATen/Parallel.h>: at::parallel_for runs the whole range on the calling thread in Ember.
#pragma once
#include "ember/core.h"

namespace at {
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain_size, const F& f) {
  (void)grain_size;
  if (begin < end) f(begin, end);
}
inline int get_num_threads() { return 1; }
inline int get_thread_num() { return 0; }
inline bool in_parallel_region() { return false; }
}  // namespace at
