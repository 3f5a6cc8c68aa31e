// Allocation history: a bounded ring of what happened to a Storage's memory.
//
// Attach a History to a Storage (Storage::attach_history) and every
// allocation, retain, release, compaction and failed allocation is recorded
// as a HistoryEvent, stamped with a monotonic time and the pool's totals
// after it. Higher layers add their own events through Storage::record():
// heap growth, objects a garbage-collection safety net reclaimed, kernel
// calls, objects created and disposed. Storage::snapshot_json() writes the
// events beside the state at that moment (docs/snapshot-format.md).
//
// The ring's max_events slots are reserved when the History is made:
// recording never allocates and never grows; once full, each new event
// overwrites the oldest, which dropped() counts. The texts events refer to
// (kernel names, creation sites) are interned once each, within max_strings
// and max_string_bytes; past either, intern() returns kNoString and counts
// the text in dropped_strings().
//
// A History records one Storage at a time and is not thread-safe (like the
// Storage). Destroying either one detaches them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tensormem/dims.hpp"
#include "tensormem/dtype.hpp"
#include "tensormem/handle_table.hpp"

namespace tensormem {

class Storage;

// The "version" of Storage::snapshot_json() documents (docs/snapshot-format.md).
inline constexpr int kSnapshotFormatVersion = 1;

enum class EventKind : std::uint8_t {
  // Recorded by Storage.
  kAllocate,        // a buffer was made: bytes asked for, its block, refcount 1
  kRetain,          // a reference was added: refcount after
  kRelease,         // a reference was dropped: refcount after (0: the buffer was freed)
  kCompact,         // cached blocks went back to the system allocator: bytes released
  kLimitFailure,    // an allocation failed with MEMORY_LIMIT: bytes asked for, the block it needed, the limit
  kOutOfMemory,     // an allocation failed with OUT_OF_MEMORY: likewise
  // Recorded by higher layers, through Storage::record().
  kHeapGrowth,      // the heap grew: bytes added, heap_bytes after
  kReclaimed,       // a safety net released an object nobody disposed: owner, buffer, bytes, site
  kKernelCall,      // a kernel ran: name (label), bytes_added (bytes in use after minus before)
  kObjectCreated,   // an object took a reference to a buffer: owner, buffer, bytes, dtype, shape, site
  kObjectDisposed,  // an object was disposed: likewise
};

// The name snapshots use ("allocate", "limit_failure", ...).
[[nodiscard]] constexpr std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::kAllocate: return "allocate";
    case EventKind::kRetain: return "retain";
    case EventKind::kRelease: return "release";
    case EventKind::kCompact: return "compact";
    case EventKind::kLimitFailure: return "limit_failure";
    case EventKind::kOutOfMemory: return "out_of_memory";
    case EventKind::kHeapGrowth: return "heap_growth";
    case EventKind::kReclaimed: return "reclaimed";
    case EventKind::kKernelCall: return "kernel_call";
    case EventKind::kObjectCreated: return "object_created";
    case EventKind::kObjectDisposed: return "object_disposed";
  }
  return "unknown";
}

// What kind of object of a higher layer an event is about.
enum class OwnerKind : std::uint8_t { kNone, kData, kTensor, kView, kKernelOutput };

[[nodiscard]] constexpr std::string_view to_string(OwnerKind kind) noexcept {
  switch (kind) {
    case OwnerKind::kNone: return "none";
    case OwnerKind::kData: return "data";
    case OwnerKind::kTensor: return "tensor";
    case OwnerKind::kView: return "view";
    case OwnerKind::kKernelOutput: return "kernel_output";
  }
  return "unknown";
}

// One event. Which fields mean something depends on the kind (see EventKind
// and docs/snapshot-format.md); the others stay at their defaults.
struct HistoryEvent {
  static constexpr std::uint32_t kNoString = 0xFFFFFFFF;

