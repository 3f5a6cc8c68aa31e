#include "tensormem/storage_image.hpp"

#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::uint32_t kBufferRetireAt = HandleTable<BufferRecord>::kRetireAt;

// Sizes across the classes: empty, the granule, linear classes, doublings,
// the largest small class, large blocks.
const std::vector<std::size_t> kSizes = {0, 1, 64, 65, 500, 513, 1000, 4097, 40000, 300000, kMiB, kMiB + 1,
                                         3 * kMiB + 5};

std::byte pattern_byte(std::size_t i, std::size_t seed) { return static_cast<std::byte>((i * 131 + seed * 17) & 0xFF); }

void fill_pattern(std::span<std::byte> bytes, std::size_t seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = pattern_byte(i, seed);
}

bool has_pattern(std::span<const std::byte> bytes, std::size_t seed) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != pattern_byte(i, seed)) return false;
  }
  return true;
}

// What the caller of restore_image() does: each buffer's bytes from where
// the exporting storage keeps them (still alive here) to the new block.
void copy_bytes(const std::vector<MovedBuffer>& moved) {
  for (const MovedBuffer& m : moved) {
    if (m.size > 0) std::memcpy(m.to, reinterpret_cast<const std::byte*>(static_cast<std::uintptr_t>(m.from)), m.size);
  }
}

// The result of using a handle: its size, or the error's code and text.
std::string outcome(const Storage& storage, BufferHandle handle) {
  try {
    return "size " + std::to_string(storage.size(handle));
  } catch (const Error& error) {
    return std::string(error.code_name()) + ": " + error.message();
  }
}

// A storage nobody has used: what an untouched restore target looks like.
void expect_unused(Storage& storage) {
  EXPECT_EQ(storage.stats().to_json(), Storage(storage.options()).stats().to_json());
  const BufferHandle first = storage.allocate(1);  // no slot was left behind
  EXPECT_EQ(first, (BufferHandle{0, 1}));
  storage.release(first);
}

// ---- round trips ----------------------------------------------------------------------

TEST(StorageImage, ARestoredStorageHoldsEveryBufferWithItsHandleSizeRefcountAndBytes) {
  auto old = std::make_unique<Storage>();
  std::vector<BufferHandle> live;
  std::vector<BufferHandle> released;
  for (int round = 0; round < 3; ++round) {
    for (const std::size_t size : kSizes) {
      const BufferHandle handle = old->allocate(size);
      fill_pattern(old->bytes(handle), handle.index());
      live.push_back(handle);
    }
  }
  for (std::size_t k = 0; k < live.size(); k += 4) old->retain(live[k]);  // views
  for (std::size_t k = 0; k < live.size(); k += 8) old->retain(live[k]);
  for (std::size_t k = 1; k < live.size(); k += 3) {
    while (old->release(live[k]) > 0) {
    }
    released.push_back(live[k]);
  }
  std::erase_if(live, [&](BufferHandle h) { return !old->is_live(h); });
  for (int i = 0; i < 4; ++i) {  // reuse some slots: generation 3
    const BufferHandle handle = old->allocate(kSizes[static_cast<std::size_t>(i) * 3]);
    fill_pattern(old->bytes(handle), handle.index());
    live.push_back(handle);
  }

  Storage moved;
  const std::vector<MovedBuffer> moves = restore_image(moved, export_image(*old));
  ASSERT_EQ(moves.size(), live.size());
  for (const MovedBuffer& m : moves) {
    EXPECT_EQ(m.from, reinterpret_cast<std::uintptr_t>(old->data(m.handle)));
    EXPECT_EQ(m.to, moved.data(m.handle));
    EXPECT_EQ(m.size, old->size(m.handle));
  }
  copy_bytes(moves);
  std::vector<std::uint32_t> use_counts;
  for (const BufferHandle handle : live) {
    ASSERT_TRUE(moved.is_live(handle));
    EXPECT_EQ(moved.size(handle), old->size(handle));
    EXPECT_EQ(moved.use_count(handle), old->use_count(handle));
    EXPECT_NE(moved.data(handle), old->data(handle));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(moved.data(handle)) % kBlockAlignment, 0U);
    use_counts.push_back(old->use_count(handle));
  }
  for (const BufferHandle handle : released) EXPECT_EQ(outcome(moved, handle), outcome(*old, handle));
  EXPECT_GT(*std::max_element(use_counts.begin(), use_counts.end()), 2U);

  old.reset();  // the old place goes away; the moved buffers are on their own
  for (std::size_t k = 0; k < live.size(); ++k) {
    EXPECT_TRUE(has_pattern(moved.bytes(live[k]), live[k].index())) << "buffer #" << live[k].index();
    for (std::uint32_t r = use_counts[k]; r > 0; --r) EXPECT_EQ(moved.release(live[k]), r - 1);
  }
  EXPECT_EQ(moved.stats().live_buffers, 0U);
  EXPECT_EQ(moved.pool().check_invariants(), "");
}

TEST(StorageImage, StaleAndForgedHandlesFailWithTheSameMessagesAfterTheMove) {
  Storage old;
  (void)old.allocate(100);
  const BufferHandle first = old.allocate(100);
  (void)old.allocate(100);
  old.release(first);
  const BufferHandle second = old.allocate(100);  // slot 1 again, generation 3
  old.release(second);
  Storage moved;
  (void)restore_image(moved, export_image(old));
  for (const BufferHandle handle : {first, second, BufferHandle{1, 4}, BufferHandle{1, 5}, BufferHandle{0, 1},
                                    BufferHandle{7, 1}, BufferHandle{}}) {
    EXPECT_EQ(outcome(moved, handle), outcome(old, handle));
  }
  EXPECT_TM_ERROR(moved.retain(first), ErrorCode::kDisposed,
                  "buffer #1 (generation 1) was released; current generation is 4");
  EXPECT_TM_ERROR(moved.release(second), ErrorCode::kDisposed,
                  "buffer #1 (generation 3) was released; current generation is 4");
  EXPECT_TM_ERROR((void)moved.bytes(BufferHandle{1, 5}), ErrorCode::kInvalidArgument,
                  "buffer #1 (generation 5) was never issued; current generation is 4");
  EXPECT_TM_ERROR((void)moved.bytes(BufferHandle{7, 1}), ErrorCode::kInvalidArgument,
                  "buffer #7 (generation 1) does not exist: the table has 3 slots");
}

