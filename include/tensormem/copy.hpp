// Strided copy and fill kernels, for every dtype pair.
//
// These are the unchecked engines under Tensor's contiguous(), clone(), to(),
// copy_from(), copy_to() and fill(): Tensor checks liveness, bounds, shapes,
// writability and overlap once per call, then hands raw operands here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensormem/dims.hpp"
#include "tensormem/dtype.hpp"

namespace tensormem::detail {

// An operand: the address of element (0, ..., 0), its dtype, and one stride
// (in elements, any sign, 0 allowed for a source) per dim of the shape.
struct StridedOperand {
  std::byte* data;
  DType dtype;
  const std::int64_t* strides;
};

// dst[i] = convert(src[i]) for every index i of `shape` (see convert.hpp).
// Preconditions: every element of both lies in its buffer, dst's elements
// are distinct, and dst does not overlap src.
void copy_strided(IntList shape, const StridedOperand& dst, const StridedOperand& src) noexcept;

// dst[i] = *value for every index i of `shape`; `value` is one element of
// dst's dtype. Preconditions as for copy_strided.
void fill_strided(IntList shape, const StridedOperand& dst, const std::byte* value) noexcept;

}  // namespace tensormem::detail
