// Benchmarks of the strided copy kernels (src/copy.cpp) through the Tensor
// API, each beside std::memcpy (or std::memset) of the same bytes in the
// same run. One iteration is one whole copy; SetBytesProcessed counts the
// bytes written, so gbench's bytes_per_second column is the write bandwidth,
// and baseline ns / candidate ns is the fraction of memcpy bandwidth.
//
//   copy/memcpy_16MiB, copy/memcpy_64MiB   baselines: std::memcpy between two
//                                          buffers written as the candidates'
//                                          tensors are (same float32 pattern,
//                                          both of them, before timing).
//   copy/copy_from_16MiB       float32 [4096, 1024] into a contiguous tensor.
//   copy/clone_16MiB           clone() of it: allocation (a pool hit) + copy.
//   copy/clone_16MiB_default_pool  the same with default PoolOptions, whose
//                              cache budget lets the 16 MiB block go back to
//                              the system allocator after every iteration.
//   copy/transpose_4096        t.transpose(0, 1).contiguous() of a float32
//                              [4096, 4096] (64 MiB), against memcpy_64MiB.
//   copy/transpose_4096_copy_from  the same kernel into an existing tensor.
//   copy/slice_step2_16MiB     contiguous() of float32 [4096, 2048] sliced with
//                              step 2 along the last dim (a strided gather).
//   copy/reversed_16MiB        contiguous() of a float32 [4096, 1024] whose
//                              last dim is reversed (step -1).
//   copy/float32_to_int32_16MiB, copy/uint8_to_float32_16MiB
//                              to(dtype) of contiguous tensors; 16 MiB written.
//   copy/fill_16MiB            fill(1.5f) against memset_16MiB.
//
// Every Storage but the default-pool one caches released blocks, so that the
// candidates measure the copy, not page faults of fresh memory.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>

#include "bench_support.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/tensor.hpp"

namespace {

using tensormem::DType;
using tensormem::PoolOptions;
using tensormem::Slice;
using tensormem::Storage;
using tensormem::Tensor;
using tmbench::escape;

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::unique_ptr<Storage> caching_storage() {
  PoolOptions options;
  options.min_cache_bytes = 512 * kMiB;
  return std::make_unique<Storage>(options);
}

// Every element written (so pre-faulted), with values that vary: finite
// floats for float32, a byte pattern otherwise.
void write_pattern(std::span<float> values) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000) - 500.25f;
}

Tensor filled(Storage& storage, tensormem::IntList shape, DType dtype) {
  Tensor t = Tensor::empty(storage, shape, dtype);
  if (dtype == DType::kFloat32) {
    write_pattern(t.span<float>());
  } else {
    std::byte* bytes = t.data();
    for (std::size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<std::byte>(i * 7 + 3);
  }
  return t;
}

// A baseline's buffer, written like a float32 tensor from filled(). Not
// memset: clang (the wasm build) turns a memcpy whose source it saw memset
// into a memset of the destination, so a memset source made the memcpy
// baseline a memory.fill, twice as fast as any copy.
struct PreFaulted {
  explicit PreFaulted(std::size_t n) : bytes(n), data(static_cast<std::byte*>(std::aligned_alloc(64, n))) {
    if (data == nullptr) std::abort();
    write_pattern({reinterpret_cast<float*>(data), n / sizeof(float)});
    escape(data);
  }
  ~PreFaulted() { std::free(data); }
  PreFaulted(const PreFaulted&) = delete;
  PreFaulted& operator=(const PreFaulted&) = delete;
  std::size_t bytes;
  std::byte* data;
};

void set_bytes(benchmark::State& state, std::size_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes_per_iteration));
}

// ---- baselines ----------------------------------------------------------------

void memcpy_bytes(benchmark::State& state, std::size_t bytes) {
  const PreFaulted src(bytes);
  const PreFaulted dst(bytes);
  for (auto _ : state) {
    escape(src.data);  // src may have changed: the copy must read it
    std::memcpy(dst.data, src.data, bytes);
    escape(dst.data);
  }
  set_bytes(state, bytes);
}
void memcpy_16MiB(benchmark::State& state) { memcpy_bytes(state, 16 * kMiB); }
void memcpy_64MiB(benchmark::State& state) { memcpy_bytes(state, 64 * kMiB); }

void memset_16MiB(benchmark::State& state) {
  const PreFaulted dst(16 * kMiB);
  for (auto _ : state) {
    std::memset(dst.data, 0x3f, dst.bytes);
    escape(dst.data);
  }
  set_bytes(state, dst.bytes);
}

// ---- candidates ----------------------------------------------------------------

void copy_from_16MiB(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 1024}, DType::kFloat32);
  const Tensor dst = filled(*storage, {4096, 1024}, DType::kFloat32);
  for (auto _ : state) {
    dst.copy_from(src);
    escape(dst.data());
  }
  set_bytes(state, dst.nbytes());
}

