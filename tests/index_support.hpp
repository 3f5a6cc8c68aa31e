// Index helpers shared by the GoogleTest suites and the fuzz target (which
// links no GoogleTest, so they live apart from test_support.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensormem/dims.hpp"

namespace tensormem::testing {

// Element count of a shape (1 for 0-d). A zero size anywhere gives 0 before any
// product is taken, so an empty shape with huge other sizes cannot overflow.
inline std::int64_t numel_of(IntList shape) {
  for (const std::int64_t size : shape) {
    if (size == 0) return 0;
  }
  std::int64_t n = 1;
  for (const std::int64_t size : shape) n *= size;
  return n;
}

// Calls f(index) for every multi-index of `shape`, in row-major order (once for 0-d).
template <typename F>
void for_each_index(IntList shape, F&& f) {
  if (numel_of(shape) == 0) return;
  // (not a vector(size, 0) constructor: GCC 12 reports a false -Wfree-nonheap-object for it)
  std::vector<std::int64_t> index(shape.begin(), shape.end());
  for (std::int64_t& i : index) i = 0;
  for (;;) {
    f(static_cast<const std::vector<std::int64_t>&>(index));
    std::size_t d = shape.size();
    for (; d > 0; --d) {
      if (++index[d - 1] < shape[d - 1]) break;
      index[d - 1] = 0;
    }
    if (d == 0) return;
  }
}

}  // namespace tensormem::testing
