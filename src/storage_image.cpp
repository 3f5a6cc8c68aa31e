// Storage images: the byte format, its checks, and moving a Storage's buffers.
#include "tensormem/storage_image.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <limits>

#include "tensormem/pool.hpp"
#include "tensormem/size_class.hpp"

namespace tensormem {
namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kMagic = image_tag("TMIM");
constexpr std::string_view kStorageImage = "storage image";

// Header fields: byte offsets (see storage_image.hpp).
constexpr std::size_t kMagicAt = 0, kVersionAt = 4, kTagAt = 8, kRetireAtAt = 12, kSlotCountAt = 16,
                      kFreeCountAt = 20, kLiveCountAt = 24, kRetiredCountAt = 28, kCounterCountAt = 32,
                      kBodyCrcAt = 36, kTotalBytesAt = 40;
constexpr std::size_t kRecordHeaderBytes = 8;  // u32 index, u32 payload_bytes

// A storage image's counters, in the order they are stored.
constexpr std::array<const char*, 7> kCarriedNames = {"peak_bytes_in_use",  "peak_bytes_reserved", "compactions",
                                                      "bytes_released",     "failed_allocations",  "guard_violations",
                                                      "failed_releases"};

void append(std::vector<std::byte>& out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out.push_back(static_cast<std::byte>(value >> (8 * i)));
}

void store(std::vector<std::byte>& out, std::size_t at, std::uint64_t value, std::size_t bytes) noexcept {
  for (std::size_t i = 0; i < bytes; ++i) out[at + i] = static_cast<std::byte>(value >> (8 * i));
}

[[nodiscard]] std::uint64_t load(std::span<const std::byte> from, std::size_t at, std::size_t bytes) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = bytes; i-- > 0;) value = value << 8 | std::to_integer<std::uint64_t>(from[at + i]);
  return value;
}

[[nodiscard]] std::uint32_t load32(std::span<const std::byte> from, std::size_t at) noexcept {
  return static_cast<std::uint32_t>(load(from, at, 4));
}

// A tag (or the magic) as its four characters in quotes when they print, else in hex.
std::string tag_text(std::uint32_t tag) {
  std::string text = "\"";
  for (int i = 0; i < 4; ++i) {
    const auto c = static_cast<unsigned char>(tag >> (8 * i));
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return detail::format("0x{:08x}", tag);
    text += static_cast<char>(c);
  }
  return text + "\"";
}

constexpr auto kCrcTable = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}();

[[nodiscard]] constexpr bool fits_size_t(std::uint64_t value) noexcept {
  if constexpr (sizeof(std::size_t) >= sizeof(std::uint64_t)) {
    return true;
  } else {
    return value <= std::numeric_limits<std::size_t>::max();
  }
}

[[nodiscard]] constexpr std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
  return b > kMaxU64 - a ? kMaxU64 : a + b;
}

std::string live_buffers_text(std::size_t count) {
  return detail::format("{} live buffer{}", count, count == 1 ? "" : "s");
}

// A buffer's payload values, beyond what the reader checked field by field.
void check_buffer(const ImageReader& in, const BufferImage& buffer) {
  if (buffer.refcount == 0) in.fail("refcount is 0; a live buffer has at least 1");
  if (buffer.size_class > kLargeSizeClass) {
    in.fail(detail::format("size class {} does not exist (0 to {} for small blocks, {} for large ones)", buffer.size_class,
                           kLargeSizeClass - 1, kLargeSizeClass));
  }
  if (buffer.size_class < kLargeSizeClass) {
    if (buffer.capacity != size_class_bytes(buffer.size_class)) {
      in.fail(detail::format("a block of size class {} has {} bytes, not {}", buffer.size_class,
                             size_class_bytes(buffer.size_class), buffer.capacity));
    }
  } else if (buffer.capacity <= kMaxSmallBytes || buffer.capacity % kLargePageBytes != 0) {
    in.fail(detail::format("a large block of {} bytes is not a multiple of {} bytes above {}", buffer.capacity,
                           kLargePageBytes, kMaxSmallBytes));
  }
  if (buffer.size > buffer.capacity) {
    in.fail(detail::format("size {} is larger than its block of {} bytes", buffer.size, buffer.capacity));
  }
  if (buffer.address == 0 || buffer.address % kBlockAlignment != 0) {
    in.fail(detail::format("block address 0x{:x} is not a nonzero multiple of {}", buffer.address, kBlockAlignment));
  }
  if (buffer.address > kMaxU64 - buffer.capacity) {
    in.fail(detail::format("a block of {} bytes at 0x{:x} passes the end of a 64-bit address space", buffer.capacity,
                           buffer.address));
  }
}

}  // namespace

