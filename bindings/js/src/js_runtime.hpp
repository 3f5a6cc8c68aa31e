// The runtime behind one JavaScript Device: a Storage, and a table of the
// objects JavaScript holds (DeviceData and Tensor), each a Tensor over a buffer.
//
// JavaScript names an object by a packed handle, generation * 2^32 + index,
// passed as a double: generations stay below 2^21 (the table retires a slot
// before), so the value is an exact integer below 2^53. Every call resolves
// the handle against the table, so a stale or forged handle is an error, never
// a read of reused memory.
//
// Errors are thrown as everywhere in tensormem; the exported functions
// (exports.cpp) catch them at the boundary.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include <tensormem/tensormem.hpp>

namespace tensormem::js {

// One object JavaScript holds.
struct Entry {
  static constexpr const char* kNoun = "object";
  Tensor tensor;
  std::uint32_t id = 0;  // what JavaScript shows: 1, 2, 3... per device, never reused
  bool is_data = false;  // a DeviceData (raw bytes) rather than a Tensor
  // For the history (snapshots): what made it, and its creation site (an
  // interned text of the History, set by JS when stacks are recorded).
  OwnerKind kind = OwnerKind::kTensor;
  std::uint32_t site = History::kNoString;
};

// Even, and below 2^21: generations of a packed handle fit in 21 bits.
inline constexpr std::uint32_t kRetireAt = (std::uint32_t{1} << 21) - 2;
using EntryTable = HandleTable<Entry, kRetireAt>;

inline constexpr double kTwo32 = 4294967296.0;

[[nodiscard]] inline double pack(Handle handle) noexcept {
  return static_cast<double>(handle.generation()) * kTwo32 + static_cast<double>(handle.index());
}

// Any double maps to some handle; only issued ones resolve.
[[nodiscard]] inline Handle unpack(double packed) noexcept {
  if (!(packed >= 0 && packed < 9007199254740992.0)) return {};  // NaN, negative, >= 2^53: null
  const auto bits = static_cast<std::uint64_t>(packed);
  return {static_cast<std::uint32_t>(bits), static_cast<std::uint32_t>(bits >> 32)};
}

// Scratch memory shared with JS, in doubles: shapes, indices and slice specs go
// in, tensor descriptions come out. Numbers stay doubles until checked here,
// so NaN, fractions and huge values are reported by value.
inline constexpr int kScratchDoubles = 64;

// The mailbox: doubles the runtime writes for JS to read after a call.
namespace mailbox {
inline constexpr int kCreatedId = 0;  // the id of the object the last call created
inline constexpr int kSize = 4;
}  // namespace mailbox

// Layout of a description written by describe().
namespace described {
inline constexpr int kNdim = 0, kDtype = 1, kOffset = 2, kFirstElement = 3, kFlags = 4, kNumel = 5, kShape = 6,
                     kStrides = 6 + kMaxDims;
inline constexpr int kContiguous = 1, kReadOnly = 2;
}  // namespace described

class Runtime {
 public:
  explicit Runtime(const PoolOptions& options) : storage_(options) {}
  ~Runtime() { clear(); }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  [[nodiscard]] double* scratch() noexcept { return scratch_; }
  [[nodiscard]] double* mailbox() noexcept { return mailbox_; }
  [[nodiscard]] Storage& storage() noexcept { return storage_; }
  [[nodiscard]] const EntryTable& entries() const noexcept { return entries_; }
  [[nodiscard]] std::size_t live_data() const noexcept { return live_data_; }
  [[nodiscard]] std::size_t live_tensors() const noexcept { return live_tensors_; }

  // Stores the tensor make() returns as a new object; its packed handle. The
  // table has room before make() runs, so a reference into it that make()
  // holds (the source of a view op) stays valid, and the tensor is moved
  // once, into its slot.
  // `kind`: kData, kTensor (a view when recording finds its buffer shared)
  // or kKernelOutput.
  template <typename Make>
  double adopt_from(Make&& make, bool is_data, OwnerKind kind = OwnerKind::kTensor) {
    entries_.reserve_one();
    const std::uint32_t id = next_id_ + 1;
    const Handle handle = entries_.insert(Entry{make(), id, is_data, is_data ? OwnerKind::kData : kind});
    next_id_ = id;
    mailbox_[mailbox::kCreatedId] = id;
    ++(is_data ? live_data_ : live_tensors_);
    if (history_) [[unlikely]] record_created(entries_.get(handle));
    return pack(handle);
  }
  double adopt(Tensor tensor, bool is_data, OwnerKind kind = OwnerKind::kTensor) {
    return adopt_from([&tensor] { return std::move(tensor); }, is_data, kind);
  }

