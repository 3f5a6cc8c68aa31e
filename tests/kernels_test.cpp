// Kernels (include/tensormem/kernels.hpp): the declared constraints are checked
// before the call, results after it, and every failure names the kernel, the
// argument and the value. The JS side of the same calls is tested in
// tests/js/kernels.test.mjs.
#include "tensormem/kernels.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

Tensor row_rms(KernelContext& ctx, const Tensor& x) {
  Tensor out = ctx.empty({x.size(0)}, DType::kFloat32);
  for (std::int64_t r = 0; r < x.size(0); ++r) {
    double sum = 0;
    for (std::int64_t c = 0; c < x.size(1); ++c) {
      const float v = x.at<float>({r, c});
      sum += static_cast<double>(v) * v;
    }
    out.set<float>({r}, static_cast<float>(std::sqrt(sum / static_cast<double>(x.size(1)))));
  }
  return out;
}

void scale(KernelContext&, Tensor& x, float factor) {
  for (float& v : x.span<float>()) v *= factor;
}

void clear(KernelContext&, Tensor& x) { x.fill(0); }

std::int64_t add_int8(KernelContext&, std::int8_t a, std::int8_t b) { return a + b; }
std::uint64_t echo_u64(KernelContext&, std::uint64_t v) { return v; }
bool negate(KernelContext&, bool v) { return !v; }
double half(KernelContext&, double v) { return v / 2; }

class KernelTest : public ::testing::Test {
 protected:
  KernelTest() {
    registry.def("rowRms", &row_rms, arg("x").dtype<float>().ndim(2)).returns<float>().doc("RMS of each row.");
    registry.def("scale", &scale, arg("x").dtype<float>().contiguous(), arg("factor"));
    registry.def("clear", &clear, arg("x"));
    registry.def("addInt8", &add_int8, arg("a"), arg("b"));
    registry.def("echoU64", &echo_u64, arg("v"));
    registry.def("negate", &negate, arg("v"));
    registry.def("half", &half);
    registry.def("strict", &clear, arg("x").dtype<float>().ndim(2).contiguous().writable());
  }

  KernelResult call(std::string_view name, std::vector<KernelValue> values) {
    const KernelDef* kernel = registry.find(name);
    if (kernel == nullptr) throw std::logic_error("no such kernel in the test registry");
    return kernel->call(storage, values);
  }

  Storage storage{PoolOptions{.max_bytes = 1 << 20}};
  KernelRegistry registry;
};

TEST_F(KernelTest, AKernelRunsOnAStridedViewAndItsResultComesFromTheSameStorage) {
  const std::vector<float> values{3, 4, 0, 0, 6, 8};
  const Tensor x = Tensor::from_data<float>(storage, {3, 2}, values);
  const Tensor columns = x.transpose(0, 1);  // [2, 3], strides [1, 2]
  KernelResult result = call("rowRms", {KernelValue::of(columns)});
  ASSERT_EQ(result.kind, KernelResult::Kind::kTensor);
  EXPECT_EQ(result.tensor.storage(), &storage);
  EXPECT_EQ(result.tensor.shape(), (IntList{2}));
  EXPECT_FLOAT_EQ(result.tensor.at<float>({0}), std::sqrt((9.0f + 0 + 36) / 3));
  EXPECT_FLOAT_EQ(result.tensor.at<float>({1}), std::sqrt((16.0f + 0 + 64) / 3));
}

TEST_F(KernelTest, EachDeclaredConstraintIsCheckedBeforeTheCallNamingKernelArgumentAndValue) {
  const Tensor ints = Tensor::zeros(storage, {2, 2}, DType::kInt32);
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of(ints)}), ErrorCode::kDtypeMismatch,
                  "rowRms: argument x is int32; it must be float32");
  const Tensor cube = Tensor::zeros(storage, {2, 3, 4});
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of(cube)}), ErrorCode::kInvalidShape,
                  "rowRms: argument x has 3 dims (shape [2, 3, 4]); it must have 2");
  const Tensor matrix = Tensor::zeros(storage, {4, 3});
  EXPECT_TM_ERROR(call("scale", {KernelValue::of(matrix.transpose(0, 1)), KernelValue::of_number(2)}),
                  ErrorCode::kNotContiguous,
                  "scale: argument x is not contiguous (shape [3, 4], strides [1, 3]); it must be contiguous");
  const Tensor row = Tensor::zeros(storage, {1, 3});
  EXPECT_TM_ERROR(call("clear", {KernelValue::of(row.expand({2, 3}))}), ErrorCode::kReadOnly,
                  "clear: argument x is read-only (a view that repeats elements, as expand() makes); it must be "
                  "writable");
}

