#include "tensormem/layout.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

using List = std::vector<std::int64_t>;

List to_vector(IntList list) { return {list.begin(), list.end()}; }

// Shape, strides and offset in one comparison, so a failure shows all three.
struct Described {
  List shape;
  List strides;
  std::int64_t offset;
  friend bool operator==(const Described&, const Described&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Described& d) {
    return os << fmt::format("shape {} strides {} offset {}", IntList(d.shape), IntList(d.strides), d.offset);
  }
};
Described describe(const Layout& layout) {
  return {to_vector(layout.shape()), to_vector(layout.strides()), layout.offset()};
}

// ---- construction ------------------------------------------------------------

TEST(Layout, DefaultIsZeroDimensionalWithOneElement) {
  const Layout scalar;
  EXPECT_EQ(scalar.ndim(), 0);
  EXPECT_EQ(scalar.numel(), 1);
  EXPECT_TRUE(scalar.is_contiguous());
  EXPECT_EQ(scalar.element({}), 0);
}

TEST(Layout, ContiguousHasRowMajorStrides) {
  EXPECT_EQ(describe(Layout::contiguous({2, 3, 4})), (Described{{2, 3, 4}, {12, 4, 1}, 0}));
  // Size 0 and 1 dims get the stride they would have with size 1: no stride is 0.
  EXPECT_EQ(describe(Layout::contiguous({3, 0, 2})), (Described{{3, 0, 2}, {2, 2, 1}, 0}));
  EXPECT_EQ(Layout::contiguous({3, 0, 2}).numel(), 0);
}

TEST(Layout, ContiguousRejectsBadShapesNamingThem) {
  EXPECT_TM_ERROR((void)Layout::contiguous({2, -3}), ErrorCode::kInvalidShape,
                  "shape: shape [2, -3] has size -3 at dim 1; sizes must be >= 0");
  EXPECT_TM_ERROR((void)Layout::contiguous({1, 1, 1, 1, 1, 1, 1, 1, 1}), ErrorCode::kInvalidShape,
                  "shape: shape [1, 1, 1, 1, 1, 1, 1, 1, 1] has 9 dims; at most 8 are supported");
  EXPECT_TM_ERROR((void)Layout::contiguous({1LL << 32, 1LL << 32}), ErrorCode::kInvalidShape,
                  "shape: shape [4294967296, 4294967296] has more than 9223372036854775807 elements");
  // An overflowing product next to a 0 is empty, unless the strides overflow too.
  EXPECT_EQ(Layout::contiguous({1LL << 40, 1LL << 40, 0}).numel(), 0);
  EXPECT_TM_ERROR((void)Layout::contiguous({1, 1LL << 40, 1LL << 40, 0}), ErrorCode::kInvalidShape,
                  "shape: shape [1, 1099511627776, 1099511627776, 0] is too large: its strides overflow int64");
}

TEST(Layout, StridedAcceptsExactlyTheLayoutsInsideTheBuffer) {
  EXPECT_EQ(describe(Layout::strided({2, 3}, {3, 1}, 2, 8)), (Described{{2, 3}, {3, 1}, 2}));
  EXPECT_TM_ERROR((void)Layout::strided({2, 3}, {3, 1}, 3, 8), ErrorCode::kOutOfBounds,
                  "as_strided: shape [2, 3] with strides [3, 1] and offset 3 reaches element 8, outside a buffer of 8 "
                  "elements");
  // Negative strides reach below the offset.
  EXPECT_EQ(describe(Layout::strided({3}, {-1}, 2, 3)), (Described{{3}, {-1}, 2}));
  EXPECT_TM_ERROR((void)Layout::strided({3}, {-1}, 1, 8), ErrorCode::kOutOfBounds,
                  "as_strided: shape [3] with strides [-1] and offset 1 reaches element -1, outside a buffer of 8 "
                  "elements");
  // Nothing is reached by an empty layout.
  EXPECT_EQ(Layout::strided({0, 5}, {100, 100}, 8, 8).numel(), 0);
}