  [[nodiscard]] const Tensor& tensor(double packed) const { return entries_.get(unpack(packed)).tensor; }

  // Forgets the object and drops its buffer reference; the slot goes first,
  // so an error from the release (a debug guard overrun) leaves no entry.
  // `reclaimed`: the safety net releases it (recorded as such).
  void release(double packed, bool reclaimed = false) {
    const Handle handle = unpack(packed);
    Entry& entry = entries_.get(handle);
    if (history_) [[unlikely]] {
      record_object(reclaimed ? EventKind::kReclaimed : EventKind::kObjectDisposed, entry);
    }
    --(entry.is_data ? live_data_ : live_tensors_);
    entries_.erase_resolved(handle);
    entry.tensor.reset();  // the slot's memory stays as it is until its next insert
  }

  // ---- history (device.recordHistory / snapshot) ----
  [[nodiscard]] History* history() noexcept { return history_.get(); }

  // Starts a new history (ending any other) of `max_events` events.
  void start_history(double max_events) {
    const std::int64_t n = to_int(max_events, "recordHistory", "maxEvents");
    if (n <= 0) detail::raise(ErrorCode::kInvalidArgument, "recordHistory: maxEvents {} must be positive", n);
    constexpr auto kMostEvents = std::numeric_limits<std::size_t>::max() / sizeof(HistoryEvent);
    if (static_cast<std::uint64_t>(n) > kMostEvents) {
      detail::raise(ErrorCode::kInvalidArgument,
                    "recordHistory: maxEvents {} is more than a ring of {}-byte events can ever hold ({})", n,
                    sizeof(HistoryEvent), kMostEvents);
    }
    stop_history();
    HistoryOptions options;
    options.max_events = static_cast<std::size_t>(n);
    auto history = std::make_unique<History>(options, [this] { return call_time_ns(); });
    storage_.attach_history(*history);
    history_ = std::move(history);
  }
  // ~History detaches it. Creation sites are texts of the history: they go with it.
  void stop_history() noexcept {
    if (!history_) return;
    history_.reset();
    entries_.for_each([this](Handle handle, const Entry&) { entries_.get(handle).site = History::kNoString; });
  }

  // The history's clock: the host's monotonic clock, read once per call from
  // JavaScript (a read through WASI costs more there than the rest of an
  // event); the events of one call share its time. end_call() after each call.
  std::uint64_t call_time_ns() noexcept {
    if (!call_time_read_) {
      call_time_ns_ = History::steady_clock_ns();
      call_time_read_ = true;
    }
    return call_time_ns_;
  }
  void end_call() noexcept { call_time_read_ = false; }

  // An event only this layer sees (heap growth), with the pool's totals now.
  // Not through Storage::record(): the heap grows inside an allocation,
  // while the Storage records nothing of its own.
  HistoryEvent& direct_event(EventKind kind) noexcept {
    HistoryEvent& event = history_->next_event();
    event.kind = kind;
    event.bytes_in_use = storage_.pool().bytes_in_use();
    event.bytes_reserved = storage_.pool().bytes_reserved();
    return event;
  }

  // Sets the object's creation site (interned text `site`), in its entry and
  // in its object_created event, which is among the last few recorded.
  void set_site(double packed, std::uint32_t site) {
    Entry& entry = entries_.get(unpack(packed));
    entry.site = site;
    if (!history_) return;
    constexpr std::size_t kLookBack = 8;
    for (std::size_t back = 1; back <= kLookBack && back <= history_->size(); ++back) {
      HistoryEvent& event = history_->event(history_->size() - back);
      if (event.kind == EventKind::kObjectCreated && event.owner == entry.id) {
        event.label = site;
        return;
      }
    }
  }

  // The snapshot document (docs/snapshot-format.md), kept until the next one.
  const std::string& snapshot() {
    snapshot_ = storage_.snapshot_json();
    return snapshot_;
  }

  [[nodiscard]] char* text() noexcept { return text_; }
  static constexpr int kTextBytes = 1024;

  // Releases every object (Device.dispose, and the destructor).
  void clear() noexcept {
    entries_.for_each([this](Handle handle, const Entry&) {
      Entry& entry = entries_.get(handle);
      entry.tensor = Tensor{};
      entries_.erase_resolved(handle);
    });
    live_data_ = live_tensors_ = 0;
  }