TEST_F(KernelTest, WhenSeveralConstraintsFailTheFirstInTheDocumentedOrderIsReported) {
  // dtype, then ndim, then contiguous, then writable (docs/kernels.md).
  const Tensor ints = Tensor::zeros(storage, {1, 2, 3}, DType::kInt32);
  EXPECT_TM_ERROR(call("strict", {KernelValue::of(ints.expand({2, 2, 3}))}), ErrorCode::kDtypeMismatch,
                  "strict: argument x is int32; it must be float32");
  const Tensor cube = Tensor::zeros(storage, {1, 2, 3});
  EXPECT_TM_ERROR(call("strict", {KernelValue::of(cube.expand({2, 2, 3}))}), ErrorCode::kInvalidShape,
                  "strict: argument x has 3 dims (shape [2, 2, 3]); it must have 2");
  const Tensor row = Tensor::zeros(storage, {1, 3});
  EXPECT_TM_ERROR(call("strict", {KernelValue::of(row.expand({2, 3}))}), ErrorCode::kNotContiguous,
                  "strict: argument x is not contiguous (shape [2, 3], strides [0, 1]); it must be contiguous");
  const Tensor ok = Tensor::full<float>(storage, {2, 3}, 1.0f);
  (void)call("strict", {KernelValue::of(ok)});
  EXPECT_EQ(ok.at<float>({1, 2}), 0);
}

TEST_F(KernelTest, AnInPlaceKernelWritesThroughTheCallersView) {
  const std::vector<float> values{1, 2, 3, 4};
  const Tensor x = Tensor::from_data<float>(storage, {4}, values);
  const Tensor tail = x.slice(0, Slice{2, {}, 1});
  (void)call("scale", {KernelValue::of(tail), KernelValue::of_number(10)});
  EXPECT_EQ(x.at<float>({1}), 2);
  EXPECT_EQ(x.at<float>({2}), 30);
  EXPECT_EQ(x.at<float>({3}), 40);
}

TEST_F(KernelTest, ArgumentsOfTheWrongKindOrCountAreRefused) {
  const Tensor x = Tensor::zeros(storage, {2, 2});
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of_number(1)}), ErrorCode::kInvalidArgument,
                  "rowRms: argument x is a number; it must be a Tensor");
  EXPECT_TM_ERROR(call("scale", {KernelValue::of(x), KernelValue::of(x)}), ErrorCode::kInvalidArgument,
                  "scale: argument factor is a Tensor; it must be a number (float32)");
  EXPECT_TM_ERROR(call("rowRms", {}), ErrorCode::kInvalidArgument, "rowRms: takes 1 argument (x), got 0");
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_number(1)}), ErrorCode::kInvalidArgument,
                  "addInt8: takes 2 arguments (a, b), got 1");
  EXPECT_TM_ERROR(call("negate", {KernelValue::of_number(1)}), ErrorCode::kInvalidArgument,
                  "negate: argument v is a number; it must be a boolean");
}

TEST_F(KernelTest, TensorsOfAnotherStorageOrAReleasedBufferAreRefused) {
  Storage other;
  const Tensor foreign = Tensor::zeros(other, {2, 2});
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of(foreign)}), ErrorCode::kInvalidArgument,
                  "rowRms: argument x belongs to another device");
  const Tensor x = Tensor::zeros(storage, {2, 2});
  storage.release(x.buffer());  // behind the tensor's back
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of(x)}), ErrorCode::kDisposed,
                  "rowRms: argument x views buffer #0 (generation 1), which was released");
  const Tensor none;
  EXPECT_TM_ERROR(call("rowRms", {KernelValue::of(none)}), ErrorCode::kDisposed, "rowRms: argument x has no buffer");
}

TEST_F(KernelTest, IntegerArgumentsAreConvertedExactlyOrRefusedByValue) {
  EXPECT_EQ(call("addInt8", {KernelValue::of_number(-100), KernelValue::of_integer(27)}).integer, -73);
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_number(2.5), KernelValue::of_number(0)}),
                  ErrorCode::kInvalidArgument, "addInt8: argument a is 2.5; it must be an integer (int8)");
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_number(std::nan("")), KernelValue::of_number(0)}),
                  ErrorCode::kInvalidArgument, "addInt8: argument a is NaN; it must be an integer (int8)");
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_number(0), KernelValue::of_number(128)}),
                  ErrorCode::kInvalidArgument, "addInt8: argument b is 128; it must be an integer in [-128, 127] (int8)");
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_number(0), KernelValue::of_integer(-129)}),
                  ErrorCode::kInvalidArgument,
                  "addInt8: argument b is -129n; it must be an integer in [-128, 127] (int8)");
  EXPECT_TM_ERROR(call("addInt8", {KernelValue::of_boolean(true), KernelValue::of_number(0)}),
                  ErrorCode::kInvalidArgument, "addInt8: argument a is a boolean; it must be an integer (int8)");
}

