#include "tensormem/pool.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tensormem/error.hpp"
#include "test_support.hpp"

namespace tensormem {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kMiB = 1024 * 1024;

bool aligned(const Block& block) { return reinterpret_cast<std::uintptr_t>(block.data) % kBlockAlignment == 0; }

TEST(Pool, BlocksAre64ByteAlignedAndFitTheRequest) {
  Pool pool;
  for (std::size_t bytes : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{1000},
                            std::size_t{4096}, std::size_t{100'000}, kMaxSmallBytes, kMaxSmallBytes + 1, 3 * kMiB + 5}) {
    const Block block = pool.allocate(bytes);
    EXPECT_TRUE(aligned(block)) << bytes;
    EXPECT_GE(block.capacity, bytes);
    if (bytes > kMaxSmallBytes) {
      EXPECT_EQ(block.size_class, kLargeSizeClass);
      EXPECT_EQ(block.capacity % kLargePageBytes, 0U);
      EXPECT_LT(block.capacity - bytes, kLargePageBytes);
    } else {
      EXPECT_EQ(block.capacity, size_class_bytes(size_class_of(bytes)));
    }
    std::memset(block.data, 0xAB, bytes);  // the whole request is writable
    pool.release(block, bytes);
  }
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, ZeroBytesGetsTheSmallestBlock) {
  Pool pool;
  const Block block = pool.allocate(0);
  EXPECT_NE(block.data, nullptr);
  EXPECT_EQ(block.capacity, kBlockAlignment);
  EXPECT_EQ(pool.stats().bytes_in_use, kBlockAlignment);
  pool.release(block, 0);
}

TEST(Pool, ReleasedBlockIsReusedForTheSameClass) {
  Pool pool;
  const Block first = pool.allocate(1000);
  pool.release(first, 1000);
  const Block second = pool.allocate(1024);  // same 1 KiB class
  EXPECT_EQ(second.data, first.data);
  EXPECT_EQ(pool.stats().pool_hits, 1U);
  EXPECT_EQ(pool.stats().pool_misses, 1U);
  pool.release(second, 1024);
}

TEST(Pool, AMissTakesACachedBlockUpToTwoClassesLargerBeforeReserving) {
  Pool pool;
  const Block larger = pool.allocate(1152);  // the class after 1 KiB
  pool.release(larger, 1152);
  const Block reused = pool.allocate(1000);  // 1 KiB class: empty, so the 1152-byte block serves
  EXPECT_EQ(reused.data, larger.data);
  EXPECT_EQ(reused.capacity, 1152U);
  EXPECT_EQ(pool.stats().pool_misses, 1U);
  EXPECT_EQ(pool.stats().bytes_reserved, 1152U);
  pool.release(reused, 1000);
  pool.compact();
  const Block far_larger = pool.allocate(1408);  // three classes above 1 KiB: too far
  pool.release(far_larger, 1408);
  const Block fresh = pool.allocate(1000);
  EXPECT_EQ(fresh.capacity, 1024U);
  EXPECT_EQ(pool.stats().pool_misses, 3U);
  pool.release(fresh, 1000);
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, ReuseAcrossAHundredCyclesReservesOneBlock) {
  Pool pool;
  for (int i = 0; i < 100; ++i) pool.release(pool.allocate(kMiB), kMiB);
  EXPECT_EQ(pool.stats().bytes_reserved, kMiB);
  EXPECT_EQ(pool.stats().pool_misses, 1U);
  EXPECT_EQ(pool.stats().pool_hits, 99U);
}

TEST(Pool, LargeBlocksAreReusedOnlyWithinOneEighthWaste) {
  Pool pool;
  const Block big = pool.allocate(4 * kMiB);
  pool.release(big, 4 * kMiB);
  const Block slightly_smaller = pool.allocate(4 * kMiB - 100 * kKiB);
  EXPECT_EQ(slightly_smaller.data, big.data);
  EXPECT_EQ(slightly_smaller.capacity, 4 * kMiB);
  EXPECT_EQ(pool.stats().large.hits, 1U);
  pool.release(slightly_smaller, 4 * kMiB - 100 * kKiB);
  const Block much_smaller = pool.allocate(3 * kMiB);
  EXPECT_EQ(much_smaller.capacity, 3 * kMiB);
  EXPECT_EQ(pool.stats().large.misses, 2U);
  pool.release(much_smaller, 3 * kMiB);
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, CachedBytesAreBoundedSoThePoolCannotGrowWithoutLimit) {
  Pool pool({.cache_ratio = 0.25, .min_cache_bytes = 0});
  std::vector<Block> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(pool.allocate(kKiB));
  for (const Block& block : blocks) pool.release(block, kKiB);
  // Only the first release fit the budget (a quarter of the 7 KiB then in use).
  EXPECT_EQ(pool.stats().bytes_cached, kKiB);
  EXPECT_EQ(pool.stats().bytes_reserved, kKiB);
  EXPECT_EQ(pool.stats().bytes_released, 7 * kKiB);
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, MemoryLimitErrorNamesRequestInUseCachedAndLimit) {
  Pool pool({.max_bytes = 10 * kMiB});
  std::vector<Block> blocks;
  for (int i = 0; i < 9; ++i) blocks.push_back(pool.allocate(kMiB));
  EXPECT_TM_ERROR((void)pool.allocate(2 * kMiB), ErrorCode::kMemoryLimit,
                  "Memory limit exceeded: requested 2097152 bytes (block of 2097152), 9437184 bytes in use, 0 "
                  "bytes cached, limit 10485760 bytes");
  EXPECT_EQ(pool.stats().failed_allocations, 1U);
  for (const Block& block : blocks) pool.release(block, kMiB);
}

TEST(Pool, FillingToTheLimitFailsAndStaysWithinIt) {
  // The classic memory-pressure test: 1 MiB chunks against a 10 MiB limit.
  Pool pool({.max_bytes = 10 * kMiB});
  std::vector<Block> blocks;
  bool failed = false;
  for (int i = 0; i < 20 && !failed; ++i) {
    try {
      blocks.push_back(pool.allocate(kMiB));
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::kMemoryLimit);
      failed = true;
    }
  }
  EXPECT_TRUE(failed);
  EXPECT_EQ(blocks.size(), 10U);
  EXPECT_LE(pool.stats().bytes_reserved, 10 * kMiB);
  // Survived: releasing one makes room again.
  pool.release(blocks.back(), kMiB);
  blocks.back() = pool.allocate(kMiB);
  for (const Block& block : blocks) pool.release(block, kMiB);
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, LimitCompactsTheCacheAndRetriesBeforeFailing) {
  Pool pool({.max_bytes = 4 * kMiB, .auto_compact = false});
  pool.release(pool.allocate(3 * kMiB), 3 * kMiB);
  ASSERT_EQ(pool.stats().bytes_cached, 3 * kMiB);
  const Block block = pool.allocate(2 * kMiB);  // 3 + 2 > 4: compact, then fits
  EXPECT_EQ(pool.stats().compactions, 1U);
  EXPECT_EQ(pool.stats().bytes_released, 3 * kMiB);
  EXPECT_EQ(pool.stats().bytes_reserved, 2 * kMiB);
  EXPECT_EQ(pool.stats().failed_allocations, 0U);
  pool.release(block, 2 * kMiB);
}

TEST(Pool, AutoCompactionRunsWhenReservingWouldCrossTheThreshold) {
  const std::size_t request = 5 * kMiB / 2;
  {
    Pool pool({.max_bytes = 10 * kMiB, .compact_threshold = 0.5});
    pool.release(pool.allocate(3 * kMiB), 3 * kMiB);
    const Block block = pool.allocate(request);  // 3 + 2.5 > 5
    EXPECT_EQ(pool.stats().compactions, 1U);
    EXPECT_EQ(pool.stats().bytes_reserved, request);
    pool.release(block, request);
  }
  {
    Pool pool({.max_bytes = 10 * kMiB, .compact_threshold = 0.5, .auto_compact = false});
    pool.release(pool.allocate(3 * kMiB), 3 * kMiB);
    const Block block = pool.allocate(request);
    EXPECT_EQ(pool.stats().compactions, 0U);
    EXPECT_EQ(pool.stats().bytes_reserved, 3 * kMiB + request);
    pool.release(block, request);
  }
}

TEST(Pool, CompactReturnsEveryCachedBlockAndReportsTheBytes) {
  Pool pool;
  std::vector<Block> blocks{pool.allocate(kKiB), pool.allocate(kKiB), pool.allocate(kKiB), pool.allocate(2 * kMiB)};
  pool.release(blocks[0], kKiB);
  pool.release(blocks[1], kKiB);
  pool.release(blocks[2], kKiB);
  pool.release(blocks[3], 2 * kMiB);
  EXPECT_EQ(pool.stats().bytes_cached, 3 * kKiB + 2 * kMiB);
  EXPECT_EQ(pool.compact(), 3 * kKiB + 2 * kMiB);
  EXPECT_EQ(pool.stats().bytes_cached, 0U);
  EXPECT_EQ(pool.stats().bytes_reserved, 0U);
  EXPECT_EQ(pool.stats().compactions, 1U);
  EXPECT_EQ(pool.compact(), 0U);
  EXPECT_EQ(pool.stats().compactions, 1U);  // nothing to release: not counted
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, FailedAllocationChangesNothingButTheFailureCounter) {
  Pool pool({.max_bytes = 2 * kMiB});
  const Block kept = pool.allocate(kMiB);
  pool.release(pool.allocate(kKiB), kKiB);
  const Stats before = pool.stats();
  EXPECT_TM_ERROR_HAS((void)pool.allocate(kMiB + kKiB), ErrorCode::kMemoryLimit, "Memory limit exceeded");
  const Stats& after = pool.stats();
  // The retry compacted the 1 KiB cached block; everything else is as it was.
  EXPECT_EQ(after.failed_allocations, before.failed_allocations + 1);
  EXPECT_EQ(after.compactions, before.compactions + 1);
  EXPECT_EQ(after.bytes_released, before.bytes_released + kKiB);
  EXPECT_EQ(after.bytes_cached, 0U);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
  EXPECT_EQ(after.live_buffers, before.live_buffers);
  EXPECT_EQ(after.allocations, before.allocations);
  EXPECT_EQ(after.pool_misses, before.pool_misses);
  EXPECT_EQ(after.pool_hits, before.pool_hits);
  EXPECT_EQ(pool.check_invariants(), "");
  pool.release(kept, kMiB);
}

TEST(Pool, AnImpossibleSizeIsOutOfMemoryNotAnAbort) {
  Pool pool;
  constexpr std::size_t kHuge = std::numeric_limits<std::size_t>::max();
  constexpr std::size_t kLargest = (kHuge >> 1) & ~(kLargePageBytes - 1);
  EXPECT_TM_ERROR((void)pool.allocate(kHuge), ErrorCode::kOutOfMemory,
                  fmt::format("Out of memory: requested {} bytes, more than the largest block the pool can "
                              "represent ({} bytes)",
                              kHuge, kLargest));
  // Representable, but no system allocator has it (half the address space).
  EXPECT_TM_ERROR((void)pool.allocate(kLargest), ErrorCode::kOutOfMemory,
                  fmt::format("Out of memory: the system allocator could not provide {0} bytes (block of {0}); 0 "
                              "bytes in use, 0 bytes cached, limit none",
                              kLargest));
  EXPECT_EQ(pool.stats().failed_allocations, 2U);
  // Still usable.
  const Block block = pool.allocate(kKiB);
  pool.release(block, kKiB);
  EXPECT_EQ(pool.check_invariants(), "");
}

TEST(Pool, WasmHeapExhaustionIsOutOfMemoryAndThePoolRecovers) {
#ifndef __EMSCRIPTEN__
  GTEST_SKIP() << "exhausting the native heap would take the machine's memory; the wasm build runs this";
#else
  Pool pool;
  std::vector<Block> blocks;
  constexpr std::size_t kChunk = 128 * kMiB;
  bool failed = false;
  for (int i = 0; i < 32 && !failed; ++i) {
    try {
      blocks.push_back(pool.allocate(kChunk));
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::kOutOfMemory);
      EXPECT_EQ(error.message().rfind("Out of memory: the system allocator could not provide 134217728 bytes", 0), 0U)
          << error.message();
      failed = true;
    }
  }
  EXPECT_TRUE(failed) << "the 2 GiB wasm heap never ran out";
  EXPECT_GE(blocks.size(), 4U);
  for (const Block& block : blocks) pool.release(block, kChunk);
  const Block again = pool.allocate(kChunk);
  pool.release(again, kChunk);
  EXPECT_EQ(pool.check_invariants(), "");
#endif
}

