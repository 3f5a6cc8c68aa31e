// The strided copy and fill kernels (src/copy.cpp) against a reference that
// visits one multi-index at a time through convert<>, over many layouts and
// every dtype pair; then the Tensor operations built on them.
//
// Buffers are compared whole, so a kernel that writes outside its view fails
// as surely as one that writes a wrong value.
#include "tensormem/copy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tensormem/convert.hpp"
#include "tensormem/tensor.hpp"
#include "test_support.hpp"

namespace tensormem {
namespace {

using detail::StridedOperand;
using Int = std::int64_t;
using List = testing::Shape;
using testing::for_each_index;
using testing::values_of;

constexpr std::array<DType, kDTypeCount> kAllDTypes = {
    DType::kFloat32, DType::kFloat64, DType::kInt8,   DType::kUint8,  DType::kInt16, DType::kUint16,
    DType::kInt32,   DType::kUint32,  DType::kInt64,  DType::kUint64, DType::kBool,
};

// ---- deterministic randomness (no <random>: the same cases natively and in wasm) ----

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  Int below(Int bound) { return static_cast<Int>(next() % static_cast<std::uint64_t>(bound)); }
  bool one_in(Int n) { return below(n) == 0; }
  template <typename T, std::size_t N>
  T pick(const std::array<T, N>& options) {
    return options[static_cast<std::size_t>(below(static_cast<Int>(N)))];
  }

 private:
  std::uint64_t state_;
};

// ---- buffers and the reference ------------------------------------------------------

// 64-byte aligned bytes, as the pool hands out.
class Buffer {
 public:
  explicit Buffer(std::size_t bytes) : lines_(bytes / 64 + 1) {}
  [[nodiscard]] std::byte* data() { return lines_.front().bytes; }
  [[nodiscard]] std::size_t size() const { return lines_.size() * 64; }
  [[nodiscard]] std::span<const std::byte> bytes() const { return {lines_.front().bytes, size()}; }

 private:
  struct alignas(64) Line {
    std::byte bytes[64];
  };
  std::vector<Line> lines_;
};

template <typename T>
T read(const std::byte* p) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::to_integer<int>(*p) != 0;  // any nonzero byte is true
  } else {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
  }
}
template <typename T>
void write(std::byte* p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

Int dot(const List& index, const Int* strides) {
  Int sum = 0;
  for (std::size_t d = 0; d < index.size(); ++d) sum += index[d] * strides[d];
  return sum;
}

void reference_copy(const List& shape, const StridedOperand& dst, const StridedOperand& src) {
  visit(dst.dtype, [&](auto to) {
    visit(src.dtype, [&](auto from) {
      using To = decltype(to);
      using From = decltype(from);
      for_each_index(shape, [&](const List& index) {
        const From value = read<From>(src.data + dot(index, src.strides) * Int{sizeof(From)});
        write<To>(dst.data + dot(index, dst.strides) * Int{sizeof(To)}, convert<To>(value));
      });
    });
  });
}

void reference_fill(const List& shape, const StridedOperand& dst, const std::byte* value) {
  const auto item = static_cast<Int>(size_of(dst.dtype));
  for_each_index(shape, [&](const List& index) {
    std::memcpy(dst.data + dot(index, dst.strides) * item, value, static_cast<std::size_t>(item));
  });
}

// Values worth converting: every boundary convert.hpp cares about, then noise.
template <typename T>
std::vector<T> interesting_values() {
  if constexpr (std::is_same_v<T, bool>) {
    return {false, true};
  } else if constexpr (std::is_floating_point_v<T>) {
    constexpr T kInf = std::numeric_limits<T>::infinity();
    return {T(0), T(-0.0), T(0.5), T(-0.5), T(1), T(-1), T(2.9), T(-2.9), T(127.5), T(128), T(-128.5), T(-129),
            T(255.9), T(256), T(-1e3), T(32767.5), T(65535.9), T(65536), T(2147483520.0), T(2147483648.0),
            T(-2147483648.0), T(-2147483904.0), T(4294967040.0), T(4294967296.0), T(9.2e18), T(-9.3e18),
            T(1.8e19), T(1.9e19), T(1e30), T(-1e30), kInf, -kInf, std::numeric_limits<T>::quiet_NaN(),
            -std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::denorm_min(),
            std::numeric_limits<T>::max(), std::numeric_limits<T>::lowest()};
  } else {
    using L = std::numeric_limits<T>;
    return {T(0), T(1), static_cast<T>(-1), static_cast<T>(127), static_cast<T>(128), static_cast<T>(255),
            static_cast<T>(256), static_cast<T>(-129), static_cast<T>(32767), static_cast<T>(65535),
            static_cast<T>(65536), static_cast<T>(2147483647), static_cast<T>(-2147483647 - 1),
            static_cast<T>(16777217), static_cast<T>(9007199254740993LL), L::min(), L::max(), L::max() - 1,
            static_cast<T>(L::min() + 1)};
  }
}

// Fills `bytes` with elements of dtype: interesting values, random bit
// patterns and, for bool, arbitrary nonzero bytes.
void fill_source(Rng& rng, DType dtype, std::byte* bytes, Int count) {
  visit(dtype, [&](auto element) {
    using T = decltype(element);
    const std::vector<T> special = interesting_values<T>();
    for (Int i = 0; i < count; ++i) {
      std::byte* p = bytes + i * Int{sizeof(T)};
      if (rng.one_in(2)) {
        const std::uint64_t noise = rng.next();
        std::memcpy(p, &noise, sizeof(T));  // for bool: any byte value
      } else {
        write<T>(p, special[static_cast<std::size_t>(rng.below(static_cast<Int>(special.size())))]);
      }
    }
  });
}

// A view into a buffer: strides and the offset (both in elements) of element 0.
struct View {
  List strides;
  Int offset = 0;
  Int span = 1;  // elements of buffer it needs, offset included
};

// Permuted, stepped and possibly reversed dims of a contiguous parent, so
// every element is distinct; with broadcast, some dims of size > 1 may get
// stride 0 instead.
View random_view(Rng& rng, const List& shape, bool broadcast) {
  const std::size_t n = shape.size();
  List order(n);
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[static_cast<std::size_t>(rng.below(static_cast<Int>(i)))]);
  View view;
  view.strides.assign(n, 0);
  Int parent_stride = 1;
  for (std::size_t k = n; k-- > 0;) {  // order[n-1] is innermost in memory
    const auto d = static_cast<std::size_t>(order[k]);
    const Int step = rng.pick(std::array<Int, 5>{1, 1, 1, 2, 3});
    view.strides[d] = parent_stride * step;
    parent_stride *= std::max<Int>(shape[d], 1) * step + rng.below(2);
  }
  view.offset = rng.below(4);
  view.span = view.offset + parent_stride;
  for (std::size_t d = 0; d < n; ++d) {
    if (shape[d] > 1 && broadcast && rng.one_in(4)) {
      view.strides[d] = 0;
    } else if (shape[d] > 1 && rng.one_in(4)) {
      view.offset += (shape[d] - 1) * view.strides[d];
      view.strides[d] = -view.strides[d];
    }
  }
  return view;
}