// ---- ImageWriter / ImageReader ---------------------------------------------------

void ImageWriter::u8(std::uint8_t value) { append(*out_, value, 1); }
void ImageWriter::u32(std::uint32_t value) { append(*out_, value, 4); }
void ImageWriter::u64(std::uint64_t value) { append(*out_, value, 8); }

std::uint64_t ImageReader::read(std::size_t bytes, const char* field) {
  if (payload_.size() - position_ < bytes) {
    fail(detail::format("{} needs {} bytes at payload byte {}, but the payload has {}", field, bytes, position_,
                        payload_.size()));
  }
  const std::uint64_t value = load(payload_, position_, bytes);
  position_ += bytes;
  return value;
}

void ImageReader::fail(std::string_view problem) const {
  detail::raise(ErrorCode::kInvalidArgument, "{}: record of {} #{} (generation {}): {}", image_, noun_,
                handle_.index(), handle_.generation(), problem);
}

void ImageReader::finish() const {
  if (position_ != payload_.size()) {
    fail(detail::format("{} payload bytes after the last field (read {} of {})", payload_.size() - position_, position_,
                        payload_.size()));
  }
}

// ---- the container ----------------------------------------------------------------

namespace detail {

std::uint32_t image_crc32(std::span<const std::byte> bytes) noexcept {
  std::uint32_t crc = 0xFFFFFFFFU;
  for (const std::byte b : bytes) crc = kCrcTable[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFFU] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFU;
}

void raise_invalid_image(std::string_view what, std::string_view problem) {
  raise(ErrorCode::kInvalidArgument, "{}: {}", what, problem);
}

void raise_image_out_of_memory(std::string_view what, std::size_t bytes) {
  raise(ErrorCode::kOutOfMemory, "{}: could not allocate the decoded state of a {}-byte image", what, bytes);
}

void begin_image(std::vector<std::byte>& out, const TableSlots& slots, std::span<const std::uint64_t> counters) {
  out.assign(kImageHeaderBytes, std::byte{0});
  for (const std::uint32_t generation : slots.generations) append(out, generation, 4);
  for (const std::uint32_t index : slots.free_list) append(out, index, 4);
  for (const std::uint64_t counter : counters) append(out, counter, 8);
}

std::size_t begin_record(std::vector<std::byte>& out, std::uint32_t index) {
  const std::size_t start = out.size();
  append(out, index, 4);
  append(out, 0, 4);  // payload_bytes, set by end_record
  return start;
}

void end_record(std::vector<std::byte>& out, std::size_t record_start, const char* noun, Handle handle) {
  const std::size_t payload = out.size() - record_start - kRecordHeaderBytes;
  if (payload > std::numeric_limits<std::uint32_t>::max()) {
    raise(ErrorCode::kInvalidArgument, "record of {} #{} (generation {}) has {} payload bytes, more than a record "
          "holds ({})", noun, handle.index(), handle.generation(), payload, std::numeric_limits<std::uint32_t>::max());
  }
  store(out, record_start + 4, payload, 4);
}

void seal_image(std::vector<std::byte>& out, std::uint32_t tag, std::uint32_t retire_at, const TableSlots& slots,
                std::size_t counter_count, std::size_t live_count) {
  // A HandleTable has at most 2^32 - 1 slots, so every count fits its u32.
  store(out, kMagicAt, kMagic, 4);
  store(out, kVersionAt, kImageVersion, 4);
  store(out, kTagAt, tag, 4);
  store(out, kRetireAtAt, retire_at, 4);
  store(out, kSlotCountAt, slots.generations.size(), 4);
  store(out, kFreeCountAt, slots.free_list.size(), 4);
  store(out, kLiveCountAt, live_count, 4);
  store(out, kRetiredCountAt, slots.retired, 4);
  store(out, kCounterCountAt, counter_count, 4);
  store(out, kBodyCrcAt, image_crc32(std::span(out).subspan(kImageHeaderBytes)), 4);
  store(out, kTotalBytesAt, out.size(), 8);
}

ParsedImage parse_image(std::span<const std::byte> image, std::string_view what, std::uint32_t tag,
                        std::uint32_t retire_at, std::size_t counter_count) {
  auto fail = [what](const std::string& problem) { raise_invalid_image(what, problem); };
  if (image.size() < kImageHeaderBytes) {
    fail(detail::format("{} bytes, shorter than the {}-byte header", image.size(), kImageHeaderBytes));
  }
  if (const std::uint32_t magic = load32(image, kMagicAt); magic != kMagic) {
    fail(detail::format("magic is {}, not {}", tag_text(magic), tag_text(kMagic)));
  }
  if (const std::uint32_t version = load32(image, kVersionAt); version != kImageVersion) {
    fail(detail::format("version {} is not supported; this build reads version {}", version, kImageVersion));
  }
  if (const std::uint32_t image_tag = load32(image, kTagAt); image_tag != tag) {
    fail(detail::format("it holds {} records, not {}", tag_text(image_tag), tag_text(tag)));
  }
  if (const std::uint32_t image_retire_at = load32(image, kRetireAtAt); image_retire_at != retire_at) {
    fail(detail::format("its table retires slots at generation {}; this one retires them at {}", image_retire_at,
                        retire_at));
  }
  if (const std::uint64_t total = load(image, kTotalBytesAt, 8); total != image.size()) {
    fail(detail::format("the header says {} bytes, but {} were given", total, image.size()));
  }
  const std::uint32_t slot_count = load32(image, kSlotCountAt);
  const std::uint32_t free_count = load32(image, kFreeCountAt);
  const std::uint32_t live_count = load32(image, kLiveCountAt);
  if (const std::uint32_t counters = load32(image, kCounterCountAt); counters != counter_count) {
    fail(detail::format("{} counters, expected {}", counters, counter_count));
  }
  const std::uint64_t fixed = kImageHeaderBytes + 4 * (std::uint64_t{slot_count} + free_count) +
                              8 * (std::uint64_t{counter_count} + live_count);
  if (fixed > image.size()) {
    fail(detail::format("{} slots, {} free-list entries, {} counters and {} records need at least {} bytes; the image "
                        "has {}",
                        slot_count, free_count, counter_count, live_count, fixed, image.size()));
  }
  const std::uint32_t body_crc = image_crc32(image.subspan(kImageHeaderBytes));
  if (const std::uint32_t stored = load32(image, kBodyCrcAt); stored != body_crc) {
    fail(detail::format("the body's checksum is 0x{:08x}, but the header says 0x{:08x}: the image is corrupted", body_crc,
                        stored));
  }

  ParsedImage parsed;
  std::size_t at = kImageHeaderBytes;
  parsed.slots.generations.resize(slot_count);
  for (std::uint32_t& generation : parsed.slots.generations) generation = load32(image, std::exchange(at, at + 4));
  parsed.slots.free_list.resize(free_count);
  for (std::uint32_t& index : parsed.slots.free_list) index = load32(image, std::exchange(at, at + 4));
  parsed.counters.resize(counter_count);
  for (std::uint64_t& counter : parsed.counters) counter = load(image, std::exchange(at, at + 8), 8);
  parsed.slots.retired = load32(image, kRetiredCountAt);
  parsed.live_count = live_count;
  parsed.records_start = at;
  return parsed;
}

void check_live_count(const TableSlots& slots, std::size_t live_count, std::string_view what) {
  if (const std::size_t live_slots = slots.live(); live_slots != live_count) {
    raise_invalid_image(what, detail::format("{} records for {} live slots", live_count, live_slots));
  }
}

RecordView next_record(std::span<const std::byte> image, std::size_t& position, std::size_t ordinal,
                       std::size_t live_count, const TableSlots& slots, std::int64_t previous, std::string_view what,
                       const char* noun) {
  auto fail = [what](const std::string& problem) { raise_invalid_image(what, problem); };
  if (image.size() - position < kRecordHeaderBytes) {
    fail(detail::format("record {} of {} starts at byte {}, but its {}-byte header passes the image's end ({})", ordinal,
                        live_count, position, kRecordHeaderBytes, image.size()));
  }
  const std::uint32_t index = load32(image, position);
  const std::uint32_t payload_bytes = load32(image, position + 4);
  position += kRecordHeaderBytes;
  if (index >= slots.generations.size()) {
    fail(detail::format("record {} names {} #{}, past the table's {} slots", ordinal, noun, index,
                        slots.generations.size()));
  }
  if (previous == std::int64_t{index}) fail(detail::format("record {} names {} #{} again", ordinal, noun, index));
  if (previous > std::int64_t{index}) {
    fail(detail::format("record {} names {} #{} after #{}: records must be in slot order", ordinal, noun, index,
                        previous));
  }
  const std::uint32_t generation = slots.generations[index];
  if ((generation & 1U) == 0) {
    fail(detail::format("record {} names {} #{}, which is not live (generation {})", ordinal, noun, index, generation));
  }
  if (payload_bytes > image.size() - position) {
    fail(detail::format("record {} ({} #{}) has {} payload bytes, but only {} are left", ordinal, noun, index,
                        payload_bytes, image.size() - position));
  }
  const RecordView record{Handle{index, generation}, image.subspan(position, payload_bytes)};
  position += payload_bytes;
  return record;
}

void check_image_end(std::span<const std::byte> image, std::size_t position, std::string_view what) {
  if (position != image.size()) {
    raise_invalid_image(what, detail::format("{} bytes after the last record", image.size() - position));
  }
}

// ---- Storage ------------------------------------------------------------------------

struct StorageImageAccess {
  static std::vector<std::byte> export_image(const Storage& storage) {
    const Stats stats = storage.stats();
    const std::array<std::uint64_t, kCarriedNames.size()> counters = {
        stats.peak_bytes_in_use,  stats.peak_bytes_reserved, stats.compactions,    stats.bytes_released,
        stats.failed_allocations, stats.guard_violations,    stats.failed_releases};
    return encode_table_image(
        storage.buffers_, kStorageImageTag,
        [](ImageWriter& out, Handle, const BufferRecord& record) {
          out.u64(record.size);
          out.u64(record.capacity);
          out.u64(reinterpret_cast<std::uintptr_t>(record.data));
          out.u32(record.size_class);
          out.u32(record.refcount);
        },
        counters);
  }