TEST(Pool, InvalidOptionsAreRejectedNamingTheValue) {
  EXPECT_TM_ERROR(Pool({.compact_threshold = 0.0}), ErrorCode::kInvalidArgument,
                  "compact_threshold must be in (0, 1], got 0");
  EXPECT_TM_ERROR(Pool({.compact_threshold = 1.5}), ErrorCode::kInvalidArgument,
                  "compact_threshold must be in (0, 1], got 1.5");
  EXPECT_TM_ERROR(Pool({.compact_threshold = std::nan("")}), ErrorCode::kInvalidArgument,
                  "compact_threshold must be in (0, 1], got nan");
  EXPECT_TM_ERROR(Pool({.cache_ratio = -1.0}), ErrorCode::kInvalidArgument, "cache_ratio must be in [0, 1024], got -1");
  EXPECT_TM_ERROR(Pool({.max_bytes = 0}), ErrorCode::kInvalidArgument, "max_bytes must be at least 1 byte, got 0");
}

TEST(Pool, DebugModeReportsTheFirstOverwrittenGuardByte) {
  Pool pool({.debug = true});
  Block block = pool.allocate(100);
  EXPECT_GE(block.capacity, 100 + Pool::kGuardBytes);
  block.data[99] = std::byte{1};  // inside: fine
  EXPECT_EQ(pool.release(block, 100), Pool::kIntact);
  block = pool.allocate(100);
  block.data[100] = std::byte{1};  // one past the end
  EXPECT_EQ(pool.release(block, 100), 100U);
  EXPECT_EQ(pool.stats().guard_violations, 1U);
}

