// Kernels for the JS tests of the kernel path: every parameter and result
// type, in-place writes, and every way a kernel can fail (throw, trap,
// overflow its stack, return a bad result).
#include <tensormem/kernels.hpp>

#include <cstdint>
#include <stdexcept>

using namespace tensormem;

namespace {

// The sum of a float32 tensor's elements: the trivial kernel of the call-overhead benchmark.
double sum(KernelContext&, const Tensor& x) {
  double total = 0;
  x.for_each<const float>([&](float v) { total += v; });
  return total;
}

void fill_value(KernelContext&, Tensor& x, double value) { x.fill(value); }

Tensor iota(KernelContext& ctx, std::int32_t n) {
  Tensor out = ctx.empty({n}, DType::kInt32);
  std::int32_t i = 0;
  for (std::int32_t& v : out.span<std::int32_t>()) v = i++;
  return out;
}

// The view the kernel got, returned as a new object: results may share inputs' buffers.
Tensor same(KernelContext&, const Tensor& x) { return x; }

std::int8_t echo_int8(KernelContext&, std::int8_t v) { return v; }
std::uint8_t echo_uint8(KernelContext&, std::uint8_t v) { return v; }
std::int32_t echo_int32(KernelContext&, std::int32_t v) { return v; }
std::uint32_t echo_uint32(KernelContext&, std::uint32_t v) { return v; }
std::int64_t echo_int64(KernelContext&, std::int64_t v) { return v; }
std::uint64_t echo_uint64(KernelContext&, std::uint64_t v) { return v; }
float echo_float32(KernelContext&, float v) { return v; }
bool echo_bool(KernelContext&, bool v) { return v; }

void throws_std(KernelContext&) { throw std::runtime_error("the kernel gave up"); }
Tensor allocates_then_throws(KernelContext& ctx, std::int32_t n) {
  Tensor scratch = ctx.zeros({n});
  (void)scratch;
  throw std::runtime_error("after allocating");
}
Tensor wrong_dtype(KernelContext& ctx) { return ctx.zeros({2}, DType::kInt16); }
[[noreturn]] void traps(KernelContext&) { __builtin_trap(); }

// Recursion deep enough to run out of the wasm stack: with the stack first in
// memory, the overflow is an out-of-bounds trap, not an overwrite of data.
__attribute__((noinline)) std::int64_t descend(std::int64_t depth) {
  volatile char frame[512] = {};
  frame[0] = static_cast<char>(depth);
  return depth == 0 ? frame[0] : descend(depth - 1) + frame[0];
}
std::int64_t overflows_stack(KernelContext&, std::int32_t depth) { return descend(depth); }

}  // namespace

TENSORMEM_KERNELS(m) {
  m.def("sum", &sum, arg("x").dtype<float>()).doc("The sum of a float32 tensor's elements.");
  m.def("fill", &fill_value, arg("x"), arg("value")).doc("Sets every element of x, in place.");
  m.def("iota", &iota, arg("n")).returns<std::int32_t>().doc("int32 [0, 1, ..., n - 1].");
  m.def("same", &same, arg("x"));
  m.def("echoInt8", &echo_int8, arg("v"));
  m.def("echoUint8", &echo_uint8, arg("v"));
  m.def("echoInt32", &echo_int32, arg("v"));
  m.def("echoUint32", &echo_uint32, arg("v"));
  m.def("echoInt64", &echo_int64, arg("v"));
  m.def("echoUint64", &echo_uint64, arg("v"));
  m.def("echoFloat32", &echo_float32, arg("v"));
  m.def("echoBool", &echo_bool, arg("v"));
  m.def("throwsStd", &throws_std);
  m.def("allocatesThenThrows", &allocates_then_throws, arg("n"));
  m.def("wrongDtype", &wrong_dtype).returns<float>();
  m.def("traps", &traps);
  m.def("overflowsStack", &overflows_stack, arg("depth"));
}