  EventKind kind = EventKind::kAllocate;
  OwnerKind owner_kind = OwnerKind::kNone;
  std::optional<DType> dtype{};     // with shape, of an object
  std::uint32_t refcount = 0;       // the buffer's references after the event
  std::uint32_t label = kNoString;  // an interned text: a kernel's name, or an object's creation site
  std::uint64_t time_ns = 0;        // since the History was made; set by History::next_event()
  std::uint64_t bytes = 0;          // asked for, released, or added
  std::uint64_t block_bytes = 0;    // the buffer's block; for a failure, the block it needed
  std::uint64_t limit_bytes = 0;    // failures: the pool's max_bytes (SIZE_MAX: none)
  std::uint64_t heap_bytes = 0;     // heap growth: the heap's size after
  std::int64_t bytes_added = 0;     // kernel call
  std::uint64_t owner = 0;          // the higher layer's id of the object
  std::uint64_t bytes_in_use = 0;   // the pool's totals after the event; set by Storage
  std::uint64_t bytes_reserved = 0;
  Handle buffer{};                  // null when the event is about no buffer
  Dims shape{};
};

struct HistoryOptions {
  std::size_t max_events = std::size_t{1} << 14;        // ring slots, reserved up front
  std::size_t max_strings = 4096;                       // distinct interned texts
  std::size_t max_string_bytes = std::size_t{1} << 20;  // their bytes, together
};

class History {
 public:
  // Monotonic nanoseconds, from any origin. Read once per event; it must not throw.
  using Clock = std::function<std::uint64_t()>;
  static constexpr std::uint32_t kNoString = HistoryEvent::kNoString;

  // The monotonic clock, CLOCK_MONOTONIC (in wasm, the host's).
  [[nodiscard]] static std::uint64_t steady_clock_ns() noexcept;

  // Reads the clock once: event times count from here. Throws
  // INVALID_ARGUMENT for max_events 0 or an empty clock, OUT_OF_MEMORY when
  // the ring cannot be reserved.
  explicit History(HistoryOptions options = {}, Clock clock = &History::steady_clock_ns);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // The slot for a new event, cleared and stamped with the time: the oldest
  // event's when the ring is full. Valid until the next call. Storage fills
  // it in with the pool's totals; higher layers use Storage::record().
  HistoryEvent& next_event() noexcept;

  // The id of `text` (the same id for the same text), or kNoString when the
  // table is full (counted in dropped_strings()). Throws OUT_OF_MEMORY only
  // when the system allocator fails.
  std::uint32_t intern(std::string_view text);
  // The text of an id from intern(); empty for kNoString or an unknown id.
  [[nodiscard]] std::string_view text(std::uint32_t id) const noexcept;

  // Events held, oldest first: event(0) is the oldest. event() throws
  // OUT_OF_BOUNDS past size().
  [[nodiscard]] std::size_t size() const noexcept { return ring_.size(); }
  [[nodiscard]] const HistoryEvent& event(std::size_t i) const;
  // The same slot, to complete an event a higher layer learns more about
  // later (the JavaScript layer's creation site of an object).
  [[nodiscard]] HistoryEvent& event(std::size_t i) {
    return const_cast<HistoryEvent&>(static_cast<const History&>(*this).event(i));
  }
  template <typename F>
  void for_each_event(F&& f) const {
    for (std::size_t i = 0; i < ring_.size(); ++i) f(ring_[(oldest_ + i) % ring_.size()]);
  }

  [[nodiscard]] std::uint64_t recorded() const noexcept { return recorded_; }  // ever, dropped included
  [[nodiscard]] std::uint64_t dropped() const noexcept { return recorded_ - ring_.size(); }
  [[nodiscard]] std::size_t string_count() const noexcept { return strings_.size(); }
  [[nodiscard]] std::size_t dropped_strings() const noexcept { return dropped_strings_; }
  [[nodiscard]] const HistoryOptions& options() const noexcept { return options_; }
  // Nanoseconds since the History was made.
  [[nodiscard]] std::uint64_t now_ns() const;
  [[nodiscard]] bool is_attached() const noexcept { return storage_ != nullptr; }

 private:
  friend class Storage;

  HistoryOptions options_;
  Clock clock_;
  std::uint64_t start_ns_ = 0;
  std::vector<HistoryEvent> ring_;  // capacity max_events, never more
  std::size_t oldest_ = 0;          // once full: the slot the next event overwrites
  std::uint64_t recorded_ = 0;
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> strings_;  // by id: the keys of ids_ (stable: map nodes do not move)
  std::size_t string_bytes_ = 0;
  std::size_t dropped_strings_ = 0;
  Storage* storage_ = nullptr;  // the Storage recording into it
};

}  // namespace tensormem
