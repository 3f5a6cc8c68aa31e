#include "tensormem/storage.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(Storage, AllocateGivesWritableBytesOfTheRequestedSize) {
  Storage storage;
  const BufferHandle handle = storage.allocate(1000);
  const std::span<std::byte> bytes = storage.bytes(handle);
  EXPECT_EQ(bytes.size(), 1000U);
  std::memset(bytes.data(), 0x5A, bytes.size());
  EXPECT_EQ(storage.data(handle)[999], std::byte{0x5A});
  EXPECT_EQ(storage.size(handle), 1000U);
  EXPECT_EQ(storage.use_count(handle), 1U);
  EXPECT_EQ(storage.release(handle), 0U);
}

TEST(Storage, RefcountKeepsASharedBufferAlive) {
  Storage storage;
  const BufferHandle handle = storage.allocate(64);
  storage.data(handle)[0] = std::byte{9};
  storage.retain(handle);  // a second view
  EXPECT_EQ(storage.use_count(handle), 2U);
  EXPECT_EQ(storage.release(handle), 1U);  // the first view goes away
  ASSERT_TRUE(storage.is_live(handle));
  EXPECT_EQ(storage.data(handle)[0], std::byte{9});
  EXPECT_EQ(storage.stats().live_buffers, 1U);
  EXPECT_EQ(storage.release(handle), 0U);  // the last one returns the block
  EXPECT_FALSE(storage.is_live(handle));
  EXPECT_EQ(storage.stats().live_buffers, 0U);
}

TEST(Storage, EveryUseOfAReleasedHandleFailsWithDisposed) {
  Storage storage;
  const BufferHandle handle = storage.allocate(64);
  storage.release(handle);
  const char* message = "buffer #0 (generation 1) was released; current generation is 2";
  EXPECT_TM_ERROR((void)storage.bytes(handle), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR((void)storage.data(handle), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR(storage.retain(handle), ErrorCode::kDisposed, message);
  EXPECT_TM_ERROR(storage.release(handle), ErrorCode::kDisposed, message);
  EXPECT_EQ(storage.stats().frees, 1U);  // the double release changed nothing
}

TEST(Storage, AStaleHandleFailsAfterItsSlotAndBlockAreReused) {
  // Use after free: dispose, allocate again (same memory), the old view must not see the new data.
  Storage storage;
  const BufferHandle first = storage.allocate(1024);
  std::byte* first_data = storage.data(first);
  storage.release(first);
  const BufferHandle second = storage.allocate(1024);
  ASSERT_EQ(second.index(), first.index());
  ASSERT_EQ(storage.data(second), first_data);
  storage.data(second)[0] = std::byte{99};
  EXPECT_TM_ERROR((void)storage.data(first), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 3");
  storage.release(second);
}

TEST(Storage, AFailedAllocationLeavesNoHalfAllocatedSlot) {
  Storage storage({.max_bytes = 2 * kMiB});
  const BufferHandle kept = storage.allocate(kMiB);
  EXPECT_TM_ERROR_HAS((void)storage.allocate(2 * kMiB), ErrorCode::kMemoryLimit, "Memory limit exceeded");
  int live = 0;
  storage.for_each_buffer([&](BufferHandle, const BufferRecord&) { ++live; });
  EXPECT_EQ(live, 1);
  EXPECT_EQ(storage.stats().live_buffers, 1U);
  EXPECT_EQ(storage.stats().bytes_requested, kMiB);
  const BufferHandle next = storage.allocate(1024);
  EXPECT_EQ(next.index(), 1U);  // the failed call did not consume a slot
  storage.release(next);
  storage.release(kept);
}

TEST(Storage, DestroyingStorageReturnsEveryBlockStillLive) {
  // LeakSanitizer (native sanitizer run) fails this test if any block leaks.
  for (int i = 0; i < 3; ++i) {
    Storage storage;
    for (int j = 0; j < 10; ++j) (void)storage.allocate(static_cast<std::size_t>(j) * 100'000);
    EXPECT_EQ(storage.stats().live_buffers, 10U);
  }
}

TEST(Storage, DebugModeReportsAWritePastTheEndOnRelease) {
  Storage storage({.debug = true});
  const BufferHandle handle = storage.allocate(100);
  storage.data(handle)[103] = std::byte{1};
  EXPECT_TM_ERROR(storage.release(handle), ErrorCode::kOutOfBounds,
                  "buffer #0 (generation 1) was written past its end: guard byte at offset 103 of a 100-byte buffer "
                  "was overwritten (detected on release)");
  EXPECT_FALSE(storage.is_live(handle));  // released all the same
  EXPECT_EQ(storage.stats().guard_violations, 1U);
  EXPECT_EQ(storage.stats().live_buffers, 0U);
}

TEST(Storage, ReleaseNoexceptCountsWhatItCannotReport) {
  Storage storage;
  const BufferHandle handle = storage.allocate(100);
  storage.release_noexcept(handle);
  EXPECT_EQ(storage.stats().failed_releases, 0U);
  storage.release_noexcept(handle);  // stale: nobody to throw to
  EXPECT_EQ(storage.stats().failed_releases, 1U);
}

TEST(Storage, ListsLiveBuffersWithTheirSizes) {
  Storage storage;
  const BufferHandle a = storage.allocate(10);
  const BufferHandle b = storage.allocate(20);
  const BufferHandle c = storage.allocate(30);
  storage.release(b);
  std::vector<std::pair<BufferHandle, std::size_t>> seen;
  storage.for_each_buffer([&](BufferHandle handle, const BufferRecord& record) { seen.emplace_back(handle, record.size); });
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0], std::make_pair(a, std::size_t{10}));
  EXPECT_EQ(seen[1], std::make_pair(c, std::size_t{30}));
  storage.release(a);
  storage.release(c);
}

}  // namespace
}  // namespace tensormem
