// The pool's slow paths: misses, the limit, compaction, debug checks.
#include "tensormem/pool.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

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
  return limit == kUnlimited ? std::string("none") : detail::format("{} bytes", limit);
}

}  // namespace

Pool::Pool(PoolOptions options)
    : options_(options),
      guard_bytes_(options.debug ? kGuardBytes : 0),
      max_small_request_(kMaxSmallBytes - guard_bytes_) {
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
}

Pool::~Pool() { compact(); }

Block Pool::allocate_slow(std::size_t bytes) {
  if (bytes > kMaxRequestBytes - guard_bytes_) {
    ++failed_allocations_;
    detail::raise(ErrorCode::kOutOfMemory,
                  "Out of memory: requested {} bytes, more than the largest block the pool can "
                  "represent ({} bytes)",
                  bytes, kMaxRequestBytes - guard_bytes_);
  }
  const std::size_t need = std::max<std::size_t>(bytes + guard_bytes_, 1);

  Block block;
  if (need <= kMaxSmallBytes) {
    // The class's free list is empty: allocate() only comes here on a miss.
    block.size_class = static_cast<std::uint32_t>(size_class_of(need));
    block.capacity = detail::kSizeClassBytes[block.size_class];
    // Before reserving a new block, reuse a cached block of one of the next
    // kFallbackClasses classes (each at most 12.5% larger than the one before).
    const std::size_t last = std::min<std::size_t>(block.size_class + kFallbackClasses, kSizeClassCount - 1);
    for (std::size_t c = block.size_class + 1; c <= last; ++c) {
      ClassState& state = classes_[c];
      if (FreeBlock* head = state.head) {
        state.head = head->next;
        ++state.hits;
        block = Block{reinterpret_cast<std::byte*>(head), detail::kSizeClassBytes[c], static_cast<std::uint32_t>(c)};
        hand_out_cached(block.data, block.capacity, bytes);
        return block;
      }
    }
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
      ++large_.hits;
      hand_out_cached(block.data, block.capacity, bytes);
      return block;
    }
  }
  block.data = reserve(block.capacity, bytes);
  ++(block.size_class == kLargeSizeClass ? large_.misses : slow_[block.size_class].misses);
  bytes_reserved_ += block.capacity;
  peak_bytes_reserved_ = std::max(peak_bytes_reserved_, bytes_reserved_);
  count_in_use(block.capacity);
  if (options_.debug) debug_prepare(block.data, block.capacity, bytes, /*reused=*/false);
  return block;
}

std::byte* Pool::reserve(std::size_t capacity, std::size_t requested) {
  if (options_.auto_compact && cached_bytes() > 0 && exceeds(bytes_reserved_, capacity, threshold_bytes_)) {
    compact();
  }
  if (exceeds(bytes_reserved_, capacity, options_.max_bytes)) {
    compact();  // retry after trimming the cache
    if (exceeds(bytes_reserved_, capacity, options_.max_bytes)) {
      ++failed_allocations_;
      detail::raise(ErrorCode::kMemoryLimit,
                    "Memory limit exceeded: requested {} bytes (block of {}), {} bytes in use, {} bytes "
                    "cached, limit {} bytes",
                    requested, capacity, bytes_in_use_, cached_bytes(), options_.max_bytes);
    }
  }
  void* data = std::aligned_alloc(kBlockAlignment, capacity);
  if (data == nullptr && cached_bytes() > 0) {
    compact();
    data = std::aligned_alloc(kBlockAlignment, capacity);
  }
  if (data == nullptr) {
    ++failed_allocations_;
    detail::raise(ErrorCode::kOutOfMemory,
                  "Out of memory: the system allocator could not provide {} bytes (block of {}); {} "
                  "bytes in use, {} bytes cached, limit {}",
                  requested, capacity, bytes_in_use_, cached_bytes(), limit_text(options_.max_bytes));
  }
  return static_cast<std::byte*>(data);
}

void Pool::release_slow(std::byte* data, std::size_t capacity, std::uint32_t size_class) noexcept {
  const Block block{data, capacity, size_class};
  if (block.size_class < kLargeSizeClass) {
    ++classes_[block.size_class].frees;  // over the cache budget
  } else {
    ++large_.frees;
    if (large_cache_.size() < kMaxCachedLargeBlocks && cache_keeps_released_block()) {
      large_cache_.push_back(block);  // never allocates: capacity reserved in the constructor
      poison_for_asan(block.data, block.capacity);
      return;
    }
  }
  free_to_system(block);
}

void Pool::free_to_system(Block block) noexcept {
  ++(block.size_class == kLargeSizeClass ? large_.released : slow_[block.size_class].released);
  bytes_reserved_ -= block.capacity;
  bytes_released_ += block.capacity;
  std::free(block.data);
}

std::size_t Pool::compact() noexcept {
  std::size_t released = 0;
  auto give_back = [&](const Block& block) {
    unpoison_for_asan(block.data, block.capacity);
    if (options_.debug && !poison_intact(block.data, block.capacity)) ++guard_violations_;
    free_to_system(block);
    released += block.capacity;
  };
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    FreeBlock* node = std::exchange(classes_[c].head, nullptr);
    while (node != nullptr) {
      FreeBlock* next = node->next;
      give_back(Block{reinterpret_cast<std::byte*>(node), detail::kSizeClassBytes[c], static_cast<std::uint32_t>(c)});
      node = next;
    }
  }
  for (const Block& block : large_cache_) give_back(block);
  large_cache_.clear();
  if (released > 0) ++compactions_;
  return released;
}

