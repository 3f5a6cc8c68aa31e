#include "tensormem/tensor.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

using List = testing::Shape;
using testing::values_of;

List to_vector(IntList list) { return {list.begin(), list.end()}; }

std::vector<float> iota(std::size_t n, float first = 1) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

Tensor from(Storage& storage, IntList shape, const std::vector<float>& values) {
  return Tensor::from_data<float>(storage, shape, values);
}

// ---- factories -----------------------------------------------------------------

TEST(Tensor, FactoriesMakeContiguousBuffersOfTheRightSize) {
  Storage storage;
  const Tensor e = Tensor::empty(storage, {2, 3}, DType::kInt16);
  EXPECT_EQ(to_vector(e.shape()), (List{2, 3}));
  EXPECT_EQ(e.nbytes(), 12U);
  EXPECT_EQ(storage.size(e.buffer()), 12U);
  EXPECT_TRUE(e.is_contiguous());
  EXPECT_EQ(values_of(Tensor::zeros(storage, {2, 2})), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(values_of<std::int32_t>(Tensor::full(storage, {3}, 2.7, DType::kInt32)), (std::vector<std::int32_t>{2, 2, 2}));
  EXPECT_EQ(values_of(from(storage, {2, 2}, {1, 2, 3, 4})), (std::vector<float>{1, 2, 3, 4}));
  const Tensor scalar = Tensor::full(storage, {}, 5.0f);
  EXPECT_EQ(scalar.ndim(), 0);
  EXPECT_EQ(scalar.at<float>({}), 5.0f);
}

TEST(Tensor, FactoriesRejectBadShapesBeforeAllocating) {
  Storage storage;
  EXPECT_TM_ERROR((void)from(storage, {2, 3}, {1, 2, 3}), ErrorCode::kInvalidShape,
                  "from_data: 3 values for shape [2, 3] (6 elements)");
  EXPECT_TM_ERROR((void)Tensor::empty(storage, {-1}), ErrorCode::kInvalidShape,
                  "shape: shape [-1] has size -1 at dim 0; sizes must be >= 0");
  // 2^62 float64 elements fit int64 but not size_t bytes, on any platform.
  EXPECT_TM_ERROR_HAS((void)Tensor::empty(storage, {1LL << 61, 2}, DType::kFloat64), ErrorCode::kInvalidShape,
                      "shape [2305843009213693952, 2] of float64 needs 4611686018427387904 elements of 8 bytes, more "
                      "than the ");
  EXPECT_EQ(storage.stats().allocations, 0U);
}

TEST(Tensor, AllocationFailureLeavesTheStorageUsable) {
  Storage storage({.max_bytes = 1 << 20});
  const Tensor small = Tensor::zeros(storage, {1000});
  EXPECT_TM_ERROR_HAS((void)Tensor::empty(storage, {1 << 20}), ErrorCode::kMemoryLimit, "Memory limit exceeded");
  EXPECT_TM_ERROR_HAS((void)small.expand({300, 1000}).contiguous(), ErrorCode::kMemoryLimit, "Memory limit exceeded");
  EXPECT_EQ(small.use_count(), 1U);
  EXPECT_EQ(storage.stats().live_buffers, 1U);
  EXPECT_EQ(Tensor::zeros(storage, {1000}).numel(), 1000);
}

// ---- lifetime ---------------------------------------------------------------------

TEST(Tensor, ViewsKeepTheBufferAliveAfterTheOriginalIsGone) {
  Storage storage;
  Tensor view;
  {
    const Tensor original = from(storage, {2, 3}, iota(6));
    view = original.transpose(0, 1).select(0, 2);
    EXPECT_EQ(original.use_count(), 2U);
  }
  EXPECT_EQ(view.use_count(), 1U);
  EXPECT_EQ(values_of(view), (std::vector<float>{3, 6}));
  view = Tensor();
  EXPECT_EQ(storage.stats().live_buffers, 0U);
}

TEST(Tensor, AViewOfAReleasedBufferIsDisposedEvenAfterItsSlotIsReused) {
  // A view must not read memory its buffer no longer owns.
  Storage storage;
  Tensor view = from(storage, {4}, iota(4)).slice(0, Slice{1, 3});
  const BufferHandle buffer = view.buffer();
  storage.release(buffer);  // behind the view's back: the last reference is gone
  const char* message = "buffer #0 (generation 1) was released; current generation is 2";
  EXPECT_TM_ERROR((void)view.at<float>({0}), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR(view.set<float>({0}, 1), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR((void)view.span<const float>(), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR((void)view.reshape({2}), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR((void)view.select(0, 5), ErrorCode::kDisposed, message);  // DISPOSED before the bad index
  EXPECT_FALSE(view.is_alive());
  const Tensor reuser = from(storage, {4}, {9, 9, 9, 9});  // takes slot #0 again
  EXPECT_EQ(reuser.buffer().index(), buffer.index());
  EXPECT_TM_ERROR((void)view.at<float>({0}), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 3");
  // Metadata stays readable; destroying the view counts one failed release.
  EXPECT_EQ(to_vector(view.shape()), (List{2}));
  view = Tensor();
  EXPECT_EQ(storage.stats().failed_releases, 1U);
}

TEST(Tensor, ATensorWithoutABufferReportsWhy) {
  Storage storage;
  Tensor t = Tensor::zeros(storage, {2});
  const Tensor moved = std::move(t);
  const char* message = "tensor has no buffer: it was reset, moved from or never assigned";
  EXPECT_TM_ERROR((void)t.at<float>({0}), ErrorCode::kDisposed, message);  // NOLINT(bugprone-use-after-move)
  EXPECT_TM_ERROR((void)Tensor().view({1}), ErrorCode::kDisposed, message);
  Tensor reset = moved;
  reset.reset();
  EXPECT_TM_ERROR((void)reset.data(), ErrorCode::kDisposed, message);
  EXPECT_EQ(moved.use_count(), 1U);
}

TEST(Tensor, FailedViewOpsLeaveNoExtraReference) {
  Storage storage;
  const Tensor t = from(storage, {2, 3}, iota(6));
  EXPECT_TM_ERROR_HAS((void)t.view({4}), ErrorCode::kInvalidShape, "view: shape [4]");
  EXPECT_TM_ERROR_HAS((void)t.permute({0, 0}), ErrorCode::kInvalidArgument, "repeats dim 0");
  EXPECT_TM_ERROR_HAS((void)t.as_strided({3}, {3}, 0), ErrorCode::kOutOfBounds, "reaches element 6");
  EXPECT_TM_ERROR_HAS((void)Tensor::from_buffer(storage, t.buffer(), DType::kFloat64, {4}), ErrorCode::kOutOfBounds,
                      "outside a buffer of 3 elements");
  EXPECT_EQ(t.use_count(), 1U);
}

// ---- view ops do what they say ---------------------------------------------

TEST(Tensor, ReshapeSharesStorageSoWritesAreSeenByTheOriginal) {
  Storage storage;
  const Tensor tensor = from(storage, {6}, iota(6));
  const Tensor reshaped = tensor.reshape({2, 3});
  EXPECT_EQ(to_vector(reshaped.shape()), (List{2, 3}));
  EXPECT_EQ(values_of(reshaped), iota(6));
  EXPECT_TRUE(reshaped.shares_storage(tensor));
  reshaped.set<float>({0, 0}, 999);
  EXPECT_EQ(tensor.at<float>({0}), 999);
}

TEST(Tensor, FlattenGivesOneDimInOrder) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  const Tensor flat = tensor.flatten();
  EXPECT_EQ(to_vector(flat.shape()), (List{6}));
  EXPECT_EQ(values_of(flat), iota(6));
  EXPECT_TRUE(flat.shares_storage(tensor));
  EXPECT_EQ(to_vector(from(storage, {2, 3, 4}, iota(24)).flatten(1).shape()), (List{2, 12}));
}

TEST(Tensor, ReshapeCopiesOnlyWhenAViewIsImpossibleAndSaysSo) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  const Tensor transposed = tensor.transpose(0, 1);
  EXPECT_FALSE(transposed.can_view({6}));
  const Tensor flat = transposed.reshape({6});
  EXPECT_FALSE(flat.shares_storage(tensor));
  EXPECT_EQ(values_of(flat), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(storage.stats().live_buffers, 2U);
  EXPECT_TRUE(transposed.can_view({3, 1, 2}));
  EXPECT_TRUE(transposed.reshape({3, 1, 2}).shares_storage(tensor));
  EXPECT_TM_ERROR_HAS((void)transposed.view({6}), ErrorCode::kNotViewable, "view: shape [6] is not possible");
  EXPECT_TM_ERROR((void)transposed.flatten().reshape({7}), ErrorCode::kInvalidShape,
                  "reshape: shape [7] is invalid for a tensor of shape [6] (6 elements)");
}

TEST(Tensor, SqueezeAndUnsqueezeChangeTheShape) {
  Storage storage;
  const Tensor tensor = from(storage, {1, 3, 1}, iota(3));
  EXPECT_EQ(to_vector(tensor.squeeze().shape()), (List{3}));
  EXPECT_EQ(to_vector(tensor.squeeze(0).shape()), (List{3, 1}));
  EXPECT_EQ(to_vector(tensor.unsqueeze(1).shape()), (List{1, 1, 3, 1}));
  EXPECT_TM_ERROR((void)tensor.squeeze(1), ErrorCode::kInvalidShape, "squeeze: dim 1 has size 3, not 1 (shape [1, 3, 1])");
  EXPECT_EQ(values_of(tensor.squeeze().unsqueeze(0)), iota(3));
}

// ---- bounds ------------------------------------------------------------------------------

TEST(Tensor, SlicesAreCheckedStrictlyAndNamedInMessages) {
  Storage storage;
  const Tensor tensor = from(storage, {3}, {1, 2, 3});
  EXPECT_TM_ERROR((void)tensor.slice({Slice{0, 10}}), ErrorCode::kOutOfBounds,
                  "Slice stop 10 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_TM_ERROR((void)tensor.slice({Slice{-5, 2}}), ErrorCode::kOutOfBounds,
                  "Slice start -5 is out of bounds for dimension of size 3 (dim 0 of shape [3])");
  EXPECT_EQ(values_of(tensor.slice({Slice{0, 2}})), (std::vector<float>{1, 2}));
  EXPECT_TM_ERROR((void)tensor.at<float>({999}), ErrorCode::kOutOfBounds,
                  "Index 999 is out of bounds for dim 0 of size 3 (shape [3])");
}

TEST(Tensor, NegativeStepsGiveReversedViews) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  const Tensor reversed = tensor.slice(1, Slice{{}, {}, -1});
  EXPECT_TRUE(reversed.shares_storage(tensor));
  EXPECT_EQ(values_of(reversed), (std::vector<float>{3, 2, 1, 6, 5, 4}));
  EXPECT_EQ(values_of(tensor.slice({Slice{{}, {}, -1}, Slice{{}, {}, -2}})), (std::vector<float>{6, 4, 3, 1}));
  reversed.set<float>({0, 0}, -3);
  EXPECT_EQ(tensor.at<float>({0, 2}), -3);
}

TEST(Tensor, SelectNarrowPermuteShareStorage) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3, 4}, iota(24, 0));
  EXPECT_EQ(values_of(tensor.select(1, -1)), (std::vector<float>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(values_of(tensor.narrow(2, 1, 2).select(0, 0)), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  {
    const Tensor permuted = tensor.permute({2, 0, 1});
    EXPECT_EQ(permuted.at<float>({3, 1, 2}), tensor.at<float>({1, 2, 3}));
    EXPECT_TRUE(permuted.shares_storage(tensor));
    EXPECT_EQ(tensor.use_count(), 2U);
  }
  EXPECT_EQ(tensor.use_count(), 1U);  // every view above is gone
}

// ---- broadcast and as_strided ------------------------------------------------------------

TEST(Tensor, ExpandedViewsReadButRefuseWrites) {
  Storage storage;
  const Tensor row = from(storage, {1, 3}, {1, 2, 3});
  const Tensor expanded = row.expand({2, 3});
  EXPECT_TRUE(expanded.is_read_only());
  EXPECT_EQ(values_of(expanded), (std::vector<float>{1, 2, 3, 1, 2, 3}));
  const char* message =
      "set: the tensor of shape [2, 3] with strides [0, 1] is a read-only view (it aliases elements, as expand() does); "
      "write to contiguous() or clone() instead";
  EXPECT_TM_ERROR(expanded.set<float>({1, 0}, 7), ErrorCode::kReadOnly, message);
  EXPECT_TM_ERROR_HAS(expanded.fill(0.0f), ErrorCode::kReadOnly, "fill: the tensor of shape [2, 3]");
  EXPECT_TM_ERROR_HAS(expanded.copy_from(row), ErrorCode::kReadOnly, "copy_from:");
  EXPECT_TM_ERROR_HAS(expanded.set_as({0, 0}, 1.0), ErrorCode::kReadOnly, "set_as:");
  // Views of a read-only view stay read-only, even where no element repeats.
  EXPECT_TRUE(expanded.select(0, 0).is_read_only());
  // A copy is writable, and expanding without broadcasting is not read-only.
  const Tensor copy = expanded.contiguous();
  EXPECT_FALSE(copy.is_read_only());
  copy.set<float>({1, 0}, 7);
  EXPECT_EQ(row.at<float>({0, 0}), 1);
  EXPECT_FALSE(row.expand({1, 3}).is_read_only());
  float sum = 0;
  expanded.for_each<const float>([&](float v) { sum += v; });
  EXPECT_EQ(sum, 12);
}

TEST(Tensor, AReadOnlyViewRefusesWritesAndPassesItOnToItsViews) {
  Storage storage;
  const Tensor t = Tensor::zeros(storage, {2, 3});
  const Tensor locked = t.as_read_only();
  EXPECT_TRUE(locked.is_read_only());
  EXPECT_TRUE(locked.shares_storage(t));
  EXPECT_EQ(locked.use_count(), 2U);
  EXPECT_TM_ERROR_HAS(locked.set<float>({0, 0}, 1), ErrorCode::kReadOnly, "set:");
  EXPECT_TRUE(locked.select(0, 1).is_read_only());
  EXPECT_TRUE(locked.reshape({6}).is_read_only());
  t.set<float>({0, 0}, 5);  // the original stays writable
  EXPECT_EQ(locked.at<float>({0, 0}), 5);
  EXPECT_FALSE(locked.clone().is_read_only());
}

TEST(Tensor, AsStridedIsCheckedAgainstTheBufferAndMarksOverlapReadOnly) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 4}, iota(8, 0));
  const Tensor windows = tensor.as_strided({3, 4}, {2, 1}, 0);  // overlapping rows
  EXPECT_TRUE(windows.is_read_only());
  EXPECT_EQ(values_of(windows.select(0, 1)), (std::vector<float>{2, 3, 4, 5}));
  const Tensor columns = tensor.as_strided({4, 2}, {1, 4}, 0);
  EXPECT_FALSE(columns.is_read_only());
  EXPECT_EQ(values_of(columns), (std::vector<float>{0, 4, 1, 5, 2, 6, 3, 7}));
  EXPECT_TM_ERROR((void)tensor.as_strided({3, 4}, {2, 1}, 1), ErrorCode::kOutOfBounds,
                  "as_strided: shape [3, 4] with strides [2, 1] and offset 1 reaches element 8, outside a buffer of 8 "
                  "elements");
}

TEST(Tensor, FromBufferViewsRawBytesWithCheckedLayout) {
  Storage storage;
  const BufferHandle raw = storage.allocate(24);
  {
    const Tensor ints = Tensor::from_buffer(storage, raw, DType::kInt32, {2, 3});
    EXPECT_EQ(storage.use_count(raw), 2U);
    ints.fill(std::int32_t{7});
    const Tensor bytes = Tensor::from_buffer(storage, raw, DType::kUint8, {4}, {1}, 20);
    EXPECT_EQ(bytes.at<std::uint8_t>({0}), 7);  // little-endian low byte of element 5
    EXPECT_TM_ERROR_HAS((void)Tensor::from_buffer(storage, raw, DType::kInt32, {7}), ErrorCode::kOutOfBounds,
                        "reaches element 6, outside a buffer of 6 elements");
  }
  EXPECT_EQ(storage.use_count(raw), 1U);
  storage.release(raw);
  EXPECT_TM_ERROR_HAS((void)Tensor::from_buffer(storage, raw, DType::kInt32, {1}), ErrorCode::kDisposed, "was released");
}

// Strides that reach nothing (those of an empty view, or of a size-1 dim) are
// never checked against the buffer, so no operation may compute with them.
TEST(Tensor, EmptyViewsWithExtremeStridesWorkWithoutOverflow) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  Storage storage;
  const Tensor tensor = from(storage, {2, 4}, iota(8, 0));
  for (const auto& [shape, strides] : std::vector<std::pair<List, List>>{
           {{2, 0}, {kMin, 1}}, {{0, 2}, {1, kMin}}, {{3, 0}, {kMax, kMin}}, {{kMax, 0}, {-2, 1}}}) {
    SCOPED_TRACE(::testing::Message() << "strides " << strides[0] << ", " << strides[1]);
    const Tensor empty = tensor.as_strided(shape, strides, 3);
    EXPECT_FALSE(empty.is_read_only());
    EXPECT_EQ(empty.numel(), 0);
    empty.fill(1.0f);
    empty.copy_from(Tensor::zeros(storage, shape, DType::kInt16));
    EXPECT_EQ(empty.clone().numel(), 0);
    EXPECT_EQ(empty.contiguous().numel(), 0);
    EXPECT_TM_ERROR_HAS((void)empty.at<float>({1, 0}), ErrorCode::kOutOfBounds, "is out of bounds for dim");
    EXPECT_EQ(values_of(empty.transpose(0, 1)), std::vector<float>{});
  }
  const Tensor raw = Tensor::from_buffer(storage, tensor.buffer(), DType::kFloat32, {2, 0}, {kMin, 1}, 0);
  EXPECT_FALSE(raw.is_read_only());
  EXPECT_EQ(values_of(tensor), iota(8, 0));  // nothing was written
}