View contiguous_view(const List& shape) {
  View view;
  view.strides.assign(shape.size(), 0);
  Int stride = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    view.strides[d] = stride;
    stride *= std::max<Int>(shape[d], 1);
  }
  view.span = stride;
  return view;
}

std::string describe(const List& shape, DType to, const View& dst, DType from, const View& src) {
  return fmt::format("shape [{}]: {} dst strides [{}] offset {} <- {} src strides [{}] offset {}",
                     fmt::join(shape, ", "), to_string(to), fmt::join(dst.strides, ", "), dst.offset, to_string(from),
                     fmt::join(src.strides, ", "), src.offset);
}

// Element i of both dst buffers as text, for a failure message.
std::string element_text(DType dtype, std::span<const std::byte> bytes, std::size_t i) {
  return visit(dtype, [&](auto element) {
    using T = decltype(element);
    const std::byte* p = bytes.data() + i * sizeof(T);
    if constexpr (sizeof(T) == 1) {
      return fmt::format("byte {}", std::to_integer<int>(*p));
    } else {
      return fmt::format("{}", read<T>(p));
    }
  });
}

// Runs copy_strided and the reference on identical dst buffers (prefilled
// with a pattern) and expects identical bytes everywhere.
void expect_copy_matches_reference(Rng& rng, const List& shape, DType to, const View& dst, DType from,
                                   const View& src) {
  const std::size_t to_item = size_of(to);
  const std::size_t from_item = size_of(from);
  Buffer source(static_cast<std::size_t>(src.span) * from_item);
  fill_source(rng, from, source.data(), static_cast<Int>(source.size() / from_item));
  Buffer expected(static_cast<std::size_t>(dst.span) * to_item);
  Buffer actual(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) expected.data()[i] = actual.data()[i] = std::byte{0xA5};

  const StridedOperand src_operand{source.data() + src.offset * static_cast<Int>(from_item), from, src.strides.data()};
  reference_copy(shape, {expected.data() + dst.offset * static_cast<Int>(to_item), to, dst.strides.data()},
                 src_operand);
  detail::copy_strided(shape, {actual.data() + dst.offset * static_cast<Int>(to_item), to, dst.strides.data()},
                       src_operand);

  const auto mismatch = std::mismatch(expected.bytes().begin(), expected.bytes().end(), actual.bytes().begin());
  if (mismatch.first != expected.bytes().end()) {
    const auto element = static_cast<std::size_t>(mismatch.first - expected.bytes().begin()) / to_item;
    ADD_FAILURE() << describe(shape, to, dst, from, src) << "\n  buffer element " << element << ": expected "
                  << element_text(to, expected.bytes(), element) << ", got "
                  << element_text(to, actual.bytes(), element);
  }
}

