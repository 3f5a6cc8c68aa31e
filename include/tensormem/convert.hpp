// Element conversion between dtypes, defined for every value.
//
// The rules are Rust's `as`, because C++'s leave float -> int undefined out of
// range: float -> integer truncates toward zero and saturates, NaN becomes 0;
// integer -> integer wraps (two's complement); anything -> bool is `!= 0`;
// bool -> anything is 0 or 1; everything else is the C++ conversion (floats
// round to nearest).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace tensormem {

template <typename To, typename From>
[[nodiscard, gnu::always_inline]] constexpr To convert(From value) noexcept {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From{0};
  } else if constexpr (std::floating_point<From> && std::integral<To>) {
    // Both bounds are powers of two, so they are exact as doubles: [low, high).
    constexpr double kLow = static_cast<double>(std::numeric_limits<To>::min());
    constexpr double kHigh = 2.0 * static_cast<double>(To{1} << (std::numeric_limits<To>::digits - 1));
    const double v = static_cast<double>(value);
    if (v != v) return To{0};
    if (v < kLow) return std::numeric_limits<To>::min();
    if (v >= kHigh) return std::numeric_limits<To>::max();
    return static_cast<To>(value);
  } else {
    return static_cast<To>(value);
  }
}

namespace detail {

// A bool element's byte as C++ requires it (0 or 1): any nonzero byte is true.
[[nodiscard]] constexpr std::byte canonical_bool(std::byte b) noexcept {
  return b != std::byte{0} ? std::byte{1} : std::byte{0};
}

}  // namespace detail
}  // namespace tensormem
