#include "tensormem/shared_buffer.hpp"

#include <utility>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

TEST(SharedBuffer, CopiesRetainAndTheLastDestructionReleases) {
  Storage storage;
  BufferHandle handle;
  {
    SharedBuffer a(storage, 256);
    handle = a.handle();
    {
      SharedBuffer b = a;
      EXPECT_EQ(a.use_count(), 2U);
      EXPECT_EQ(b.data(), a.data());
    }
    EXPECT_EQ(a.use_count(), 1U);
    EXPECT_TRUE(storage.is_live(handle));
  }
  EXPECT_FALSE(storage.is_live(handle));
  EXPECT_EQ(storage.stats().live_buffers, 0U);
}

TEST(SharedBuffer, MovingTransfersOwnershipWithoutTouchingTheCount) {
  Storage storage;
  SharedBuffer a(storage, 64);
  SharedBuffer b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.use_count(), 1U);
  SharedBuffer c(storage, 64);
  const BufferHandle c_handle = c.handle();
  c = std::move(b);  // c's old buffer is released
  EXPECT_FALSE(storage.is_live(c_handle));
  EXPECT_EQ(c.use_count(), 1U);
}

TEST(SharedBuffer, CopyAssignmentReleasesTheOldAndSharesTheNew) {
  Storage storage;
  SharedBuffer a(storage, 64);
  SharedBuffer b(storage, 64);
  const BufferHandle old = b.handle();
  b = a;
  EXPECT_FALSE(storage.is_live(old));
  EXPECT_EQ(a.use_count(), 2U);
  SharedBuffer& same = b;
  b = same;  // self-assignment is harmless
  EXPECT_EQ(a.use_count(), 2U);
}

TEST(SharedBuffer, ResetReleasesNowAndLeavesItEmpty) {
  Storage storage;
  SharedBuffer a(storage, 64);
  const BufferHandle handle = a.handle();
  a.reset();
  EXPECT_FALSE(a);
  EXPECT_FALSE(storage.is_live(handle));
  a.reset();  // no-op on an empty buffer
  EXPECT_TM_ERROR((void)a.size(), ErrorCode::kInvalidArgument,
                  "SharedBuffer is empty (moved from, reset or detached)");
}

TEST(SharedBuffer, DetachHandsTheReferenceToTheCaller) {
  Storage storage;
  SharedBuffer a(storage, 64);
  const BufferHandle handle = a.detach();
  EXPECT_FALSE(a);
  EXPECT_TRUE(storage.is_live(handle));
  SharedBuffer adopted = SharedBuffer::adopt(storage, handle);
  EXPECT_EQ(adopted.use_count(), 1U);
}

TEST(SharedBuffer, ShareAddsAReferenceToARawHandle) {
  Storage storage;
  const BufferHandle raw = storage.allocate(64);
  {
    SharedBuffer shared = SharedBuffer::share(storage, raw);
    EXPECT_EQ(storage.use_count(raw), 2U);
  }
  EXPECT_EQ(storage.use_count(raw), 1U);
  storage.release(raw);
  EXPECT_TM_ERROR((void)SharedBuffer::adopt(storage, raw), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 2");
  EXPECT_TM_ERROR((void)SharedBuffer::share(storage, raw), ErrorCode::kDisposed,
                  "buffer #0 (generation 1) was released; current generation is 2");
}

TEST(SharedBuffer, AccessAfterARawReleaseBehindItsBackFailsAndTheDestructorCountsIt) {
  Storage storage;
  {
    SharedBuffer a(storage, 64);
    storage.release(a.handle());
    EXPECT_TM_ERROR((void)a.bytes(), ErrorCode::kDisposed,
                    "buffer #0 (generation 1) was released; current generation is 2");
  }
  EXPECT_EQ(storage.stats().failed_releases, 1U);
}

}  // namespace
}  // namespace tensormem