void expect_transpose_matches_reference(Rng& rng, Int rows, Int cols, DType to, DType from) {
  // dst [cols, rows] contiguous; src is a [rows, cols] matrix read column-major.
  View src = contiguous_view({rows, cols});
  std::swap(src.strides[0], src.strides[1]);
  expect_copy_matches_reference(rng, {cols, rows}, to, contiguous_view({cols, rows}), from, src);
}

// ---- kernels against the reference --------------------------------------------------

TEST(CopyKernels, TransposedFloat32MatchesElementwiseReference) {
  Rng rng(1);
  // Around the 4-lane squares and the 64 x 32 tiles, and far from both.
  for (const Int rows : {1, 3, 4, 5, 31, 32, 33, 64, 65, 130}) {
    for (const Int cols : {1, 2, 4, 7, 16, 31, 32, 33, 67}) {
      expect_transpose_matches_reference(rng, rows, cols, DType::kFloat32, DType::kFloat32);
    }
  }
}

TEST(CopyKernels, TransposesOfEveryElementWidthMatchReference) {
  Rng rng(2);
  for (const DType dtype : {DType::kUint8, DType::kInt16, DType::kFloat64, DType::kBool}) {
    for (const auto& [rows, cols] : std::array<std::array<Int, 2>, 6>{{{16, 16}, {17, 33}, {65, 130}, {130, 65},
                                                                       {3, 200}, {200, 3}}}) {
      expect_transpose_matches_reference(rng, rows, cols, dtype, dtype);
    }
  }
}

TEST(CopyKernels, ConvertingTransposesMatchReference) {
  Rng rng(3);
  for (const auto& [to, from] : std::array<std::array<DType, 2>, 5>{{{DType::kFloat64, DType::kFloat32},
                                                                       {DType::kFloat32, DType::kUint8},
                                                                       {DType::kInt32, DType::kFloat32},
                                                                       {DType::kBool, DType::kInt16},
                                                                       {DType::kUint8, DType::kBool}}}) {
    expect_transpose_matches_reference(rng, 70, 37, to, from);
  }
}

// dst [cols, rows] (row stride rows + dst_pad, at offset dst_offset) from a
// [rows, cols] matrix (row stride cols + src_pad, at src_offset) read
// column-major, its rows walked backwards if reversed.
void expect_padded_transpose_matches_reference(Rng& rng, Int rows, Int cols, DType to, DType from, Int dst_pad,
                                               Int dst_offset, Int src_pad, Int src_offset, bool reversed) {
  View dst;
  dst.strides = {rows + dst_pad, 1};
  dst.offset = dst_offset;
  dst.span = dst_offset + cols * (rows + dst_pad);
  View src;
  const Int src_row = cols + src_pad;
  src.strides = {1, reversed ? -src_row : src_row};
  src.offset = src_offset + (reversed ? (rows - 1) * src_row : 0);
  src.span = src_offset + rows * src_row;
  expect_copy_matches_reference(rng, {cols, rows}, to, dst, from, src);
}

TEST(CopyKernels, TransposesAcrossRowBlocksAndCacheLinesOfEveryWidthMatchReference) {
  Rng rng(10);
  // Rows around the 512-row blocks, columns around a 64-byte line of each
  // width (64 / 32 / 16 / 8 elements) and the square's side.
  for (const DType dtype : {DType::kUint8, DType::kUint16, DType::kFloat32, DType::kInt64}) {
    const Int line = 64 / static_cast<Int>(size_of(dtype));
    for (const Int rows : {511, 513, 1030}) {
      for (const Int cols : {Int{1}, Int{5}, line - 1, line + 3, 2 * line + 1}) {
        expect_transpose_matches_reference(rng, rows, cols, dtype, dtype);
      }
    }
  }
}

TEST(CopyKernels, TransposesWithPaddingOffsetsAndReversedRowsMatchReference) {
  Rng rng(11);
  for (const DType dtype : {DType::kInt8, DType::kInt16, DType::kUint32, DType::kFloat64, DType::kBool}) {
    for (const auto& [rows, cols] : std::array<std::array<Int, 2>, 4>{{{37, 19}, {520, 9}, {16, 64}, {66, 130}}}) {
      for (const bool reversed : {false, true}) {
        expect_padded_transpose_matches_reference(rng, rows, cols, dtype, dtype, 3, 1, 5, 2, reversed);
        expect_padded_transpose_matches_reference(rng, rows, cols, dtype, dtype, 0, 0, 1, 3, reversed);
      }
    }
  }
}

