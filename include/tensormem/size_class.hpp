// Size classes: how a request is rounded to a block size.
//
// Every block is 64-byte aligned and a multiple of 64 bytes (the granule), so a
// request is first rounded to the granule. Up to 512 bytes each granule
// multiple is its own class; above that there are 8 classes per power of two
// (512, 576, 640, ..., 1024, 1152, ...). A class is thus never more than 12.5%
// above the granule-rounded request. Requests above kMaxSmallBytes are "large":
// rounded to 4 KiB pages and cached by size rather than by class.
#pragma once

#include <array>
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

// The block size of a class.
[[nodiscard]] constexpr std::size_t size_class_bytes(std::size_t size_class) noexcept {
  if (size_class < detail::kLinearClasses) return (size_class + 1) * kBlockAlignment;
  const std::size_t j = size_class - detail::kLinearClasses;
  const std::size_t log2 = detail::kFirstDoublingLog2 + j / detail::kClassesPerDoubling;
  return (std::size_t{1} << log2) + (j % detail::kClassesPerDoubling + 1) * (std::size_t{1} << (log2 - 3));
}

// The class a request of `bytes` (0 <= bytes <= kMaxSmallBytes; 0 counts as
// 1) falls into. A short dependency chain: it runs on every allocation.
[[nodiscard]] constexpr std::size_t size_class_of(std::size_t bytes) noexcept {
  const std::size_t last = bytes - (bytes != 0 ? 1 : 0);  // offset of the request's last byte
  if (last < detail::kLinearClasses * kBlockAlignment) return last / kBlockAlignment;
  // 2^log2 <= last < 2^(log2+1) picks the doubling; the top 4 bits of `last` (8..15) pick its class.
  const auto log2 = static_cast<std::size_t>(std::bit_width(last) - 1);
  return (log2 - detail::kFirstDoublingLog2) * detail::kClassesPerDoubling + (last >> (log2 - 3));
}

namespace detail {
// size_class_bytes() as a table, for the allocation fast path.
inline constexpr auto kSizeClassBytes = [] {
  std::array<std::size_t, kSizeClassCount> bytes{};
  for (std::size_t c = 0; c < kSizeClassCount; ++c) bytes[c] = size_class_bytes(c);
  return bytes;
}();
}  // namespace detail

static_assert(size_class_bytes(kSizeClassCount - 1) == kMaxSmallBytes);
static_assert(size_class_of(kMaxSmallBytes) == kSizeClassCount - 1);
static_assert(size_class_of(1) == 0 && size_class_of(64) == 0 && size_class_of(65) == 1);
static_assert(size_class_bytes(size_class_of(513)) == 576);

}  // namespace tensormem