TEST_F(KernelTest, UnsignedSixtyFourBitValuesSurviveTheRoundTrip) {
  const KernelResult big = call("echoU64", {KernelValue::of_integer(-1)});  // the bits of 2^64 - 1
  EXPECT_EQ(big.kind, KernelResult::Kind::kUint64);
  EXPECT_EQ(static_cast<std::uint64_t>(big.integer), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(call("echoU64", {KernelValue::of_number(9007199254740992.0)}).integer, std::int64_t{1} << 53);
  EXPECT_TM_ERROR(call("echoU64", {KernelValue::of_number(-1)}), ErrorCode::kInvalidArgument,
                  "echoU64: argument v is -1; it must be an integer in [0, 18446744073709551615] (uint64)");
}

TEST_F(KernelTest, ScalarResultsKeepTheirKind) {
  const KernelResult b = call("negate", {KernelValue::of_boolean(false)});
  EXPECT_EQ(b.kind, KernelResult::Kind::kBoolean);
  EXPECT_TRUE(b.boolean);
  const KernelResult d = call("half", {KernelValue::of_number(3)});
  EXPECT_EQ(d.kind, KernelResult::Kind::kNumber);
  EXPECT_EQ(d.number, 1.5);
  EXPECT_TM_ERROR(call("half", {KernelValue::of_integer(4)}), ErrorCode::kInvalidArgument,
                  "half: argument arg0 is a bigint; it must be a number (float64)");
}

TEST_F(KernelTest, WhatAKernelThrowsIsTranslatedAndNamesTheKernel) {
  registry.def("failsWithCode", [](KernelContext& ctx) -> Tensor {
    ctx.fail(ErrorCode::kInvalidArgument, "frame {} is not a power of two", 1000);
  });
  registry.def("failsInside", [](KernelContext& ctx) { (void)ctx.zeros({2, 3}).reshape({4}); });
  registry.def("throwsStd", [](KernelContext&) { throw std::runtime_error("disk on fire"); });
  registry.def("throwsInt", [](KernelContext&) { throw 42; });
  registry.def("throwsBadAlloc", [](KernelContext&) { throw std::bad_alloc(); });
  EXPECT_TM_ERROR(call("failsWithCode", {}), ErrorCode::kInvalidArgument,
                  "failsWithCode: frame 1000 is not a power of two");
  EXPECT_TM_ERROR_HAS(call("failsInside", {}), ErrorCode::kInvalidShape, "failsInside: ");
  EXPECT_TM_ERROR(call("throwsStd", {}), ErrorCode::kKernelFailed, "throwsStd failed: disk on fire");
  EXPECT_TM_ERROR(call("throwsInt", {}), ErrorCode::kKernelFailed,
                  "throwsInt threw an exception that is not a std::exception");
  EXPECT_TM_ERROR(call("throwsBadAlloc", {}), ErrorCode::kOutOfMemory,
                  "throwsBadAlloc: out of memory (std::bad_alloc from the kernel)");
  EXPECT_EQ(storage.stats().live_buffers, 0U);  // the temporary of failsInside went back
}

TEST_F(KernelTest, ABadResultIsTheKernelsFailure) {
  static Storage elsewhere;
  registry.def("wrongDtype", [](KernelContext& ctx) { return ctx.zeros({2}, DType::kFloat64); }).returns<float>();
  registry.def("emptyResult", [](KernelContext&) { return Tensor{}; });
  registry.def("foreignResult", [](KernelContext&) { return Tensor::zeros(elsewhere, {2}); });
  EXPECT_TM_ERROR(call("wrongDtype", {}), ErrorCode::kKernelFailed,
                  "wrongDtype returned a float64 tensor; it declares float32");
  EXPECT_TM_ERROR(call("emptyResult", {}), ErrorCode::kKernelFailed, "emptyResult returned an empty Tensor (no buffer)");
  EXPECT_TM_ERROR(call("foreignResult", {}), ErrorCode::kKernelFailed,
                  "foreignResult returned a tensor from another Storage; allocate results through the KernelContext");
  EXPECT_EQ(storage.stats().live_buffers, 0U);
  EXPECT_EQ(elsewhere.stats().live_buffers, 0U);
}

TEST_F(KernelTest, OutputsAreAllocatedUnderTheStoragesLimit) {
  registry.def("huge", [](KernelContext& ctx) { return ctx.empty({1 << 20}); });  // 4 MiB > the 1 MiB limit
  EXPECT_TM_ERROR_HAS(call("huge", {}), ErrorCode::kMemoryLimit, "huge: Memory limit exceeded: requested 4194304 bytes");
}

TEST_F(KernelTest, ThrowingCallsLeakNothing) {
  const Tensor ints = Tensor::zeros(storage, {2, 2}, DType::kInt32);
  registry.def("allocThenThrow", [](KernelContext& ctx) {
    Tensor scratch = ctx.zeros({64});
    (void)scratch;
    throw std::runtime_error("late failure");
  });
  for (int i = 0; i < 100000; ++i) {
    EXPECT_THROW(call(i % 2 == 0 ? "rowRms" : "allocThenThrow", {}), Error);
    if (i % 3 == 0) {
      EXPECT_THROW(call("rowRms", {KernelValue::of(ints)}), Error);
    }
  }
  EXPECT_EQ(storage.stats().live_buffers, 1U);
  EXPECT_EQ(storage.use_count(ints.buffer()), 1U);
}

TEST_F(KernelTest, SignaturesDescribeEveryArgumentAndTheResult) {
  EXPECT_EQ(registry.find("rowRms")->signature_json(),
            R"({"name":"rowRms","doc":"RMS of each row.","args":[{"name":"x","type":"tensor","dtype":"float32",)"
            R"("ndim":2}],"returns":{"type":"tensor","dtype":"float32"}})");
  EXPECT_EQ(registry.find("scale")->signature_json(),
            R"({"name":"scale","doc":"","args":[{"name":"x","type":"tensor_inout","dtype":"float32",)"
            R"("contiguous":true,"writable":true},{"name":"factor","type":"float32"}],"returns":{"type":"void"}})");
  EXPECT_EQ(registry.find("echoU64")->signature_json(),
            R"({"name":"echoU64","doc":"","args":[{"name":"v","type":"uint64"}],"returns":{"type":"uint64"}})");
  registry.def("quoted", &half).doc("says \"half\"\n");
  EXPECT_EQ(registry.find("quoted")->signature_json(),
            R"({"name":"quoted","doc":"says \"half\"\n","args":[{"name":"arg0","type":"float64"}],)"
            R"("returns":{"type":"float64"}})");
}