Stats Pool::stats() const noexcept {
  Stats stats;
  auto add = [&stats](SizeClassStats& out, std::size_t hits, std::size_t misses, std::size_t frees,
                      std::size_t released) {
    out.hits = hits;
    out.misses = misses;
    out.in_use = hits + misses - frees;           // every block handed out and not yet given back
    out.cached = misses - released - out.in_use;  // every block made, neither in use nor returned
    stats.live_buffers += out.in_use;
    stats.allocations += hits + misses;
    stats.frees += frees;
    stats.pool_hits += hits;
    stats.pool_misses += misses;
  };
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    stats.size_classes[c].block_bytes = detail::kSizeClassBytes[c];
    add(stats.size_classes[c], classes_[c].hits, slow_[c].misses, classes_[c].frees, slow_[c].released);
  }
  add(stats.large, large_.hits, large_.misses, large_.frees, large_.released);
  stats.bytes_in_use = bytes_in_use_;
  stats.bytes_cached = cached_bytes();
  stats.bytes_reserved = bytes_reserved_;
  stats.peak_bytes_in_use = peak_bytes_in_use_;
  stats.peak_bytes_reserved = peak_bytes_reserved_;
  stats.max_bytes = options_.max_bytes;
  stats.compactions = compactions_;
  stats.bytes_released = bytes_released_;
  stats.failed_allocations = failed_allocations_;
  stats.guard_violations = guard_violations_;
  stats.failed_releases = failed_releases_;
  return stats;
}

// ---- debug mode -----------------------------------------------------------

void Pool::debug_prepare(std::byte* data, std::size_t capacity, std::size_t bytes, bool reused) noexcept {
  // A reused block must still hold the poison written when it was freed;
  // anything else is a write through a dangling pointer.
  if (reused && !poison_intact(data, capacity)) ++guard_violations_;
  std::memset(data + bytes, static_cast<int>(kGuardByte), capacity - bytes);
}

std::size_t Pool::debug_check_and_poison(std::byte* data, std::size_t capacity, std::size_t requested) noexcept {
  std::size_t overwritten = kIntact;
  for (std::size_t i = requested; i < capacity; ++i) {
    if (data[i] != kGuardByte) {
      overwritten = i;
      ++guard_violations_;
      break;
    }
  }
  std::memset(data, static_cast<int>(kPoisonByte), capacity);
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
  const Stats stats = this->stats();
  std::size_t listed_bytes = 0;
  std::size_t in_use_bytes = 0;
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    const std::size_t block_bytes = detail::kSizeClassBytes[c];
    std::size_t blocks = 0;
    for (const FreeBlock* node = classes_[c].head; node != nullptr; node = node->next) {  // the link word is never poisoned
      auto* data = const_cast<std::byte*>(reinterpret_cast<const std::byte*>(node));
      if (reinterpret_cast<std::uintptr_t>(data) % kBlockAlignment != 0) {
        report(detail::format("class {} holds a block at {} that is not {}-byte aligned", c, static_cast<void*>(data),
                              kBlockAlignment));
      }
      if (options_.debug) {
        unpoison_for_asan(data, block_bytes);
        const bool intact = poison_intact(data, block_bytes);
        poison_for_asan(data, block_bytes);
        if (!intact) report(detail::format("cached block {} of class {} was written after it was freed", static_cast<void*>(data), c));
      }
      ++blocks;
    }
    const SizeClassStats& counts = stats.size_classes[c];
    if (blocks != counts.cached) report(detail::format("class {} lists {} cached blocks, counters say {}", c, blocks, counts.cached));
    listed_bytes += blocks * block_bytes;
    in_use_bytes += counts.in_use * block_bytes;
  }
  if (large_cache_.size() != stats.large.cached) {
    report(detail::format("{} large blocks cached, counters say {}", large_cache_.size(), stats.large.cached));
  }
  for (const Block& block : large_cache_) listed_bytes += block.capacity;
  if (listed_bytes != stats.bytes_cached) report(detail::format("cached blocks hold {} bytes, counters say {}", listed_bytes, stats.bytes_cached));
  if (in_use_bytes > stats.bytes_in_use) report(detail::format("small blocks in use hold {} bytes, more than bytes_in_use {}", in_use_bytes, stats.bytes_in_use));
  if (stats.bytes_reserved > options_.max_bytes) report(detail::format("bytes_reserved {} exceeds max_bytes {}", stats.bytes_reserved, options_.max_bytes));
  if (stats.peak_bytes_in_use < stats.bytes_in_use || stats.peak_bytes_reserved < stats.bytes_reserved) {
    report(detail::format("a peak is below its current value (in use {} / peak {}, reserved {} / peak {})", stats.bytes_in_use,
                          stats.peak_bytes_in_use, stats.bytes_reserved, stats.peak_bytes_reserved));
  }
  return problems;
}

}  // namespace tensormem
