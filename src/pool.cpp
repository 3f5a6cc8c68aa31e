// The pool's slow paths: misses, the limit, compaction, debug checks.
#include "tensormem/pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "tensormem/error.hpp"

namespace tensormem {
namespace {

// The largest request the pool accepts: anything above cannot be rounded
// without overflow, and no system allocator could provide it anyway.
constexpr std::size_t kMaxRequestBytes = (static_cast<std::size_t>(-1) >> 1) & ~(kLargePageBytes - 1);

// True when reserved + more would pass limit, without overflowing.
constexpr bool exceeds(std::size_t reserved, std::size_t more, std::size_t limit) noexcept {
  return more > limit || reserved > limit - more;
}

std::string limit_text(std::size_t limit) {
  return limit == kUnlimited ? std::string("none") : fmt::format("{} bytes", limit);
}

}  // namespace

Pool::Pool(PoolOptions options) : options_(options) {
  if (!(options.compact_threshold > 0.0 && options.compact_threshold <= 1.0)) {
    detail::raise(ErrorCode::kInvalidArgument, "compact_threshold must be in (0, 1], got {}",
                  options.compact_threshold);
  }
  if (!(options.cache_ratio >= 0.0 && options.cache_ratio <= 1024.0)) {
    detail::raise(ErrorCode::kInvalidArgument, "cache_ratio must be in [0, 1024], got {}", options.cache_ratio);
  }
  if (options.max_bytes == 0) {
    detail::raise(ErrorCode::kInvalidArgument, "max_bytes must be at least 1 byte, got 0");
  }
  threshold_bytes_ = options.max_bytes == kUnlimited
                         ? kUnlimited
                         : static_cast<std::size_t>(std::floor(static_cast<double>(options.max_bytes) *
                                                               options.compact_threshold));
  cache_ratio_q16_ = static_cast<std::uint64_t>(std::llround(options.cache_ratio * 65536.0));
  large_cache_.reserve(kMaxCachedLargeBlocks);
  for (std::size_t c = 0; c < kSizeClassCount; ++c) stats_.size_classes[c].block_bytes = size_class_bytes(c);
  stats_.max_bytes = options.max_bytes;
}

Pool::~Pool() { compact(); }

Block Pool::allocate_slow(std::size_t bytes) {
  const std::size_t guard = options_.debug ? kGuardBytes : 0;
  if (bytes > kMaxRequestBytes - guard) {
    ++stats_.failed_allocations;
    detail::raise(ErrorCode::kOutOfMemory,
                  "Out of memory: requested {} bytes, more than the largest block the pool can "
                  "represent ({} bytes)",
                  bytes, kMaxRequestBytes - guard);
  }
  const std::size_t need = std::max<std::size_t>(bytes + guard, 1);

  Block block;
  if (need <= kMaxSmallBytes) {
    // The class's free list is empty: allocate() only comes here on a miss.
    block.size_class = static_cast<std::uint32_t>(size_class_of(need));
    block.capacity = size_class_bytes(block.size_class);
  } else {
    block.size_class = kLargeSizeClass;
    block.capacity = detail::round_up(need, kLargePageBytes);
    // Best fit among cached large blocks, wasting at most 12.5%.
    auto best = large_cache_.end();
    for (auto it = large_cache_.begin(); it != large_cache_.end(); ++it) {
      if (it->capacity >= block.capacity && it->capacity - block.capacity <= block.capacity / 8 &&
          (best == large_cache_.end() || it->capacity < best->capacity)) {
        best = it;
      }
    }
    if (best != large_cache_.end()) {
      block = *best;
      *best = large_cache_.back();
      large_cache_.pop_back();
      unpoison_for_asan(block.data, block.capacity);
      count_allocation(block, bytes, /*hit=*/true);
      if (options_.debug) debug_prepare(block, bytes, /*reused=*/true);
      return block;
    }
  }
  block.data = reserve(block.capacity, bytes);
  count_allocation(block, bytes, /*hit=*/false);
  if (options_.debug) debug_prepare(block, bytes, /*reused=*/false);
  return block;
}

std::byte* Pool::reserve(std::size_t capacity, std::size_t requested) {
  if (options_.auto_compact && stats_.bytes_cached > 0 &&
      exceeds(stats_.bytes_reserved, capacity, threshold_bytes_)) {
    compact();
  }
  if (exceeds(stats_.bytes_reserved, capacity, options_.max_bytes)) {
    compact();  // retry after trimming the cache
    if (exceeds(stats_.bytes_reserved, capacity, options_.max_bytes)) {
      ++stats_.failed_allocations;
      detail::raise(ErrorCode::kMemoryLimit,
                    "Memory limit exceeded: requested {} bytes (block of {}), {} bytes in use, {} bytes "
                    "cached, limit {} bytes",
                    requested, capacity, stats_.bytes_in_use, stats_.bytes_cached, options_.max_bytes);
    }
  }
  void* data = std::aligned_alloc(kBlockAlignment, capacity);
  if (data == nullptr && stats_.bytes_cached > 0) {
    compact();
    data = std::aligned_alloc(kBlockAlignment, capacity);
  }
  if (data == nullptr) {
    ++stats_.failed_allocations;
    detail::raise(ErrorCode::kOutOfMemory,
                  "Out of memory: the system allocator could not provide {} bytes (block of {}); {} "
                  "bytes in use, {} bytes cached, limit {}",
                  requested, capacity, stats_.bytes_in_use, stats_.bytes_cached, limit_text(options_.max_bytes));
  }
  return static_cast<std::byte*>(data);
}

void Pool::release_slow(Block block) noexcept {
  SizeClassStats& counts = block.size_class < kLargeSizeClass ? stats_.size_classes[block.size_class] : stats_.large;
  --counts.in_use;
  if (block.size_class == kLargeSizeClass && large_cache_.size() < kMaxCachedLargeBlocks &&
      cache_has_room(block.capacity)) {
    ++counts.cached;
    stats_.bytes_cached += block.capacity;
    large_cache_.push_back(block);  // never allocates: capacity reserved in the constructor
    poison_for_asan(block.data, block.capacity);
    return;
  }
  free_to_system(block);
}

void Pool::free_to_system(Block block) noexcept {
  stats_.bytes_reserved -= block.capacity;
  stats_.bytes_released += block.capacity;
  std::free(block.data);
}

std::size_t Pool::compact() noexcept {
  std::size_t released = 0;
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    FreeBlock* node = free_lists_[c];
    free_lists_[c] = nullptr;
    while (node != nullptr) {
      FreeBlock* next = node->next;
      const Block block{reinterpret_cast<std::byte*>(node), size_class_bytes(c), static_cast<std::uint32_t>(c)};
      unpoison_for_asan(block.data, block.capacity);
      if (options_.debug && !poison_intact(block.data, block.capacity)) ++stats_.guard_violations;
      --stats_.size_classes[c].cached;
      free_to_system(block);
      released += block.capacity;
      node = next;
    }
  }
  for (const Block& block : large_cache_) {
    unpoison_for_asan(block.data, block.capacity);
    if (options_.debug && !poison_intact(block.data, block.capacity)) ++stats_.guard_violations;
    --stats_.large.cached;
    free_to_system(block);
    released += block.capacity;
  }
  large_cache_.clear();
  stats_.bytes_cached -= released;
  if (released > 0) ++stats_.compactions;
  return released;
}