TEST(Pool, DebugModePoisonsFreedBlocksAndGuardsTheTail) {
  Pool pool({.debug = true});
  const Block first = pool.allocate(200);
  std::memset(first.data, 0x11, 200);
  pool.release(first, 200);
  const Block again = pool.allocate(200);
  ASSERT_EQ(again.data, first.data);
  for (std::size_t i = sizeof(void*); i < 200; ++i) ASSERT_EQ(again.data[i], Pool::kPoisonByte) << i;
  for (std::size_t i = 200; i < again.capacity; ++i) ASSERT_EQ(again.data[i], Pool::kGuardByte) << i;
  pool.release(again, 200);
}

TEST(Pool, DebugModeDetectsWritesIntoFreedBlocks) {
#ifdef TENSORMEM_ASAN
  GTEST_SKIP() << "under AddressSanitizer the write itself is reported: cached blocks are poisoned for ASan";
#else
  Pool pool({.debug = true});
  const Block block = pool.allocate(200);
  pool.release(block, 200);
  block.data[50] = std::byte{7};  // a write through a dangling pointer
  EXPECT_NE(pool.check_invariants().find("was written after it was freed"), std::string::npos);
  const Block reused = pool.allocate(200);
  EXPECT_EQ(pool.stats().guard_violations, 1U);
  pool.release(reused, 200);
#endif
}

