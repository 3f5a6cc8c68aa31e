// Refcounted storage: buffers from a Pool, named by generation-tagged handles.
//
// This is the raw handle API the JavaScript facade uses; C++ code usually
// holds a SharedBuffer instead. A buffer starts with one reference; retain()
// adds one, release() drops one, and the last release returns the block to
// the pool and makes every copy of the handle stale. Any use of a stale
// handle fails with DISPOSED, naming the buffer's index and generations, even
// after its slot has been reused by another buffer.
//
// Storage owns its buffers: destroying it returns every block, live or not.
// It is not thread-safe (see Pool). storage_image.hpp moves a Storage's
// buffers, with their handles, into another one (how a wasm Device shrinks).
//
// An attached History (history.hpp) records every allocation, retain,
// release, compaction and failed allocation; snapshot_json() writes the
// state and the recorded events. Without one, the hot paths pay one
// predictable branch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>

#include "tensormem/error.hpp"
#include "tensormem/handle_table.hpp"
#include "tensormem/history.hpp"
#include "tensormem/options.hpp"
#include "tensormem/pool.hpp"
#include "tensormem/stats.hpp"

namespace tensormem {

using BufferHandle = Handle;

// What a live buffer handle resolves to. Flat and without padding (32 bytes
// on 64-bit targets) so that compilers keep it in registers on the fast paths.
struct BufferRecord {
  static constexpr const char* kNoun = "buffer";

  std::byte* data = nullptr;
  std::size_t capacity = 0;      // of the pool block
  std::size_t size = 0;          // bytes asked for; <= capacity
  std::uint32_t size_class = 0;  // of the pool block
  std::uint32_t refcount = 0;

  [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data, size}; }
  [[nodiscard]] Block block() const noexcept { return {data, capacity, size_class}; }
};

// The counters a storage restored from an image (storage_image.hpp) carries
// over from the one it was exported from; stats() merges them with its
// pool's own.
struct CarriedStats {
  std::size_t peak_bytes_in_use = 0;
  std::size_t peak_bytes_reserved = 0;
  std::size_t compactions = 0;
  std::size_t bytes_released = 0;
  std::size_t failed_allocations = 0;
  std::size_t guard_violations = 0;
  std::size_t failed_releases = 0;

  // Into a Stats or another CarriedStats: peaks by maximum, the rest add up.
  template <typename Counters>
  void merge_into(Counters& out) const noexcept {
    out.peak_bytes_in_use = std::max(out.peak_bytes_in_use, peak_bytes_in_use);
    out.peak_bytes_reserved = std::max(out.peak_bytes_reserved, peak_bytes_reserved);
    out.compactions += compactions;
    out.bytes_released += bytes_released;
    out.failed_allocations += failed_allocations;
    out.guard_violations += guard_violations;
    out.failed_releases += failed_releases;
  }
};

namespace detail {
struct StorageImageAccess;  // export_image / restore_image, in storage_image.cpp
}  // namespace detail

class Storage {
 public:
  // Throws INVALID_ARGUMENT for an option out of range.
  explicit Storage(PoolOptions options = {}) : pool_(options) {}
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // A new buffer of `bytes` bytes (contents unspecified) with one reference.
  // Throws MEMORY_LIMIT or OUT_OF_MEMORY and then changes nothing but the
  // failure counters.
  // always_inline here and on release(): wasm compilers otherwise keep these
  // as calls, which costs more than the work inside (measured: 13 -> 8 ns).
  [[nodiscard, gnu::always_inline]] BufferHandle allocate(std::size_t bytes) {
    if (history_ != nullptr) [[unlikely]] return allocate_recorded(bytes);
    buffers_.reserve_one();  // first, so that nothing below can leave a block without a slot
    const Block block = pool_.allocate(bytes);
    return buffers_.insert(BufferRecord{block.data, block.capacity, bytes, block.size_class, 1});
  }

