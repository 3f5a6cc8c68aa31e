// Shared pieces of the tensormem benchmarks: deterministic random sequences,
// the free-list floor, and the registry of (candidate, baseline) comparisons
// that bench_main.cpp turns into the "ratios" table.
//
// Nothing here asserts a speed: targets are evaluated and printed, never
// enforced, and always against a baseline measured in the same run.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tmbench {

// Makes `value` exist in a register and clobbers memory: nothing is elided,
// and the next iteration reloads whatever it reads (see pool_bench.cpp for
// why benchmark::DoNotOptimize is not used).
[[gnu::always_inline]] inline void escape(const void* value) { asm volatile("" : : "r"(value) : "memory"); }

// ---- deterministic randomness ----------------------------------------------
//
// Our own generator and our own derivations (no <random> distributions, whose
// results differ between libstdc++ and libc++): the native and the wasm build
// replay the same sequences (log_uniform_size goes through std::pow; libm
// differences could move a size by one byte, in principle).

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

  constexpr std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound), bound > 0 (multiply-shift; bias < 2^-32 for the
  // bounds used here).
  constexpr std::uint32_t below(std::uint32_t bound) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
  }

  // Uniform in [0, 1) with 53 random bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

inline constexpr std::uint64_t kSeed = 0x7E45'03D1'2024'0001ULL;

// A random permutation of 0..n-1 (Fisher-Yates).
inline std::vector<std::uint32_t> shuffled_indices(std::uint32_t n, std::uint64_t seed = kSeed) {
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  SplitMix64 rng(seed);
  for (std::uint32_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

// A size log-uniform in [lo, hi]: lo * (hi/lo)^u.
inline std::size_t log_uniform_size(SplitMix64& rng, std::size_t lo, std::size_t hi) {
  const double ratio = static_cast<double>(hi) / static_cast<double>(lo);
  const double size = static_cast<double>(lo) * std::pow(ratio, rng.unit());
  const auto rounded = static_cast<std::size_t>(size);
  return rounded < lo ? lo : (rounded > hi ? hi : rounded);
}

// ---- the mixed workload ------------------------------------------------------
//
// kLive blocks are allocated up front (sizes in `initial`); then every step
// frees the live block in slot `victim` and allocates `size` bytes into that
// slot. Generated once, before any timing; every candidate replays it, cycling
// when a run needs more steps than the sequence holds.
struct MixedWorkload {
  static constexpr std::uint32_t kLive = 1000;
  static constexpr std::size_t kSteps = std::size_t{1} << 18;  // power of two: cheap wrap-around
  static constexpr std::size_t kMinBytes = 16;
  static constexpr std::size_t kMaxBytes = std::size_t{256} << 10;

  struct Step {
    std::uint32_t victim;
    std::uint32_t size;
  };

  std::vector<std::uint32_t> initial;
  std::vector<Step> steps;

  static const MixedWorkload& get() {
    static const MixedWorkload workload = make();
    return workload;
  }

  // The highest sum of requested bytes over the first `n` steps (plus the
  // initial fill): what the workload itself needs at its peak, before any
  // allocator rounding. Computed outside the timed loop.
  [[nodiscard]] std::size_t peak_requested(std::size_t n) const {
    std::vector<std::uint32_t> live = initial;
    std::size_t sum = 0;
    for (std::uint32_t s : live) sum += s;
    std::size_t peak = sum;
    for (std::size_t i = 0; i < n; ++i) {
      const Step& step = steps[i & (kSteps - 1)];
      sum -= live[step.victim];  // frees first, then allocates: never both live
      sum += step.size;
      live[step.victim] = step.size;
      if (sum > peak) peak = sum;
    }
    return peak;
  }

 private:
  static MixedWorkload make() {
    MixedWorkload w;
    SplitMix64 rng(kSeed ^ 0x4D49'5845'4400'0000ULL);
    w.initial.resize(kLive);
    for (auto& size : w.initial) size = static_cast<std::uint32_t>(log_uniform_size(rng, kMinBytes, kMaxBytes));
    w.steps.resize(kSteps);
    for (auto& step : w.steps) {
      step.victim = rng.below(kLive);
      step.size = static_cast<std::uint32_t>(log_uniform_size(rng, kMinBytes, kMaxBytes));
    }
    return w;
  }
};

// ---- the floor -------------------------------------------------------------
//
// A bare single-size intrusive free list: pop on allocate, push on release, no
// statistics, no size classes, no handles. Nothing real can be faster, so it
// marks the floor the pool's hot path is measured against.
class FreeListFloor {
 public:
  explicit FreeListFloor(std::size_t block_bytes) : block_bytes_(block_bytes) {}
  ~FreeListFloor() {
    for (void* chunk : chunks_) std::free(chunk);
  }
  FreeListFloor(const FreeListFloor&) = delete;
  FreeListFloor& operator=(const FreeListFloor&) = delete;

  void* allocate() {
    Node* head = head_;
    if (head == nullptr) [[unlikely]] head = refill();
    head_ = head->next;
    return head;
  }
  void release(void* p) noexcept {
    auto* node = static_cast<Node*>(p);
    node->next = head_;
    head_ = node;
  }

 private:
  struct Node {
    Node* next;
  };
  static constexpr std::size_t kBlocksPerChunk = 64;

  [[gnu::noinline]] Node* refill() {
    auto* chunk = static_cast<std::byte*>(std::aligned_alloc(64, block_bytes_ * kBlocksPerChunk));
    if (chunk == nullptr) std::abort();
    chunks_.push_back(chunk);
    for (std::size_t i = kBlocksPerChunk; i-- > 0;) release(chunk + i * block_bytes_);
    return head_;
  }

  std::size_t block_bytes_;
  Node* head_ = nullptr;
  std::vector<void*> chunks_;
};

// ---- the comparisons registry ------------------------------------------------

#ifdef __EMSCRIPTEN__
inline constexpr bool kWasm = true;
inline constexpr const char* kPlatform = "wasm";
#else
inline constexpr bool kWasm = false;
inline constexpr const char* kPlatform = "native";
#endif

// One row of the ratios table: a candidate benchmark beside its baseline
// (names as registered, without gbench's "/real_time" suffix).
struct Comparison {
  std::string candidate;
  std::string baseline;
  // Targets; a zero means "no target of this kind". A row with no target is
  // informative.
  double max_candidate_ns = 0;  // candidate ns/op <= this (this platform's figure)
  double min_ratio = 0;         // baseline/candidate >= this (or > with strict_ratio)
  bool strict_ratio = false;
};

// A counter of one benchmark checked against an upper bound (none: informative).
struct CounterCheck {
  std::string benchmark;
  std::string counter;
  std::optional<double> max_value;
};

inline std::vector<Comparison>& comparisons() {
  static std::vector<Comparison> list;
  return list;
}
inline std::vector<CounterCheck>& counter_checks() {
  static std::vector<CounterCheck> list;
  return list;
}

// A per-platform figure: the native one, or the wasm one in a wasm build.
constexpr double per_platform(double native, double wasm) noexcept { return kWasm ? wasm : native; }

}  // namespace tmbench