TEST(Pool, RandomOperationsKeepEveryInvariantAndTheLimit) {
  for (const bool debug : {false, true}) {
    Pool pool({.max_bytes = 64 * kMiB, .debug = debug});
    std::mt19937 rng(12345);
    std::uniform_real_distribution<double> log_size(0.0, std::log(4.0 * kMiB));
    std::vector<std::pair<Block, std::size_t>> live;
    std::size_t limit_failures = 0;
    for (int op = 0; op < 6'000; ++op) {
      if (live.empty() || rng() % 5 < 3) {  // grow on average, so the limit is reached
        const auto bytes = static_cast<std::size_t>(std::exp(log_size(rng)));
        try {
          const Block block = pool.allocate(bytes);
          if (bytes > 0) block.data[bytes - 1] = std::byte{42};  // the last requested byte is writable
          live.emplace_back(block, bytes);
        } catch (const Error& error) {
          ASSERT_EQ(error.code(), ErrorCode::kMemoryLimit) << error.message();
          ++limit_failures;
        }
      } else {
        const std::size_t victim = rng() % live.size();
        ASSERT_EQ(pool.release(live[victim].first, live[victim].second), Pool::kIntact);
        live[victim] = live.back();
        live.pop_back();
      }
      ASSERT_LE(pool.stats().bytes_reserved, 64 * kMiB);
      if (op % 256 == 0) {
        ASSERT_EQ(pool.check_invariants(), "") << "after op " << op;
      }
    }
    EXPECT_GT(limit_failures, 0U) << "the workload should press against the limit";
    EXPECT_EQ(pool.stats().failed_allocations, limit_failures);
    for (const auto& [block, bytes] : live) pool.release(block, bytes);
    EXPECT_EQ(pool.stats().bytes_in_use, 0U);
    EXPECT_EQ(pool.stats().guard_violations, 0U);
    EXPECT_EQ(pool.check_invariants(), "");
  }
}

}  // namespace
}  // namespace tensormem