TEST(Tensor, SizeOneDimsWithExtremeStridesReadAndWriteTheirOneRow) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  Storage storage;
  const Tensor tensor = from(storage, {2, 4}, iota(8, 0));
  const Tensor row = tensor.as_strided({1, 3, 1}, {kMin, 2, kMin}, 1);  // elements 1, 3, 5
  EXPECT_FALSE(row.is_read_only());
  EXPECT_EQ(values_of(row), (std::vector<float>{1, 3, 5}));
  EXPECT_EQ(row.at<float>({0, 2, 0}), 5);
  float sum = 0;
  row.for_each<const float>([&](float v) { sum += v; });
  EXPECT_EQ(sum, 9);
  row.fill(-1.0f);
  row.copy_from(Tensor::from_data<float>(storage, {1, 3, 1}, std::vector<float>{7, 8, 9}));
  EXPECT_EQ(values_of(tensor), (std::vector<float>{0, 7, 2, 8, 4, 9, 6, 7}));
  EXPECT_EQ(values_of(row.squeeze()), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(values_of(row.reshape({3})), (std::vector<float>{7, 8, 9}));
}

// ---- access -------------------------------------------------------------------------

TEST(Tensor, ElementAccessChecksDtypeAndIndices) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  EXPECT_EQ(tensor.at<float>({-1, -1}), 6);
  EXPECT_TM_ERROR((void)tensor.at<double>({0, 0}), ErrorCode::kDtypeMismatch, "at<float64>: the tensor holds float32");
  EXPECT_TM_ERROR(tensor.set<std::int32_t>({0, 0}, 1), ErrorCode::kDtypeMismatch, "set<int32>: the tensor holds float32");
  EXPECT_TM_ERROR((void)tensor.at<float>({0, 3}), ErrorCode::kOutOfBounds,
                  "Index 3 is out of bounds for dim 1 of size 3 (shape [2, 3])");
  EXPECT_TM_ERROR((void)tensor.at<float>({0}), ErrorCode::kInvalidArgument,
                  "1 indices [0] for a tensor of shape [2, 3] (2 dims)");
  EXPECT_EQ(tensor.get_as<std::int64_t>({1, 2}), 6);
  tensor.set_as({1, 2}, std::int64_t{-4});
  EXPECT_EQ(tensor.at<float>({1, 2}), -4);
}

