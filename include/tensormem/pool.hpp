// The pool: a block allocator with size classes, a hard limit and compaction.
//
// Blocks are 64-byte aligned. Small blocks (<= 1 MiB) are kept, once freed, on
// an intrusive free list per size class; large blocks are cached by size and
// reused for requests up to 12.5% smaller. Every block comes from the system
// allocator (aligned_alloc) one at a time, so compaction can hand any cached
// block straight back.
//
// Allocation order: a cached block of the request's class if there is one (a
// hit), else a cached block of one of the next two classes (also a hit: idle
// memory used instead of reserving more); otherwise a new block from the
// system allocator (a miss), after
//   1. auto-compaction, if reserving would cross compact_threshold * max_bytes;
//   2. the limit check: past max_bytes the pool compacts and retries, then
//      fails with MEMORY_LIMIT;
//   3. if aligned_alloc returns null, the pool compacts and retries, then
//      fails with OUT_OF_MEMORY. It never aborts.
// A failed allocation changes nothing but failed_allocations (and whatever a
// compaction it ran released).
//
// A Pool is not thread-safe: use one per thread, or guard it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensormem/options.hpp"
#include "tensormem/size_class.hpp"
#include "tensormem/stats.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define TENSORMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TENSORMEM_ASAN 1
#endif
#endif

#ifdef TENSORMEM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tensormem {

// The size_class of a large block.
inline constexpr std::uint32_t kLargeSizeClass = static_cast<std::uint32_t>(kSizeClassCount);

struct Block {
  std::byte* data = nullptr;
  std::size_t capacity = 0;      // usable bytes, >= the request
  std::uint32_t size_class = 0;  // kLargeSizeClass for large blocks
};

class Pool {
 public:
  // Returned by release() when the block's guard bytes were intact.
  static constexpr std::size_t kIntact = static_cast<std::size_t>(-1);
  // Debug mode reserves at least this many guard bytes after each request.
  static constexpr std::size_t kGuardBytes = 16;
  static constexpr std::byte kGuardByte{0xFD};
  static constexpr std::byte kPoisonByte{0xDD};
  // Large blocks kept for reuse at most (beside the byte budget).
  static constexpr std::size_t kMaxCachedLargeBlocks = 32;
  // A miss first takes a cached block of one of this many next-larger small
  // classes (<= ~26% more bytes) before reserving a new one.
  static constexpr std::size_t kFallbackClasses = 2;

  // Throws INVALID_ARGUMENT for an option out of range.
  explicit Pool(PoolOptions options = {});
  // Returns every cached block. Blocks still in use belong to their owners.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A 64-byte aligned block of at least `bytes` (0 counts as 1).
  // Throws MEMORY_LIMIT or OUT_OF_MEMORY; nothing changes but the counters.
  [[nodiscard]] Block allocate(std::size_t bytes);

  // Gives back a block from allocate(); `requested` is the size it was asked
  // for. The block is cached or returned to the system allocator. In debug
  // mode returns the offset of the first overwritten guard byte (the block is
  // released all the same), otherwise kIntact.
  std::size_t release(Block block, std::size_t requested) noexcept;

  // Returns every cached block to the system allocator; the bytes released.
  std::size_t compact() noexcept;

  // Every counter, assembled from the pool's own state: the fast paths keep
  // only what they must (see the members below), the rest is derived here.
  // bytes_requested is 0: the pool does not keep requests (Storage does).
  [[nodiscard]] Stats stats() const noexcept;
  [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }

  // The totals stats() reports, read without assembling it (a history records them with every event).
  [[nodiscard]] std::size_t bytes_in_use() const noexcept { return bytes_in_use_; }
  [[nodiscard]] std::size_t bytes_reserved() const noexcept { return bytes_reserved_; }
  [[nodiscard]] std::size_t bytes_released() const noexcept { return bytes_released_; }
  // The capacity of the block a miss for `bytes` reserves (allocate_slow's rounding), or 0 past any block size.
  [[nodiscard]] std::size_t block_bytes_for(std::size_t bytes) const noexcept {
    if (bytes > ~std::size_t{0} - kLargePageBytes - guard_bytes_) return 0;
    const std::size_t need = bytes + guard_bytes_ == 0 ? 1 : bytes + guard_bytes_;
    return need <= kMaxSmallBytes ? detail::kSizeClassBytes[size_class_of(need)] : detail::round_up(need, kLargePageBytes);
  }

  // Walks every free list and recounts; an empty string when the counters
  // agree with the lists, otherwise what disagrees. In debug mode it also
  // checks that cached blocks still hold their poison (nothing wrote to
  // freed memory).
  [[nodiscard]] std::string check_invariants() const;

