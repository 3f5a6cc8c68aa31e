// Benchmarks of the view layer, each beside a raw baseline in the same run.
//
//   view/<op>        one view op on a 4-D float32 tensor [8, 16, 32, 64],
//                    including the destruction of its result (retain +
//                    release), as a caller that makes and drops a view does.
//   view/raw_<op>    the same shape/stride arithmetic on a plain struct with
//                    no checks, no refcount and no lifetime (what scijs
//                    ndarray does): the floor for an O(ndim) metadata op.
//   span_sum/*       sum of 1M float32 through Tensor::span (checked once)
//                    and through a raw pointer to the same memory.
//
// heap_allocs_per_op counts operator new calls and pool allocations inside
// the timed loop; a view op must make none.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_support.hpp"
#include "tensormem/tensor.hpp"

// Counts every operator new in the program, so a benchmark can tell whether
// its loop allocated. Replaces the global operator new for this binary only.
namespace {
std::atomic<std::uint64_t> g_heap_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using tensormem::DType;
using tensormem::Slice;
using tensormem::Storage;
using tensormem::Tensor;
using tmbench::escape;

constexpr std::array<std::int64_t, 4> kShape{8, 16, 32, 64};

// ---- the raw baseline: ndarray-style metadata with no checks ---------------

struct RawView {
  float* data;
  std::array<std::int64_t, 4> shape;
  std::array<std::int64_t, 4> strides;
  std::int64_t offset;
};

RawView raw_contiguous(float* data) {
  RawView v{data, kShape, {}, 0};
  std::int64_t stride = 1;
  for (int d = 3; d >= 0; --d) {
    v.strides[static_cast<std::size_t>(d)] = stride;
    stride *= kShape[static_cast<std::size_t>(d)];
  }
  return v;
}

// ---- one view op per iteration ----------------------------------------------

// Reports the allocations made in the timed loop, per iteration.
class AllocationCounter {
 public:
  explicit AllocationCounter(const Storage* storage) : storage_(storage), start_(total()) {}
  void report(benchmark::State& state) const {
    state.counters["heap_allocs_per_op"] =
        static_cast<double>(total() - start_) / static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  }

