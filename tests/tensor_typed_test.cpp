// Typed tests: every Tensor element-access and copy path, once per element type.
//
// Expectations are computed here from first principles (row-major index
// arithmetic, the conversion rules of convert.hpp written out independently,
// dtype names spelled out), never by calling the code under test.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "tensormem/dtype.hpp"
#include "tensormem/error.hpp"
#include "tensormem/layout.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/tensor.hpp"
#include "test_support.hpp"

namespace tensormem {
namespace {

using Int = std::int64_t;
using testing::for_each_index;
using testing::product;
using testing::row_major;
using testing::Shape;

// --- element types ---------------------------------------------------------------------

using ElementTypes = ::testing::Types<float, double, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t,
                                      std::int32_t, std::uint32_t, std::int64_t, std::uint64_t, bool>;

// The dtype names messages use, spelled out.
template <typename T>
constexpr std::string_view name_of() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, std::int8_t>) return "int8";
  else if constexpr (std::is_same_v<T, std::uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<T, std::int16_t>) return "int16";
  else if constexpr (std::is_same_v<T, std::uint16_t>) return "uint16";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, std::uint32_t>) return "uint32";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, std::uint64_t>) return "uint64";
  else return "bool";
}

struct ElementTypeNames {
  template <typename T>
  static std::string GetName(int) {
    return std::string(name_of<T>());
  }
};

// A type that is not T, for DTYPE_MISMATCH: same size where there is one, so
// that only the dtype check can tell them apart.
template <typename T> struct Other;
template <> struct Other<float> { using type = std::int32_t; };
template <> struct Other<double> { using type = std::uint64_t; };
template <> struct Other<std::int8_t> { using type = std::uint8_t; };
template <> struct Other<std::uint8_t> { using type = std::int8_t; };
template <> struct Other<std::int16_t> { using type = std::uint16_t; };
template <> struct Other<std::uint16_t> { using type = std::int16_t; };
template <> struct Other<std::int32_t> { using type = float; };
template <> struct Other<std::uint32_t> { using type = std::int32_t; };
template <> struct Other<std::int64_t> { using type = double; };
template <> struct Other<std::uint64_t> { using type = std::int64_t; };
template <> struct Other<bool> { using type = std::uint8_t; };
template <typename T>
using OtherType = typename Other<T>::type;

// Distinct-ish, exactly representable values: element k of a test tensor.
template <typename T>
T sample(Int k) {
  if constexpr (std::is_same_v<T, bool>) {
    return k % 3 == 1;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(k) * static_cast<T>(0.5) - static_cast<T>(7);
  } else if constexpr (std::is_signed_v<T>) {
    return static_cast<T>(k % 101 - 50);
  } else {
    return static_cast<T>(k * 7 % 251);
  }
}

template <typename T>
double to_double(T value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? 1.0 : 0.0;
  } else {
    return static_cast<double>(value);
  }
}

// convert.hpp's double -> T rule, written out: floats round, integers truncate
// toward zero and saturate (NaN -> 0), bool is "!= 0" (so NaN -> true).
template <typename T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return !(v == 0.0);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T{0};
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(std::trunc(v));
  }
}

// int64 -> T: integers wrap modulo 2^bits, floats round, bool is "!= 0".
template <typename T>
T from_int64(Int v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return static_cast<T>(static_cast<std::uint64_t>(v));
  }
}

// The From -> To rule of convert.hpp, for the small values these tests store.
template <typename To, typename From>
To convert_value(From value) {
  if constexpr (std::is_same_v<From, bool>) {
    return from_int64<To>(value ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<From>) {
    return from_double<To>(static_cast<double>(value));
  } else {
    return from_int64<To>(static_cast<Int>(value));
  }
}

// Equal, with NaN equal to NaN.
template <typename T>
bool same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) && std::isnan(b)) return true;
  }
  return a == b;
}

// --- shapes --------------------------------------------------------------------------


// Row-major strides, size-0 and size-1 dims counting as size 1 (the PyTorch convention).
Shape row_major_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * std::max<Int>(shape[d], 1);
  return strides;
}

Shape shape_of(const Tensor& tensor) { return {tensor.shape().begin(), tensor.shape().end()}; }
Shape strides_of(const Tensor& tensor) { return {tensor.strides().begin(), tensor.strides().end()}; }

