// The runtime behind the JavaScript package (bindings/js/src/js_runtime.hpp),
// tested natively and in wasm like the rest; the exports around it are
// exercised by the node tests in tests/js/.
#include "js_runtime.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem::js {
namespace {

constexpr double kTwo53 = 9007199254740992.0;

TEST(JsRuntime, PackedHandlesRoundTripAsExactDoubles) {
  const Handle handle{12345, (1U << 21) - 3};
  const double packed = pack(handle);
  EXPECT_LT(packed, kTwo53);
  EXPECT_EQ(unpack(packed), handle);
}

TEST(JsRuntime, ForgedDoublesResolveToNothingAndAreReported) {
  Runtime rt({});
  const double live = rt.adopt(Tensor::zeros(rt.storage(), {2}), false);
  for (const double forged : {std::nan(""), -1.0, kTwo53, 1e300, 0.0}) {
    EXPECT_TM_ERROR((void)rt.tensor(forged), ErrorCode::kInvalidArgument, "object handle is null");
  }
  EXPECT_TM_ERROR((void)rt.tensor(live + 1), ErrorCode::kInvalidArgument,
                  "object #1 (generation 1) does not exist: the table has 1 slot");
  EXPECT_TM_ERROR((void)rt.tensor(live + 4294967296.0), ErrorCode::kInvalidArgument,
                  "object #0 (generation 2) was never issued; current generation is 1");
  EXPECT_EQ(rt.tensor(live).numel(), 2);
}

TEST(JsRuntime, ReleasedObjectsAreStaleAndTheirBuffersGoBack) {
  Runtime rt({});
  const double data = rt.adopt(Tensor::zeros(rt.storage(), {64}, DType::kUint8), true);
  const double view = rt.adopt(rt.tensor(data).view({8, 8}), false);
  EXPECT_EQ(rt.live_data(), 1U);
  EXPECT_EQ(rt.live_tensors(), 1U);
  rt.release(data);
  EXPECT_EQ(rt.storage().stats().live_buffers, 1U);  // the view still holds it
  EXPECT_TM_ERROR(rt.release(data), ErrorCode::kDisposed,
                  "object #0 (generation 1) was released; current generation is 2");
  rt.release(view);
  EXPECT_EQ(rt.storage().stats().live_buffers, 0U);
  EXPECT_EQ(rt.live_data() + rt.live_tensors(), 0U);
}

// Generations stay below 2^21, so every handle JavaScript sees is exact.
TEST(JsRuntime, ASlotIsRetiredBeforeItsGenerationLeaves21Bits) {
  Runtime rt({});
  double handle = rt.adopt(Tensor{}, false);
  for (std::uint32_t cycle = 0; cycle < kRetireAt / 2; ++cycle) {
    EXPECT_EQ(unpack(handle).index(), 0U);
    rt.release(handle);
    handle = rt.adopt(Tensor{}, false);
  }
  EXPECT_EQ(unpack(handle).index(), 1U);  // slot 0 retired
  EXPECT_EQ(rt.entries().retired(), 1U);
  EXPECT_LT(handle, kTwo53);
}

TEST(JsRuntime, ScratchIntegersAreCheckedByValue) {
  Runtime rt({});
  double* scratch = rt.scratch();
  scratch[0] = 2;
  scratch[1] = 2.5;
  EXPECT_TM_ERROR((void)rt.scratch_ints(2, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: shape[1] is 2.5; it must be an integer");
  scratch[1] = std::nan("");
  EXPECT_TM_ERROR((void)rt.scratch_ints(2, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: shape[1] is NaN; it must be an integer");
  scratch[1] = 1e300;
  EXPECT_TM_ERROR((void)rt.scratch_ints(2, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: shape[1] is 1e+300; it must be at most 2^53 - 1 in magnitude (larger numbers are not exact)");
  scratch[1] = kTwo53;
  EXPECT_TM_ERROR((void)rt.scratch_ints(2, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: shape[1] is 9007199254740992; it must be at most 2^53 - 1 in magnitude (larger numbers are "
                  "not exact)");
  scratch[1] = -HUGE_VAL;
  EXPECT_TM_ERROR((void)rt.scratch_ints(2, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: shape[1] is -Infinity; it must be an integer");
  EXPECT_TM_ERROR((void)rt.scratch_ints(65, "reshape", "shape"), ErrorCode::kInvalidShape,
                  "reshape: shape has 65 values; at most 8 are supported");
  EXPECT_TM_ERROR((void)rt.scratch_ints(1.5, "reshape", "shape"), ErrorCode::kInvalidArgument,
                  "reshape: the length is 1.5; it must be an integer");
  scratch[1] = -3;
  const IntList ints = rt.scratch_ints(2, "reshape", "shape");
  EXPECT_EQ(ints, (IntList{2, -3}));
}

TEST(JsRuntime, DescribeWritesTheLayoutAndTheFirstElementsHeapIndex) {
  Runtime rt({});
  const double base = rt.adopt(Tensor::zeros(rt.storage(), {3, 4}, DType::kInt16), false);
  const Tensor& t = rt.tensor(base);
  const double view = rt.adopt(t.slice({Slice{1, {}, 1}, Slice{{}, {}, -2}}), false);
  rt.describe(view);
  const double* out = rt.scratch();
  namespace d = described;
  EXPECT_EQ(out[d::kNdim], 2);
  EXPECT_EQ(out[d::kDtype], static_cast<double>(DType::kInt16));
  EXPECT_EQ(out[d::kOffset], 4 + 3);
  const auto address = reinterpret_cast<std::uintptr_t>(t.data());
  EXPECT_EQ(out[d::kFirstElement], static_cast<double>(address / 2 + 7));
  EXPECT_EQ(out[d::kFlags], 0);  // neither contiguous nor read-only
  EXPECT_EQ(out[d::kNumel], 4);
  EXPECT_EQ(out[d::kShape], 2);
  EXPECT_EQ(out[d::kShape + 1], 2);
  EXPECT_EQ(out[d::kStrides], 4);
  EXPECT_EQ(out[d::kStrides + 1], -2);
  EXPECT_EQ(out[d::kBufferIndex], t.buffer().index());
  EXPECT_EQ(out[d::kBufferGeneration], t.buffer().generation());
}

// A view JavaScript derives: an id it issues from the mailbox, its buffer
// held by its source or by one reference taken for such views, an entry later.
TEST(JsRuntime, DerivedViewsTakeAnIdFromTheMailboxAndAreAdoptedWithACheckedLayout) {
  Runtime rt({});
  const double base = rt.adopt(Tensor::zeros(rt.storage(), {4, 6}), false);
  const BufferHandle buffer = rt.tensor(base).buffer();
  const double index = buffer.index(), generation = buffer.generation();
  EXPECT_EQ(rt.mailbox()[mailbox::kLastId], 1);
  rt.mailbox()[mailbox::kLastId] = 2;  // JavaScript issued id 2 to a view
  rt.retain_view(index, generation);  // the base is disposed: the views' reference
  EXPECT_EQ(rt.storage().use_count(buffer), 2U);
  rt.release(base);
  EXPECT_EQ(rt.storage().use_count(buffer), 1U);  // the views' reference keeps it
  // Its entry: a [3, 2] view at offset 7, strides [6, 2] (in the 24 elements).
  const double layout[] = {3, 2, 6, 2};
  std::memcpy(rt.view_scratch(), layout, sizeof layout);
  const double view = rt.adopt_view(index, generation, DType::kFloat32, 2, 7, 2, false);
  EXPECT_EQ(rt.storage().use_count(buffer), 2U);  // the entry holds its own reference
  EXPECT_EQ(rt.entries().get(unpack(view)).id, 2U);
  EXPECT_EQ(rt.live_tensors(), 1U);
  const Tensor& t = rt.tensor(view);
  EXPECT_EQ(std::vector<std::int64_t>(t.shape().begin(), t.shape().end()), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(std::vector<std::int64_t>(t.strides().begin(), t.strides().end()), (std::vector<std::int64_t>{6, 2}));
  EXPECT_EQ(t.offset(), 7);
  EXPECT_FALSE(t.is_read_only());
  // A layout past the buffer is the runtime's error, and changes nothing.
  rt.mailbox()[mailbox::kLastId] = 3;
  const double past[] = {4, 2, 6, 2};
  std::memcpy(rt.view_scratch(), past, sizeof past);
  EXPECT_TM_ERROR_HAS((void)rt.adopt_view(index, generation, DType::kFloat32, 2, 7, 3, false), ErrorCode::kOutOfBounds, "");
  EXPECT_EQ(rt.storage().use_count(buffer), 2U);
  // Read-only travels; an aliasing layout must say so; ids must have been issued.
  const double aliasing[] = {3, 2, 0, 1};
  std::memcpy(rt.view_scratch(), aliasing, sizeof aliasing);
  EXPECT_TM_ERROR((void)rt.adopt_view(index, generation, DType::kFloat32, 2, 0, 3, false),
                  ErrorCode::kInvalidArgument, "adopt_view: view #3 is writable, but its layout may alias");
  EXPECT_TM_ERROR((void)rt.adopt_view(index, generation, DType::kFloat32, 2, 0, 4, true),
                  ErrorCode::kInvalidArgument, "adopt_view: 2 dims, id 4 (last issued 3)");
  const double read_only = rt.adopt_view(index, generation, DType::kFloat32, 2, 0, 3, true);
  EXPECT_TRUE(rt.tensor(read_only).is_read_only());
  rt.release_view(index, generation);  // the last view without an entry went
  rt.release(read_only);
  rt.release(view);
  EXPECT_EQ(rt.storage().stats().live_buffers, 0U);
  // Runtime objects continue after the ids JavaScript issued.
  rt.mailbox()[mailbox::kLastId] = 9;
  const double other = rt.adopt(Tensor::zeros(rt.storage(), {2}), false);
  EXPECT_EQ(rt.mailbox()[mailbox::kCreatedId], 10);
  EXPECT_EQ(rt.entries().get(unpack(other)).id, 10U);
  const BufferHandle b = rt.tensor(other).buffer();
  rt.retain_view(b.index(), b.generation());
  rt.release_view(b.index(), b.generation());
  EXPECT_EQ(rt.storage().use_count(b), 1U);
  rt.release(other);
  EXPECT_TM_ERROR_HAS(rt.release_view(b.index(), b.generation()), ErrorCode::kDisposed, "");
  EXPECT_TM_ERROR(rt.retain_view(-1, 1), ErrorCode::kInvalidArgument, "view: buffer #-1 (generation 1) does not exist");
}

TEST(JsRuntime, ObjectsGetShortIdsThatAreNeverReused) {
  Runtime rt({});
  const double a = rt.adopt(Tensor::zeros(rt.storage(), {4}), false);
  EXPECT_EQ(rt.mailbox()[mailbox::kCreatedId], 1);
  rt.release(a);
  const double b = rt.adopt(Tensor::zeros(rt.storage(), {4}), false);
  EXPECT_EQ(unpack(b).index(), unpack(a).index());  // the slot is reused...
  EXPECT_EQ(rt.mailbox()[mailbox::kCreatedId], 2);  // ...the id is not
  EXPECT_EQ(rt.entries().get(unpack(b)).id, 2U);
}

TEST(JsRuntime, ClearReleasesEveryObjectAndBuffer) {
  Runtime rt({});
  const double a = rt.adopt(Tensor::zeros(rt.storage(), {1024}), false);
  (void)rt.adopt(rt.tensor(a).view({32, 32}), false);
  (void)rt.adopt(Tensor::zeros(rt.storage(), {16}, DType::kUint8), true);
  rt.clear();
  EXPECT_EQ(rt.storage().stats().live_buffers, 0U);
  EXPECT_EQ(rt.live_data() + rt.live_tensors(), 0U);
  EXPECT_EQ(rt.entries().live(), 0U);
}

// device.shrink(): the objects and buffers of one runtime rebuilt in another.
// Copies each moved buffer's bytes, as the JS layer does between memories.
std::vector<MovedBuffer> move_into(Runtime& from, Runtime& to) {
  const std::vector<std::byte> storage_image = export_image(from.storage());
  const std::vector<MovedBuffer> moved = to.restore(storage_image, from.export_entries());
  for (const MovedBuffer& m : moved) {
    std::memcpy(m.to, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(m.from)), m.size);
  }
  return moved;
}

TEST(JsRuntime, RestoredObjectsKeepHandlesIdsLayoutsReadOnlyAndValues) {
  Runtime old({});
  const double base = old.adopt(Tensor::from_data<float>(old.storage(), {2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6}),
                                false);
  const double transposed = old.adopt(old.tensor(base).transpose(0, 1), false);
  const double locked = old.adopt(old.tensor(base).as_read_only().select(0, 1), false);
  const double broadcast = old.adopt(old.tensor(base).select(0, 0).unsqueeze(0).expand({4, 3}), false);
  const double data = old.adopt(Tensor::zeros(old.storage(), {16}, DType::kUint8), true);
  const double gone = old.adopt(Tensor::zeros(old.storage(), {8}), false);
  old.release(gone);

  Runtime moved({});
  EXPECT_EQ(move_into(old, moved).size(), 2U);
  EXPECT_EQ(moved.live_data(), 1U);
  EXPECT_EQ(moved.live_tensors(), 4U);
  EXPECT_EQ(moved.storage().stats().live_buffers, 2U);
  EXPECT_EQ(moved.entries().get(unpack(transposed)).id, 2U);
  const Tensor& t = moved.tensor(transposed);
  EXPECT_EQ(t.shape()[0], 3);
  EXPECT_EQ(t.at<float>({2, 1}), 6.0F);
  EXPECT_TRUE(moved.tensor(locked).is_read_only());
  EXPECT_TRUE(moved.tensor(broadcast).is_read_only());
  EXPECT_FALSE(moved.tensor(base).is_read_only());
  EXPECT_EQ(moved.tensor(locked).at<float>({2}), 6.0F);
  EXPECT_EQ(moved.tensor(data).numel(), 16);
  EXPECT_TM_ERROR((void)moved.tensor(gone), ErrorCode::kDisposed,
                  "object #5 (generation 1) was released; current generation is 2");
  // Each buffer is held by its entries only: releasing them all frees it.
  EXPECT_EQ(moved.storage().use_count(moved.tensor(base).buffer()), 4U);
  for (const double h : {base, transposed, locked, broadcast, data}) moved.release(h);
  EXPECT_EQ(moved.storage().stats().live_buffers, 0U);
  // Ids continue after the last one issued.
  (void)moved.adopt(Tensor::zeros(moved.storage(), {1}), false);
  EXPECT_EQ(moved.mailbox()[mailbox::kCreatedId], 7.0);
}

TEST(JsRuntime, RestoreRefusesAUsedRuntimeAndABadEntryImage) {
  Runtime old({});
  (void)old.adopt(Tensor::zeros(old.storage(), {4}), false);
  const std::vector<std::byte> storage_image = export_image(old.storage());
  std::vector<std::byte> entries = old.export_entries();

  Runtime used({});
  (void)used.adopt(Tensor::zeros(used.storage(), {1}), false);
  EXPECT_TM_ERROR_HAS((void)used.restore(storage_image, entries), ErrorCode::kInvalidArgument,
                      "this runtime has created objects");

  entries.back() ^= std::byte{1};
  Runtime target({});
  EXPECT_TM_ERROR_HAS((void)target.restore(storage_image, entries), ErrorCode::kInvalidArgument, "entry image");
  EXPECT_EQ(target.storage().stats().live_buffers, 0U);
}

TEST(JsRuntime, RestoreRefusesAStorageImageWhoseReferencesNoEntryHolds) {
  Runtime old({});
  const double a = old.adopt(Tensor::zeros(old.storage(), {4}), false);
  old.storage().retain(old.tensor(a).buffer());  // a reference no entry holds
  Runtime target({});
  EXPECT_TM_ERROR_HAS((void)move_into(old, target), ErrorCode::kInvalidArgument,
                      "had 2 references in the storage image, but 1 objects hold it");
  old.storage().release(old.tensor(a).buffer());
}

}  // namespace
}  // namespace tensormem::js