TEST(StorageImage, TheNextAllocationsTakeTheSlotsTheOldStorageWouldHaveGiven) {
  Storage old;
  std::vector<BufferHandle> handles;
  for (int i = 0; i < 6; ++i) handles.push_back(old.allocate(64));
  old.release(handles[3]);
  old.release(handles[1]);
  old.release(handles[4]);
  Storage moved;
  (void)restore_image(moved, export_image(old));
  for (int i = 0; i < 5; ++i) {
    const BufferHandle expected = old.allocate(64);
    EXPECT_EQ(moved.allocate(64), expected);
  }
}

TEST(StorageImage, EachBufferGetsTheSmallestBlockItsSizeNeedsInTheTargetsOptions) {
  Storage old;
  old.release(old.allocate(1100));                 // caches a 1152-byte block...
  const BufferHandle small = old.allocate(1020);   // ...which this takes: its own class (1024) is empty
  const BufferHandle large = old.allocate(3 * kMiB + 5);
  ASSERT_EQ(old.get(small).capacity, 1152U);
  const std::vector<std::byte> image = export_image(old);
  const StorageImage decoded = decode_storage_image(image);
  EXPECT_EQ(block_bytes_needed(decoded, {}), 1024 + 3 * kMiB + 4096);
  EXPECT_EQ(block_bytes_needed(decoded, {.debug = true}), 1152 + 3 * kMiB + 4096);  // 16 guard bytes each

  Storage moved;
  (void)restore_image(moved, image);
  EXPECT_EQ(moved.get(small).capacity, 1024U);
  EXPECT_EQ(moved.get(small).size_class, size_class_of(1020));
  EXPECT_EQ(moved.get(large).capacity, 3 * kMiB + 4096);
  EXPECT_EQ(moved.get(large).size_class, kLargeSizeClass);
  EXPECT_EQ(moved.stats().bytes_reserved, block_bytes_needed(decoded, {}));
  EXPECT_LT(moved.stats().bytes_reserved, old.stats().bytes_reserved);

  Storage debug({.debug = true});
  (void)restore_image(debug, image);
  EXPECT_EQ(debug.get(small).capacity, 1152U);
  EXPECT_EQ(debug.stats().bytes_reserved, block_bytes_needed(decoded, {.debug = true}));
}

TEST(StorageImage, ADebugTargetGuardsTheMovedBuffers) {
  Storage old;
  const BufferHandle handle = old.allocate(100);
  fill_pattern(old.bytes(handle), 1);
  Storage moved({.debug = true});
  copy_bytes(restore_image(moved, export_image(old)));
  EXPECT_TRUE(has_pattern(moved.bytes(handle), 1));
  moved.data(handle)[100] = std::byte{0};  // inside the block, past the buffer
  EXPECT_TM_ERROR(moved.release(handle), ErrorCode::kOutOfBounds,
                  "buffer #0 (generation 1) was written past its end: guard byte at offset 100 of a 100-byte buffer "
                  "was overwritten (detected on release)");
}

// ---- stats -------------------------------------------------------------------------

TEST(StorageImage, StatsCarryTheStoragesHistoryAndCountTheNewPoolsOwnCounterByCounter) {
  Storage old({.max_bytes = 8 * kMiB, .debug = true});
  const BufferHandle a = old.allocate(2 * kMiB);
  const BufferHandle b = old.allocate(2 * kMiB);
  const BufferHandle c = old.allocate(100);
  old.retain(c);
  EXPECT_TM_ERROR_HAS((void)old.allocate(16 * kMiB), ErrorCode::kMemoryLimit, "Memory limit exceeded");
  const BufferHandle d = old.allocate(100);
  old.data(d)[100] = std::byte{0};
  EXPECT_TM_ERROR_HAS(old.release(d), ErrorCode::kOutOfBounds, "written past its end");
  old.release_noexcept(d);  // stale
  old.release(b);
  EXPECT_GT(old.compact(), 0U);
  const Stats before = old.stats();
  ASSERT_EQ(before.failed_allocations, 1U);
  ASSERT_EQ(before.guard_violations, 1U);
  ASSERT_EQ(before.failed_releases, 1U);
  ASSERT_EQ(before.compactions, 1U);

  Storage moved({.max_bytes = 16 * kMiB, .debug = true});
  (void)restore_image(moved, export_image(old));
  const Stats after = moved.stats();
  // The same, because the buffers are.
  EXPECT_EQ(after.live_buffers, 2U);
  EXPECT_EQ(after.bytes_requested, before.bytes_requested);
  // The new pool's blocks: one per live buffer, of its class, none cached.
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);  // no fallback blocks here
  EXPECT_EQ(after.bytes_reserved, after.bytes_in_use);
  EXPECT_EQ(after.bytes_cached, 0U);
  EXPECT_EQ(after.max_bytes, 16 * kMiB);
  EXPECT_EQ(after.allocations, 2U);
  EXPECT_EQ(after.pool_misses, 2U);
  EXPECT_EQ(after.frees, 0U);
  EXPECT_EQ(after.pool_hits, 0U);
  const std::size_t c_class = size_class_of(100 + Pool::kGuardBytes);
  EXPECT_EQ(after.size_classes[c_class].in_use, 1U);
  EXPECT_EQ(after.size_classes[c_class].misses, 1U);
  EXPECT_EQ(after.size_classes[c_class].hits, 0U);
  EXPECT_EQ(after.large.in_use, 1U);
  EXPECT_EQ(after.large.misses, 1U);
  // Carried over: the storage's history.
  EXPECT_EQ(after.peak_bytes_in_use, before.peak_bytes_in_use);
  EXPECT_EQ(after.peak_bytes_reserved, before.peak_bytes_reserved);
  EXPECT_EQ(after.compactions, before.compactions);
  EXPECT_EQ(after.bytes_released, before.bytes_released);
  EXPECT_EQ(after.failed_allocations, before.failed_allocations);
  EXPECT_EQ(after.guard_violations, before.guard_violations);
  EXPECT_EQ(after.failed_releases, before.failed_releases);

  // New events add to what was carried, and a second move counts nothing twice.
  moved.release_noexcept(d);
  const BufferHandle e = moved.allocate(kMiB + 1);
  moved.release(e);
  EXPECT_GT(moved.compact(), 0U);
  const Stats later = moved.stats();
  EXPECT_EQ(later.failed_releases, 2U);
  EXPECT_EQ(later.compactions, 2U);
  EXPECT_EQ(later.bytes_released, before.bytes_released + kMiB + 4096);
  EXPECT_EQ(later.peak_bytes_in_use, before.peak_bytes_in_use);  // the new pool's peak stayed below the old one
  Storage again({.max_bytes = 16 * kMiB, .debug = true});
  (void)restore_image(again, export_image(moved));
  const Stats twice = again.stats();
  EXPECT_EQ(twice.failed_releases, later.failed_releases);
  EXPECT_EQ(twice.compactions, later.compactions);
  EXPECT_EQ(twice.bytes_released, later.bytes_released);
  EXPECT_EQ(twice.failed_allocations, later.failed_allocations);
  EXPECT_EQ(twice.guard_violations, later.guard_violations);
  EXPECT_EQ(twice.peak_bytes_in_use, later.peak_bytes_in_use);
  EXPECT_EQ(twice.peak_bytes_reserved, later.peak_bytes_reserved);
  EXPECT_EQ(again.use_count(c), 2U);
  EXPECT_TRUE(again.is_live(a));
}