  // Counts a release that failed where no caller could be told (a
  // destructor); see Stats::failed_releases.
  void count_failed_release() noexcept { ++failed_releases_; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  // Per small class, what the fast paths touch, side by side: in use, cached
  // and the totals are derived from these plus the slow-path counters.
  struct ClassState {
    FreeBlock* head = nullptr;
    std::size_t hits = 0;
    std::size_t frees = 0;
  };
  // Per class (and for large blocks), what only the slow paths touch.
  struct SlowCounters {
    std::size_t misses = 0;
    std::size_t released = 0;  // blocks returned to the system allocator
  };

  // Whether a block being released may stay cached: the cache budget is
  // max(min_cache_bytes, cache_ratio * bytes in use), with the multiply only
  // past the first bound. Called after bytes_in_use_ has dropped by the
  // block, which is then already inside reserved - in use.
  [[nodiscard]] bool cache_keeps_released_block() const noexcept {
    const std::size_t cached_with_block = bytes_reserved_ - bytes_in_use_;
    if (cached_with_block <= options_.min_cache_bytes) [[likely]] return true;
    return cached_with_block <= static_cast<std::size_t>((std::uint64_t{bytes_in_use_} * cache_ratio_q16_) >> 16);
  }

  Block allocate_slow(std::size_t bytes);
  std::byte* reserve(std::size_t capacity, std::size_t requested);
  // Scalars, not a Block: a Block passed by reference escapes to the stack
  // on the fast path, where reloading it stalls on store forwarding.
  void release_slow(std::byte* data, std::size_t capacity, std::uint32_t size_class) noexcept;
  void count_in_use(std::size_t capacity) noexcept;
  // Every hit, whichever cache it came from, ends here (the caller counts the
  // hit in its own class). Scalars, so nothing escapes on the fast path.
  void hand_out_cached(std::byte* data, std::size_t capacity, std::size_t bytes) noexcept;
  void debug_prepare(std::byte* data, std::size_t capacity, std::size_t bytes, bool reused) noexcept;
  std::size_t debug_check_and_poison(std::byte* data, std::size_t capacity, std::size_t requested) noexcept;
  [[nodiscard]] bool poison_intact(const std::byte* data, std::size_t capacity) const noexcept;
  void free_to_system(Block block) noexcept;
  [[nodiscard]] std::size_t cached_bytes() const noexcept { return bytes_reserved_ - bytes_in_use_; }

  static void poison_for_asan(std::byte* data, std::size_t capacity) noexcept {
#ifdef TENSORMEM_ASAN
    ASAN_POISON_MEMORY_REGION(data + sizeof(FreeBlock), capacity - sizeof(FreeBlock));
#else
    (void)data, (void)capacity;
#endif
  }
  static void unpoison_for_asan(std::byte* data, std::size_t capacity) noexcept {
#ifdef TENSORMEM_ASAN
    ASAN_UNPOISON_MEMORY_REGION(data, capacity);
#else
    (void)data, (void)capacity;
#endif
  }

  PoolOptions options_;
  std::size_t guard_bytes_;          // kGuardBytes in debug mode, else 0
  std::size_t max_small_request_;    // kMaxSmallBytes - guard_bytes_
  std::size_t threshold_bytes_;      // compact_threshold * max_bytes
  std::uint64_t cache_ratio_q16_;    // cache_ratio in 16.16 fixed point

  // Hot: touched by every allocation and release.
  std::array<ClassState, kSizeClassCount> classes_{};
  std::size_t bytes_in_use_ = 0;
  std::size_t peak_bytes_in_use_ = 0;
  std::size_t bytes_reserved_ = 0;   // in use + cached; changes only on the slow paths
  std::array<SlowCounters, kSizeClassCount> slow_{};

  // Slow paths only.
  std::vector<Block> large_cache_;   // capacity reserved up front: pushes never allocate
  struct {
    std::size_t hits = 0, misses = 0, frees = 0, released = 0;
  } large_;
  std::size_t peak_bytes_reserved_ = 0;
  std::size_t compactions_ = 0;
  std::size_t bytes_released_ = 0;
  std::size_t failed_allocations_ = 0;
  std::size_t guard_violations_ = 0;
  std::size_t failed_releases_ = 0;
};

// ---- hot paths ------------------------------------------------------------

inline Block Pool::allocate(std::size_t bytes) {
  if (bytes <= max_small_request_) [[likely]] {
    const std::size_t size_class = size_class_of(bytes + guard_bytes_);
    ClassState& state = classes_[size_class];
    if (FreeBlock* head = state.head) [[likely]] {
      const Block block{reinterpret_cast<std::byte*>(head), detail::kSizeClassBytes[size_class],
                        static_cast<std::uint32_t>(size_class)};
      state.head = head->next;
      ++state.hits;
      hand_out_cached(block.data, block.capacity, bytes);
      return block;
    }
  }
  return allocate_slow(bytes);
}

inline std::size_t Pool::release(Block block, std::size_t requested) noexcept {
  std::size_t overwritten = kIntact;
  if (options_.debug) [[unlikely]] overwritten = debug_check_and_poison(block.data, block.capacity, requested);
  bytes_in_use_ -= block.capacity;
  if (block.size_class < kLargeSizeClass && cache_keeps_released_block()) [[likely]] {
    ClassState& state = classes_[block.size_class];
    ++state.frees;
    auto* node = reinterpret_cast<FreeBlock*>(block.data);
    node->next = state.head;
    state.head = node;
    poison_for_asan(block.data, block.capacity);
  } else {
    release_slow(block.data, block.capacity, block.size_class);
  }
  return overwritten;
}

inline void Pool::count_in_use(std::size_t capacity) noexcept {
  bytes_in_use_ += capacity;
  if (bytes_in_use_ > peak_bytes_in_use_) peak_bytes_in_use_ = bytes_in_use_;
}

inline void Pool::hand_out_cached(std::byte* data, std::size_t capacity, std::size_t bytes) noexcept {
  unpoison_for_asan(data, capacity);
  count_in_use(capacity);
  if (options_.debug) [[unlikely]] debug_prepare(data, capacity, bytes, /*reused=*/true);
}

}  // namespace tensormem