  static std::vector<MovedBuffer> restore(Storage& target, const StorageImage& image) {
    const std::size_t count = image.buffers.size();
    const std::uint64_t needed = block_bytes_needed(image, target.options());
    const std::size_t limit = target.options().max_bytes;
    if (needed > limit) {
      if (limit == kUnlimited) {
        raise(ErrorCode::kOutOfMemory, "restore_image: {} need {} bytes of blocks, more than this platform can address",
              live_buffers_text(count), needed);
      }
      raise(ErrorCode::kMemoryLimit, "restore_image: {} need {} bytes of blocks; the target's limit is {} bytes",
            live_buffers_text(count), needed, limit);
    }
    std::vector<BufferRecord> records;
    std::vector<MovedBuffer> moved;
    try {
      records.reserve(count);
      moved.reserve(count);
    } catch (const std::exception&) {
      raise(ErrorCode::kOutOfMemory, "restore_image: could not allocate the list of {}", live_buffers_text(count));
    }
    // needed <= limit <= SIZE_MAX: every size below fits size_t.
    try {
      for (const BufferImage& buffer : image.buffers) {
        const auto size = static_cast<std::size_t>(buffer.size);
        const Block block = target.pool_.allocate(size);
        records.push_back(BufferRecord{block.data, block.capacity, size, block.size_class, buffer.refcount});
        moved.push_back(MovedBuffer{buffer.handle, size, buffer.address, block.data});
      }
      target.buffers_ = HandleTable<BufferRecord>::restore(image.slots, records);
    } catch (const Error& error) {
      roll_back(target, records);
      raise(error.code(), "restore_image: {} need {} bytes of blocks; failed after allocating {} of them: {}",
            live_buffers_text(count), needed, records.size(), error.message());
    } catch (const std::exception&) {
      roll_back(target, records);
      raise(ErrorCode::kOutOfMemory, "restore_image: {} need {} bytes of blocks; memory ran out after allocating {} "
            "of them", live_buffers_text(count), needed, records.size());
    }
    image.carried.merge_into(target.carried_);  // a target restored from an empty image may carry some already
    return moved;
  }