// ---- the target ------------------------------------------------------------------------

TEST(StorageImage, RestoreNeedsATargetThatHasIssuedNoHandle) {
  Storage old;
  (void)old.allocate(64);
  const std::vector<std::byte> image = export_image(old);
  Storage used;
  used.release(used.allocate(1));
  EXPECT_TM_ERROR((void)restore_image(used, image), ErrorCode::kInvalidArgument,
                  "restore_image: the target storage has issued handles (1 slot); restore into one that has issued "
                  "none");
}

TEST(StorageImage, BuffersBeyondTheTargetsLimitAreMemoryLimitAndTheTargetIsUntouched) {
  Storage old;
  (void)old.allocate(3 * kMiB);
  (void)old.allocate(100);
  const std::vector<std::byte> image = export_image(old);
  Storage small({.max_bytes = 2 * kMiB});
  EXPECT_TM_ERROR((void)restore_image(small, image), ErrorCode::kMemoryLimit,
                  fmt::format("restore_image: 2 live buffers need {} bytes of blocks; the target's limit is {} bytes",
                              3 * kMiB + 128, 2 * kMiB));
  expect_unused(small);
  Storage exact({.max_bytes = 3 * kMiB + 128});
  EXPECT_EQ(restore_image(exact, image).size(), 2U);
}

// ---- the format, byte by byte -------------------------------------------------------------

void put(std::vector<std::byte>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

void set(std::vector<std::byte>& image, std::size_t at, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) image[at + i] = static_cast<std::byte>(value >> (8 * i));
}

std::vector<std::byte> buffer_payload(std::uint64_t size, std::uint64_t capacity, std::uint64_t address,
                                      std::uint32_t size_class, std::uint32_t refcount) {
  std::vector<std::byte> payload;
  put(payload, size, 8);
  put(payload, capacity, 8);
  put(payload, address, 8);
  put(payload, size_class, 4);
  put(payload, refcount, 4);
  return payload;
}

struct RawRecord {
  RawRecord(std::uint32_t slot, std::vector<std::byte> bytes) : index(slot), payload(std::move(bytes)) {}
  std::uint32_t index;
  std::vector<std::byte> payload;
  std::optional<std::uint32_t> declared_bytes;  // payload_bytes, when it should lie
};

// An image written field by field as storage_image.hpp documents it, with a
// valid checksum, so that each check past the checksum can be reached.
struct RawImage {
  std::uint32_t tag = kStorageImageTag;
  std::uint32_t retire_at = kBufferRetireAt;
  std::vector<std::uint32_t> generations;
  std::vector<std::uint32_t> free_list;
  std::uint32_t retired = 0;
  std::vector<std::uint64_t> counters;
  std::vector<RawRecord> records;
  std::optional<std::uint32_t> live_count;  // when it should lie
  std::size_t trailing_bytes = 0;

  [[nodiscard]] std::vector<std::byte> bytes() const {
    std::vector<std::byte> body;
    for (const std::uint32_t g : generations) put(body, g, 4);
    for (const std::uint32_t i : free_list) put(body, i, 4);
    for (const std::uint64_t c : counters) put(body, c, 8);
    for (const RawRecord& record : records) {
      put(body, record.index, 4);
      put(body, record.declared_bytes.value_or(static_cast<std::uint32_t>(record.payload.size())), 4);
      body.insert(body.end(), record.payload.begin(), record.payload.end());
    }
    body.resize(body.size() + trailing_bytes, std::byte{0xAB});
    std::vector<std::byte> image;
    for (const char c : {'T', 'M', 'I', 'M'}) image.push_back(static_cast<std::byte>(c));
    put(image, kImageVersion, 4);
    put(image, tag, 4);
    put(image, retire_at, 4);
    put(image, generations.size(), 4);
    put(image, free_list.size(), 4);
    put(image, live_count.value_or(static_cast<std::uint32_t>(records.size())), 4);
    put(image, retired, 4);
    put(image, counters.size(), 4);
    put(image, detail::image_crc32(body), 4);
    put(image, kImageHeaderBytes + body.size(), 8);
    image.insert(image.end(), body.begin(), body.end());
    return image;
  }
};