  // An integer argument from JavaScript; INVALID_ARGUMENT names the value.
  // `index` >= 0 names an element of a list argument ("shape[1]").
  static std::int64_t to_int(double value, const char* op, const char* what, int index = -1) {
    if (!(std::fabs(value) <= 9007199254740991.0) || value != std::trunc(value)) [[unlikely]] {
      raise_not_int(value, op, what, index);
    }
    return static_cast<std::int64_t>(value);
  }

  // The first n scratch values as integers (a shape, dims or an index). The
  // list may be longer than kMaxDims: the op itself then says so, naming it.
  IntList scratch_ints(double n, const char* op, const char* what) {
    const std::int64_t count = to_int(n, op, "the length");
    if (count < 0 || count > kScratchDoubles) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidShape, "{}: {} has {} values; at most {} are supported", op, what, count,
                    kMaxDims);
    }
    for (int i = 0; i < count; ++i) ints_[i] = to_int(scratch_[i], op, what, i);
    return {ints_, static_cast<std::size_t>(count)};
  }

  // Writes shape, strides and the rest of a tensor's layout to the scratch (see `described`).
  void describe(double packed) {
    const Tensor& t = entries_.get(unpack(packed)).tensor;
    const BufferRecord& record = storage_.get(t.buffer());
    double* out = scratch_;
    out[described::kNdim] = t.ndim();
    out[described::kDtype] = static_cast<double>(t.dtype());
    out[described::kOffset] = static_cast<double>(t.offset());
    // Element [0, ..., 0] as an index into a heap typed array of this dtype:
    // blocks are 64-byte aligned, so the division is exact.
    const auto base = reinterpret_cast<std::uintptr_t>(record.data);
    out[described::kFirstElement] =
        static_cast<double>(base / t.itemsize()) + static_cast<double>(t.offset());
    out[described::kFlags] = (t.is_contiguous() ? described::kContiguous : 0) |
                             (t.is_read_only() ? described::kReadOnly : 0);
    out[described::kNumel] = static_cast<double>(t.numel());
    for (int d = 0; d < t.ndim(); ++d) {
      out[described::kShape + d] = static_cast<double>(t.shape()[static_cast<std::size_t>(d)]);
      out[described::kStrides + d] = static_cast<double>(t.strides()[static_cast<std::size_t>(d)]);
    }
  }

 private:
  [[gnu::noinline]] void record_created(Entry& entry) {
    if (entry.kind == OwnerKind::kTensor && storage_.get(entry.tensor.buffer()).refcount > 1) entry.kind = OwnerKind::kView;
    record_object(EventKind::kObjectCreated, entry);
  }

  [[gnu::noinline]] void record_object(EventKind kind, const Entry& entry) {
    const Tensor& t = entry.tensor;
    HistoryEvent event;
    event.kind = kind;
    event.owner = entry.id;
    event.owner_kind = entry.kind;
    event.buffer = t.buffer();
    event.bytes = storage_.size(t.buffer());
    event.label = entry.site;
    if (!entry.is_data) {
      event.dtype = t.dtype();
      for (const std::int64_t d : t.shape()) event.shape.push_back(d);
    }
    storage_.record(event);
  }

  [[noreturn, gnu::cold]] static void raise_not_int(double value, const char* op, const char* what, int index) {
    const std::string name = index >= 0 ? fmt::format("{}[{}]", what, index) : std::string(what);
    // Integers past 2^53 are integers, but not exact ones: say so rather than "not an integer".
    const bool too_large = value == std::trunc(value) && !std::isinf(value);
    detail::raise(ErrorCode::kInvalidArgument, "{}: {} is {}; it must be {}", op, name, detail::format_number(value),
                  too_large ? "at most 2^53 - 1 in magnitude (larger numbers are not exact)" : "an integer");
  }

  alignas(16) double scratch_[kScratchDoubles] = {};
  alignas(8) double mailbox_[mailbox::kSize] = {};
  std::int64_t ints_[kScratchDoubles] = {};  // scratch_ints() results
  Storage storage_;      // before entries_: destroyed after them
  EntryTable entries_;
  std::unique_ptr<History> history_;  // after storage_: detaches from it first
  std::uint64_t call_time_ns_ = 0;
  bool call_time_read_ = false;
  std::string snapshot_;
  char text_[kTextBytes] = {};
  std::size_t live_data_ = 0;
  std::size_t live_tensors_ = 0;
  std::uint32_t next_id_ = 0;
};

}  // namespace tensormem::js