// ---- debug mode -----------------------------------------------------------

void Pool::debug_prepare(const Block& block, std::size_t bytes, bool reused) noexcept {
  // A reused block must still hold the poison written when it was freed;
  // anything else is a write through a dangling pointer.
  if (reused && !poison_intact(block.data, block.capacity)) ++stats_.guard_violations;
  std::memset(block.data + bytes, static_cast<int>(kGuardByte), block.capacity - bytes);
}

std::size_t Pool::debug_check_and_poison(const Block& block, std::size_t requested) noexcept {
  std::size_t overwritten = kIntact;
  for (std::size_t i = requested; i < block.capacity; ++i) {
    if (block.data[i] != kGuardByte) {
      overwritten = i;
      ++stats_.guard_violations;
      break;
    }
  }
  std::memset(block.data, static_cast<int>(kPoisonByte), block.capacity);
  return overwritten;
}

bool Pool::poison_intact(const std::byte* data, std::size_t capacity) const noexcept {
  // The first word of a cached block holds the free-list link.
  for (std::size_t i = sizeof(FreeBlock); i < capacity; ++i) {
    if (data[i] != kPoisonByte) return false;
  }
  return true;
}

std::string Pool::check_invariants() const {
  std::string problems;
  auto report = [&problems](const std::string& problem) {
    if (!problems.empty()) problems += "; ";
    problems += problem;
  };
  std::size_t cached_bytes = 0;
  std::size_t in_use_bytes = 0;
  std::size_t live = 0;
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    std::size_t blocks = 0;
    for (const FreeBlock* node = free_lists_[c]; node != nullptr;) {
      const auto* data = reinterpret_cast<const std::byte*>(node);
      const FreeBlock* next = node->next;  // the link word is never poisoned
      if (reinterpret_cast<std::uintptr_t>(data) % kBlockAlignment != 0) {
        report(fmt::format("class {} holds a block at {} that is not {}-byte aligned", c, static_cast<const void*>(data),
               kBlockAlignment));
      }
      if (options_.debug) {
        unpoison_for_asan(const_cast<std::byte*>(data), size_class_bytes(c));
        if (!poison_intact(data, size_class_bytes(c))) {
          report(fmt::format("cached block {} of class {} was written after it was freed", static_cast<const void*>(data), c));
        }
        poison_for_asan(const_cast<std::byte*>(data), size_class_bytes(c));
      }
      ++blocks;
      node = next;
    }
    const SizeClassStats& counts = stats_.size_classes[c];
    if (blocks != counts.cached) report(fmt::format("class {} lists {} cached blocks, stats say {}", c, blocks, counts.cached));
    cached_bytes += blocks * size_class_bytes(c);
    in_use_bytes += counts.in_use * size_class_bytes(c);
    live += counts.in_use;
  }
  if (large_cache_.size() != stats_.large.cached) {
    report(fmt::format("{} large blocks cached, stats say {}", large_cache_.size(), stats_.large.cached));
  }
  for (const Block& block : large_cache_) cached_bytes += block.capacity;
  live += stats_.large.in_use;
  if (cached_bytes != stats_.bytes_cached) report(fmt::format("cached blocks hold {} bytes, stats say {}", cached_bytes, stats_.bytes_cached));
  if (live != stats_.live_buffers) report(fmt::format("{} blocks in use by class, stats say {} live", live, stats_.live_buffers));
  if (in_use_bytes > stats_.bytes_in_use) report(fmt::format("small blocks in use hold {} bytes, more than bytes_in_use {}", in_use_bytes, stats_.bytes_in_use));
  if (stats_.bytes_reserved != stats_.bytes_in_use + stats_.bytes_cached) {
    report(fmt::format("bytes_reserved {} != in use {} + cached {}", stats_.bytes_reserved, stats_.bytes_in_use, stats_.bytes_cached));
  }
  if (stats_.bytes_reserved > options_.max_bytes) report(fmt::format("bytes_reserved {} exceeds max_bytes {}", stats_.bytes_reserved, options_.max_bytes));
  if (stats_.bytes_requested > stats_.bytes_in_use) report(fmt::format("bytes_requested {} exceeds bytes_in_use {}", stats_.bytes_requested, stats_.bytes_in_use));
  if (stats_.allocations - stats_.frees != stats_.live_buffers) {
    report(fmt::format("allocations {} - frees {} != live {}", stats_.allocations, stats_.frees, stats_.live_buffers));
  }
  return problems;
}

}  // namespace tensormem