// Slot 0 live, slot 1 free, slot 2 live with two references.
RawImage valid_raw_image() {
  RawImage raw;
  raw.generations = {1, 2, 1};
  raw.free_list = {1};
  raw.counters = {192, 192, 0, 0, 0, 0, 0};
  raw.records = {{0, buffer_payload(64, 64, 0x1000, 0, 1)}, {2, buffer_payload(100, 128, 0x2000, 1, 2)}};
  return raw;
}

TEST(StorageImageFormat, TheExportIsTheDocumentedLayoutByteForByte) {
  Storage storage;
  const BufferHandle a = storage.allocate(64);
  const BufferHandle b = storage.allocate(1000);
  const BufferHandle c = storage.allocate(2 * kMiB);
  storage.retain(c);
  storage.release(b);
  const Stats stats = storage.stats();
  RawImage raw;
  raw.generations = {1, 2, 1};
  raw.free_list = {1};
  raw.counters = {stats.peak_bytes_in_use, stats.peak_bytes_reserved, 0, stats.bytes_released, 0, 0, 0};
  auto address = [&](BufferHandle h) { return reinterpret_cast<std::uintptr_t>(storage.data(h)); };
  raw.records = {{0, buffer_payload(64, 64, address(a), 0, 1)},
                 {2, buffer_payload(2 * kMiB, 2 * kMiB, address(c), kLargeSizeClass, 2)}};
  EXPECT_EQ(export_image(storage), raw.bytes());
  EXPECT_EQ(export_image(storage).size(), 48U + 3 * 4 + 4 + 7 * 8 + 2 * (8 + 32));
}

TEST(StorageImageFormat, AValidHandWrittenImageRestores) {
  const StorageImage image = decode_storage_image(valid_raw_image().bytes());
  ASSERT_EQ(image.buffers.size(), 2U);
  EXPECT_EQ(image.buffers[1].handle, (BufferHandle{2, 1}));
  EXPECT_EQ(image.buffers[1].size, 100U);
  EXPECT_EQ(image.buffers[1].capacity, 128U);
  EXPECT_EQ(image.buffers[1].address, 0x2000U);
  EXPECT_EQ(image.buffers[1].size_class, 1U);
  EXPECT_EQ(image.buffers[1].refcount, 2U);
  EXPECT_EQ(image.carried.peak_bytes_in_use, 192U);
  Storage target;
  const std::vector<MovedBuffer> moved = restore_image(target, valid_raw_image().bytes());
  EXPECT_EQ(moved[1].from, 0x2000U);
  EXPECT_EQ(target.use_count(BufferHandle{2, 1}), 2U);
  EXPECT_EQ(target.allocate(1), (BufferHandle{1, 3}));
}

// The image of a small storage: 3 slots, 2 records.
std::vector<std::byte> small_image(Storage& storage) {
  (void)storage.allocate(64);
  const BufferHandle freed = storage.allocate(1000);
  (void)storage.allocate(2 * kMiB);
  storage.release(freed);
  return export_image(storage);
}

TEST(StorageImageFormat, EveryTruncationIsRejectedNamingTheLengthAndLeavesTheTargetUntouched) {
  Storage storage;
  const std::vector<std::byte> image = small_image(storage);
  Storage target;
  for (std::size_t length = 0; length < image.size(); ++length) {
    const std::span<const std::byte> prefix(image.data(), length);
    const std::string expected =
        length < kImageHeaderBytes
            ? fmt::format("storage image: {} bytes, shorter than the 48-byte header", length)
            : fmt::format("storage image: the header says {} bytes, but {} were given", image.size(), length);
    EXPECT_TM_ERROR((void)restore_image(target, prefix), ErrorCode::kInvalidArgument, expected);
  }
  expect_unused(target);
}

TEST(StorageImageFormat, EverySingleBitFlipIsRejectedAndLeavesTheTargetUntouched) {
  Storage storage;
  const std::vector<std::byte> image = small_image(storage);
  Storage target;
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<std::byte> flipped = image;
      flipped[i] ^= static_cast<std::byte>(1 << bit);
      try {
        (void)restore_image(target, flipped);
        ++accepted;
        ADD_FAILURE() << "accepted a flip of bit " << bit << " of byte " << i;
      } catch (const Error& error) {
        ASSERT_EQ(error.code(), ErrorCode::kInvalidArgument) << error.message();
      }
      if (accepted > 0) return;
    }
  }
  expect_unused(target);
}