TEST(Layout, StridedRejectsMalformedArguments) {
  EXPECT_TM_ERROR((void)Layout::strided({2, 3}, {1}, 0, 8), ErrorCode::kInvalidArgument,
                  "as_strided: 1 strides [1] for the 2 dims of shape [2, 3]");
  EXPECT_TM_ERROR((void)Layout::strided({2}, {1}, -1, 8), ErrorCode::kOutOfBounds,
                  "as_strided: offset -1 is outside a buffer of 8 elements");
  EXPECT_TM_ERROR((void)Layout::strided({3}, {1LL << 62}, 0, 8), ErrorCode::kInvalidArgument,
                  "as_strided: shape [3] with strides [4611686018427387904] reaches beyond the int64 range");
}

// ---- observers -----------------------------------------------------------------

TEST(Layout, ElementChecksEveryIndexAgainstItsDim) {
  const Layout layout = Layout::contiguous({2, 3});
  EXPECT_EQ(layout.element({1, 2}), 5);
  EXPECT_EQ(layout.element({-1, -3}), 3);
  EXPECT_TM_ERROR((void)layout.element({0, 3}), ErrorCode::kOutOfBounds,
                  "Index 3 is out of bounds for dim 1 of size 3 (shape [2, 3])");
  EXPECT_TM_ERROR((void)layout.element({-3, 0}), ErrorCode::kOutOfBounds,
                  "Index -3 is out of bounds for dim 0 of size 2 (shape [2, 3])");
  EXPECT_TM_ERROR((void)layout.element({1}), ErrorCode::kInvalidArgument,
                  "1 indices [1] for a tensor of shape [2, 3] (2 dims)");
}

TEST(Layout, SizeAndStrideAcceptNegativeDims) {
  const Layout layout = Layout::contiguous({2, 3, 4});
  EXPECT_EQ(layout.size(-1), 4);
  EXPECT_EQ(layout.stride(-3), 12);
  EXPECT_TM_ERROR((void)layout.size(3), ErrorCode::kInvalidArgument,
                  "size: dim 3 is out of range for a tensor of shape [2, 3, 4] (dims -3..2)");
  EXPECT_TM_ERROR((void)Layout().stride(0), ErrorCode::kInvalidArgument,
                  "stride: dim 0 is out of range for a 0-d tensor (it has no dims)");
}

TEST(Layout, ContiguityIgnoresStridesOfSizeOneDims) {
  EXPECT_TRUE(Layout::strided({2, 1, 3}, {3, 99, 1}, 0, 6).is_contiguous());
  EXPECT_FALSE(Layout::contiguous({2, 3}).transpose(0, 1).is_contiguous());
  EXPECT_FALSE(Layout::contiguous({4}).slice(0, Slice{0, 4, 2}).is_contiguous());
  EXPECT_TRUE(Layout::contiguous({3, 0}).transpose(0, 1).is_contiguous());  // empty
}

TEST(Layout, MayAliasDetectsBroadcastAndOverlap) {
  EXPECT_FALSE(Layout::contiguous({2, 3}).may_alias());
  EXPECT_FALSE(Layout::contiguous({2, 3}).transpose(0, 1).may_alias());
  EXPECT_FALSE(Layout::contiguous({6}).slice(0, Slice{{}, {}, -2}).may_alias());
  EXPECT_TRUE(Layout::contiguous({1, 3}).expand({4, 3}).may_alias());
  EXPECT_FALSE(Layout::contiguous({1, 3}).expand({1, 3}).may_alias());
  EXPECT_TRUE(Layout::strided({3, 3}, {1, 1}, 0, 8).may_alias());   // sliding window
  EXPECT_FALSE(Layout::strided({2, 2}, {1, 2}, 0, 8).may_alias());  // column-major
}