TEST(CopyKernels, ConvertingTransposesOfRaggedTilesMatchReference) {
  Rng rng(12);
  // Tiles of 64 x 32 through the buffer: full, ragged on either side, and
  // rows across a 512-row block.
  for (const auto& [to, from] : std::array<std::array<DType, 2>, 4>{{{DType::kFloat32, DType::kUint8},
                                                                       {DType::kFloat64, DType::kInt16},
                                                                       {DType::kInt8, DType::kFloat32},
                                                                       {DType::kUint16, DType::kInt64}}}) {
    for (const auto& [rows, cols] : std::array<std::array<Int, 2>, 4>{{{64, 32}, {65, 33}, {127, 7}, {530, 40}}}) {
      expect_transpose_matches_reference(rng, rows, cols, to, from);
    }
    expect_padded_transpose_matches_reference(rng, 70, 37, to, from, 2, 1, 3, 1, true);
  }
}

TEST(CopyKernels, EveryPermutationOf3DAnd4DMatchesReference) {
  Rng rng(4);
  const List shape3{5, 33, 66};
  List perm3{0, 1, 2};
  do {
    List shape(3);
    View src;
    src.strides.resize(3);
    const View parent = contiguous_view(shape3);
    for (std::size_t d = 0; d < 3; ++d) {
      shape[d] = shape3[static_cast<std::size_t>(perm3[d])];
      src.strides[d] = parent.strides[static_cast<std::size_t>(perm3[d])];
    }
    src.span = parent.span;
    expect_copy_matches_reference(rng, shape, DType::kFloat32, contiguous_view(shape), DType::kFloat32, src);
  } while (std::next_permutation(perm3.begin(), perm3.end()));

  const List shape4{3, 4, 5, 17};
  List perm4{0, 1, 2, 3};
  do {
    List shape(4);
    View src;
    src.strides.resize(4);
    const View parent = contiguous_view(shape4);
    for (std::size_t d = 0; d < 4; ++d) {
      shape[d] = shape4[static_cast<std::size_t>(perm4[d])];
      src.strides[d] = parent.strides[static_cast<std::size_t>(perm4[d])];
    }
    src.span = parent.span;
    for (const DType dtype : {DType::kUint8, DType::kFloat32}) {
      expect_copy_matches_reference(rng, shape, dtype, contiguous_view(shape), dtype, src);
    }
    expect_copy_matches_reference(rng, shape, DType::kFloat64, contiguous_view(shape), DType::kInt16, src);
  } while (std::next_permutation(perm4.begin(), perm4.end()));
}

TEST(CopyKernels, RandomLayoutsAndDtypePairsMatchReference) {
  Rng rng(5);
  constexpr std::array<Int, 14> kSizes{0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 65};
  for (int trial = 0; trial < 600; ++trial) {
    const auto ndim = static_cast<std::size_t>(rng.below(5));  // 0-d to 4-d
    List shape(ndim);
    Int numel = 1;
    for (Int& size : shape) {
      do {
        size = rng.pick(kSizes);
      } while (size == 0 && !rng.one_in(8));
      size = numel * size > 4096 ? 1 : size;
      numel *= std::max<Int>(size, 1);
    }
    // Same-dtype copies half the time: they take the byte-moving paths.
    const DType from = rng.pick(kAllDTypes);
    const DType to = rng.one_in(2) ? from : rng.pick(kAllDTypes);
    const View dst = rng.one_in(3) ? contiguous_view(shape) : random_view(rng, shape, /*broadcast=*/false);
    const View src = random_view(rng, shape, /*broadcast=*/true);
    expect_copy_matches_reference(rng, shape, to, dst, from, src);
    if (HasFailure()) return;  // one described case is enough
  }
}

TEST(CopyKernels, NegativeStridesOnEitherSideMatchReference) {
  Rng rng(6);
  const List shape{9, 70};
  View reversed = contiguous_view(shape);
  reversed.offset = reversed.span - 1;
  reversed.strides = {-70, -1};
  View reversed_columns = contiguous_view(shape);
  reversed_columns.offset = 69;
  reversed_columns.strides = {70, -1};
  for (const DType dtype : {DType::kUint8, DType::kFloat32, DType::kUint64}) {
    expect_copy_matches_reference(rng, shape, dtype, contiguous_view(shape), dtype, reversed);
    expect_copy_matches_reference(rng, shape, dtype, reversed, dtype, contiguous_view(shape));
    expect_copy_matches_reference(rng, shape, dtype, reversed_columns, dtype, reversed);
  }
  expect_copy_matches_reference(rng, shape, DType::kInt32, reversed_columns, DType::kFloat32, contiguous_view(shape));
}

