// Storage images: a Storage's (or any HandleTable's) state as a flat byte
// blob, rebuilt in another place with the same handles.
//
// WebAssembly memory never shrinks, but each JavaScript Device has its own
// wasm instance, and JS objects name buffers only by (index, generation)
// handles. So a Device gives memory back by moving: export an image in the
// old instance, copy the blob into a fresh, right-sized instance, restore it
// there, copy each live buffer's bytes from the old memory into its new
// block, and drop the old instance. Only bytes travel between the two, so
// the image describes itself, and restoring checks all of it before building
// anything: a truncated, corrupted or hostile image is an INVALID_ARGUMENT
// naming what is wrong, and the target is left as it was.
//
//   const std::vector<std::byte> image = export_image(old_storage);
//   Storage moved(options);                                   // one that has issued no handle
//   for (const MovedBuffer& m : restore_image(moved, image))  // the blocks; the bytes are the caller's
//     std::memcpy(m.to, old_storage.data(m.handle), m.size);  // in JS: from one wasm memory to the other
//
// Natively there is no instance to leave: every block is its own
// aligned_alloc, so Storage::compact() is the shrink (it returns every cached
// block, and glibc gives large ones back to the system at once).
//
// The format, version 1: little-endian, unpadded, offsets in bytes.
//   header, kImageHeaderBytes (48):
//      0  magic            "TMIM"
//      4  u32 version      1
//      8  u32 tag          what the records hold: "BUFR" for a Storage, a caller's own tag otherwise
//     12  u32 retire_at    the table's RetireAt (handle_table.hpp)
//     16  u32 slot_count
//     20  u32 free_count
//     24  u32 live_count
//     28  u32 retired_count
//     32  u32 counter_count
//     36  u32 body_crc32   CRC-32 (IEEE, as zlib's crc32) of every byte after the header
//     40  u64 total_bytes  the image's length, header included
//   body:
//     u32 generation[slot_count]  every slot's, in index order
//     u32 free_list[free_count]   the free slots; the next insert takes the first
//     u64 counter[counter_count]
//     live_count records in slot order, each: u32 index, u32 payload_bytes, payload
//   A Storage's payload is 32 bytes: u64 size, u64 capacity, u64 address,
//   u32 size_class, u32 refcount (the old block's capacity, address and class);
//   its 7 counters are CarriedStats's members, in order (storage.hpp).
//
// A restored Storage's Stats, counter by counter:
//   the same, because the buffers are:  live_buffers, bytes_requested
//   carried over (CarriedStats: the storage's history, not its pool's):
//     peak_bytes_in_use, peak_bytes_reserved  the larger of the old peak and the new pool's
//     compactions, bytes_released, failed_allocations, guard_violations, failed_releases
//                                             the old count plus the new pool's
//   the new pool's own, counted from the restore on (it allocates one new
//   block per live buffer, of the smallest class the buffer's size needs):
//     bytes_in_use, bytes_reserved            those blocks: no cache, no larger fallback blocks
//     bytes_cached                            0
//     allocations, pool_misses                one per live buffer
//     frees, pool_hits                        0
//     size_classes[], large                   likewise, per class
//     max_bytes                               the target's own limit (options are not in the image)
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensormem/error.hpp"
#include "tensormem/handle_table.hpp"
#include "tensormem/options.hpp"
#include "tensormem/storage.hpp"

namespace tensormem {

inline constexpr std::uint32_t kImageVersion = 1;
inline constexpr std::size_t kImageHeaderBytes = 48;

// A tag from four characters, as the header stores it: image_tag("BUFR").
[[nodiscard]] constexpr std::uint32_t image_tag(const char (&chars)[5]) noexcept {
  std::uint32_t tag = 0;
  for (int i = 3; i >= 0; --i) tag = tag << 8 | static_cast<unsigned char>(chars[i]);
  return tag;
}
inline constexpr std::uint32_t kStorageImageTag = image_tag("BUFR");

// Appends a record's payload, little-endian.
class ImageWriter {
 public:
  explicit ImageWriter(std::vector<std::byte>& out) noexcept : out_(&out) {}
  void u8(std::uint8_t value);
  void u32(std::uint32_t value);
  void u64(std::uint64_t value);
  void i64(std::int64_t value) { u64(static_cast<std::uint64_t>(value)); }

 private:
  std::vector<std::byte>* out_;
};

// Reads one record's payload, little-endian, field by named field. A read
// past the payload, bytes left unread, or a value the decoder rejects (fail)
// is an INVALID_ARGUMENT naming the image, the record's handle and the field.
class ImageReader {
 public:
  ImageReader(std::span<const std::byte> payload, std::string_view image, const char* noun, Handle handle) noexcept
      : payload_(payload), image_(image), noun_(noun), handle_(handle) {}

