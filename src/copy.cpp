#include "tensormem/copy.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>

#include "tensormem/convert.hpp"

namespace tensormem::detail {
namespace {

using Int = std::int64_t;

// The iteration space after simplification: dims with size > 1, ordered so
// that dst is walked in memory order (innermost last), and merged wherever
// both operands are contiguous across a pair of dims.
struct Plan {
  int ndim = 0;
  std::array<Int, kMaxDims> sizes{};
  std::array<Int, kMaxDims> dst_strides{};
  std::array<Int, kMaxDims> src_strides{};
  bool empty = false;
};

Int magnitude(Int v) noexcept { return v < 0 ? -v : v; }

Plan make_plan(IntList shape, const Int* dst_strides, const Int* src_strides) noexcept {
  Plan plan;
  std::array<int, kMaxDims> order{};
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) {
      plan.empty = true;
      return plan;
    }
    if (shape[d] != 1) order[static_cast<std::size_t>(plan.ndim++)] = static_cast<int>(d);
  }
  // Outermost first: larger dst strides first; ties keep logical order.
  std::stable_sort(order.begin(), order.begin() + plan.ndim, [&](int a, int b) {
    return magnitude(dst_strides[a]) > magnitude(dst_strides[b]);
  });
  int merged = 0;
  for (int i = 0; i < plan.ndim; ++i) {
    const auto d = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    if (merged > 0) {
      const auto m = static_cast<std::size_t>(merged - 1);
      // Dim d is inner to the last kept dim m: merge when m steps over exactly one row of d.
      if (plan.dst_strides[m] == dst_strides[d] * shape[d] && plan.src_strides[m] == src_strides[d] * shape[d]) {
        plan.sizes[m] *= shape[d];
        plan.dst_strides[m] = dst_strides[d];
        plan.src_strides[m] = src_strides[d];
        continue;
      }
    }
    const auto m = static_cast<std::size_t>(merged++);
    plan.sizes[m] = shape[d];
    plan.dst_strides[m] = dst_strides[d];
    plan.src_strides[m] = src_strides[d];
  }
  plan.ndim = merged;
  return plan;
}

// Calls row(dst, src) for every index of the plan's outer dims (all but the
// innermost `inner` dims), with the operands advanced to that index.
template <typename Row>
void for_each_outer(const Plan& plan, int inner, std::byte* dst, const std::byte* src, std::size_t dst_item,
                    std::size_t src_item, Row&& row) {
  const int outer = plan.ndim - inner;
  if (outer <= 0) {
    row(dst, src);
    return;
  }
  std::array<Int, kMaxDims> index{};
  for (;;) {
    row(dst, src);
    int d = outer - 1;
    for (; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      dst += plan.dst_strides[u] * static_cast<Int>(dst_item);
      src += plan.src_strides[u] * static_cast<Int>(src_item);
      if (++index[u] < plan.sizes[u]) break;
      dst -= plan.dst_strides[u] * plan.sizes[u] * static_cast<Int>(dst_item);
      src -= plan.src_strides[u] * plan.sizes[u] * static_cast<Int>(src_item);
      index[u] = 0;
    }
    if (d < 0) return;
  }
}

// Loads and stores through memcpy: buffers are only byte-aligned for views
// with an odd offset, and bool bytes may hold any value.
template <typename T>
[[gnu::always_inline]] inline T load(const std::byte* p) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return std::to_integer<std::uint8_t>(*p) != 0;
  } else {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
  }
}
template <typename T>
[[gnu::always_inline]] inline void store(std::byte* p, T value) noexcept {
  std::memcpy(p, &value, sizeof(T));
}

// One row: n elements, with strides in elements.
template <typename To, typename From>
void convert_row(std::byte* dst, Int dst_stride, const std::byte* src, Int src_stride, Int n) noexcept {
  if (dst_stride == 1 && src_stride == 1) {
    for (Int i = 0; i < n; ++i) {
      store<To>(dst + i * static_cast<Int>(sizeof(To)), convert<To>(load<From>(src + i * static_cast<Int>(sizeof(From)))));
    }
    return;
  }
  for (Int i = 0; i < n; ++i) {
    store<To>(dst + i * dst_stride * static_cast<Int>(sizeof(To)),
              convert<To>(load<From>(src + i * src_stride * static_cast<Int>(sizeof(From)))));
  }
}

// A 2-D block where dst is contiguous along `a` and src along `b`: walk it in
// square tiles so that both sides stay in cache.
template <typename To, typename From>
void transpose_2d(std::byte* dst, Int dst_b, const std::byte* src, Int src_a, Int size_a, Int size_b) noexcept {
  constexpr Int kTile = 32;
  for (Int b0 = 0; b0 < size_b; b0 += kTile) {
    const Int b1 = std::min(b0 + kTile, size_b);
    for (Int a0 = 0; a0 < size_a; a0 += kTile) {
      const Int a1 = std::min(a0 + kTile, size_a);
      for (Int b = b0; b < b1; ++b) {
        std::byte* d = dst + b * dst_b * static_cast<Int>(sizeof(To));
        const std::byte* s = src + b * static_cast<Int>(sizeof(From));
        for (Int a = a0; a < a1; ++a) {
          store<To>(d + a * static_cast<Int>(sizeof(To)), convert<To>(load<From>(s + a * src_a * static_cast<Int>(sizeof(From)))));
        }
      }
    }
  }
}