// Step 2 and step -1 rows go through vector shuffles: every length around the
// vector widths, with the source ending exactly at its buffer's end (so a
// load past the last element would be out of bounds under ASan), for each
// element width, converting or not, into contiguous and strided dst.
TEST(CopyKernels, StepTwoAndReversedRowsOfEveryLengthMatchReference) {
  Rng rng(12);
  for (Int n = 1; n <= 40; ++n) {
    const List shape{3, n};
    View every_other;
    every_other.strides = {2 * n, 2};
    every_other.span = 6 * n - 1;  // the last row's last element is the buffer's last
    View reversed;
    reversed.strides = {n, -1};
    reversed.offset = n - 1;
    reversed.span = 3 * n;
    View dst_every_other = every_other;
    for (const DType dtype : {DType::kUint8, DType::kInt16, DType::kFloat32, DType::kFloat64}) {
      for (const View* src : {&every_other, &reversed}) {
        expect_copy_matches_reference(rng, shape, dtype, contiguous_view(shape), dtype, *src);
        expect_copy_matches_reference(rng, shape, DType::kInt32, contiguous_view(shape), dtype, *src);
        expect_copy_matches_reference(rng, shape, DType::kFloat32, dst_every_other, dtype, *src);
      }
    }
    if (HasFailure()) return;  // one described case is enough
  }
}

TEST(CopyKernels, StrideZeroSourcesBroadcast) {
  Rng rng(7);
  const List shape{6, 37};
  View row = contiguous_view(shape);  // one row for every dst row
  row.strides = {0, 1};
  row.span = 37;
  View column = contiguous_view(shape);  // one value per dst row
  column.strides = {1, 0};
  column.span = 6;
  View scalar;
  scalar.strides = {0, 0};
  for (const DType dtype : {DType::kUint8, DType::kInt16, DType::kFloat32, DType::kFloat64, DType::kBool}) {
    for (const View* src : {&row, &column, &scalar}) {
      expect_copy_matches_reference(rng, shape, dtype, contiguous_view(shape), dtype, *src);
      expect_copy_matches_reference(rng, shape, DType::kFloat32, contiguous_view(shape), dtype, *src);
    }
  }
}

TEST(CopyKernels, EmptyAndSingleElementShapes) {
  Rng rng(8);
  for (const List& shape : {List{}, List{0}, List{3, 0, 5}, List{1}, List{1, 1, 1}, List{1, 40, 1}, List{40, 1}}) {
    for (const DType dtype : {DType::kUint8, DType::kFloat32}) {
      View src = contiguous_view(shape);
      std::reverse(src.strides.begin(), src.strides.end());  // strides of size-1 dims do not matter
      src.span = std::max<Int>(src.span, 40);
      expect_copy_matches_reference(rng, shape, dtype, contiguous_view(shape), dtype, src);
      expect_copy_matches_reference(rng, shape, DType::kFloat64, contiguous_view(shape), dtype, src);
    }
  }
}

// ---- conversions ---------------------------------------------------------------------------

// Every pair, with every boundary value of the source type, through the
// contiguous path (vector loops and their scalar tails), a strided gather and
// a transpose.
TEST(CopyConversions, EveryDtypePairMatchesConvertOnBoundaryValues) {
  for (const DType from : kAllDTypes) {
    for (const DType to : kAllDTypes) {
      visit(from, [&](auto element) {
        using From = decltype(element);
        const std::vector<From> values = interesting_values<From>();
        const auto n = static_cast<Int>(values.size());
        const std::size_t to_item = size_of(to);
        for (const Int step : {1, 3}) {
          Buffer source(static_cast<std::size_t>(n * step) * sizeof(From));  // not std::vector<bool>
          for (Int i = 0; i < n; ++i) {
            write<From>(source.data() + i * step * Int{sizeof(From)}, values[static_cast<std::size_t>(i)]);
          }
          Buffer out(static_cast<std::size_t>(n) * to_item);
          const List shape{n};
          const List dst_strides{1};
          const List src_strides{step};
          detail::copy_strided(shape, {out.data(), to, dst_strides.data()},
                               {source.data(), from, src_strides.data()});
          visit(to, [&](auto target) {
            using To = decltype(target);
            for (Int i = 0; i < n; ++i) {
              const To expected = convert<To>(static_cast<From>(values[static_cast<std::size_t>(i)]));
              const To actual = read<To>(out.data() + i * Int{sizeof(To)});
              if (std::memcmp(&expected, &actual, sizeof(To)) != 0 && !(std::isnan(expected) && std::isnan(actual))) {
                ADD_FAILURE() << to_string(from) << " -> " << to_string(to) << " step " << step << ": value #" << i
                              << " gave " << fmt::format("{}", actual) << ", expected "
                              << fmt::format("{}", expected);
              }
            }
          });
        }
      });
      Rng rng(9);
      expect_transpose_matches_reference(rng, 9, 21, to, from);
    }
  }
}