TEST(Layout, ExtentSpansTheReachedElements) {
  EXPECT_EQ(Layout::strided({2, 3}, {-3, 1}, 3, 6).extent(), (std::array<std::int64_t, 2>{0, 5}));
  EXPECT_EQ(Layout::strided({0}, {1}, 4, 6).extent(), (std::array<std::int64_t, 2>{4, 4}));
}

// ---- view ------------------------------------------------------------------------

TEST(Layout, ViewRegroupsContiguousElements) {
  const Layout layout = Layout::contiguous({2, 3, 4});
  EXPECT_EQ(describe(layout.view({6, 4})), (Described{{6, 4}, {4, 1}, 0}));
  EXPECT_EQ(describe(layout.view({-1})), (Described{{24}, {1}, 0}));
  EXPECT_EQ(describe(layout.view({2, 1, 12})), (Described{{2, 1, 12}, {12, 12, 1}, 0}));
  EXPECT_EQ(describe(Layout().view({1, 1})), (Described{{1, 1}, {1, 1}, 0}));
  EXPECT_EQ(describe(layout.view({4, -1, 2})), (Described{{4, 3, 2}, {6, 2, 1}, 0}));
}

TEST(Layout, ViewSplitsAndMergesWithinContiguousChunksOnly) {
  // [4, 6] sliced to columns 0..3: rows stay 6 apart, so each row is a chunk.
  const Layout sliced = Layout::contiguous({4, 6}).slice(1, Slice{0, 4});
  EXPECT_EQ(describe(sliced.view({4, 2, 2})), (Described{{4, 2, 2}, {6, 2, 1}, 0}));
  EXPECT_FALSE(sliced.try_view({16}).has_value());
  // Transposed dims cannot merge, but splitting each one is fine.
  const Layout transposed = Layout::contiguous({4, 6}).transpose(0, 1);
  EXPECT_EQ(describe(transposed.view({2, 3, 4})), (Described{{2, 3, 4}, {3, 1, 6}, 0}));
  EXPECT_FALSE(transposed.try_view({24}).has_value());
  // Reversed elements stay a chunk with a negative stride.
  const Layout reversed = Layout::contiguous({6}).slice(0, Slice{{}, {}, -1});
  EXPECT_EQ(describe(reversed.view({2, 3})), (Described{{2, 3}, {-3, -1}, 5}));
  // Expanded elements only view as themselves.
  const Layout expanded = Layout::contiguous({1, 4}).expand({3, 4});
  EXPECT_EQ(describe(expanded.view({3, 2, 2})), (Described{{3, 2, 2}, {0, 2, 1}, 0}));
  EXPECT_FALSE(expanded.try_view({12}).has_value());
}

TEST(Layout, ViewOfEmptyLayoutsKeepsOrRebuildsStrides) {
  const Layout empty = Layout::contiguous({0, 3});
  EXPECT_EQ(describe(empty.view({0, 3})), (Described{{0, 3}, {3, 1}, 0}));
  EXPECT_EQ(describe(empty.view({3, 0, 5})), (Described{{3, 0, 5}, {5, 5, 1}, 0}));
}