TEST(StorageImageFormat, EachHeaderFieldIsCheckedWithItsOwnMessage) {
  Storage storage;
  const std::vector<std::byte> image = small_image(storage);
  const std::size_t n = image.size();
  struct Case {
    std::size_t at;
    std::uint64_t value;
    std::size_t bytes;
    std::string message;
  };
  const std::uint32_t crc = detail::image_crc32(std::span(image).subspan(kImageHeaderBytes));
  const std::vector<Case> cases = {
      {0, 0x58494d54, 4, "magic is \"TMIX\", not \"TMIM\""},
      {0, 0x4d494d00, 4, "magic is 0x4d494d00, not \"TMIM\""},
      {4, 2, 4, "version 2 is not supported; this build reads version 1"},
      {8, image_tag("OBJS"), 4, "it holds \"OBJS\" records, not \"BUFR\""},
      {12, 6, 4, "its table retires slots at generation 6; this one retires them at 4294967294"},
      {16, 1000, 4, fmt::format("1000 slots, 1 free-list entries, 7 counters and 2 records need at least 4124 bytes; "
                                "the image has {}", n)},
      {20, 1000, 4, fmt::format("3 slots, 1000 free-list entries, 7 counters and 2 records need at least 4132 bytes; "
                                "the image has {}", n)},
      {24, 1000, 4, fmt::format("3 slots, 1 free-list entries, 7 counters and 1000 records need at least 8120 bytes; "
                                "the image has {}", n)},
      {24, 1, 4, "1 records for 2 live slots"},
      {28, 1, 4, "1 retired slots counted, but 0 slots are at or past generation 4294967294"},
      {32, 6, 4, "6 counters, expected 7"},
      {36, crc ^ 1U, 4,
       fmt::format("the body's checksum is 0x{:08x}, but the header says 0x{:08x}: the image is corrupted", crc,
                   crc ^ 1U)},
      {40, n - 1, 8, fmt::format("the header says {} bytes, but {} were given", n - 1, n)},
  };
  Storage target;
  for (const Case& c : cases) {
    std::vector<std::byte> bad = image;
    set(bad, c.at, c.value, c.bytes);
    EXPECT_TM_ERROR((void)restore_image(target, bad), ErrorCode::kInvalidArgument, "storage image: " + c.message);
  }
  std::vector<std::byte> longer = image;
  longer.push_back(std::byte{0});
  EXPECT_TM_ERROR((void)decode_storage_image(longer), ErrorCode::kInvalidArgument,
                  fmt::format("storage image: the header says {} bytes, but {} were given", n, n + 1));
  expect_unused(target);
}

TEST(StorageImageFormat, HostileBodiesWithAValidChecksumAreRejectedNamingTheProblem) {
  struct Case {
    const char* what;
    void (*corrupt)(RawImage&);
    std::string message;
  };
  const std::string record2 = "record of buffer #2 (generation 1): ";
  const std::vector<Case> cases = {
      {"free list cycle", [](RawImage& r) { r.free_list = {1, 1}; },
       "free list names buffer #1 twice: it would be a cycle"},
      {"free list past the table", [](RawImage& r) { r.free_list = {5}; },
       "free list entry 0 names buffer #5, past the table's 3 slots"},
      {"free list names a live slot", [](RawImage& r) { r.free_list = {0}; },
       "free list names buffer #0, which is live (generation 1)"},
      {"a free slot off the free list", [](RawImage& r) { r.free_list = {}; },
       "buffer #1 is free (generation 2) but not on the free list"},
      {"generation 0", [](RawImage& r) { r.generations[1] = 0; },
       "buffer #1 has generation 0, which no slot in use has"},
      {"live past retirement", [](RawImage& r) { r.generations[0] = 0xFFFFFFFF; },
       "buffer #0 is live at generation 4294967295, past the table's retirement at 4294967294"},
      {"retired count", [](RawImage& r) { r.retired = 1; },
       "1 retired slots counted, but 0 slots are at or past generation 4294967294"},
      {"a record for a slot that is not live",
       [](RawImage& r) {
         r.generations = {1, 2, 2, 1};
         r.free_list = {1, 2};
       },
       "record 1 names buffer #2, which is not live (generation 2)"},
      {"duplicate record", [](RawImage& r) { r.records[1].index = 0; }, "record 1 names buffer #0 again"},
      {"records out of order", [](RawImage& r) { std::swap(r.records[0], r.records[1]); },
       "record 1 names buffer #0 after #2: records must be in slot order"},
      {"record past the table", [](RawImage& r) { r.records[1].index = 9; },
       "record 1 names buffer #9, past the table's 3 slots"},
      {"more records than live slots", [](RawImage& r) {
         r.generations[1] = 3;
         r.free_list = {};
       },
       "2 records for 3 live slots"},
      {"a record's header past the end",
       [](RawImage& r) {
         r.live_count = 3;
         r.generations = {1, 1, 1};
         r.free_list = {};
         r.trailing_bytes = 4;
       },
       "record 2 of 3 starts at byte 196, but its 8-byte header passes the image's end (200)"},
      {"payload past the end", [](RawImage& r) { r.records[1].declared_bytes = 1000; },
       "record 1 (buffer #2) has 1000 payload bytes, but only 32 are left"},
      {"bytes after the last record", [](RawImage& r) { r.trailing_bytes = 3; }, "3 bytes after the last record"},
      {"short payload", [](RawImage& r) { r.records[1].payload.resize(24); },
       record2 + "size_class needs 4 bytes at payload byte 24, but the payload has 24"},
      {"long payload", [](RawImage& r) { r.records[1].payload.resize(36); },
       record2 + "4 payload bytes after the last field (read 32 of 36)"},
      {"refcount 0", [](RawImage& r) { r.records[1].payload = buffer_payload(100, 128, 0x2000, 1, 0); },
       record2 + "refcount is 0; a live buffer has at least 1"},
      {"size class out of range", [](RawImage& r) { r.records[1].payload = buffer_payload(100, 128, 0x2000, 97, 1); },
       record2 + "size class 97 does not exist (0 to 95 for small blocks, 96 for large ones)"},
      {"capacity of another class", [](RawImage& r) { r.records[1].payload = buffer_payload(100, 192, 0x2000, 1, 1); },
       record2 + "a block of size class 1 has 128 bytes, not 192"},
      {"large block off the pages",
       [](RawImage& r) { r.records[1].payload = buffer_payload(100, 2 * kMiB + 5, 0x2000, 96, 1); },
       record2 + "a large block of 2097157 bytes is not a multiple of 4096 bytes above 1048576"},
      {"large block below the large sizes",
       [](RawImage& r) { r.records[1].payload = buffer_payload(100, 4096, 0x2000, 96, 1); },
       record2 + "a large block of 4096 bytes is not a multiple of 4096 bytes above 1048576"},
      {"size beyond the block", [](RawImage& r) { r.records[1].payload = buffer_payload(200, 128, 0x2000, 1, 1); },
       record2 + "size 200 is larger than its block of 128 bytes"},
      {"null address", [](RawImage& r) { r.records[1].payload = buffer_payload(100, 128, 0, 1, 1); },
       record2 + "block address 0x0 is not a nonzero multiple of 64"},
      {"misaligned address", [](RawImage& r) { r.records[1].payload = buffer_payload(100, 128, 0x2001, 1, 1); },
       record2 + "block address 0x2001 is not a nonzero multiple of 64"},
      {"block past the address space",
       [](RawImage& r) { r.records[1].payload = buffer_payload(100, 128, 0xFFFFFFFFFFFFFFC0, 1, 1); },
       record2 + "a block of 128 bytes at 0xffffffffffffffc0 passes the end of a 64-bit address space"},
      {"peak below the live blocks", [](RawImage& r) { r.counters[0] = 100; },
       "peak_bytes_in_use 100 is below the 192 bytes of the live buffers' blocks"},
      {"peak reserved below peak in use", [](RawImage& r) { r.counters[1] = 150; },
       "peak_bytes_reserved 150 is below peak_bytes_in_use 192"},
  };
  Storage target;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    RawImage raw = valid_raw_image();
    c.corrupt(raw);
    const std::vector<std::byte> image = raw.bytes();
    EXPECT_TM_ERROR((void)decode_storage_image(image), ErrorCode::kInvalidArgument, "storage image: " + c.message);
    EXPECT_TM_ERROR((void)restore_image(target, image), ErrorCode::kInvalidArgument, "storage image: " + c.message);
  }
  expect_unused(target);
}

