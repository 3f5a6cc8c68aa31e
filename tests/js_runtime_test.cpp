// The runtime behind the JavaScript package (bindings/js/src/js_runtime.hpp),
// tested natively and in wasm like the rest; the exports around it are
// exercised by the node tests in tests/js/.
#include "js_runtime.hpp"

#include <cmath>
#include <cstdint>

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

}  // namespace
}  // namespace tensormem::js