TEST(Layout, ViewReportsShapeMismatchesWithBothShapes) {
  const Layout layout = Layout::contiguous({2, 3});
  EXPECT_TM_ERROR((void)layout.view({4, 2}), ErrorCode::kInvalidShape,
                  "view: shape [4, 2] is invalid for a tensor of shape [2, 3] (6 elements)");
  EXPECT_TM_ERROR((void)layout.view({-1, 4}), ErrorCode::kInvalidShape,
                  "view: shape [-1, 4] is invalid for a tensor of shape [2, 3] (6 elements)");
  EXPECT_TM_ERROR((void)layout.view({-1, -1}), ErrorCode::kInvalidShape,
                  "view: shape [-1, -1] has more than one -1; only one size can be inferred");
  EXPECT_TM_ERROR((void)layout.view({-2, -3}), ErrorCode::kInvalidShape,
                  "view: shape [-2, -3] has size -2 at dim 0; sizes must be >= 0 (or -1 to infer one)");
  EXPECT_TM_ERROR((void)Layout::contiguous({0, 3}).view({-1, 0}), ErrorCode::kInvalidShape,
                  "view: shape [-1, 0] is invalid for a tensor of shape [0, 3] (0 elements): the -1 is ambiguous next "
                  "to a size 0");
  EXPECT_TM_ERROR((void)layout.view({1LL << 32, 1LL << 32}), ErrorCode::kInvalidShape,
                  "view: shape [4294967296, 4294967296] is invalid for a tensor of shape [2, 3] (6 elements)");
  EXPECT_TM_ERROR((void)layout.view({1, 1, 1, 1, 1, 1, 1, 2, 3}), ErrorCode::kInvalidShape,
                  "view: shape [1, 1, 1, 1, 1, 1, 1, 2, 3] has 9 dims; at most 8 are supported");
}

TEST(Layout, ViewThatStridesCannotExpressIsNotViewable) {
  EXPECT_TM_ERROR((void)Layout::contiguous({2, 3}).transpose(0, 1).view({6}), ErrorCode::kNotViewable,
                  "view: shape [6] is not possible for a tensor of shape [3, 2] with strides [1, 3]: its elements are "
                  "not evenly spaced in that grouping; reshape() copies instead");
}

// ---- flatten, squeeze, unsqueeze ---------------------------------------------------

TEST(Layout, FlattenedShapeMergesTheGivenDims) {
  const Layout layout = Layout::contiguous({2, 3, 4, 5});
  EXPECT_EQ(to_vector(layout.flattened_shape(0, -1)), (List{120}));
  EXPECT_EQ(to_vector(layout.flattened_shape(1, 2)), (List{2, 12, 5}));
  EXPECT_EQ(to_vector(layout.flattened_shape(-2, -1)), (List{2, 3, 20}));
  EXPECT_EQ(to_vector(layout.flattened_shape(2, 2)), (List{2, 3, 4, 5}));
  EXPECT_EQ(to_vector(Layout().flattened_shape(0, -1)), (List{1}));
  EXPECT_TM_ERROR((void)layout.flattened_shape(2, 1), ErrorCode::kInvalidArgument,
                  "flatten: start_dim 2 comes after end_dim 1 for a tensor of shape [2, 3, 4, 5]");
  EXPECT_TM_ERROR((void)layout.flattened_shape(0, 4), ErrorCode::kInvalidArgument,
                  "flatten: dim 4 is out of range for a tensor of shape [2, 3, 4, 5] (dims -4..3)");
  EXPECT_TM_ERROR((void)Layout().flattened_shape(0, 1), ErrorCode::kInvalidArgument,
                  "flatten: dims 0 and 1 are out of range for a 0-d tensor");
}

TEST(Layout, SqueezeRemovesSizeOneDims) {
  const Layout layout = Layout::strided({1, 3, 1, 2}, {6, 2, 7, 1}, 0, 6);
  EXPECT_EQ(describe(layout.squeeze()), (Described{{3, 2}, {2, 1}, 0}));
  EXPECT_EQ(describe(layout.squeeze(-2)), (Described{{1, 3, 2}, {6, 2, 1}, 0}));
  EXPECT_EQ(describe(Layout::contiguous({1}).squeeze()), (Described{{}, {}, 0}));
  EXPECT_TM_ERROR((void)layout.squeeze(1), ErrorCode::kInvalidShape, "squeeze: dim 1 has size 3, not 1 (shape [1, 3, 1, 2])");
  EXPECT_TM_ERROR((void)layout.squeeze(4), ErrorCode::kInvalidArgument,
                  "squeeze: dim 4 is out of range for a tensor of shape [1, 3, 1, 2] (dims -4..3)");
}