 private:
  [[nodiscard]] std::uint64_t total() const {
    return g_heap_allocations.load(std::memory_order_relaxed) + (storage_ != nullptr ? storage_->stats().allocations : 0);
  }
  const Storage* storage_;
  std::uint64_t start_;
};

template <typename Op>
void run_view_op(benchmark::State& state, Op op) {
  auto storage = std::make_unique<Storage>();
  const Tensor source = Tensor::zeros(*storage, kShape);
  const Tensor row = source.narrow(1, 0, 1).narrow(3, 0, 1);  // [8, 1, 32, 1], for expand
  const AllocationCounter counter(storage.get());
  for (auto _ : state) {
    const Tensor result = op(source, row);
    escape(&result);
  }
  counter.report(state);
}

void view_reshape(benchmark::State& state) {
  run_view_op(state, [](const Tensor& t, const Tensor&) { return t.reshape({128, -1, 64}); });
}
void view_slice(benchmark::State& state) {
  run_view_op(state, [](const Tensor& t, const Tensor&) { return t.slice(2, Slice{4, 28, 2}); });
}
void view_permute(benchmark::State& state) {
  run_view_op(state, [](const Tensor& t, const Tensor&) { return t.permute({0, 2, 3, 1}); });
}
void view_expand(benchmark::State& state) {
  run_view_op(state, [](const Tensor&, const Tensor& row) { return row.expand({8, 16, 32, 64}); });
}

template <typename Op>
void run_raw_op(benchmark::State& state, Op op) {
  std::vector<float> memory(8 * 16 * 32 * 64);
  RawView source = raw_contiguous(memory.data());
  const AllocationCounter counter(nullptr);
  for (auto _ : state) {
    escape(&source);  // the input comes from memory each time, as the candidate's does
    RawView result = op(source);
    escape(&result);
  }
  counter.report(state);
}

void view_raw_reshape(benchmark::State& state) {
  run_raw_op(state, [](const RawView& v) {
    // [8, 16, 32, 64] -> [128, -1, 64]: infer, then contiguous strides.
    std::int64_t numel = 1;
    for (const std::int64_t s : v.shape) numel *= s;
    RawView r{v.data, {128, numel / (128 * 64), 64, 1}, {}, v.offset};
    std::int64_t stride = 1;
    for (int d = 2; d >= 0; --d) {
      r.strides[static_cast<std::size_t>(d)] = stride;
      stride *= r.shape[static_cast<std::size_t>(d)];
    }
    return r;
  });
}
void view_raw_slice(benchmark::State& state) {
  run_raw_op(state, [](const RawView& v) {
    RawView r = v;
    r.offset += 4 * v.strides[2];
    r.shape[2] = (28 - 4 + 1) / 2;
    r.strides[2] = v.strides[2] * 2;
    return r;
  });
}
void view_raw_permute(benchmark::State& state) {
  run_raw_op(state, [](const RawView& v) {
    constexpr std::array<std::size_t, 4> order{0, 2, 3, 1};
    RawView r = v;
    for (std::size_t i = 0; i < 4; ++i) {
      r.shape[i] = v.shape[order[i]];
      r.strides[i] = v.strides[order[i]];
    }
    return r;
  });
}
void view_raw_expand(benchmark::State& state) {
  run_raw_op(state, [](const RawView& v) {
    RawView r = v;
    r.shape[1] = 16;
    r.strides[1] = 0;
    r.shape[3] = 64;
    r.strides[3] = 0;
    return r;
  });
}

// ---- span iteration over 1M float32 -----------------------------------------

constexpr std::int64_t kSpanElements = 1 << 20;

void span_sum_checked(benchmark::State& state) {
  auto storage = std::make_unique<Storage>();
  const Tensor t = Tensor::full(*storage, {kSpanElements}, 1.0f);
  for (auto _ : state) {
    float sum = 0;
    for (const float v : t.span<const float>()) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * kSpanElements * 4);
}

void span_sum_raw(benchmark::State& state) {
  auto storage = std::make_unique<Storage>();
  const Tensor t = Tensor::full(*storage, {kSpanElements}, 1.0f);
  const float* data = reinterpret_cast<const float*>(t.data());
  for (auto _ : state) {
    escape(data);
    float sum = 0;
    // The same loop shape as the range-for over the span: only the check differs.
    for (const float* p = data; p != data + kSpanElements; ++p) sum += *p;
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * kSpanElements * 4);
}

[[maybe_unused]] const bool registered = [] {
  const std::array<std::pair<const char*, void (*)(benchmark::State&)>, 8> views{{
      {"view/reshape", view_reshape},
      {"view/raw_reshape", view_raw_reshape},
      {"view/slice", view_slice},
      {"view/raw_slice", view_raw_slice},
      {"view/permute", view_permute},
      {"view/raw_permute", view_raw_permute},
      {"view/expand", view_expand},
      {"view/raw_expand", view_raw_expand},
  }};
  for (const auto& [name, function] : views) benchmark::RegisterBenchmark(name, function)->UseRealTime();
  benchmark::RegisterBenchmark("span_sum/checked", span_sum_checked)->UseRealTime();
  benchmark::RegisterBenchmark("span_sum/raw", span_sum_raw)->UseRealTime();

  using tmbench::Comparison;
  auto& rows = tmbench::comparisons();
  auto& checks = tmbench::counter_checks();
  for (const char* op : {"reshape", "slice", "permute", "expand"}) {
    const std::string candidate = fmt::format("view/{}", op);
    // Target: <= 20 ns native / <= 40 ns wasm, with no heap allocation.
    rows.push_back(Comparison{candidate, fmt::format("view/raw_{}", op), tmbench::per_platform(20, 40), 0, false});
    checks.push_back({candidate, "heap_allocs_per_op", 0.0});
  }
  // Target: checked span iteration within 5% of the raw loop.
  rows.push_back(Comparison{"span_sum/checked", "span_sum/raw", 0, 1 / 1.05, false});
  return true;
}();

}  // namespace