TEST(StorageImageFormat, AnImageOfAnotherTableIsNotAStorageImage) {
  HandleTable<BufferRecord> table;  // the right retire_at and noun, another tag
  const std::vector<std::byte> image =
      encode_table_image(table, image_tag("OBJS"), [](ImageWriter&, Handle, const BufferRecord&) {});
  EXPECT_TM_ERROR((void)decode_storage_image(image), ErrorCode::kInvalidArgument,
                  "storage image: it holds \"OBJS\" records, not \"BUFR\"");
}

TEST(StorageImage, TheSystemAllocatorFailingMidwayLeavesNoBufferAndNoSlot) {
  // Representable, but no system allocator has it (half the address space).
  constexpr std::size_t kLargest = (std::numeric_limits<std::size_t>::max() >> 1) & ~(kLargePageBytes - 1);
  RawImage raw;
  raw.generations = {1, 1};
  raw.counters = {64 + kLargest, 64 + kLargest, 0, 0, 0, 0, 0};
  raw.records = {{0, buffer_payload(64, 64, 0x1000, 0, 1)},
                 {1, buffer_payload(kLargest, kLargest, 0x100000, kLargeSizeClass, 1)}};
  Storage target;
  EXPECT_TM_ERROR((void)restore_image(target, raw.bytes()), ErrorCode::kOutOfMemory,
                  fmt::format("restore_image: 2 live buffers need {} bytes of blocks; failed after allocating 1 of "
                              "them: Out of memory: the system allocator could not provide {} bytes (block of {}); 64 "
                              "bytes in use, 0 bytes cached, limit none",
                              64 + kLargest, kLargest, kLargest));
  const Stats stats = target.stats();
  EXPECT_EQ(stats.live_buffers, 0U);
  EXPECT_EQ(stats.bytes_in_use, 0U);
  EXPECT_EQ(stats.bytes_reserved, 0U);
  EXPECT_EQ(stats.failed_allocations, 1U);
  EXPECT_EQ(target.allocate(1), (BufferHandle{0, 1}));
}

// ---- an object table of tensors, moved with its storage ------------------------------------
// Shaped like the JavaScript runtime's table (a Tensor and a kind per object),
// with its retirement generation: what moves with a wasm Device's storage.

struct Object {
  static constexpr const char* kNoun = "object";
  Tensor tensor;
  bool is_data = false;
};
using ObjectTable = HandleTable<Object, (std::uint32_t{1} << 21) - 2>;
constexpr std::uint32_t kObjectTag = image_tag("OBJS");
constexpr std::uint8_t kIsData = 1, kReadOnly = 2;

void encode_object(ImageWriter& out, Handle, const Object& object) {
  const Tensor& t = object.tensor;
  out.u32(t.buffer().index());
  out.u32(t.buffer().generation());
  out.u8(static_cast<std::uint8_t>(t.dtype()));
  out.u8(static_cast<std::uint8_t>((object.is_data ? kIsData : 0) | (t.is_read_only() ? kReadOnly : 0)));
  out.u8(static_cast<std::uint8_t>(t.ndim()));
  out.i64(t.offset());
  for (const std::int64_t size : t.shape()) out.i64(size);
  for (const std::int64_t stride : t.strides()) out.i64(stride);
}

struct ObjectImage {
  BufferHandle buffer;
  DType dtype = DType::kFloat32;
  std::uint8_t flags = 0;
  std::int64_t offset = 0;
  std::vector<std::int64_t> shape, strides;
};

ObjectImage decode_object(ImageReader& in) {
  ObjectImage object;
  const std::uint32_t index = in.u32("buffer index");
  object.buffer = BufferHandle{index, in.u32("buffer generation")};
  const std::uint8_t dtype = in.u8("dtype");
  if (dtype >= kDTypeCount) in.fail(fmt::format("dtype {} does not exist", dtype));
  object.dtype = static_cast<DType>(dtype);
  object.flags = in.u8("flags");
  const std::uint8_t ndim = in.u8("ndim");
  if (ndim > kMaxDims) in.fail(fmt::format("{} dims, more than {}", ndim, kMaxDims));
  object.offset = in.i64("offset");
  for (int d = 0; d < ndim; ++d) object.shape.push_back(in.i64("shape"));
  for (int d = 0; d < ndim; ++d) object.strides.push_back(in.i64("strides"));
  return object;
}