TEST(Layout, UnsqueezeInsertsASizeOneDimAnywhere) {
  const Layout layout = Layout::contiguous({2, 3});
  EXPECT_EQ(describe(layout.unsqueeze(0)), (Described{{1, 2, 3}, {6, 3, 1}, 0}));
  EXPECT_EQ(describe(layout.unsqueeze(1)), (Described{{2, 1, 3}, {3, 3, 1}, 0}));
  EXPECT_EQ(describe(layout.unsqueeze(2)), (Described{{2, 3, 1}, {3, 1, 1}, 0}));
  EXPECT_EQ(describe(layout.unsqueeze(-1)), (Described{{2, 3, 1}, {3, 1, 1}, 0}));
  EXPECT_EQ(describe(layout.unsqueeze(-3)), (Described{{1, 2, 3}, {6, 3, 1}, 0}));
  EXPECT_TM_ERROR((void)layout.unsqueeze(3), ErrorCode::kInvalidArgument,
                  "unsqueeze: dim 3 is out of range for a tensor of shape [2, 3] (dims -3..2)");
  EXPECT_TM_ERROR((void)Layout::contiguous({1, 1, 1, 1, 1, 1, 1, 1}).unsqueeze(0), ErrorCode::kInvalidShape,
                  "unsqueeze: a tensor of shape [1, 1, 1, 1, 1, 1, 1, 1] already has 8 dims, the most supported");
}

// ---- slice, select, narrow -----------------------------------------------------

TEST(Layout, SliceTakesStartStopAndStep) {
  const Layout layout = Layout::contiguous({10});
  EXPECT_EQ(describe(layout.slice(0, Slice{2, 7})), (Described{{5}, {1}, 2}));
  EXPECT_EQ(describe(layout.slice(0, Slice{1, 8, 3})), (Described{{3}, {3}, 1}));  // 1, 4, 7
  EXPECT_EQ(describe(layout.slice(0, Slice{-3, {}})), (Described{{3}, {1}, 7}));
  EXPECT_EQ(describe(layout.slice(0, Slice{{}, -8})), (Described{{2}, {1}, 0}));
  EXPECT_EQ(describe(layout.slice(0, Slice{5, 5})), (Described{{0}, {1}, 0}));
  EXPECT_EQ(describe(layout.slice(0, Slice{7, 2})), (Described{{0}, {1}, 0}));
  EXPECT_EQ(describe(layout.slice(0, Slice{10, {}})), (Described{{0}, {1}, 0}));
}

TEST(Layout, SliceWithNegativeStepReverses) {
  const Layout layout = Layout::contiguous({5});
  EXPECT_EQ(describe(layout.slice(0, Slice{{}, {}, -1})), (Described{{5}, {-1}, 4}));  // 4 3 2 1 0
  EXPECT_EQ(describe(layout.slice(0, Slice{3, 0, -1})), (Described{{3}, {-1}, 3}));    // 3 2 1
  EXPECT_EQ(describe(layout.slice(0, Slice{{}, {}, -2})), (Described{{3}, {-2}, 4}));  // 4 2 0
  EXPECT_EQ(describe(layout.slice(0, Slice{-2, {}, -3})), (Described{{2}, {-3}, 3}));  // 3 0
  EXPECT_EQ(describe(layout.slice(0, Slice{1, 3, -1})), (Described{{0}, {1}, 0}));
  EXPECT_EQ(describe(Layout::contiguous({0}).slice(0, Slice{{}, {}, -1})), (Described{{0}, {1}, 0}));
  // Reversing twice is the identity.
  EXPECT_EQ(describe(layout.slice(0, Slice{{}, {}, -1}).slice(0, Slice{{}, {}, -1})), (Described{{5}, {1}, 0}));
}