  static void roll_back(Storage& target, const std::vector<BufferRecord>& records) noexcept {
    for (const BufferRecord& record : records) target.pool_.release(record.block(), record.size);
    target.pool_.compact();
  }

  static std::size_t slot_count(const Storage& storage) noexcept { return storage.buffers_.slot_count(); }
};

}  // namespace detail

std::vector<std::byte> export_image(const Storage& storage) { return detail::StorageImageAccess::export_image(storage); }

StorageImage decode_storage_image(std::span<const std::byte> image) {
  TableImage<BufferImage> table = decode_table_image<HandleTable<BufferRecord>>(
      image, kStorageImage, kStorageImageTag, kCarriedNames.size(), [](ImageReader& in) {
        BufferImage buffer;
        buffer.handle = in.handle();
        buffer.size = in.u64("size");
        buffer.capacity = in.u64("capacity");
        buffer.address = in.u64("address");
        buffer.size_class = in.u32("size_class");
        buffer.refcount = in.u32("refcount");
        check_buffer(in, buffer);
        return buffer;
      });

  std::uint64_t live_block_bytes = 0;
  for (const auto& entry : table.live) live_block_bytes = saturating_add(live_block_bytes, entry.second.capacity);
  for (std::size_t i = 0; i < kCarriedNames.size(); ++i) {
    if (!fits_size_t(table.counters[i])) {
      detail::raise_invalid_image(kStorageImage, detail::format("{} is {}, more than this platform's size_t holds ({})",
                                                                kCarriedNames[i], table.counters[i],
                                                                std::numeric_limits<std::size_t>::max()));
    }
  }
  const std::uint64_t peak_in_use = table.counters[0];
  const std::uint64_t peak_reserved = table.counters[1];
  if (peak_in_use < live_block_bytes) {
    detail::raise_invalid_image(kStorageImage, detail::format("peak_bytes_in_use {} is below the {} bytes of the live "
                                                              "buffers' blocks",
                                                              peak_in_use, live_block_bytes));
  }
  if (peak_reserved < peak_in_use) {
    detail::raise_invalid_image(kStorageImage, detail::format("peak_bytes_reserved {} is below peak_bytes_in_use {}",
                                                              peak_reserved, peak_in_use));
  }

  StorageImage result;
  try {
    result.slots = std::move(table.slots);
    result.buffers.reserve(table.live.size());
    for (auto& entry : table.live) result.buffers.push_back(entry.second);
  } catch (const std::exception&) {
    detail::raise_image_out_of_memory(kStorageImage, image.size());
  }
  const auto counter = [&table](std::size_t i) { return static_cast<std::size_t>(table.counters[i]); };
  result.carried = {counter(0), counter(1), counter(2), counter(3), counter(4), counter(5), counter(6)};
  return result;
}