TEST(CopyConversions, Float32ToInt32SaturatesAndMapsNaNToZero) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const std::vector<float> source{std::numeric_limits<float>::quiet_NaN(), kInf, -kInf, 3e9f, -3e9f, 2147483648.0f,
                                  -2147483648.0f, 2.9f, -2.9f, 0.0f, 2147483520.0f};
  std::vector<std::int32_t> out(source.size());
  const List shape{static_cast<Int>(source.size())};
  const List strides{1};
  detail::copy_strided(shape, {reinterpret_cast<std::byte*>(out.data()), DType::kInt32, strides.data()},
                       {reinterpret_cast<std::byte*>(const_cast<float*>(source.data())), DType::kFloat32,
                        strides.data()});
  constexpr std::int32_t kMax = std::numeric_limits<std::int32_t>::max();
  constexpr std::int32_t kMin = std::numeric_limits<std::int32_t>::min();
  EXPECT_EQ(out, (std::vector<std::int32_t>{0, kMax, kMin, kMax, kMin, kMax, kMin, 2, -2, 0, 2147483520}));
}

TEST(CopyConversions, EveryByteToFloat32AtAnyOffsetAndLength) {
  // The 16-byte vector loop and its scalar tail, for every byte value, from
  // unaligned starts on either side.
  for (const DType from : {DType::kUint8, DType::kInt8}) {
    for (const Int n : {0, 1, 15, 16, 17, 31, 33, 256, 300}) {
      for (const Int offset : {0, 1, 3}) {
        std::vector<std::uint8_t> source(static_cast<std::size_t>(n + offset));
        for (Int i = 0; i < n; ++i) {
          source[static_cast<std::size_t>(offset + i)] = static_cast<std::uint8_t>(i * 37 + 11);  // every byte
        }
        Buffer out(static_cast<std::size_t>(n + 1) * sizeof(float));
        const List shape{n};
        const List strides{1};
        detail::copy_strided(shape, {out.data() + 4 * (offset % 2), DType::kFloat32, strides.data()},
                             {reinterpret_cast<std::byte*>(source.data()) + offset, from, strides.data()});
        for (Int i = 0; i < n; ++i) {
          const std::uint8_t byte = source[static_cast<std::size_t>(offset + i)];
          const float expected = from == DType::kInt8 ? static_cast<float>(static_cast<std::int8_t>(byte))
                                                      : static_cast<float>(byte);
          ASSERT_EQ(read<float>(out.data() + 4 * (offset % 2 + i)), expected)
              << to_string(from) << " n " << n << " offset " << offset << " element " << i;
        }
      }
    }
  }
}

TEST(CopyConversions, BoolSourcesReadAnyNonzeroByteAsTrueAndStoreZeroOrOne) {
  const std::vector<std::uint8_t> bytes{0, 1, 2, 255, 0x80, 0, 7, 0, 1, 0x10, 0, 0, 3, 0, 0, 0, 9, 4};
  const List shape{static_cast<Int>(bytes.size())};
  const List strides{1};
  const StridedOperand src{reinterpret_cast<std::byte*>(const_cast<std::uint8_t*>(bytes.data())), DType::kBool,
                           strides.data()};
  std::vector<std::uint8_t> as_bool(bytes.size(), 0xEE);
  detail::copy_strided(shape, {reinterpret_cast<std::byte*>(as_bool.data()), DType::kBool, strides.data()}, src);
  std::vector<float> as_float(bytes.size());
  detail::copy_strided(shape, {reinterpret_cast<std::byte*>(as_float.data()), DType::kFloat32, strides.data()}, src);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_EQ(as_bool[i], bytes[i] != 0 ? 1 : 0) << i;
    EXPECT_EQ(as_float[i], bytes[i] != 0 ? 1.0f : 0.0f) << i;
  }
}

TEST(CopyConversions, SameDtypeCopiesMoveBitsExactly) {
  // A signaling NaN and -0.0 survive the memcpy rows and the transpose alike.
  const std::uint32_t signaling_nan = 0x7F800001;
  const std::uint32_t negative_zero = 0x80000000;
  std::vector<std::uint32_t> source(8 * 8);
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = i % 2 == 0 ? signaling_nan + static_cast<std::uint32_t>(i) : negative_zero;
  std::vector<std::uint32_t> copied(source.size());
  std::vector<std::uint32_t> transposed(source.size());
  const List shape{8, 8};
  const List rows{8, 1};
  const List columns{1, 8};
  auto* src = reinterpret_cast<std::byte*>(source.data());
  detail::copy_strided(shape, {reinterpret_cast<std::byte*>(copied.data()), DType::kFloat32, rows.data()},
                       {src, DType::kFloat32, rows.data()});
  detail::copy_strided(shape, {reinterpret_cast<std::byte*>(transposed.data()), DType::kFloat32, rows.data()},
                       {src, DType::kFloat32, columns.data()});
  EXPECT_EQ(copied, source);
  for (std::size_t r = 0; r < 8; ++r) {
    for (std::size_t c = 0; c < 8; ++c) EXPECT_EQ(transposed[r * 8 + c], source[c * 8 + r]);
  }
}

