// Size classes: how a request is rounded to a block size.
//
// Every block is 64-byte aligned and a multiple of 64 bytes (the granule), so a
// request is first rounded to the granule. Up to 512 bytes each granule
// multiple is its own class; above that there are 8 classes per power of two
// (512, 576, 640, ..., 1024, 1152, ...). A class is thus never more than 12.5%
// above the granule-rounded request. Requests above kMaxSmallBytes are "large":
// rounded to 4 KiB pages and cached by size rather than by class.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace tensormem {

inline constexpr std::size_t kBlockAlignment = 64;
inline constexpr std::size_t kMaxSmallBytes = std::size_t{1} << 20;  // 1 MiB
inline constexpr std::size_t kLargePageBytes = 4096;

namespace detail {

inline constexpr std::size_t kLinearClasses = 8;       // 64, 128, ..., 512
inline constexpr std::size_t kClassesPerDoubling = 8;  // above 512
inline constexpr unsigned kFirstDoublingLog2 = 9;      // 512

constexpr std::size_t round_up(std::size_t n, std::size_t multiple) noexcept {
  return (n + multiple - 1) / multiple * multiple;
}

}  // namespace detail

// Number of small size classes: 8 linear ones plus 8 per doubling from 512 B
// up to kMaxSmallBytes.
inline constexpr std::size_t kSizeClassCount =
    detail::kLinearClasses +
    detail::kClassesPerDoubling * (std::bit_width(kMaxSmallBytes) - 1 - detail::kFirstDoublingLog2);

// The class a request of `bytes` (1 <= bytes <= kMaxSmallBytes) falls into.
[[nodiscard]] constexpr std::size_t size_class_of(std::size_t bytes) noexcept {
  const std::size_t granules = detail::round_up(bytes == 0 ? 1 : bytes, kBlockAlignment) / kBlockAlignment;
  if (granules <= detail::kLinearClasses) return granules - 1;
  const std::size_t rounded = granules * kBlockAlignment;
  const auto log2 = static_cast<unsigned>(std::bit_width(rounded - 1) - 1);  // 2^log2 < rounded <= 2^(log2+1)
  const std::size_t step = std::size_t{1} << (log2 - 3);
  const std::size_t within = (rounded - (std::size_t{1} << log2) + step - 1) / step;  // 1..8
  return detail::kLinearClasses + (log2 - detail::kFirstDoublingLog2) * detail::kClassesPerDoubling + within - 1;
}

// The block size of a class.
[[nodiscard]] constexpr std::size_t size_class_bytes(std::size_t size_class) noexcept {
  if (size_class < detail::kLinearClasses) return (size_class + 1) * kBlockAlignment;
  const std::size_t j = size_class - detail::kLinearClasses;
  const std::size_t log2 = detail::kFirstDoublingLog2 + j / detail::kClassesPerDoubling;
  return (std::size_t{1} << log2) + (j % detail::kClassesPerDoubling + 1) * (std::size_t{1} << (log2 - 3));
}

static_assert(size_class_bytes(kSizeClassCount - 1) == kMaxSmallBytes);
static_assert(size_class_of(kMaxSmallBytes) == kSizeClassCount - 1);
static_assert(size_class_of(1) == 0 && size_class_of(64) == 0 && size_class_of(65) == 1);
static_assert(size_class_bytes(size_class_of(513)) == 576);

}  // namespace tensormem