  // Adds a reference. Throws DISPOSED / INVALID_ARGUMENT for a bad handle.
  void retain(BufferHandle handle) {
    if (history_ != nullptr) [[unlikely]] return retain_recorded(handle);
    BufferRecord& record = buffers_.get(handle);
    if (record.refcount == std::numeric_limits<std::uint32_t>::max()) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "buffer #{} (generation {}) already has {} references", handle.index(),
                    handle.generation(), record.refcount);
    }
    ++record.refcount;
  }

  // Drops a reference and returns how many are left; at zero the buffer is
  // gone. Throws DISPOSED / INVALID_ARGUMENT for a bad handle, and in debug
  // mode OUT_OF_BOUNDS when the buffer was written past its end (it is
  // released all the same).
  [[gnu::always_inline]] std::uint32_t release(BufferHandle handle) {
    if (history_ != nullptr) [[unlikely]] return release_recorded(handle);
    BufferRecord& record = buffers_.get(handle);
    if (--record.refcount > 0) return record.refcount;
    const Block block = record.block();
    const std::size_t size = record.size;
    buffers_.erase_resolved(handle);
    const std::size_t overwritten = pool_.release(block, size);
    if (overwritten != Pool::kIntact) [[unlikely]] report_overrun(handle, size, overwritten);
    return 0;
  }

  // release() for callers that cannot throw (destructors): a failure is
  // counted in Stats::failed_releases or guard_violations instead.
  void release_noexcept(BufferHandle handle) noexcept;

  // The live buffer's record; throws DISPOSED / INVALID_ARGUMENT.
  [[nodiscard]] const BufferRecord& get(BufferHandle handle) const { return buffers_.get(handle); }
  [[nodiscard]] std::span<std::byte> bytes(BufferHandle handle) const { return get(handle).bytes(); }
  [[nodiscard]] std::byte* data(BufferHandle handle) const { return get(handle).data; }
  [[nodiscard]] std::size_t size(BufferHandle handle) const { return get(handle).size; }
  [[nodiscard]] std::uint32_t use_count(BufferHandle handle) const { return get(handle).refcount; }
  [[nodiscard]] bool is_live(BufferHandle handle) const noexcept { return buffers_.find(handle) != nullptr; }

  // Calls f(handle, record) for every live buffer.
  template <typename F>
  void for_each_buffer(F&& f) const {
    buffers_.for_each(std::forward<F>(f));
  }

  // Returns every cached block to the system allocator; the bytes released.
  std::size_t compact() noexcept {
    const std::size_t released = pool_.compact();
    if (history_ != nullptr && released > 0) [[unlikely]] record_compaction(released);
    return released;
  }

  // The pool's counters, plus bytes_requested summed over the live buffers
  // (O(slots): kept off the allocation path, where a counter would cost),
  // merged with those carried over by restore_image() (storage_image.hpp).
  [[nodiscard]] Stats stats() const noexcept {
    Stats stats = pool_.stats();
    carried_.merge_into(stats);
    buffers_.for_each([&stats](BufferHandle, const BufferRecord& record) { stats.bytes_requested += record.size; });
    return stats;
  }
  [[nodiscard]] const Pool& pool() const noexcept { return pool_; }
  [[nodiscard]] const PoolOptions& options() const noexcept { return pool_.options(); }

  // ---- history (history.hpp; out of line in src/history.cpp) ----
  // Records into `history` until detach_history() or the end of either.
  // Throws INVALID_ARGUMENT when this Storage already records into a
  // history, or `history` already records another Storage.
  void attach_history(History& history);
  void detach_history() noexcept;
  [[nodiscard]] History* history() const noexcept { return history_; }
  // Records a higher layer's event (EventKind::kHeapGrowth and after) in the
  // attached history, with the pool's totals; without a history, nothing.
  // Throws INVALID_ARGUMENT for the kinds Storage records itself.
  void record(HistoryEvent event);
  // One JSON object: the state now (stats, size classes with bytes, every
  // live buffer) and, with a history attached, its events and texts.
  // Versioned; docs/snapshot-format.md describes every field.
  [[nodiscard]] std::string snapshot_json() const;

 private:
  // The hot paths with recording: each runs the plain path with history_
  // cleared (a Paused guard), then records. Out of line and never inlined,
  // so that the plain paths carry only the call.
  class Paused;
  [[gnu::noinline]] BufferHandle allocate_recorded(std::size_t bytes);
  [[gnu::noinline]] void retain_recorded(BufferHandle handle);
  [[gnu::noinline]] std::uint32_t release_recorded(BufferHandle handle);
  [[gnu::noinline]] void record_compaction(std::size_t released) noexcept;

  // Scalars only: a record passed by reference would escape to the stack on the fast path.
  [[noreturn]] static void report_overrun(BufferHandle handle, std::size_t size, std::size_t overwritten) {
    detail::raise(ErrorCode::kOutOfBounds,
                  "buffer #{} (generation {}) was written past its end: guard byte at offset {} of a {}-byte "
                  "buffer was overwritten (detected on release)",
                  handle.index(), handle.generation(), overwritten, size);
  }

  friend struct detail::StorageImageAccess;

  Pool pool_;
  HandleTable<BufferRecord> buffers_;
  History* history_ = nullptr;  // after the slot table, which every hot path reads anyway
  CarriedStats carried_;
};

inline Storage::~Storage() {
  detach_history();
  buffers_.for_each([this](BufferHandle, const BufferRecord& record) { pool_.release(record.block(), record.size); });
}

inline void Storage::release_noexcept(BufferHandle handle) noexcept {
  try {
    release(handle);
  } catch (const Error& error) {
    // A guard overrun was counted by the pool as it released the block.
    if (error.code() != ErrorCode::kOutOfBounds) pool_.count_failed_release();
  }
}

}  // namespace tensormem