// ---- fill ------------------------------------------------------------------------------------

TEST(CopyFill, WritesEveryElementOfStridedAndReversedViewsAndNothingElse) {
  Rng rng(10);
  for (int trial = 0; trial < 120; ++trial) {
    const DType dtype = rng.pick(kAllDTypes);
    const std::size_t item = size_of(dtype);
    const List shape{rng.below(5), rng.below(40) + 1, rng.below(3) + 1};
    const View dst = rng.one_in(3) ? contiguous_view(shape) : random_view(rng, shape, /*broadcast=*/false);
    // Zero bytes (the memset path) or a value whose bytes differ.
    std::array<std::byte, 8> value{};
    if (!rng.one_in(3)) fill_source(rng, dtype, value.data(), 1);
    if (dtype == DType::kBool) value[0] = std::byte{1};  // what Tensor::fill passes: convert<bool>
    Buffer expected(static_cast<std::size_t>(dst.span) * item);
    Buffer actual(expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) expected.data()[i] = actual.data()[i] = std::byte{0x5A};
    reference_fill(shape, {expected.data() + dst.offset * static_cast<Int>(item), dtype, dst.strides.data()},
                   value.data());
    detail::fill_strided(shape, {actual.data() + dst.offset * static_cast<Int>(item), dtype, dst.strides.data()},
                         value.data());
    ASSERT_TRUE(std::equal(expected.bytes().begin(), expected.bytes().end(), actual.bytes().begin()))
        << describe(shape, dtype, dst, dtype, dst);
  }
}

// ---- through Tensor -------------------------------------------------------------------------

std::vector<float> iota(std::size_t n, float first = 0) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(CopyTensor, ContiguousOfATransposeCopiesAndOfAContiguousTensorShares) {
  Storage storage;
  const Tensor t = Tensor::from_data<float>(storage, {70, 33}, iota(70 * 33));
  const Tensor transposed = t.transpose(0, 1).contiguous();
  EXPECT_FALSE(transposed.shares_storage(t));
  ASSERT_TRUE(transposed.is_contiguous());
  const std::span<const float> values = transposed.span<const float>();
  for (std::size_t r = 0; r < 33; ++r) {
    for (std::size_t c = 0; c < 70; ++c) ASSERT_EQ(values[r * 70 + c], static_cast<float>(c * 33 + r)) << r << ", " << c;
  }
  EXPECT_TRUE(transposed.contiguous().shares_storage(transposed));
}

TEST(CopyTensor, CloneIsAnIndependentContiguousCopyOfAnyView) {
  Storage storage;
  const Tensor t = Tensor::from_data<float>(storage, {4, 5}, iota(20));
  const Tensor reversed_step2 = t.slice(1, Slice{{}, {}, -2});  // columns 4, 2, 0
  const Tensor copy = reversed_step2.clone();
  EXPECT_FALSE(copy.shares_storage(t));
  EXPECT_EQ(values_of(copy), (std::vector<float>{4, 2, 0, 9, 7, 5, 14, 12, 10, 19, 17, 15}));
  copy.fill(-1.0f);
  EXPECT_EQ(t.at<float>({0, 4}), 4.0f);
}

TEST(CopyTensor, ToConvertsEveryElementWithSaturation) {
  Storage storage;
  const std::vector<float> values{std::numeric_limits<float>::quiet_NaN(), 1e10f, -1e10f, 300.7f, -300.7f, 0.5f};
  const Tensor t = Tensor::from_data<float>(storage, {2, 3}, values);
  EXPECT_EQ(values_of<std::int8_t>(t.to(DType::kInt8)), (std::vector<std::int8_t>{0, 127, -128, 127, -128, 0}));
  EXPECT_EQ(values_of<std::uint8_t>(t.transpose(0, 1).to(DType::kUint8)),
            (std::vector<std::uint8_t>{0, 255, 255, 0, 0, 0}));
  EXPECT_EQ(values_of<std::uint8_t>(t.to(DType::kBool)), (std::vector<std::uint8_t>{1, 1, 1, 1, 1, 1}));
}