TEST(Tensor, SpansNeedContiguousElementsAndAreCheckedOnce) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  const std::span<float> span = tensor.select(0, 1).span<float>();
  EXPECT_EQ(span.size(), 3U);
  EXPECT_EQ(span[0], 4);
  span[2] = 0;
  EXPECT_EQ(tensor.at<float>({1, 2}), 0);
  EXPECT_TM_ERROR((void)tensor.transpose(0, 1).span<const float>(), ErrorCode::kNotContiguous,
                  "span: the tensor of shape [3, 2] with strides [1, 3] is not contiguous; call contiguous() first");
  EXPECT_TM_ERROR((void)tensor.span<const std::uint32_t>(), ErrorCode::kDtypeMismatch,
                  "span<uint32>: the tensor holds float32");
}

TEST(Tensor, ForEachVisitsStridedElementsInLogicalOrder) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  std::vector<float> seen;
  tensor.transpose(0, 1).slice(0, Slice{{}, {}, -1}).for_each<const float>([&](float v) { seen.push_back(v); });
  EXPECT_EQ(seen, (std::vector<float>{3, 6, 2, 5, 1, 4}));
  tensor.select(1, 0).for_each<float>([](float& v) { v *= 10; });
  EXPECT_EQ(values_of(tensor), (std::vector<float>{10, 2, 3, 40, 5, 6}));
}