void clone_with(benchmark::State& state, std::unique_ptr<Storage> storage) {
  const Tensor src = filled(*storage, {4096, 1024}, DType::kFloat32);
  for (auto _ : state) {
    const Tensor copy = src.clone();
    escape(copy.data());
  }
  set_bytes(state, src.nbytes());
}
void clone_16MiB(benchmark::State& state) { clone_with(state, caching_storage()); }
void clone_16MiB_default_pool(benchmark::State& state) { clone_with(state, std::make_unique<Storage>()); }

void transpose_4096(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 4096}, DType::kFloat32);
  const Tensor transposed = src.transpose(0, 1);
  for (auto _ : state) {
    const Tensor copy = transposed.contiguous();
    escape(copy.data());
  }
  set_bytes(state, src.nbytes());
}

void transpose_4096_copy_from(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 4096}, DType::kFloat32);
  const Tensor dst = filled(*storage, {4096, 4096}, DType::kFloat32);
  const Tensor transposed = src.transpose(0, 1);
  for (auto _ : state) {
    dst.copy_from(transposed);
    escape(dst.data());
  }
  set_bytes(state, dst.nbytes());
}

// contiguous() of a view of src; bytes counted are those written.
void contiguous_of(benchmark::State& state, const Tensor& view) {
  for (auto _ : state) {
    const Tensor copy = view.contiguous();
    escape(copy.data());
  }
  set_bytes(state, view.nbytes());
}

void slice_step2_16MiB(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 2048}, DType::kFloat32);
  contiguous_of(state, src.slice(1, Slice{{}, {}, 2}));
}

void reversed_16MiB(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 1024}, DType::kFloat32);
  contiguous_of(state, src.slice(1, Slice{{}, {}, -1}));
}

void convert_to(benchmark::State& state, DType from, DType to) {
  const auto storage = caching_storage();
  const Tensor src = filled(*storage, {4096, 1024}, from);
  for (auto _ : state) {
    const Tensor copy = src.to(to);
    escape(copy.data());
  }
  set_bytes(state, static_cast<std::size_t>(src.numel()) * tensormem::size_of(to));
}
void float32_to_int32_16MiB(benchmark::State& state) { convert_to(state, DType::kFloat32, DType::kInt32); }
void uint8_to_float32_16MiB(benchmark::State& state) { convert_to(state, DType::kUint8, DType::kFloat32); }

void fill_16MiB(benchmark::State& state) {
  const auto storage = caching_storage();
  const Tensor dst = filled(*storage, {4096, 1024}, DType::kFloat32);
  for (auto _ : state) {
    dst.fill(1.5f);
    escape(dst.data());
  }
  set_bytes(state, dst.nbytes());
}

// ---- registration --------------------------------------------------------------------

[[maybe_unused]] const bool registered = [] {
  const auto add = [](const char* name, void (*function)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name, function)->UseRealTime()->Unit(benchmark::kMicrosecond);
  };
  add("copy/memcpy_16MiB", memcpy_16MiB);
  add("copy/copy_from_16MiB", copy_from_16MiB);
  add("copy/clone_16MiB", clone_16MiB);
  add("copy/clone_16MiB_default_pool", clone_16MiB_default_pool);
  add("copy/memcpy_64MiB", memcpy_64MiB);
  add("copy/transpose_4096", transpose_4096);
  add("copy/transpose_4096_copy_from", transpose_4096_copy_from);
  add("copy/slice_step2_16MiB", slice_step2_16MiB);
  add("copy/reversed_16MiB", reversed_16MiB);
  add("copy/float32_to_int32_16MiB", float32_to_int32_16MiB);
  add("copy/uint8_to_float32_16MiB", uint8_to_float32_16MiB);
  add("copy/memset_16MiB", memset_16MiB);
  add("copy/fill_16MiB", fill_16MiB);

  using tmbench::Comparison;
  auto& rows = tmbench::comparisons();
  // Targets: >= 90% of memcpy bandwidth for a contiguous copy, >= 30% for a transpose.
  rows.push_back(Comparison{"copy/copy_from_16MiB", "copy/memcpy_16MiB", 0, 0.9, false});
  rows.push_back(Comparison{"copy/clone_16MiB", "copy/memcpy_16MiB", 0, 0.9, false});
  rows.push_back(Comparison{"copy/clone_16MiB_default_pool", "copy/memcpy_16MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/transpose_4096", "copy/memcpy_64MiB", 0, 0.3, false});
  rows.push_back(Comparison{"copy/transpose_4096_copy_from", "copy/memcpy_64MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/slice_step2_16MiB", "copy/memcpy_16MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/reversed_16MiB", "copy/memcpy_16MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/float32_to_int32_16MiB", "copy/memcpy_16MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/uint8_to_float32_16MiB", "copy/memcpy_16MiB", 0, 0, false});
  rows.push_back(Comparison{"copy/fill_16MiB", "copy/memset_16MiB", 0, 0, false});
  return true;
}();

}  // namespace