TEST(CopyTensor, CopyFromBroadcastsRowsAndColumns) {
  Storage storage;
  const Tensor target = Tensor::zeros(storage, {3, 4}, DType::kFloat64);
  target.copy_from(Tensor::from_data<std::int16_t>(storage, {4}, std::vector<std::int16_t>{1, -2, 3, -4}));
  EXPECT_EQ(values_of<double>(target), (std::vector<double>{1, -2, 3, -4, 1, -2, 3, -4, 1, -2, 3, -4}));
  target.copy_from(Tensor::from_data<float>(storage, {3, 1}, std::vector<float>{7, 8, 9}));
  EXPECT_EQ(values_of<double>(target), (std::vector<double>{7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9}));
}

TEST(CopyTensor, CopyFromOverlappingViewsOfOneBufferReadsBeforeWriting) {
  Storage storage;
  const Tensor line = Tensor::from_data<float>(storage, {6}, iota(6));
  line.slice(0, Slice{1, 4}).copy_from(line.slice(0, Slice{0, 3}));  // t[1:4] = t[0:3]
  EXPECT_EQ(values_of(line), (std::vector<float>{0, 0, 1, 2, 4, 5}));
  line.slice(0, Slice{0, 3}).copy_from(line.slice(0, Slice{2, 5}));  // t[0:3] = t[2:5]
  EXPECT_EQ(values_of(line), (std::vector<float>{1, 2, 4, 2, 4, 5}));
  // A square matrix transposed into itself.
  const Tensor square = Tensor::from_data<float>(storage, {40, 40}, iota(1600));
  square.copy_from(square.transpose(0, 1));
  for (std::int64_t r = 0; r < 40; ++r) {
    for (std::int64_t c = 0; c < 40; ++c) ASSERT_EQ(square.at<float>({r, c}), static_cast<float>(c * 40 + r));
  }
}

TEST(CopyTensor, SpansAtAnyElementAlignedAddressCopyInAndOut) {
  Storage storage;
  const Tensor t = Tensor::zeros(storage, {5, 7}, DType::kFloat64);
  // One element past an aligned start: 8-byte aligned for double, 4 for float, never 16.
  std::vector<double> doubles(36);
  std::iota(doubles.begin(), doubles.end(), 0.0);
  t.transpose(0, 1).copy_from<double>(std::span<const double>(doubles.data() + 1, 35));
  EXPECT_EQ(t.at<double>({2, 3}), 1.0 + 3 * 5 + 2);
  std::vector<float> floats(36, -1.0f);
  t.copy_to<float>(std::span<float>(floats.data() + 1, 35));
  EXPECT_EQ(floats[0], -1.0f);
  for (std::size_t i = 0; i < 35; ++i) {
    const std::size_t r = i / 7;
    const std::size_t c = i % 7;
    ASSERT_EQ(floats[i + 1], static_cast<float>(1 + c * 5 + r)) << i;
  }
}

TEST(CopyTensor, FillWritesOnlyTheElementsOfTheView) {
  Storage storage;
  const Tensor t = Tensor::zeros(storage, {4, 6}, DType::kInt16);
  t.slice(1, Slice{{}, {}, -2}).fill(std::int16_t{-3});  // columns 5, 3, 1
  t.slice(0, Slice{3, 4}).fill(2.7);                      // converted: 2
  EXPECT_EQ(values_of<std::int16_t>(t), (std::vector<std::int16_t>{0, -3, 0, -3, 0, -3, 0, -3, 0, -3, 0, -3,
                                                                    0, -3, 0, -3, 0, -3, 2, 2, 2, 2, 2, 2}));
}

TEST(CopyTensor, CopyFromAnOffsetSourceOfAnotherDtypeReadsTheSourceElements) {
  Storage storage;
  std::vector<std::int8_t> bytes(64);
  std::iota(bytes.begin(), bytes.end(), std::int8_t{0});
  const Tensor source = Tensor::from_data<std::int8_t>(storage, {64}, bytes);
  const Tensor floats = Tensor::zeros(storage, {4}, DType::kFloat32);
  floats.copy_from(source.slice(0, Slice{4, 8}));
  EXPECT_EQ(values_of(floats), (std::vector<float>{4, 5, 6, 7}));
  // A wider destination: addressed with float64's 8 bytes, element 40 would lie past the 64-byte block.
  const Tensor doubles = Tensor::zeros(storage, {4}, DType::kFloat64);
  doubles.copy_from(source.slice(0, Slice{40, 44}));
  EXPECT_EQ(values_of<double>(doubles), (std::vector<double>{40, 41, 42, 43}));
  // A narrower destination, from a strided, offset source.
  const Tensor wide = Tensor::from_data<std::int64_t>(storage, {8}, std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  const Tensor narrow = Tensor::zeros(storage, {3}, DType::kInt8);
  narrow.copy_from(wide.slice(0, Slice{7, 1, -2}));
  EXPECT_EQ(values_of<std::int8_t>(narrow), (std::vector<std::int8_t>{7, 5, 3}));
}

}  // namespace
}  // namespace tensormem