TEST(KernelRegistry, DefinitionErrorsAreReportedWhenTheRegistryIsChecked) {
  const auto first_error = [](auto define) {
    KernelRegistry registry;
    define(registry);
    try {
      registry.check();
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::kInvalidArgument);
      return error.message();
    }
    return std::string("no error");
  };
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("ok", &half, arg("v")); }), "no error");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("half", &half, arg("v").ndim(1)); }),
            "kernel half: argument v is a float64 scalar; dtype(), ndim(), contiguous() and writable() apply to "
            "tensors");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("rms", &row_rms, arg("x").writable()); }),
            "kernel rms: argument x is declared writable() but taken as const Tensor&; take Tensor& to write it");
  EXPECT_EQ(first_error([](KernelRegistry& r) {
              r.def("twice", &half);
              r.def("twice", &half);
            }),
            "two kernels are named twice");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("row-rms", &row_rms); }),
            "kernel name \"row-rms\" is not a JavaScript identifier (letters, digits, _ and $)");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("add", &add_int8, arg("a"), arg("a")); }),
            "kernel add: two arguments are named a");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("half", &half).returns<float>(); }),
            "kernel half: returns<float32>() declares a tensor dtype, but the kernel returns float64");
  EXPECT_EQ(first_error([](KernelRegistry& r) { r.def("deep", &row_rms, arg("x").ndim(9)); }),
            "kernel deep: argument x asks for 9 dims; tensors have at most 8");
}

// TENSORMEM_KERNELS blocks register into the global registry during static
// initialization, however many there are.
Tensor doubled(KernelContext& ctx, const Tensor& x) {
  Tensor out = x.clone();
  (void)ctx;
  for (float& v : out.span<float>()) v *= 2;
  return out;
}
TENSORMEM_KERNELS(m) { m.def("testDoubled", &doubled, arg("x").dtype<float>().contiguous()); }
TENSORMEM_KERNELS(m) { m.def("testHalf", &half, arg("v")); }

TEST(KernelRegistry, KernelsBlocksRegisterDuringStaticInitialization) {
  const KernelRegistry& global = KernelRegistry::global();
  ASSERT_NE(global.find("testDoubled"), nullptr);
  ASSERT_NE(global.find("testHalf"), nullptr);
  EXPECT_NO_THROW(global.check());
  Storage storage;
  const std::vector<float> values{1, 2};
  const Tensor x = Tensor::from_data<float>(storage, {2}, values);
  const KernelValue args[] = {KernelValue::of(x)};
  const KernelResult result = global.find("testDoubled")->call(storage, args);
  EXPECT_EQ(result.tensor.at<float>({1}), 4);
}

}  // namespace
}  // namespace tensormem
