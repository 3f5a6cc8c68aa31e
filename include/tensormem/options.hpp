// Pool options: every knob, with its default, in one place.
#pragma once

#include <cstddef>
#include <limits>

namespace tensormem {

inline constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

struct PoolOptions {
  // Hard limit on bytes reserved from the system allocator: blocks in use plus
  // cached free blocks. An allocation that would pass it first compacts, then
  // retries, and only then fails with MEMORY_LIMIT. Default: no limit (in wasm
  // the heap's own maximum still applies and surfaces as OUT_OF_MEMORY).
  std::size_t max_bytes = kUnlimited;

  // Fraction of max_bytes, in (0, 1]. With auto_compact, an allocation that
  // must reserve new memory and would carry reserved bytes past this line first
  // returns all cached blocks to the system allocator.
  double compact_threshold = 0.8;

  // Compact automatically at compact_threshold (see above).
  bool auto_compact = true;

  // Cached free blocks are bounded so the pool cannot grow without limit even
  // when max_bytes is not set: a freed block is cached only while cached bytes
  // stay within max(min_cache_bytes, cache_ratio * bytes in use); otherwise it
  // goes straight back to the system allocator.
  double cache_ratio = 0.25;
  std::size_t min_cache_bytes = std::size_t{4} << 20;  // 4 MiB

  // Debug mode: freed blocks are poisoned (0xDD) and the poison is checked
  // when a block is reused or compacted (a changed byte is a write through a
  // dangling pointer); every block gets trailing guard bytes (0xFD) that are
  // checked on release. Both count in Stats::guard_violations. Costs time and
  // memory; off by default.
  bool debug = false;
};

}  // namespace tensormem