// ---- copies ---------------------------------------------------------------------------

TEST(Tensor, ContiguousAndToCopyOnlyWhenNeeded) {
  Storage storage;
  const Tensor tensor = from(storage, {2, 3}, iota(6));
  EXPECT_TRUE(tensor.contiguous().shares_storage(tensor));
  EXPECT_TRUE(tensor.to(DType::kFloat32).shares_storage(tensor));
  const Tensor copied = tensor.transpose(0, 1).contiguous();
  EXPECT_FALSE(copied.shares_storage(tensor));
  EXPECT_TRUE(copied.is_contiguous());
  EXPECT_EQ(values_of(copied), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  const Tensor ints = tensor.to(DType::kInt8);
  EXPECT_EQ(ints.dtype(), DType::kInt8);
  EXPECT_EQ(ints.at<std::int8_t>({1, 2}), 6);
  const Tensor clone = tensor.clone();
  clone.set<float>({0, 0}, 100);
  EXPECT_EQ(tensor.at<float>({0, 0}), 1);
}

TEST(Tensor, CopyFromBroadcastsConvertsAndHandlesOverlap) {
  Storage storage;
  const Tensor target = Tensor::zeros(storage, {2, 3}, DType::kInt32);
  target.copy_from(from(storage, {3}, {1.5f, 2.5f, -3.5f}));
  EXPECT_EQ(values_of<std::int32_t>(target), (std::vector<std::int32_t>{1, 2, -3, 1, 2, -3}));
  EXPECT_TM_ERROR_HAS(target.copy_from(from(storage, {2}, {1, 2})), ErrorCode::kInvalidShape,
                      "expand: size 3 at dim 1 of shape [2, 3] does not match size 2");
  // Shifting elements within one buffer reads every source element before it is overwritten.
  const Tensor line = from(storage, {5}, iota(5));
  line.narrow(0, 1, 4).copy_from(line.narrow(0, 0, 4));
  EXPECT_EQ(values_of(line), (std::vector<float>{1, 1, 2, 3, 4}));
  line.copy_from(line.slice(0, Slice{{}, {}, -1}));
  EXPECT_EQ(values_of(line), (std::vector<float>{4, 3, 2, 1, 1}));
}

TEST(Tensor, CopyToAndFromNeedExactlyOneValuePerElement) {
  Storage storage;
  const Tensor tensor = Tensor::zeros(storage, {2, 2});
  std::vector<double> three(3);
  EXPECT_TM_ERROR(tensor.copy_to<double>(three), ErrorCode::kInvalidShape,
                  "copy_to: 3 values for a tensor of shape [2, 2] (4 elements)");
  EXPECT_TM_ERROR(tensor.copy_from<double>(three), ErrorCode::kInvalidShape,
                  "copy_from: 3 values for a tensor of shape [2, 2] (4 elements)");
  const std::vector<std::uint8_t> bytes{1, 2, 3, 255};
  tensor.transpose(0, 1).copy_from<std::uint8_t>(bytes);
  EXPECT_EQ(values_of(tensor), (std::vector<float>{1, 3, 2, 255}));
}

TEST(Tensor, RequireChecksReportWhatAWriteOrSpanWouldWithoutTouchingElements) {
  Storage storage;
  const auto values = iota(6);
  const Tensor t = Tensor::from_data<float>(storage, {2, 3}, values);
  t.require_writable("set");
  t.require_contiguous("view");
  EXPECT_TM_ERROR(t.transpose(0, 1).require_contiguous("view"), ErrorCode::kNotContiguous,
                  "view: the tensor of shape [3, 2] with strides [1, 3] is not contiguous; call contiguous() first");
  EXPECT_TM_ERROR(t.select(0, 0).unsqueeze(0).expand({2, 3}).require_writable("write"), ErrorCode::kReadOnly,
                  "write: the tensor of shape [2, 3] with strides [0, 1] is a read-only view (it aliases elements, as "
                  "expand() does); write to contiguous() or clone() instead");
  EXPECT_EQ(values_of(t), values);
}

}  // namespace
}  // namespace tensormem