TEST(Layout, SliceBoundsAreStrictAndWordedLikeTheSeed) {
  const Layout layout = Layout::contiguous({3});
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{0, 10}), ErrorCode::kOutOfBounds,
                  "Slice stop 10 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{-5, 2}), ErrorCode::kOutOfBounds,
                  "Slice start -5 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{4, {}}), ErrorCode::kOutOfBounds,
                  "Slice start 4 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{0, -4}), ErrorCode::kOutOfBounds,
                  "Slice stop -4 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  // With a negative step the start is the first element taken, so it must exist.
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{3, {}, -1}), ErrorCode::kOutOfBounds,
                  "Slice start 3 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_TM_ERROR((void)layout.slice(0, Slice{0, 2, 0}), ErrorCode::kInvalidArgument,
                  "Slice step 0 is invalid (dim 0 of shape [3]): it must be nonzero");
}

TEST(Layout, SliceOfManyDimsKeepsTheRestWhole) {
  const Layout layout = Layout::contiguous({4, 5, 6});
  const std::array<Slice, 2> ranges{Slice{1, 3}, Slice{{}, {}, -2}};
  EXPECT_EQ(describe(layout.slice(ranges)), (Described{{2, 3, 6}, {30, -12, 1}, 30 + 24}));
  const std::array<Slice, 4> too_many{};
  EXPECT_TM_ERROR((void)layout.slice(too_many), ErrorCode::kInvalidArgument,
                  "slice: 4 ranges for a tensor of shape [4, 5, 6] (3 dims)");
}

TEST(Layout, SelectDropsTheDim) {
  const Layout layout = Layout::contiguous({2, 3, 4});
  EXPECT_EQ(describe(layout.select(1, 2)), (Described{{2, 4}, {12, 1}, 8}));
  EXPECT_EQ(describe(layout.select(-1, -1)), (Described{{2, 3}, {12, 4}, 3}));
  EXPECT_EQ(describe(Layout::contiguous({3}).select(0, 1)), (Described{{}, {}, 1}));
  EXPECT_TM_ERROR((void)layout.select(0, 2), ErrorCode::kOutOfBounds,
                  "Index 2 is out of bounds for dim 0 of size 2 (shape [2, 3, 4])");
  EXPECT_TM_ERROR((void)layout.select(1, -4), ErrorCode::kOutOfBounds,
                  "Index -4 is out of bounds for dim 1 of size 3 (shape [2, 3, 4])");
}

TEST(Layout, NarrowKeepsARange) {
  const Layout layout = Layout::contiguous({4, 6});
  EXPECT_EQ(describe(layout.narrow(1, 2, 3)), (Described{{4, 3}, {6, 1}, 2}));
  EXPECT_EQ(describe(layout.narrow(0, -2, 2)), (Described{{2, 6}, {6, 1}, 12}));
  EXPECT_EQ(describe(layout.narrow(0, 4, 0)), (Described{{0, 6}, {6, 1}, 0}));
  EXPECT_TM_ERROR((void)layout.narrow(0, 2, 3), ErrorCode::kOutOfBounds,
                  "narrow: length 3 from start 2 does not fit dim 0 of size 4 (shape [4, 6])");
  EXPECT_TM_ERROR((void)layout.narrow(0, 1, -1), ErrorCode::kOutOfBounds,
                  "narrow: length -1 from start 1 does not fit dim 0 of size 4 (shape [4, 6])");
  EXPECT_TM_ERROR((void)layout.narrow(1, 7, 0), ErrorCode::kOutOfBounds,
                  "narrow: start 7 is out of bounds for dim 1 of size 6 (shape [4, 6])");
}

// ---- permute, transpose, expand -----------------------------------------------

TEST(Layout, PermuteReordersDims) {
  const Layout layout = Layout::contiguous({2, 3, 4});
  EXPECT_EQ(describe(layout.permute({2, 0, 1})), (Described{{4, 2, 3}, {1, 12, 4}, 0}));
  EXPECT_EQ(describe(layout.permute({-1, -2, -3})), (Described{{4, 3, 2}, {1, 4, 12}, 0}));
  EXPECT_EQ(describe(layout.transpose(0, -1)), (Described{{4, 3, 2}, {1, 4, 12}, 0}));
  EXPECT_EQ(layout.transpose(1, 1), layout);
}