std::string str(const Shape& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i > 0 ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

// 0-d, empty dims, size-1 dims, up to 8 dims.
const std::vector<Shape>& test_shapes() {
  static const std::vector<Shape> shapes{
      {},           {0},          {1},          {7},          {2, 3},          {3, 0, 2},    {1, 1, 1},
      {4, 1, 3},    {2, 3, 4},    {3, 1, 4, 1, 5},             {2, 1, 0, 3, 1, 2, 1, 1},  {1, 2, 1, 2, 1, 2, 1, 2},
      {2, 2, 2, 2, 2, 2, 2, 2},   {1, 1, 1, 1, 1, 1, 1, 1},    {5, 1},          {1, 6},
  };
  return shapes;
}

// Element storage that also works for bool (std::vector<bool> has no data()).
template <typename T>
class Values {
 public:
  explicit Values(Int count) : data_(std::make_unique<T[]>(static_cast<std::size_t>(count))), size_(static_cast<std::size_t>(count)) {}
  static Values samples(Int count, Int first = 0) {
    Values values(count);
    for (Int k = 0; k < count; ++k) values[k] = sample<T>(first + k);
    return values;
  }
  T& operator[](Int k) { return data_[static_cast<std::size_t>(k)]; }
  const T& operator[](Int k) const { return data_[static_cast<std::size_t>(k)]; }
  [[nodiscard]] std::span<T> span() { return {data_.get(), size_}; }
  [[nodiscard]] std::span<const T> cspan() const { return {data_.get(), size_}; }

 private:
  std::unique_ptr<T[]> data_;
  std::size_t size_;
};

// Every element of `tensor` via at<T>, in row-major order.
template <typename T>
std::vector<T> read_all(const Tensor& tensor) {
  std::vector<T> values;
  for_each_index(shape_of(tensor), [&](const Shape& index) { values.push_back(tensor.at<T>(index)); });
  return values;
}

// Every element via for_each<const T>, in visiting order.
template <typename T>
std::vector<T> visit_all(const Tensor& tensor) {
  std::vector<T> values;
  tensor.for_each<const T>([&](const T& value) { values.push_back(value); });
  return values;
}

// The values of `shape`'s elements when element `index` is base element base_index(index) of `base`.
template <typename T, typename BaseIndex>
std::vector<T> expected_view(const Shape& view_shape, const Shape& base_shape, BaseIndex&& base_index, Int first = 0) {
  std::vector<T> values;
  for_each_index(view_shape, [&](const Shape& index) {
    values.push_back(sample<T>(first + row_major(base_shape, base_index(index))));
  });
  return values;
}

template <typename T>
class TensorTyped : public ::testing::Test {
 protected:
  // A row-major tensor whose element k is sample<T>(first + k).
  Tensor make(const Shape& shape, Int first = 0) {
    const Values<T> values = Values<T>::samples(product(shape), first);
    return Tensor::from_data<T>(storage, shape, values.cspan());
  }

  void TearDown() override { EXPECT_EQ(storage.stats().live_buffers, 0U) << "a tensor leaked its buffer"; }

  Storage storage;
};

TYPED_TEST_SUITE(TensorTyped, ElementTypes, ElementTypeNames);

// --- tests ---------------------------------------------------------------------------

TYPED_TEST(TensorTyped, FromDataThenAtRoundTripsEveryElementOfEveryShape) {
  using T = TypeParam;
  for (const Shape& shape : test_shapes()) {
    SCOPED_TRACE("shape " + str(shape));
    const Int numel = product(shape);
    const Values<T> values = Values<T>::samples(numel);
    const Tensor t = Tensor::from_data<T>(this->storage, shape, values.cspan());
    EXPECT_EQ(to_string(t.dtype()), name_of<T>());
    EXPECT_EQ(t.itemsize(), sizeof(T));
    EXPECT_EQ(shape_of(t), shape);
    EXPECT_EQ(strides_of(t), row_major_strides(shape));
    EXPECT_EQ(t.offset(), 0);
    EXPECT_EQ(t.numel(), numel);
    EXPECT_EQ(t.nbytes(), static_cast<std::size_t>(numel) * sizeof(T));
    EXPECT_EQ(t.ndim(), static_cast<int>(shape.size()));
    EXPECT_TRUE(t.is_contiguous());
    EXPECT_FALSE(t.is_read_only());
    for_each_index(shape, [&](const Shape& index) {
      const Int k = row_major(shape, index);
      EXPECT_TRUE(same(t.at<T>(index), values[k])) << "at " << str(index);
      Shape from_end = index;  // the same element, counted from the end of every dim
      for (std::size_t d = 0; d < shape.size(); ++d) from_end[d] -= shape[d];
      EXPECT_TRUE(same(t.at<T>(from_end), values[k])) << "at " << str(from_end);
    });
    const std::span<const T> span = t.span<const T>();
    ASSERT_EQ(span.size(), static_cast<std::size_t>(numel));
    for (Int k = 0; k < numel; ++k) EXPECT_TRUE(same(span[static_cast<std::size_t>(k)], values[k])) << k;
  }
}

TYPED_TEST(TensorTyped, SetThenAtReadsTheNewValueAndNothingElseChanges) {
  using T = TypeParam;
  for (const Shape& shape : test_shapes()) {
    SCOPED_TRACE("shape " + str(shape));
    const Tensor t = Tensor::zeros(this->storage, shape, dtype_of<T>);
    EXPECT_EQ(read_all<T>(t), std::vector<T>(static_cast<std::size_t>(product(shape)), T{0}));
    // Set every element, last first, each to a value distinct from its neighbours'.
    std::vector<Shape> indices;
    for_each_index(shape, [&](const Shape& index) { indices.push_back(index); });
    std::reverse(indices.begin(), indices.end());
    for (const Shape& index : indices) {
      t.set<T>(index, sample<T>(row_major(shape, index) + 1));
      EXPECT_TRUE(same(t.at<T>(index), sample<T>(row_major(shape, index) + 1)));
    }
    EXPECT_EQ(read_all<T>(t), expected_view<T>(shape, shape, [](const Shape& index) { return index; }, 1));
  }
  // Through a view: set lands on the view's element in the base tensor.
  const Tensor base = this->make({3, 4});
  const Tensor view = base.transpose(0, 1).slice(1, {{}, {}, -1});  // view[i][j] = base[2 - j][i]
  view.set<T>({1, 0}, sample<T>(100));
  EXPECT_TRUE(same(base.at<T>({2, 1}), sample<T>(100)));
  EXPECT_TRUE(same(base.at<T>({0, 1}), sample<T>(1)));
}

TYPED_TEST(TensorTyped, GetAsAndSetAsConvertToAndFromDouble) {
  using T = TypeParam;
  const Tensor t = this->make({2, 3});
  for_each_index({2, 3}, [&](const Shape& index) {
    const T value = sample<T>(row_major({2, 3}, index));
    EXPECT_EQ(t.get_as<double>(index), to_double(value)) << str(index);
    EXPECT_EQ(t.get_as<bool>(index), to_double(value) != 0.0) << str(index);
  });
  const double inputs[] = {0.0,  2.75, -2.75, -0.5,  100.5, 200.9, 40000.7, -40000.7, 3e9, -3e9, 1e19, 1e30,
                           -1e30, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (const double input : inputs) {
    SCOPED_TRACE("set_as<double>(" + std::to_string(input) + ")");
    t.set_as<double>({1, 2}, input);
    EXPECT_TRUE(same(t.at<T>({1, 2}), from_double<T>(input)));
    EXPECT_TRUE(same(t.get_as<double>({1, 2}), to_double(from_double<T>(input))));
  }
  for (const Int input : {Int{-1}, Int{300}, Int{70000}, std::numeric_limits<Int>::min()}) {
    SCOPED_TRACE("set_as<int64>(" + std::to_string(input) + ")");
    t.set_as<Int>({-1, 0}, input);
    EXPECT_TRUE(same(t.at<T>({1, 0}), from_int64<T>(input)));
  }
  // The other elements were not touched.
  EXPECT_TRUE(same(t.at<T>({0, 2}), sample<T>(2)));
  EXPECT_TRUE(same(t.at<T>({1, 1}), sample<T>(4)));
}

TYPED_TEST(TensorTyped, SpanExposesTheElementsOfAContiguousTensorOrView) {
  using T = TypeParam;
  const Tensor t = this->make({4, 3});
  const std::span<T> all = t.span<T>();
  ASSERT_EQ(all.size(), 12U);
  all[5] = sample<T>(50);
  EXPECT_TRUE(same(t.at<T>({1, 2}), sample<T>(50)));
  // Rows 1..2: a contiguous view whose span starts at the view's first element.
  const Tensor rows = t.narrow(0, 1, 2);
  const std::span<const T> middle = rows.span<const T>();
  ASSERT_EQ(middle.size(), 6U);
  EXPECT_EQ(middle.data(), all.data() + 3);
  for (std::size_t k = 0; k < 6; ++k) EXPECT_TRUE(same(middle[k], k == 2 ? sample<T>(50) : sample<T>(static_cast<Int>(k) + 3)));
  // Empty and 0-d tensors have spans too.
  EXPECT_EQ(this->make({2, 0}).template span<T>().size(), 0U);
  const Tensor scalar = this->make({}, 9);
  ASSERT_EQ(scalar.span<const T>().size(), 1U);
  EXPECT_TRUE(same(scalar.span<const T>()[0], sample<T>(9)));
}

TYPED_TEST(TensorTyped, ForEachVisitsNonContiguousViewsInRowMajorOrder) {
  using T = TypeParam;
  for (const Shape& shape : test_shapes()) {
    SCOPED_TRACE("shape " + str(shape));
    const Tensor t = this->make(shape);
    const std::size_t n = shape.size();
    EXPECT_EQ(visit_all<T>(t), expected_view<T>(shape, shape, [](const Shape& index) { return index; }));
    if (n >= 1) {
      // Transpose of the first and last dims.
      Shape swapped = shape;
      std::swap(swapped.front(), swapped.back());
      const Tensor transposed = t.transpose(0, -1);
      EXPECT_EQ(visit_all<T>(transposed), expected_view<T>(swapped, shape, [&](const Shape& index) {
                  Shape base = index;
                  std::swap(base.front(), base.back());
                  return base;
                }));
      // Dim 0 reversed; the last dim every other element, backwards.
      const Tensor reversed = t.slice(0, {{}, {}, -1});
      EXPECT_EQ(visit_all<T>(reversed), expected_view<T>(shape, shape, [&](const Shape& index) {
                  Shape base = index;
                  base[0] = shape[0] - 1 - index[0];
                  return base;
                }));
      Shape halved = shape;
      halved.back() = (shape.back() + 1) / 2;
      const Tensor backwards = t.slice(-1, {{}, {}, -2});
      EXPECT_EQ(shape_of(backwards), halved);
      EXPECT_EQ(visit_all<T>(backwards), expected_view<T>(halved, shape, [&](const Shape& index) {
                  Shape base = index;
                  base.back() = shape.back() - 1 - 2 * index.back();
                  return base;
                }));
      EXPECT_EQ(read_all<T>(backwards), visit_all<T>(backwards));
    }
    if (n < static_cast<std::size_t>(kMaxDims)) {
      // A new leading dim of 3, broadcast: read-only, each element visited three times.
      Shape expanded_shape = shape;
      expanded_shape.insert(expanded_shape.begin(), 3);
      const Tensor expanded = t.expand(expanded_shape);
      EXPECT_TRUE(expanded.is_read_only());  // a dim is broadcast (stride 0, size 3), even if another is empty
      EXPECT_EQ(visit_all<T>(expanded), expected_view<T>(expanded_shape, shape, [](const Shape& index) {
                  return Shape(index.begin() + 1, index.end());
                }));
    }
  }
}

TYPED_TEST(TensorTyped, ForEachWritesThroughAWritableNonContiguousView) {
  using T = TypeParam;
  const Tensor t = this->make({3, 4});
  const Tensor view = t.transpose(0, 1).slice(0, {{}, {}, -2});  // view[i][j] = t[j][3 - 2i]
  ASSERT_EQ(shape_of(view), (Shape{2, 3}));
  Int visited = 0;
  view.for_each<T>([&](T& value) { value = sample<T>(1000 + visited++); });
  EXPECT_EQ(visited, 6);
  for_each_index({3, 4}, [&](const Shape& index) {
    const Int i = index[0];
    const Int j = index[1];
    const bool in_view = j % 2 == 1;  // columns 3 and 1
    const T expected = in_view ? sample<T>(1000 + (3 - j) / 2 * 3 + i) : sample<T>(i * 4 + j);
    EXPECT_TRUE(same(t.at<T>(index), expected)) << str(index);
  });
}

TYPED_TEST(TensorTyped, CopyToAndCopyFromFollowTheLayoutAndConvert) {
  using T = TypeParam;
  for (const Shape& shape : test_shapes()) {
    if (shape.size() < 2) continue;
    SCOPED_TRACE("shape " + str(shape));
    const Tensor t = this->make(shape);
    const Tensor view = t.transpose(0, 1);
    Shape view_shape = shape;
    std::swap(view_shape[0], view_shape[1]);
    const std::vector<T> expected = expected_view<T>(view_shape, shape, [](const Shape& index) {
      Shape base = index;
      std::swap(base[0], base[1]);
      return base;
    });
    const Int numel = product(shape);
    Values<T> out(numel);
    view.copy_to(out.span());
    Values<double> as_double(numel);
    view.copy_to(as_double.span());
    for (Int k = 0; k < numel; ++k) {
      EXPECT_TRUE(same<T>(out[k], expected[static_cast<std::size_t>(k)])) << k;
      EXPECT_EQ(as_double[k], to_double<T>(expected[static_cast<std::size_t>(k)])) << k;
    }
    // copy_from writes the values into the view's elements in its row-major order.
    const Values<T> fresh = Values<T>::samples(numel, 500);
    view.copy_from(fresh.cspan());
    EXPECT_EQ(read_all<T>(view), expected_view<T>(view_shape, view_shape, [](const Shape& index) { return index; }, 500));
    EXPECT_EQ(read_all<T>(t), expected_view<T>(shape, view_shape, [](const Shape& index) {
                Shape v = index;
                std::swap(v[0], v[1]);
                return v;
              }, 500));
  }
  // Converting from doubles, and broadcasting a tensor source of another dtype.
  const Tensor t = Tensor::zeros(this->storage, {2, 3}, dtype_of<T>);
  const std::vector<double> doubles{2.75, -2.75, 1e30, -1e30, 0.0, std::numeric_limits<double>::quiet_NaN()};
  t.copy_from(std::span<const double>(doubles));
  for (Int k = 0; k < 6; ++k) EXPECT_TRUE(same(t.at<T>({k / 3, k % 3}), from_double<T>(doubles[static_cast<std::size_t>(k)]))) << k;
  const std::vector<double> row{-1.5, 7.25, 300.0};
  const Tensor source = Tensor::from_data<double>(this->storage, {3}, std::span<const double>(row));
  t.copy_from(source);
  for_each_index({2, 3}, [&](const Shape& index) {
    EXPECT_TRUE(same(t.at<T>(index), from_double<T>(row[static_cast<std::size_t>(index[1])]))) << str(index);
  });
  // A broadcast column: the source's inner stride is 0.
  const std::vector<double> column{4.5, -8.25};
  t.copy_from(Tensor::from_data<double>(this->storage, {2, 1}, std::span<const double>(column)));
  for_each_index({2, 3}, [&](const Shape& index) {
    EXPECT_TRUE(same(t.at<T>(index), from_double<T>(column[static_cast<std::size_t>(index[0])]))) << str(index);
  });
  // Counts must match exactly.
  const Values<T> five = Values<T>::samples(5);
  EXPECT_TM_ERROR(t.copy_from(five.cspan()), ErrorCode::kInvalidShape,
                  "copy_from: 5 values for a tensor of shape [2, 3] (6 elements)");
  Values<T> seven(7);
  EXPECT_TM_ERROR(t.copy_to(seven.span()), ErrorCode::kInvalidShape,
                  "copy_to: 7 values for a tensor of shape [2, 3] (6 elements)");
}

TYPED_TEST(TensorTyped, CopiesOfTransposedViewsKeepEveryElementAtTileEdgeSizes) {
  using T = TypeParam;
  // Sizes around any tile or vector width the copy kernels may use, from unaligned offsets.
  const std::vector<std::pair<Int, Int>> sizes{{1, 1}, {2, 3},  {4, 4},   {5, 7},  {8, 8},  {9, 15}, {16, 16},
                                               {17, 33}, {32, 32}, {33, 65}, {64, 3}, {3, 64}, {100, 9}};
  for (const auto& size : sizes) {
    const Int rows = size.first;  // (not a structured binding: clang 14 cannot capture those in lambdas)
    const Int cols = size.second;
    SCOPED_TRACE("region " + std::to_string(rows) + " x " + std::to_string(cols));
    const Shape base_shape{rows + 1, cols + 2};
    const Tensor base = this->make(base_shape);
    const Tensor region = base.narrow(0, 1, rows).narrow(1, 1, cols);  // region[i][j] = base[1 + i][1 + j]
    const Shape transposed_shape{cols, rows};
    const std::vector<T> transposed = expected_view<T>(transposed_shape, base_shape, [](const Shape& index) {
      return Shape{1 + index[1], 1 + index[0]};
    });
    const std::vector<T> reversed = expected_view<T>(transposed_shape, base_shape, [&](const Shape& index) {
      return Shape{1 + index[1], cols - index[0]};
    });
    const Tensor views[] = {region.transpose(0, 1), region.transpose(0, 1).slice(0, {{}, {}, -1})};
    const std::vector<T>* expectations[] = {&transposed, &reversed};
    for (int v = 0; v < 2; ++v) {
      SCOPED_TRACE(v == 0 ? "transposed" : "transposed, then rows reversed");
      const Tensor& view = views[v];
      const std::vector<T>& expected = *expectations[v];
      EXPECT_EQ(read_all<T>(view), expected);
      EXPECT_EQ(read_all<T>(view.contiguous()), expected);
      EXPECT_EQ(read_all<T>(view.clone()), expected);
      EXPECT_EQ(visit_all<T>(view.reshape({-1})), expected);  // not viewable: a copy
      Values<T> out(rows * cols);
      view.copy_to(out.span());
      for (std::size_t k = 0; k < expected.size(); ++k) {
        ASSERT_TRUE(same<T>(out[static_cast<Int>(k)], expected[k])) << "copy_to element " << k;
      }
      const Tensor as_double = view.to(DType::kFloat64).contiguous();  // (to() of float64 is the view itself)
      for (std::size_t k = 0; k < expected.size(); ++k) {
        ASSERT_EQ(as_double.span<const double>()[k], to_double<T>(expected[k])) << "to(float64) element " << k;
      }
    }
    // The other direction: a contiguous source into a transposed destination.
    const Tensor target = Tensor::zeros(this->storage, transposed_shape, dtype_of<T>);
    target.transpose(0, 1).copy_from(region);
    EXPECT_EQ(read_all<T>(target), transposed);
    // Batched: the inner two dims of a 3-d tensor transposed.
    const Shape batch_shape{3, rows, cols};
    const Tensor batch = this->make(batch_shape);
    EXPECT_EQ(read_all<T>(batch.transpose(1, 2).contiguous()),
              expected_view<T>({3, cols, rows}, batch_shape, [](const Shape& index) {
                return Shape{index[0], index[2], index[1]};
              }));
  }
}

TYPED_TEST(TensorTyped, CopyFromAnOverlappingViewOfTheSameBufferReadsTheOldValues) {
  using T = TypeParam;
  const Tensor right = this->make({10});
  right.narrow(0, 1, 9).copy_from(right.narrow(0, 0, 9));  // shift right by one
  EXPECT_EQ(read_all<T>(right), expected_view<T>({10}, {10}, [](const Shape& index) {
              return Shape{std::max<Int>(index[0] - 1, 0)};
            }));
  const Tensor left = this->make({10});
  left.narrow(0, 0, 9).copy_from(left.narrow(0, 1, 9));  // shift left by one
  EXPECT_EQ(read_all<T>(left), expected_view<T>({10}, {10}, [](const Shape& index) {
              return Shape{std::min<Int>(index[0] + 1, 9)};
            }));
  const Tensor square = this->make({5, 5});
  square.copy_from(square.transpose(0, 1));  // in place
  EXPECT_EQ(read_all<T>(square), expected_view<T>({5, 5}, {5, 5}, [](const Shape& index) {
              return Shape{index[1], index[0]};
            }));
  const Tensor line = this->make({7});
  line.copy_from(line.slice(0, {{}, {}, -1}));
  EXPECT_EQ(read_all<T>(line), expected_view<T>({7}, {7}, [](const Shape& index) { return Shape{6 - index[0]}; }));
  // Disjoint parts of one buffer copy directly.
  const Tensor halves = this->make({2, 4});
  halves.select(0, 1).copy_from(halves.select(0, 0));
  EXPECT_EQ(read_all<T>(halves), expected_view<T>({2, 4}, {2, 4}, [](const Shape& index) {
              return Shape{0, index[1]};
            }));
}

TYPED_TEST(TensorTyped, FillZerosAndFullSetEveryElement) {
  using T = TypeParam;
  for (const Shape& shape : test_shapes()) {
    SCOPED_TRACE("shape " + str(shape));
    const auto numel = static_cast<std::size_t>(product(shape));
    EXPECT_EQ(read_all<T>(Tensor::zeros(this->storage, shape, dtype_of<T>)), std::vector<T>(numel, T{0}));
    EXPECT_EQ(read_all<T>(Tensor::full(this->storage, shape, sample<T>(4))), std::vector<T>(numel, sample<T>(4)));
    // A value of another type is converted.
    const Tensor converted = Tensor::full(this->storage, shape, -2.75, dtype_of<T>);
    EXPECT_EQ(to_string(converted.dtype()), name_of<T>());
    EXPECT_EQ(read_all<T>(converted), std::vector<T>(numel, from_double<T>(-2.75)));
    const Tensor t = this->make(shape);
    t.fill(sample<T>(2));
    EXPECT_EQ(visit_all<T>(t), std::vector<T>(numel, sample<T>(2)));
  }
  // Filling a strided view touches exactly its elements.
  const Tensor t = this->make({4, 5});
  t.slice({{1, {}, 2}, {{}, {}, -2}}).fill(sample<T>(77));  // rows 1, 3; columns 4, 2, 0
  for_each_index({4, 5}, [&](const Shape& index) {
    const bool in_view = index[0] % 2 == 1 && index[1] % 2 == 0;
    EXPECT_TRUE(same(t.at<T>(index), in_view ? sample<T>(77) : sample<T>(index[0] * 5 + index[1]))) << str(index);
  });
  t.fill(1.5);  // converted from double
  EXPECT_EQ(visit_all<T>(t), std::vector<T>(20, from_double<T>(1.5)));
}

TYPED_TEST(TensorTyped, CloneContiguousAndToCopyOnlyWhenNeeded) {
  using T = TypeParam;
  const Tensor t = this->make({3, 4});
  const std::vector<T> transposed_values = expected_view<T>({4, 3}, {3, 4}, [](const Shape& index) {
    return Shape{index[1], index[0]};
  });
  const Tensor transposed = t.transpose(0, 1);
  // contiguous(): the tensor itself when contiguous, else a row-major copy.
  EXPECT_TRUE(t.contiguous().shares_storage(t));
  const Tensor packed = transposed.contiguous();
  EXPECT_FALSE(packed.shares_storage(t));
  EXPECT_TRUE(packed.is_contiguous());
  EXPECT_EQ(strides_of(packed), (Shape{3, 1}));
  EXPECT_EQ(read_all<T>(packed), transposed_values);
  // clone(): always a copy, writable, independent.
  const Tensor copy = transposed.clone();
  EXPECT_FALSE(copy.shares_storage(t));
  EXPECT_EQ(read_all<T>(copy), transposed_values);
  copy.set<T>({0, 0}, sample<T>(99));
  EXPECT_TRUE(same(t.at<T>({0, 0}), sample<T>(0)));
  const Tensor broadcast_copy = t.select(0, 2).expand({2, 4}).clone();
  EXPECT_FALSE(broadcast_copy.is_read_only());
  EXPECT_EQ(read_all<T>(broadcast_copy), expected_view<T>({2, 4}, {3, 4}, [](const Shape& index) {
              return Shape{2, index[1]};
            }));
  // to(): the tensor itself for its own dtype, else a converted contiguous copy.
  EXPECT_TRUE(t.to(dtype_of<T>).shares_storage(t));
  const Tensor as_double = transposed.to(DType::kFloat64);
  EXPECT_EQ(as_double.shares_storage(t), (std::is_same_v<T, double>));  // to() its own dtype: the view itself
  EXPECT_EQ(as_double.dtype(), DType::kFloat64);
  std::vector<double> expected_doubles;
  for (const T value : transposed_values) expected_doubles.push_back(to_double(value));
  EXPECT_EQ(read_all<double>(as_double), expected_doubles);
  std::vector<bool> expected_bools;
  for (const T value : transposed_values) expected_bools.push_back(to_double(value) != 0.0);
  EXPECT_EQ(read_all<bool>(transposed.to(DType::kBool)), expected_bools);
  // And from doubles to T.
  const std::vector<double> doubles{2.75, -2.75, 1e30, std::numeric_limits<double>::quiet_NaN()};
  const Tensor from = Tensor::from_data<double>(this->storage, {2, 2}, std::span<const double>(doubles));
  const Tensor converted = from.transpose(0, 1).to(dtype_of<T>);
  EXPECT_EQ(to_string(converted.dtype()), name_of<T>());
  EXPECT_TRUE(same(converted.at<T>({0, 0}), from_double<T>(2.75)));
  EXPECT_TRUE(same(converted.at<T>({0, 1}), from_double<T>(1e30)));
  EXPECT_TRUE(same(converted.at<T>({1, 0}), from_double<T>(-2.75)));
  EXPECT_TRUE(same(converted.at<T>({1, 1}), from_double<T>(std::numeric_limits<double>::quiet_NaN())));
}

TYPED_TEST(TensorTyped, AccessWithTheWrongElementTypeFailsWithDtypeMismatch) {
  using T = TypeParam;
  using W = OtherType<T>;
  static_assert(!std::is_same_v<T, W>);
  const std::string held = "the tensor holds " + std::string(name_of<T>());
  const std::string wrong(name_of<W>());
  for (const Shape& shape : {Shape{}, Shape{2, 3}, Shape{0, 4}}) {
    SCOPED_TRACE("shape " + str(shape));
    const Tensor t = this->make(shape);
    const Shape zero(shape.size(), 0);
    EXPECT_TM_ERROR((void)t.at<W>(zero), ErrorCode::kDtypeMismatch, "at<" + wrong + ">: " + held);
    EXPECT_TM_ERROR(t.set<W>(zero, W{1}), ErrorCode::kDtypeMismatch, "set<" + wrong + ">: " + held);
    EXPECT_TM_ERROR((void)t.span<W>(), ErrorCode::kDtypeMismatch, "span<" + wrong + ">: " + held);
    EXPECT_TM_ERROR((void)t.span<const W>(), ErrorCode::kDtypeMismatch, "span<" + wrong + ">: " + held);
    EXPECT_TM_ERROR(t.for_each<const W>([](const W&) {}), ErrorCode::kDtypeMismatch, "for_each<" + wrong + ">: " + held);
    EXPECT_TM_ERROR(t.for_each<W>([](W&) {}), ErrorCode::kDtypeMismatch, "for_each<" + wrong + ">: " + held);
    // get_as/set_as convert from any dtype instead.
    if (!shape.empty() && product(shape) > 0) {
      t.set_as<W>(zero, W{1});
      EXPECT_TRUE(same(t.at<T>(zero), T{1}));
    }
  }
  // The dtype is the tensor's, not the values': data converted on the way in reads back only as W.
  const Values<T> values = Values<T>::samples(3);
  const Tensor stored_as_other = Tensor::from_data<T>(this->storage, {3}, values.cspan(), dtype_of<W>);
  EXPECT_TM_ERROR((void)stored_as_other.at<T>({0}), ErrorCode::kDtypeMismatch,
                  "at<" + std::string(name_of<T>()) + ">: the tensor holds " + wrong);
  for (Int k = 0; k < 3; ++k) {
    EXPECT_TRUE(same(stored_as_other.at<W>({k}), convert_value<W>(values[k]))) << k;
  }
}

TYPED_TEST(TensorTyped, SpanOfANonContiguousViewFailsWithNotContiguous) {
  using T = TypeParam;
  const Tensor t = this->make({2, 3});
  const Tensor transposed = t.transpose(0, 1);
  EXPECT_FALSE(transposed.is_contiguous());
  const char* message = "span: the tensor of shape [3, 2] with strides [1, 3] is not contiguous; call contiguous() first";
  EXPECT_TM_ERROR((void)transposed.span<const T>(), ErrorCode::kNotContiguous, message);
  EXPECT_TM_ERROR((void)transposed.span<T>(), ErrorCode::kNotContiguous, message);
  EXPECT_TM_ERROR((void)t.select(0, 1).slice(0, {{}, {}, -1}).span<const T>(), ErrorCode::kNotContiguous,
                  "span: the tensor of shape [3] with strides [-1] is not contiguous; call contiguous() first");
  EXPECT_TM_ERROR((void)t.select(1, 0).span<const T>(), ErrorCode::kNotContiguous,
                  "span: the tensor of shape [2] with strides [3] is not contiguous; call contiguous() first");
  // Contiguity is checked before writability.
  EXPECT_TM_ERROR((void)t.narrow(0, 0, 1).expand({4, 3}).span<T>(), ErrorCode::kNotContiguous,
                  "span: the tensor of shape [4, 3] with strides [0, 1] is not contiguous; call contiguous() first");
  // The strides of size-1 dims do not matter: row 1 as a [3, 1] column is contiguous.
  const Tensor row = t.narrow(0, 1, 1).transpose(0, 1);
  EXPECT_EQ(strides_of(row), (Shape{1, 3}));
  const std::span<const T> elements = row.span<const T>();
  ASSERT_EQ(elements.size(), 3U);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_TRUE(same(elements[k], sample<T>(3 + static_cast<Int>(k)))) << k;
}

TYPED_TEST(TensorTyped, WritesThroughAnExpandedViewFailWithReadOnly) {
  using T = TypeParam;
  const Tensor t = this->make({1, 3});
  const Tensor expanded = t.expand({2, 3});
  ASSERT_TRUE(expanded.is_read_only());
  const std::string tail =
      ": the tensor of shape [2, 3] with strides [0, 1] is a read-only view (it aliases elements, as expand() does); "
      "write to contiguous() or clone() instead";
  EXPECT_TM_ERROR(expanded.set<T>({1, 1}, sample<T>(5)), ErrorCode::kReadOnly, "set" + tail);
  EXPECT_TM_ERROR(expanded.set_as<double>({1, 1}, 1.0), ErrorCode::kReadOnly, "set_as" + tail);
  EXPECT_TM_ERROR(expanded.fill(sample<T>(5)), ErrorCode::kReadOnly, "fill" + tail);
  const Values<T> six = Values<T>::samples(6, 40);
  EXPECT_TM_ERROR(expanded.copy_from(six.cspan()), ErrorCode::kReadOnly, "copy_from" + tail);
  EXPECT_TM_ERROR(expanded.copy_from(this->make({3}, 60)), ErrorCode::kReadOnly, "copy_from" + tail);
  EXPECT_TM_ERROR(expanded.for_each<T>([](T&) {}), ErrorCode::kReadOnly, "for_each" + tail);
  // Views of a read-only view stay read-only, also once contiguous.
  const Tensor row = expanded.select(0, 1);
  EXPECT_TRUE(row.is_contiguous());
  EXPECT_TRUE(row.is_read_only());
  EXPECT_TM_ERROR((void)row.span<T>(), ErrorCode::kReadOnly,
                  "span: the tensor of shape [3] with strides [1] is a read-only view (it aliases elements, as "
                  "expand() does); write to contiguous() or clone() instead");
  ASSERT_EQ(row.span<const T>().size(), 3U);
  // Nothing was written; reads work.
  EXPECT_EQ(read_all<T>(t), (std::vector<T>{sample<T>(0), sample<T>(1), sample<T>(2)}));
  EXPECT_EQ(read_all<T>(expanded), (std::vector<T>{sample<T>(0), sample<T>(1), sample<T>(2), sample<T>(0),
                                                   sample<T>(1), sample<T>(2)}));
  // An expand that broadcasts nothing stays writable, as do copies.
  EXPECT_FALSE(t.expand({1, 3}).is_read_only());
  EXPECT_FALSE(t.expand({0, 1, 3}).is_read_only());
  const Tensor copy = expanded.contiguous();
  EXPECT_FALSE(copy.is_read_only());
  copy.set<T>({1, 1}, sample<T>(5));
  EXPECT_TRUE(same(copy.at<T>({0, 1}), sample<T>(1)));
}

TYPED_TEST(TensorTyped, ElementAccessFollowsExplicitStridesAndOffsets) {
  using T = TypeParam;
  // Layouts over one buffer: padded row-major, column-major, negative and zero strides.
  for (const Shape& shape : test_shapes()) {
    const std::size_t n = shape.size();
    std::vector<std::pair<std::string, Shape>> layouts;
    Shape padded(n, 1);
    for (std::size_t d = n; d-- > 1;) padded[d - 1] = padded[d] * (std::max<Int>(shape[d], 1) + 1);
    layouts.emplace_back("padded row-major", padded);
    Shape column_major(n, 1);
    for (std::size_t d = 1; d < n; ++d) column_major[d] = column_major[d - 1] * std::max<Int>(shape[d - 1], 1);
    layouts.emplace_back("column-major", column_major);
    Shape negative = row_major_strides(shape);
    for (std::size_t d = 0; d < n; d += 2) negative[d] = -negative[d];
    layouts.emplace_back("every other dim negative", negative);
    if (n > 0) {
      Shape zero = row_major_strides(shape);
      zero[n / 2] = 0;
      layouts.emplace_back("one zero stride", zero);
    }
    for (const auto& layout : layouts) {
      const std::string& name = layout.first;
      const Shape& strides = layout.second;
      SCOPED_TRACE("shape " + str(shape) + ", " + name + " strides " + str(strides));
      // The lowest element reached is the start of the buffer; the highest is its last element.
      Int low = 0;
      Int high = 0;
      for (std::size_t d = 0; d < n; ++d) {
        if (shape[d] == 0) continue;
        (strides[d] < 0 ? low : high) += (shape[d] - 1) * strides[d];
      }
      const Int offset = -low + 2;
      const Int capacity = offset + high + 3;
      const Tensor buffer = this->make({capacity});
      const Tensor view = buffer.as_strided(shape, strides, offset);
      EXPECT_EQ(strides_of(view), strides);
      EXPECT_EQ(view.offset(), offset);
      std::vector<Int> reached;
      std::vector<T> expected;
      for_each_index(shape, [&](const Shape& index) {
        Int element = offset;
        for (std::size_t d = 0; d < n; ++d) element += index[d] * strides[d];
        reached.push_back(element);
        expected.push_back(sample<T>(element));
      });
      std::vector<Int> sorted = reached;
      std::sort(sorted.begin(), sorted.end());
      const bool aliases = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
      if (aliases) {
        EXPECT_TRUE(view.is_read_only());
      }
      EXPECT_EQ(read_all<T>(view), expected);
      EXPECT_EQ(visit_all<T>(view), expected);
      Values<T> out(product(shape));
      view.copy_to(out.span());
      for (std::size_t k = 0; k < expected.size(); ++k) EXPECT_TRUE(same<T>(out[static_cast<Int>(k)], expected[k])) << k;
      std::size_t k = 0;
      for_each_index(shape, [&](const Shape& index) {
        EXPECT_EQ(view.get_as<double>(index), to_double<T>(expected[k++])) << str(index);
      });
      const Tensor packed = view.contiguous();
      EXPECT_TRUE(packed.is_contiguous());
      EXPECT_EQ(read_all<T>(packed), expected);
      if (!view.is_read_only() && !expected.empty()) {
        // A write through the view lands on the element its strides name.
        Shape index = shape;  // the last element
        for (Int& i : index) i -= 1;
        view.set<T>(index, sample<T>(1000));
        EXPECT_TRUE(same(buffer.at<T>({reached.back()}), sample<T>(1000)));
      }
    }
  }
}

// --- bool elements ----------------------------------------------------------------------

// The byte behind a bool, read without loading the bool (a load of a byte other
// than 0 or 1 as bool is undefined behaviour, which UBSan aborts on).
std::uint8_t representation(const bool& value) {
  std::uint8_t byte = 0;
  std::memcpy(&byte, &value, 1);
  return byte;
}

// docs/views.md: "bool (one byte; any nonzero byte reads as true)". Raw bytes
// reach a bool tensor through the handle API (Storage::data, from_buffer).
TEST(TensorTypedBool, AnyNonzeroByteReadsAsTrueThroughEveryAccessPath) {
  Storage storage;
  const std::uint8_t bytes[] = {0, 1, 2, 0x80, 0xFF};
  const std::vector<bool> expected{false, true, true, true, true};
  const Tensor t = Tensor::zeros(storage, {5}, DType::kBool);
  std::memcpy(storage.data(t.buffer()), bytes, sizeof bytes);

  EXPECT_EQ(read_all<bool>(t), expected);
  for (Int k = 0; k < 5; ++k) {
    EXPECT_EQ(t.get_as<std::int32_t>({k}), expected[static_cast<std::size_t>(k)] ? 1 : 0) << k;
  }
  // Copies come out canonical (0 or 1).
  Values<bool> out(5);
  t.copy_to(out.span());
  const Tensor copy = t.clone();
  const Tensor as_int = t.to(DType::kInt32);
  for (Int k = 0; k < 5; ++k) {
    const std::uint8_t want = expected[static_cast<std::size_t>(k)] ? 1 : 0;
    EXPECT_EQ(representation(out[k]), want) << "copy_to element " << k;
    EXPECT_EQ(std::to_integer<std::uint8_t>(storage.data(copy.buffer())[k]), want) << "clone element " << k;
    EXPECT_EQ(as_int.at<std::int32_t>({k}), want) << "to(int32) element " << k;
  }
  // span and for_each hand out references to the elements themselves: each
  // must be a valid bool (representation 0 or 1) that reads as documented.
  std::vector<std::uint8_t> visited;
  t.for_each<const bool>([&](const bool& value) { visited.push_back(representation(value)); });
  EXPECT_EQ(visited, (std::vector<std::uint8_t>{0, 1, 1, 1, 1})) << "for_each<const bool>";
  std::vector<std::uint8_t> spanned;
  for (const bool& value : t.span<const bool>()) spanned.push_back(representation(value));
  EXPECT_EQ(spanned, (std::vector<std::uint8_t>{0, 1, 1, 1, 1})) << "span<const bool>";
}

}  // namespace
}  // namespace tensormem
