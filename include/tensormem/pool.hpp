// The pool: a block allocator with size classes, a hard limit and compaction.
//
// Blocks are 64-byte aligned. Small blocks (<= 1 MiB) are kept, once freed, on
// an intrusive free list per size class; large blocks are cached by size and
// reused for requests up to 12.5% smaller. Every block comes from the system
// allocator (aligned_alloc) one at a time, so compaction can hand any cached
// block straight back.
//
// Allocation order: a cached block if there is one (a hit); otherwise a new
// block from the system allocator (a miss), after
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

  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }

  // Walks every free list and recounts; an empty string when the counters
  // agree with the lists, otherwise what disagrees. In debug mode it also
  // checks that cached blocks still hold their poison (nothing wrote to
  // freed memory).
  [[nodiscard]] std::string check_invariants() const;

  // Counts a release that failed where no caller could be told (a
  // destructor); see Stats::failed_releases.
  void count_failed_release() noexcept { ++stats_.failed_releases; }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  [[nodiscard]] bool cache_has_room(std::size_t capacity) const noexcept {
    const std::size_t proportional =
        static_cast<std::size_t>((std::uint64_t{stats_.bytes_in_use} * cache_ratio_q16_) >> 16);
    const std::size_t budget = proportional > options_.min_cache_bytes ? proportional : options_.min_cache_bytes;
    return stats_.bytes_cached + capacity <= budget;
  }

  Block allocate_slow(std::size_t bytes);
  std::byte* reserve(std::size_t capacity, std::size_t requested);
  void release_slow(Block block) noexcept;
  void count_allocation(const Block& block, std::size_t bytes, bool hit) noexcept;
  void debug_prepare(const Block& block, std::size_t bytes, bool reused) noexcept;
  std::size_t debug_check_and_poison(const Block& block, std::size_t requested) noexcept;
  [[nodiscard]] bool poison_intact(const std::byte* data, std::size_t capacity) const noexcept;
  void free_to_system(Block block) noexcept;

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
  std::size_t threshold_bytes_;         // compact_threshold * max_bytes
  std::uint64_t cache_ratio_q16_;       // cache_ratio in 16.16 fixed point
  std::array<FreeBlock*, kSizeClassCount> free_lists_{};
  std::vector<Block> large_cache_;      // capacity reserved up front: pushes never allocate
  Stats stats_;
};

// ---- hot paths ------------------------------------------------------------

inline Block Pool::allocate(std::size_t bytes) {
  const std::size_t guard = options_.debug ? kGuardBytes : 0;
  if (bytes <= kMaxSmallBytes - guard) [[likely]] {
    const std::size_t size_class = size_class_of(bytes + guard);
    if (FreeBlock* head = free_lists_[size_class]) [[likely]] {
      const Block block{reinterpret_cast<std::byte*>(head), size_class_bytes(size_class),
                        static_cast<std::uint32_t>(size_class)};
      free_lists_[size_class] = head->next;
      unpoison_for_asan(block.data, block.capacity);
      count_allocation(block, bytes, /*hit=*/true);
      if (options_.debug) [[unlikely]] debug_prepare(block, bytes, /*reused=*/true);
      return block;
    }
  }
  return allocate_slow(bytes);
}

inline std::size_t Pool::release(Block block, std::size_t requested) noexcept {
  std::size_t overwritten = kIntact;
  if (options_.debug) [[unlikely]] overwritten = debug_check_and_poison(block, requested);
  stats_.bytes_in_use -= block.capacity;
  stats_.bytes_requested -= requested;
  --stats_.live_buffers;
  ++stats_.frees;
  if (block.size_class < kLargeSizeClass && cache_has_room(block.capacity)) [[likely]] {
    SizeClassStats& counts = stats_.size_classes[block.size_class];
    --counts.in_use;
    ++counts.cached;
    stats_.bytes_cached += block.capacity;
    auto* node = reinterpret_cast<FreeBlock*>(block.data);
    node->next = free_lists_[block.size_class];
    free_lists_[block.size_class] = node;
    poison_for_asan(block.data, block.capacity);
  } else {
    release_slow(block);
  }
  return overwritten;
}

inline void Pool::count_allocation(const Block& block, std::size_t bytes, bool hit) noexcept {
  SizeClassStats& counts = block.size_class < kLargeSizeClass ? stats_.size_classes[block.size_class] : stats_.large;
  ++counts.in_use;
  ++stats_.live_buffers;
  ++stats_.allocations;
  stats_.bytes_in_use += block.capacity;
  stats_.bytes_requested += bytes;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  if (hit) {
    --counts.cached;
    ++counts.hits;
    ++stats_.pool_hits;
    stats_.bytes_cached -= block.capacity;
  } else {
    ++counts.misses;
    ++stats_.pool_misses;
    stats_.bytes_reserved += block.capacity;
    if (stats_.bytes_reserved > stats_.peak_bytes_reserved) stats_.peak_bytes_reserved = stats_.bytes_reserved;
  }
}

}  // namespace tensormem