  [[nodiscard]] std::uint8_t u8(const char* field) { return static_cast<std::uint8_t>(read(1, field)); }
  [[nodiscard]] std::uint32_t u32(const char* field) { return static_cast<std::uint32_t>(read(4, field)); }
  [[nodiscard]] std::uint64_t u64(const char* field) { return read(8, field); }
  [[nodiscard]] std::int64_t i64(const char* field) { return static_cast<std::int64_t>(read(8, field)); }

  // The handle of the record being read.
  [[nodiscard]] Handle handle() const noexcept { return handle_; }
  // "<image>: record of <noun> #3 (generation 1): <problem>".
  [[noreturn]] void fail(std::string_view problem) const;
  // Fails when payload bytes are left unread.
  void finish() const;

 private:
  std::uint64_t read(std::size_t bytes, const char* field);

  std::span<const std::byte> payload_;
  std::size_t position_ = 0;
  std::string_view image_;
  const char* noun_;
  Handle handle_;
};

// A decoded table image: the slots, one Record per live slot, the counters.
template <typename Record>
struct TableImage {
  TableSlots slots;
  std::vector<std::pair<Handle, Record>> live;  // in slot order
  std::vector<std::uint64_t> counters;
};

namespace detail {

// The non-template parts of encode_table_image and decode_table_image.
void begin_image(std::vector<std::byte>& out, const TableSlots& slots, std::span<const std::uint64_t> counters);
std::size_t begin_record(std::vector<std::byte>& out, std::uint32_t index);
void end_record(std::vector<std::byte>& out, std::size_t record_start, const char* noun, Handle handle);
void seal_image(std::vector<std::byte>& out, std::uint32_t tag, std::uint32_t retire_at, const TableSlots& slots,
                std::size_t counter_count, std::size_t live_count);
[[nodiscard]] std::uint32_t image_crc32(std::span<const std::byte> bytes) noexcept;

struct ParsedImage {
  TableSlots slots;
  std::vector<std::uint64_t> counters;
  std::size_t live_count = 0;
  std::size_t records_start = 0;
};
// Checks the header, the length and the checksum; reads slots and counters.
[[nodiscard]] ParsedImage parse_image(std::span<const std::byte> image, std::string_view what, std::uint32_t tag,
                                      std::uint32_t retire_at, std::size_t counter_count);
// After the slots passed check_slots: one record per live slot.
void check_live_count(const TableSlots& slots, std::size_t live_count, std::string_view what);
struct RecordView {
  Handle handle;
  std::span<const std::byte> payload;
};
// Record `ordinal` at `position` (advanced past it): in bounds, naming a live
// slot after `previous` (the last record's index, or -1).
[[nodiscard]] RecordView next_record(std::span<const std::byte> image, std::size_t& position, std::size_t ordinal,
                                     std::size_t live_count, const TableSlots& slots, std::int64_t previous,
                                     std::string_view what, const char* noun);
void check_image_end(std::span<const std::byte> image, std::size_t position, std::string_view what);
[[noreturn]] void raise_invalid_image(std::string_view what, std::string_view problem);
[[noreturn]] void raise_image_out_of_memory(std::string_view what, std::size_t bytes);

}  // namespace detail

// The image of a HandleTable (Table is a HandleTable<Payload, RetireAt>):
// encode(ImageWriter&, Handle, const Payload&) writes one live payload;
// `counters` are the caller's. OUT_OF_MEMORY when the image cannot be
// allocated.
template <typename Table, typename Encode>
[[nodiscard]] std::vector<std::byte> encode_table_image(const Table& table, std::uint32_t tag, Encode&& encode,
                                                        std::span<const std::uint64_t> counters = {}) {
  const TableSlots slots = table.export_slots();
  std::vector<std::byte> out;
  try {
    detail::begin_image(out, slots, counters);
    std::size_t live = 0;
    table.for_each([&](Handle handle, const typename Table::payload_type& payload) {
      const std::size_t start = detail::begin_record(out, handle.index());
      ImageWriter writer(out);
      encode(writer, handle, payload);
      detail::end_record(out, start, Table::payload_type::kNoun, handle);
      ++live;
    });
    detail::seal_image(out, tag, Table::kRetireAt, slots, counters.size(), live);
  } catch (const std::bad_alloc&) {
    detail::raise(ErrorCode::kOutOfMemory, "could not allocate the image of a {} table ({} bytes written)",
                  Table::payload_type::kNoun, out.size());
  }
  return out;
}

// Parses and checks an image of a Table completely: header (magic, version,
// tag, retire_at, counts against the length), checksum, slots (check_slots),
// one record per live slot in slot order, `counter_count` counters.
// decode(ImageReader&) reads one payload into a Record, checking its values
// (ImageReader::fail). `what` names the image in messages ("storage image").
// INVALID_ARGUMENT naming the first problem; OUT_OF_MEMORY when the decoded
// image cannot be allocated.
template <typename Table, typename Decode>
[[nodiscard]] auto decode_table_image(std::span<const std::byte> image, std::string_view what, std::uint32_t tag,
                                      std::size_t counter_count, Decode&& decode)
    -> TableImage<std::decay_t<std::invoke_result_t<Decode&, ImageReader&>>> {
  using Record = std::decay_t<std::invoke_result_t<Decode&, ImageReader&>>;
  const char* noun = Table::payload_type::kNoun;
  try {
    detail::ParsedImage parsed = detail::parse_image(image, what, tag, Table::kRetireAt, counter_count);
    if (const std::string problem = Table::check_slots(parsed.slots); !problem.empty()) {
      detail::raise_invalid_image(what, problem);
    }
    detail::check_live_count(parsed.slots, parsed.live_count, what);
    TableImage<Record> result{std::move(parsed.slots), {}, std::move(parsed.counters)};
    result.live.reserve(parsed.live_count);
    std::size_t position = parsed.records_start;
    for (std::size_t k = 0; k < parsed.live_count; ++k) {
      const std::int64_t previous = k == 0 ? -1 : std::int64_t{result.live.back().first.index()};
      const detail::RecordView record =
          detail::next_record(image, position, k, parsed.live_count, result.slots, previous, what, noun);
      ImageReader reader(record.payload, what, noun, record.handle);
      Record value = decode(reader);
      reader.finish();
      result.live.emplace_back(record.handle, std::move(value));
    }
    detail::check_image_end(image, position, what);
    return result;
  } catch (const std::bad_alloc&) {
    detail::raise_image_out_of_memory(what, image.size());
  }
}

// ---- Storage ------------------------------------------------------------------

// One live buffer, as a storage image holds it.
struct BufferImage {
  BufferHandle handle;
  std::uint64_t size = 0;        // bytes asked for: what the move copies
  std::uint64_t capacity = 0;    // of its block where it was exported
  std::uint64_t address = 0;     // of that block, in the exporting address space (in wasm, a memory offset)
  std::uint32_t size_class = 0;  // of that block
  std::uint32_t refcount = 0;
};

struct StorageImage {
  TableSlots slots;
  std::vector<BufferImage> buffers;  // in slot order
  CarriedStats carried;
};

// The image of a storage's handle table, live buffers and carried counters;
// the storage is unchanged. OUT_OF_MEMORY when it cannot be allocated.
[[nodiscard]] std::vector<std::byte> export_image(const Storage& storage);

// Parses and checks a storage image completely (see decode_table_image),
// and each buffer: refcount >= 1, size <= capacity, a capacity its size class
// has, a non-null 64-byte aligned address, counters this platform can hold
// and peaks no lower than the live blocks. INVALID_ARGUMENT naming the first
// problem.
[[nodiscard]] StorageImage decode_storage_image(std::span<const std::byte> image);

// Bytes of blocks a Storage with `options` takes to restore `image`: each
// buffer's block of the smallest class its size needs (what bytes_in_use and
// bytes_reserved are after restore_image), saturated at UINT64_MAX.
[[nodiscard]] std::uint64_t block_bytes_needed(const StorageImage& image, const PoolOptions& options) noexcept;

// Where one buffer's bytes go: `size` bytes from `from` (the exporting side's
// address) to `to` (its new block). restore_image() does not copy them.
struct MovedBuffer {
  BufferHandle handle;
  std::size_t size = 0;
  std::uint64_t from = 0;
  std::byte* to = nullptr;
};

// Rebuilds the image's table and buffers in `target`, which must never have
// issued a handle (a stale handle of its own could otherwise name a restored
// buffer): each handle resolves or fails with the same message as before,
// each live buffer has a new block of its own size class with the old size
// and refcount (contents unspecified until the caller copies them), and the
// next allocation takes the slot the old storage would have. Returns one
// MovedBuffer per live buffer, in slot order. Its Stats: see the top of this
// file.
// Throws INVALID_ARGUMENT for a bad image or a used target, MEMORY_LIMIT when
// the blocks do not fit the target's max_bytes, OUT_OF_MEMORY when the
// system allocator fails; each names the bytes needed. On INVALID_ARGUMENT and
// MEMORY_LIMIT the target is untouched; after OUT_OF_MEMORY it holds no
// buffer and no slot, and its pool counters show the attempt (as after any
// failed allocation), its cache compacted.
std::vector<MovedBuffer> restore_image(Storage& target, std::span<const std::byte> image);

}  // namespace tensormem