// The objects over a restored storage. Their references are in the refcounts
// the storage image carried: each view takes one (from_buffer) and the
// carried one goes, only once every view exists, so a failure leaves the
// counts as restored. from_buffer derives read-only from the layout alone,
// so a view that inherited it (a slice of an expand) is refused, not made
// writable.
ObjectTable restore_objects(Storage& storage, const TableImage<ObjectImage>& image) {
  std::vector<Object> objects;
  for (const auto& [handle, o] : image.live) {
    Tensor view = Tensor::from_buffer(storage, o.buffer, o.dtype, o.shape, o.strides, o.offset);
    if (view.is_read_only() != ((o.flags & kReadOnly) != 0)) {
      detail::raise(ErrorCode::kInvalidArgument, "object #{} (generation {}): from_buffer makes its layout {}",
                    handle.index(), handle.generation(), view.is_read_only() ? "read-only" : "writable");
    }
    objects.push_back({std::move(view), (o.flags & kIsData) != 0});
  }
  ObjectTable table = ObjectTable::restore(image.slots, std::move(objects));
  for (const auto& [handle, o] : image.live) storage.release(o.buffer);
  return table;
}

TEST(StorageImageObjects, TensorViewsMoveWithTheirStorageAndKeepLayoutFlagsAndValues) {
  auto old = std::make_unique<Storage>();
  ObjectTable objects;
  auto adopt = [&objects](Tensor tensor, bool is_data) {
    objects.reserve_one();
    return objects.insert(Object{std::move(tensor), is_data});
  };
  std::vector<float> values(12);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) * 1.5f;
  std::vector<Handle> handles;
  Handle gone;
  {
    const Tensor base = Tensor::from_data<float>(*old, {3, 4}, values);
    handles.push_back(adopt(base, false));
    handles.push_back(adopt(base.transpose(0, 1), false));
    handles.push_back(adopt(base.slice({Slice{1, 3}, Slice{std::nullopt, std::nullopt, 2}}), false));
    gone = adopt(Tensor::zeros(*old, {8}), false);
    const std::vector<std::int32_t> ints = {1, -2, 3, -4, 5, -6};
    handles.push_back(adopt(Tensor::from_data<std::int32_t>(*old, {6}, ints).view({2, 3}), false));
    handles.push_back(adopt(Tensor::from_data<float>(*old, {1, 4}, std::span(values).first(4)).expand({5, 4}), false));
    handles.push_back(adopt(Tensor::full<std::uint8_t>(*old, {16}, 7), true));
  }
  objects.get(gone).tensor.reset();  // as the runtime releases an object
  objects.erase(gone);

  struct Expected {
    std::vector<double> values;
    std::vector<std::int64_t> shape, strides;
    std::int64_t offset;
    bool read_only, is_data;
    std::uint32_t use_count;
  };
  std::vector<Expected> expected;
  for (const Handle h : handles) {
    const Object& o = objects.get(h);
    const Tensor& t = o.tensor;
    expected.push_back({testing::values_of<double>(t), {t.shape().begin(), t.shape().end()},
                        {t.strides().begin(), t.strides().end()}, t.offset(), t.is_read_only(), o.is_data,
                        t.use_count()});
  }
  ASSERT_TRUE(expected[4].read_only);
  ASSERT_EQ(expected[0].use_count, 3U);

  const std::vector<std::byte> storage_image = export_image(*old);
  const std::vector<std::byte> object_image = encode_table_image(objects, kObjectTag, encode_object);
  Storage moved;
  copy_bytes(restore_image(moved, storage_image));
  ObjectTable restored =
      restore_objects(moved, decode_table_image<ObjectTable>(object_image, "object table image", kObjectTag, 0,
                                                             decode_object));
  objects = ObjectTable{};  // the old views and their storage go away
  old.reset();

  for (std::size_t k = 0; k < handles.size(); ++k) {
    SCOPED_TRACE(k);
    const Object& o = restored.get(handles[k]);
    const Tensor& t = o.tensor;
    EXPECT_EQ(t.storage(), &moved);
    EXPECT_EQ(testing::values_of<double>(t), expected[k].values);
    EXPECT_EQ(std::vector<std::int64_t>(t.shape().begin(), t.shape().end()), expected[k].shape);
    EXPECT_EQ(std::vector<std::int64_t>(t.strides().begin(), t.strides().end()), expected[k].strides);
    EXPECT_EQ(t.offset(), expected[k].offset);
    EXPECT_EQ(t.is_read_only(), expected[k].read_only);
    EXPECT_EQ(o.is_data, expected[k].is_data);
    EXPECT_EQ(t.use_count(), expected[k].use_count);
  }
  EXPECT_TM_ERROR((void)restored.get(gone), ErrorCode::kDisposed,
                  "object #3 (generation 1) was released; current generation is 2");
  // Views still share their buffer.
  restored.get(handles[1]).tensor.set<float>({2, 2}, -1.0f);
  EXPECT_EQ(restored.get(handles[0]).tensor.at<float>({2, 2}), -1.0f);
  EXPECT_EQ(restored.get(handles[2]).tensor.at<float>({1, 1}), -1.0f);

  restored = ObjectTable{};
  EXPECT_EQ(moved.stats().live_buffers, 0U);
}

