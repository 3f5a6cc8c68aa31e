// Integer lists for shapes, strides, dims and indices.
//
// IntList borrows (like std::span, but also from a braced list, so that
// `t.reshape({2, -1})` works); Dims owns up to kMaxDims values inline, so
// that computing a new shape never touches the heap. Both print as
// "[2, 3, 4]" in messages.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <vector>

#include <fmt/format.h>

namespace tensormem {

// Tensors have at most this many dimensions; shapes and strides are stored inline.
inline constexpr int kMaxDims = 8;

class IntList {
 public:
  constexpr IntList() noexcept = default;
  // The list must outlive the IntList: fine for an argument, not for a member.
  // By reference: the braced list's array lives until the end of the caller's full expression.
  constexpr IntList(const std::initializer_list<std::int64_t>& list) noexcept  // NOLINT(google-explicit-constructor)
      : data_(std::data(list)), size_(list.size()) {}
  constexpr IntList(std::span<const std::int64_t> span) noexcept  // NOLINT(google-explicit-constructor)
      : data_(span.data()), size_(span.size()) {}
  IntList(const std::vector<std::int64_t>& vector) noexcept  // NOLINT(google-explicit-constructor)
      : data_(vector.data()), size_(vector.size()) {}
  template <std::size_t N>
  constexpr IntList(const std::array<std::int64_t, N>& array) noexcept  // NOLINT(google-explicit-constructor)
      : data_(array.data()), size_(N) {}
  constexpr IntList(const std::int64_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  [[nodiscard]] constexpr const std::int64_t* begin() const noexcept { return data_; }
  [[nodiscard]] constexpr const std::int64_t* end() const noexcept { return data_ + size_; }
  [[nodiscard]] constexpr const std::int64_t* data() const noexcept { return data_; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] constexpr std::int64_t operator[](std::size_t i) const noexcept { return data_[i]; }

  friend constexpr bool operator==(IntList a, IntList b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());  // not std::ranges: Emscripten 3.1.6 lacks it
  }

 private:
  const std::int64_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Up to kMaxDims integers, owned inline. Callers check the count first
// (push_back past kMaxDims is a programming error inside tensormem).
class Dims {
 public:
  constexpr Dims() noexcept = default;

  constexpr void push_back(std::int64_t value) noexcept { values_[static_cast<std::size_t>(size_++)] = value; }
  [[nodiscard]] constexpr std::int64_t& operator[](std::size_t i) noexcept { return values_[i]; }
  [[nodiscard]] constexpr std::int64_t operator[](std::size_t i) const noexcept { return values_[i]; }
  [[nodiscard]] constexpr int size() const noexcept { return size_; }
  [[nodiscard]] constexpr const std::int64_t* data() const noexcept { return values_.data(); }
  [[nodiscard]] constexpr IntList list() const noexcept { return {values_.data(), static_cast<std::size_t>(size_)}; }
  constexpr operator IntList() const noexcept { return list(); }  // NOLINT(google-explicit-constructor)

 private:
  std::array<std::int64_t, kMaxDims> values_{};
  int size_ = 0;
};

}  // namespace tensormem

// "[2, 3, 4]". Out of line (src/dims.cpp): shapes are formatted only in
// messages, and every file that passes one to detail::raise would otherwise
// carry its own copy of fmt's formatting engine.
template <>
struct fmt::formatter<tensormem::IntList> : fmt::formatter<fmt::string_view> {
  auto format(tensormem::IntList list, fmt::format_context& ctx) const -> fmt::format_context::iterator;
};

template <>
struct fmt::formatter<tensormem::Dims> : fmt::formatter<tensormem::IntList> {};