template <typename To, typename From>
void copy_typed(const Plan& plan, std::byte* dst, const std::byte* src) noexcept {
  if (plan.ndim == 0) {
    store<To>(dst, convert<To>(load<From>(src)));
    return;
  }
  const auto last = static_cast<std::size_t>(plan.ndim - 1);
  const Int n = plan.sizes[last];
  const Int dst_inner = plan.dst_strides[last];
  const Int src_inner = plan.src_strides[last];
  if (dst_inner == 1 && src_inner == 1 && std::is_same_v<To, From> && !std::is_same_v<To, bool>) {
    const auto bytes = static_cast<std::size_t>(n) * sizeof(To);
    for_each_outer(plan, 1, dst, src, sizeof(To), sizeof(From),
                   [bytes](std::byte* d, const std::byte* s) { std::memcpy(d, s, bytes); });
    return;
  }
  // Transposed: dst contiguous along its inner dim, src along another dim.
  if (plan.ndim >= 2 && dst_inner == 1 && src_inner != 1) {
    for (int other = plan.ndim - 2; other >= 0; --other) {
      const auto o = static_cast<std::size_t>(other);
      if (plan.src_strides[o] != 1) continue;
      Plan outer = plan;  // the remaining dims, without `last` and `other`
      std::copy(plan.sizes.begin() + other + 1, plan.sizes.end(), outer.sizes.begin() + other);
      std::copy(plan.dst_strides.begin() + other + 1, plan.dst_strides.end(), outer.dst_strides.begin() + other);
      std::copy(plan.src_strides.begin() + other + 1, plan.src_strides.end(), outer.src_strides.begin() + other);
      outer.ndim = plan.ndim - 1;
      const Int size_b = plan.sizes[o];
      const Int dst_b = plan.dst_strides[o];
      for_each_outer(outer, 1, dst, src, sizeof(To), sizeof(From), [&](std::byte* d, const std::byte* s) {
        transpose_2d<To, From>(d, dst_b, s, src_inner, n, size_b);
      });
      return;
    }
  }
  for_each_outer(plan, 1, dst, src, sizeof(To), sizeof(From), [&](std::byte* d, const std::byte* s) {
    convert_row<To, From>(d, dst_inner, s, src_inner, n);
  });
}

// Same-dtype copies only move bytes: route them through one unsigned type per width.
template <std::size_t Width>
using Bits = std::conditional_t<Width == 1, std::uint8_t,
                                std::conditional_t<Width == 2, std::uint16_t,
                                                   std::conditional_t<Width == 4, std::uint32_t, std::uint64_t>>>;

}  // namespace

void copy_strided(IntList shape, const StridedOperand& dst, const StridedOperand& src) noexcept {
  const Plan plan = make_plan(shape, dst.strides, src.strides);
  if (plan.empty) return;
  if (dst.dtype == src.dtype && dst.dtype != DType::kBool) {
    switch (size_of(dst.dtype)) {
      case 1: return copy_typed<Bits<1>, Bits<1>>(plan, dst.data, src.data);
      case 2: return copy_typed<Bits<2>, Bits<2>>(plan, dst.data, src.data);
      case 4: return copy_typed<Bits<4>, Bits<4>>(plan, dst.data, src.data);
      default: return copy_typed<Bits<8>, Bits<8>>(plan, dst.data, src.data);
    }
  }
  visit(dst.dtype, [&](auto to) {
    visit(src.dtype, [&](auto from) { copy_typed<decltype(to), decltype(from)>(plan, dst.data, src.data); });
  });
}

void fill_strided(IntList shape, const StridedOperand& dst, const std::byte* value) noexcept {
  std::array<Int, kMaxDims> zero_strides{};
  const Plan plan = make_plan(shape, dst.strides, zero_strides.data());
  if (plan.empty) return;
  auto fill = [&](auto bits) {
    using T = decltype(bits);
    const T v = load<T>(value);
    if (plan.ndim == 0) return store<T>(dst.data, v);
    const auto last = static_cast<std::size_t>(plan.ndim - 1);
    const Int n = plan.sizes[last];
    const Int stride = plan.dst_strides[last];
    for_each_outer(plan, 1, dst.data, value, sizeof(T), sizeof(T), [&](std::byte* d, const std::byte*) {
      for (Int i = 0; i < n; ++i) store<T>(d + i * stride * static_cast<Int>(sizeof(T)), v);
    });
  };
  switch (size_of(dst.dtype)) {
    case 1: return fill(Bits<1>{});
    case 2: return fill(Bits<2>{});
    case 4: return fill(Bits<4>{});
    default: return fill(Bits<8>{});
  }
}

}  // namespace tensormem::detail