TEST(Layout, PermuteNeedsEveryDimExactlyOnce) {
  const Layout layout = Layout::contiguous({2, 3, 4});
  EXPECT_TM_ERROR((void)layout.permute({0, 1}), ErrorCode::kInvalidArgument,
                  "permute: [0, 1] lists 2 dims for a tensor of shape [2, 3, 4] (3 dims)");
  EXPECT_TM_ERROR((void)layout.permute({0, 2, -1}), ErrorCode::kInvalidArgument,
                  "permute: [0, 2, -1] repeats dim 2; each of the 3 dims of shape [2, 3, 4] must appear once");
  EXPECT_TM_ERROR((void)layout.permute({0, 1, 3}), ErrorCode::kInvalidArgument,
                  "permute: dim 3 is out of range for a tensor of shape [2, 3, 4] (dims -3..2)");
  EXPECT_TM_ERROR((void)layout.transpose(0, -4), ErrorCode::kInvalidArgument,
                  "transpose: dim -4 is out of range for a tensor of shape [2, 3, 4] (dims -3..2)");
}

TEST(Layout, ExpandBroadcastsSizeOneDimsWithStrideZero) {
  const Layout layout = Layout::contiguous({3, 1});
  EXPECT_EQ(describe(layout.expand({3, 4})), (Described{{3, 4}, {1, 0}, 0}));
  EXPECT_EQ(describe(layout.expand({2, -1, 4})), (Described{{2, 3, 4}, {0, 1, 0}, 0}));
  EXPECT_EQ(describe(layout.expand({3, 0})), (Described{{3, 0}, {1, 0}, 0}));
  EXPECT_EQ(describe(Layout().expand({2, 2})), (Described{{2, 2}, {0, 0}, 0}));
}

TEST(Layout, ExpandRejectsSizesThatDoNotBroadcast) {
  const Layout layout = Layout::contiguous({2, 4});
  EXPECT_TM_ERROR((void)layout.expand({3, 4}), ErrorCode::kInvalidShape,
                  "expand: size 3 at dim 0 of shape [3, 4] does not match size 2 at dim 0 of the tensor's shape [2, 4]; "
                  "only size-1 dims expand");
  EXPECT_TM_ERROR((void)layout.expand({4}), ErrorCode::kInvalidShape,
                  "expand: shape [4] has fewer dims than the tensor's shape [2, 4]");
  EXPECT_TM_ERROR((void)layout.expand({-1, 2, 4}), ErrorCode::kInvalidShape,
                  "expand: size -1 at new leading dim 0 of shape [-1, 2, 4]; a new dim needs a size >= 0");
  EXPECT_TM_ERROR((void)Layout::contiguous({1}).expand({-2}), ErrorCode::kInvalidShape,
                  "expand: size -2 at dim 0 of shape [-2] does not match size 1 at dim 0 of the tensor's shape [1]; "
                  "only size-1 dims expand");
  EXPECT_TM_ERROR((void)Layout().expand({1LL << 32, 1LL << 32}), ErrorCode::kInvalidShape,
                  "expand: shape [4294967296, 4294967296] has more than 9223372036854775807 elements");
}

TEST(Layout, TransformsNeverAllocateOrGrowBeyondEightDims) {
  // Every transform returns a value type of fixed size.
  static_assert(sizeof(Layout) <= 2 * kMaxDims * sizeof(std::int64_t) + 2 * sizeof(std::int64_t));
  Layout layout = Layout::contiguous({1, 1, 1, 1, 1, 1, 1, 1});
  EXPECT_EQ(layout.squeeze().unsqueeze(0).ndim(), 1);
}

}  // namespace
}  // namespace tensormem