std::uint64_t block_bytes_needed(const StorageImage& image, const PoolOptions& options) noexcept {
  // The pool's own rounding (Pool::allocate): request plus guard bytes, at least 1,
  // to its size class, or to whole pages above kMaxSmallBytes.
  const std::uint64_t guard = options.debug ? Pool::kGuardBytes : 0;
  std::uint64_t total = 0;
  for (const BufferImage& buffer : image.buffers) {
    if (buffer.size > kMaxU64 - kLargePageBytes - guard) return kMaxU64;
    const std::uint64_t need = std::max<std::uint64_t>(buffer.size + guard, 1);
    const std::uint64_t block = need <= kMaxSmallBytes
                                    ? size_class_bytes(size_class_of(static_cast<std::size_t>(need)))
                                    : (need + kLargePageBytes - 1) / kLargePageBytes * kLargePageBytes;
    total = saturating_add(total, block);
  }
  return total;
}

std::vector<MovedBuffer> restore_image(Storage& target, std::span<const std::byte> image) {
  if (const std::size_t slots = detail::StorageImageAccess::slot_count(target); slots != 0) {
    detail::raise(ErrorCode::kInvalidArgument, "restore_image: the target storage has issued handles ({} slot{}); "
                  "restore into one that has issued none", slots, slots == 1 ? "" : "s");
  }
  return detail::StorageImageAccess::restore(target, decode_storage_image(image));
}

}  // namespace tensormem