TEST(StorageImageObjects, AnObjectNamingAStaleBufferFailsToRestoreAndLeavesTheCountsAsRestored) {
  Storage old;
  ObjectTable objects;
  objects.reserve_one();
  const Handle view = objects.insert(Object{Tensor::zeros(old, {4}), false});
  const BufferHandle buffer = objects.get(view).tensor.buffer();
  const std::vector<std::byte> object_image = encode_table_image(objects, kObjectTag, encode_object);
  objects.reserve_one();
  (void)objects.insert(Object{Tensor::from_buffer(old, buffer, DType::kFloat32, {4}), false});
  Storage moved;
  (void)restore_image(moved, export_image(old));  // refcount 2, the object image names one view
  const auto image = decode_table_image<ObjectTable>(object_image, "object table image", kObjectTag, 0, decode_object);
  TableImage<ObjectImage> hostile = image;
  hostile.live[0].second.buffer = BufferHandle{buffer.index(), buffer.generation() + 2};
  EXPECT_TM_ERROR((void)restore_objects(moved, hostile), ErrorCode::kInvalidArgument,
                  "buffer #0 (generation 3) was never issued; current generation is 1");
  EXPECT_EQ(moved.use_count(buffer), 2U);
  const ObjectTable restored = restore_objects(moved, image);
  EXPECT_EQ(moved.use_count(buffer), 2U);
}

TEST(StorageImageObjects, AViewThatInheritedReadOnlyIsRefusedNotMadeWritable) {
  Storage old;
  ObjectTable objects;
  objects.reserve_one();
  const Tensor row = Tensor::zeros(old, {1, 4});
  (void)objects.insert(Object{row.expand({5, 4}).select(0, 1), false});  // read-only, layout [4] stride [1]
  ASSERT_TRUE(objects.get(Handle{0, 1}).tensor.is_read_only());
  const std::vector<std::byte> object_image = encode_table_image(objects, kObjectTag, encode_object);
  Storage moved;
  (void)restore_image(moved, export_image(old));
  const auto image = decode_table_image<ObjectTable>(object_image, "object table image", kObjectTag, 0, decode_object);
  EXPECT_TM_ERROR((void)restore_objects(moved, image), ErrorCode::kInvalidArgument,
                  "object #0 (generation 1): from_buffer makes its layout writable");
  EXPECT_EQ(moved.use_count(row.buffer()), 2U);
}

TEST(StorageImageObjects, ObjectPayloadsAreCheckedFieldByField) {
  Storage storage;
  ObjectTable objects;
  objects.reserve_one();
  (void)objects.insert(Object{Tensor::zeros(storage, {2, 2}), false});
  std::vector<std::byte> image = encode_table_image(objects, kObjectTag, [](ImageWriter& out, Handle, const Object&) {
    out.u32(0);
    out.u32(1);
    out.u8(200);  // no such dtype
    out.u8(0);
    out.u8(0);
    out.i64(0);
  });
  EXPECT_TM_ERROR((void)decode_table_image<ObjectTable>(image, "object table image", kObjectTag, 0, decode_object),
                  ErrorCode::kInvalidArgument,
                  "object table image: record of object #0 (generation 1): dtype 200 does not exist");
  image = encode_table_image(objects, kObjectTag, [](ImageWriter& out, Handle, const Object&) { out.u32(0); });
  EXPECT_TM_ERROR((void)decode_table_image<ObjectTable>(image, "object table image", kObjectTag, 0, decode_object),
                  ErrorCode::kInvalidArgument,
                  "object table image: record of object #0 (generation 1): buffer generation needs 4 bytes at "
                  "payload byte 4, but the payload has 4");
  HandleTable<Object> default_retirement;
  image = encode_table_image(default_retirement, kObjectTag, encode_object);
  EXPECT_TM_ERROR((void)decode_table_image<ObjectTable>(image, "object table image", kObjectTag, 0, decode_object),
                  ErrorCode::kInvalidArgument,
                  "object table image: its table retires slots at generation 4294967294; this one retires them at "
                  "2097150");
}

// ---- why: a wasm instance cannot shrink, a fresh pool holds only what is live ----------------

TEST(StorageImageWasm, AfterFreeingMostBuffersAFreshPoolReservesOnlyWhatIsLive) {
#ifndef __EMSCRIPTEN__
  GTEST_SKIP() << "about wasm linear memory; the wasm build runs this";
#else
  constexpr std::size_t kPageBytes = 65536;
  Storage old;
  std::vector<BufferHandle> handles;
  std::vector<BufferHandle> kept;
  handles.reserve(304);
  kept.reserve(handles.capacity());  // nothing below allocates outside the storages
  for (int i = 0; i < 48; ++i) handles.push_back(old.allocate(2 * kMiB));
  for (int i = 0; i < 256; ++i) handles.push_back(old.allocate(60000));
  const Stats peak = old.stats();
  const std::size_t memory_at_peak = __builtin_wasm_memory_size(0) * kPageBytes;
  ASSERT_GE(memory_at_peak, peak.bytes_reserved);

  for (std::size_t k = 0; k < handles.size(); ++k) {
    if (k % 16 == 0) {
      kept.push_back(handles[k]);
      fill_pattern(old.bytes(handles[k]), k);
    } else {
      old.release(handles[k]);
    }
  }
  const Stats freed = old.stats();
  old.compact();
  // The pool gave its blocks back, but the instance's memory stays as large as at the peak.
  EXPECT_EQ(__builtin_wasm_memory_size(0) * kPageBytes, memory_at_peak);

  const std::vector<std::byte> image = export_image(old);
  Storage fresh;
  const std::vector<MovedBuffer> moved = restore_image(fresh, image);
  copy_bytes(moved);
  const Stats after = fresh.stats();
  std::size_t live_blocks = 0;
  for (const BufferHandle h : kept) live_blocks += fresh.get(h).capacity;
  EXPECT_EQ(after.bytes_reserved, live_blocks);
  EXPECT_EQ(after.bytes_reserved, block_bytes_needed(decode_storage_image(image), fresh.options()));
  EXPECT_LT(after.bytes_reserved, freed.bytes_reserved);       // no cache carried over
  EXPECT_LT(after.bytes_reserved * 10, peak.bytes_reserved);   // what a new instance would need
  EXPECT_LT(after.bytes_reserved * 10, memory_at_peak);
  for (std::size_t k = 0; k < kept.size(); ++k) EXPECT_TRUE(has_pattern(fresh.bytes(kept[k]), k * 16));
#endif
}

}  // namespace
}  // namespace tensormem
