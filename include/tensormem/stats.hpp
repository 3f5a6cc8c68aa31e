// Memory statistics: every counter is defined once, in TENSORMEM_STATS_FIELDS,
// which generates both the struct members and the JSON dump.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "tensormem/size_class.hpp"

namespace tensormem {

// X(name, description). Byte counts are block capacities unless noted.
#define TENSORMEM_STATS_FIELDS(X)                                                        \
  X(bytes_in_use, "bytes in blocks held by live buffers")                               \
  X(bytes_requested, "bytes the live buffers asked for (Storage; a bare Pool says 0)") \
  X(bytes_cached, "bytes in free blocks kept for reuse")                                \
  X(bytes_reserved, "bytes taken from the system allocator: in use + cached")           \
  X(peak_bytes_in_use, "highest bytes_in_use so far")                                   \
  X(peak_bytes_reserved, "highest bytes_reserved so far")                               \
  X(max_bytes, "the hard limit on bytes_reserved (SIZE_MAX: none)")                     \
  X(live_buffers, "buffers allocated and not yet released")                            \
  X(allocations, "successful allocations")                                              \
  X(frees, "blocks given back by their last owner")                                     \
  X(pool_hits, "allocations served from a cached block")                                \
  X(pool_misses, "allocations that reserved a new block from the system allocator")    \
  X(compactions, "compactions that returned cached blocks to the system allocator")    \
  X(bytes_released, "bytes returned to the system allocator (compaction and cache cap)") \
  X(failed_allocations, "allocations that failed with MEMORY_LIMIT or OUT_OF_MEMORY")   \
  X(guard_violations, "debug mode: blocks whose guard bytes were overwritten")          \
  X(failed_releases, "releases that failed (stale handle) where no caller could be told")

struct SizeClassStats {
  std::size_t block_bytes = 0;  // 0 for the large-block entry: sizes vary
  std::size_t in_use = 0;       // blocks
  std::size_t cached = 0;       // blocks
  std::size_t hits = 0;
  std::size_t misses = 0;
};

struct Stats {
#define TENSORMEM_STATS_MEMBER(name, description) std::size_t name = 0;
  TENSORMEM_STATS_FIELDS(TENSORMEM_STATS_MEMBER)
#undef TENSORMEM_STATS_MEMBER

  std::array<SizeClassStats, kSizeClassCount> size_classes{};
  SizeClassStats large{};

  // One JSON object: every counter above (max_bytes is null when unlimited),
  // then "size_classes": the classes that have seen any block, and "large".
  [[nodiscard]] std::string to_json() const;
};

}  // namespace tensormem
