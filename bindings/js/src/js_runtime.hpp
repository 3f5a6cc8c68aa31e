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
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <tensormem/tensormem.hpp>

namespace tensormem::js {

// One object JavaScript holds.
struct Entry {
  static constexpr const char* kNoun = "object";
  Tensor tensor;
  std::uint32_t id = 0;  // what JavaScript shows: 1, 2, 3... per device, never reused
  bool is_data = false;  // a DeviceData (raw bytes) rather than a Tensor
  // For the history (snapshots): what made it. Its creation site lives in
  // the Runtime's side table (Runtime::site): every view op moves an entry
  // into its slot, and with the site here it would be 8 bytes larger.
  OwnerKind kind = OwnerKind::kTensor;
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
// The last id issued, read and written by both sides: JavaScript issues the
// ids of the views it derives here, without a call.
inline constexpr int kLastId = 2;
inline constexpr int kSize = 4;
}  // namespace mailbox

// Layout of a description written by describe().
namespace described {
inline constexpr int kNdim = 0, kDtype = 1, kOffset = 2, kFirstElement = 3, kFlags = 4, kNumel = 5, kShape = 6,
                     kStrides = 6 + kMaxDims, kBufferIndex = 6 + 2 * kMaxDims, kBufferGeneration = 7 + 2 * kMaxDims;
inline constexpr int kContiguous = 1, kReadOnly = 2;
}  // namespace described

// ---- the entry image (device.shrink) -----------------------------------------
// The one place that knows what an entry holds, as bytes: an entry table's
// image (storage_image.hpp) with this record per live entry, and one counter,
// the last id issued. Read-only travels as a flag: a view made read-only by
// as_read_only() shows it in no layout.
inline constexpr std::uint32_t kEntryImageTag = image_tag("JSEN");

struct EntryRecord {
  std::uint32_t id = 0;
  bool is_data = false;
  bool read_only = false;
  DType dtype = DType::kUint8;
  int ndim = 0;
  OwnerKind kind = OwnerKind::kTensor;
  BufferHandle buffer;
  std::int64_t offset = 0;
  std::int64_t shape[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};
};

inline void write_entry(ImageWriter& out, const Entry& entry) {
  const Tensor& t = entry.tensor;
  out.u32(entry.id);
  out.u8(entry.is_data ? 1 : 0);
  out.u8(t.is_read_only() ? 1 : 0);
  out.u8(static_cast<std::uint8_t>(t.dtype()));
  out.u8(static_cast<std::uint8_t>(t.ndim()));
  out.u8(static_cast<std::uint8_t>(entry.kind));
  out.u32(t.buffer().index());
  out.u32(t.buffer().generation());
  out.i64(t.offset());
  for (const std::int64_t n : t.shape()) out.i64(n);
  for (const std::int64_t n : t.strides()) out.i64(n);
}

inline EntryRecord read_entry(ImageReader& in) {
  EntryRecord r;
  r.id = in.u32("id");
  const std::uint8_t is_data = in.u8("is_data");
  const std::uint8_t read_only = in.u8("read_only");
  const std::uint8_t dtype = in.u8("dtype");
  const std::uint8_t ndim = in.u8("ndim");
  const std::uint8_t kind = in.u8("kind");
  if (is_data > 1) in.fail(detail::format("is_data is {}; it must be 0 or 1", is_data));
  if (read_only > 1) in.fail(detail::format("read_only is {}; it must be 0 or 1", read_only));
  if (dtype >= kDTypeCount) in.fail(detail::format("dtype {} is not one of the {} dtypes", dtype, kDTypeCount));
  if (ndim > kMaxDims) in.fail(detail::format("ndim is {}; at most {}", ndim, kMaxDims));
  if (kind == 0 || kind > static_cast<std::uint8_t>(OwnerKind::kKernelOutput)) {
    in.fail(detail::format("kind is {}; it must be 1 to {}", kind, static_cast<int>(OwnerKind::kKernelOutput)));
  }
  if (r.id == 0) in.fail("id is 0; ids start at 1");
  r.is_data = is_data != 0;
  r.read_only = read_only != 0;
  r.dtype = static_cast<DType>(dtype);
  r.ndim = ndim;
  r.kind = static_cast<OwnerKind>(kind);
  const std::uint32_t index = in.u32("buffer index");
  r.buffer = BufferHandle{index, in.u32("buffer generation")};
  r.offset = in.i64("offset");
  for (int d = 0; d < ndim; ++d) r.shape[d] = in.i64("shape");
  for (int d = 0; d < ndim; ++d) r.strides[d] = in.i64("strides");
  return r;
}

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
    const std::uint32_t id = last_id() + 1;
    const Handle handle = entries_.insert(Entry{make(), id, is_data, is_data ? OwnerKind::kData : kind});
    mailbox_[mailbox::kLastId] = id;
    mailbox_[mailbox::kCreatedId] = id;
    ++(is_data ? live_data_ : live_tensors_);
    if (history_) [[unlikely]] record_created(handle);
    return pack(handle);
  }
  double adopt(Tensor tensor, bool is_data, OwnerKind kind = OwnerKind::kTensor) {
    return adopt_from([&tensor] { return std::move(tensor); }, is_data, kind);
  }

  [[nodiscard]] const Tensor& tensor(double packed) const { return entries_.get(unpack(packed)).tensor; }

  // Forgets the object and drops its buffer reference; the slot goes first,
  // so an error from the release (a debug guard overrun) leaves no entry.
  // `reclaimed`: the safety net releases it (recorded as such).
  [[gnu::always_inline]] void release(double packed, bool reclaimed = false) {
    const Handle handle = unpack(packed);
    Entry& entry = entries_.get(handle);
    if (history_) [[unlikely]] record_released(handle, reclaimed);
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
    sites_ = std::vector<std::uint32_t>();
  }

  // The object's creation site: an interned text of the history, or History::kNoString.
  [[nodiscard]] std::uint32_t site(Handle handle) const noexcept {
    return handle.index() < sites_.size() ? sites_[handle.index()] : History::kNoString;
  }

  // The history's clock: the host's monotonic clock, read once per call from
  // JavaScript (a read through WASI costs more there than the rest of an
  // event); the events of one call share its time. begin_call() at the start of each call.
  std::uint64_t call_time_ns() noexcept {
    if (!call_time_read_) {
      call_time_ns_ = History::steady_clock_ns();
      call_time_read_ = true;
    }
    return call_time_ns_;
  }
  void begin_call() noexcept { call_time_read_ = false; }

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
    const Handle handle = unpack(packed);
    const Entry& entry = entries_.get(handle);
    if (!history_) return;  // sites are texts of the history: none without one
    if (sites_.size() <= handle.index()) sites_.resize(entries_.slot_count(), History::kNoString);
    sites_[handle.index()] = site;
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

  // ---- device.shrink: the move to another instance ----
  // The entry image (see write_entry); the storage's is export_image(storage()).
  [[nodiscard]] std::vector<std::byte> export_entries() const {
    const std::uint64_t counters[] = {last_id()};
    return encode_table_image(
        entries_, kEntryImageTag, [](ImageWriter& out, Handle, const Entry& entry) { write_entry(out, entry); },
        counters);
  }

  // In a runtime that has created nothing: another instance's buffers (their
  // blocks; the caller copies the bytes to each MovedBuffer) and entries, with
  // the same handles and ids. Each entry's tensor is rebuilt over its buffer
  // from the image's layout, then the references restore_image carried are
  // released, so each buffer is held by exactly its entries, as before.
  // INVALID_ARGUMENT for a bad image or a used runtime; what restore_image
  // and Tensor::from_buffer throw otherwise. On error this runtime is to be
  // discarded (the caller drops the instance).
  std::vector<MovedBuffer> restore(std::span<const std::byte> storage_image, std::span<const std::byte> entry_image) {
    if (entries_.slot_count() != 0 || last_id() != 0) {
      detail::raise(ErrorCode::kInvalidArgument, "restore: this runtime has created objects ({} slots)",
                    entries_.slot_count());
    }
    auto image = decode_table_image<EntryTable>(entry_image, "entry image", kEntryImageTag, 1, read_entry);
    if (image.counters[0] > 0xFFFFFFFFU) {
      detail::raise(ErrorCode::kInvalidArgument, "entry image: last id {} does not fit 32 bits", image.counters[0]);
    }
    std::vector<MovedBuffer> moved = restore_image(storage_, storage_image);
    std::vector<std::uint32_t> carried;
    carried.reserve(moved.size());
    for (const MovedBuffer& m : moved) carried.push_back(storage_.use_count(m.handle));
    std::vector<Entry> live;
    live.reserve(image.live.size());
    std::size_t data = 0;
    for (const auto& [handle, r] : image.live) {
      Tensor t = Tensor::from_buffer(storage_, r.buffer, r.dtype, IntList{r.shape, static_cast<std::size_t>(r.ndim)},
                                     IntList{r.strides, static_cast<std::size_t>(r.ndim)}, r.offset);
      if (t.is_read_only() && !r.read_only) {
        detail::raise(ErrorCode::kInvalidArgument, "entry image: object #{} is writable, but its layout may alias",
                      r.id);
      }
      if (r.read_only && !t.is_read_only()) t = t.as_read_only();
      if (r.id > image.counters[0]) {
        detail::raise(ErrorCode::kInvalidArgument, "entry image: object id {} is past the last id issued ({})", r.id,
                      image.counters[0]);
      }
      data += r.is_data ? 1 : 0;
      live.push_back(Entry{std::move(t), r.id, r.is_data, r.kind});
    }
    for (std::size_t i = 0; i < moved.size(); ++i) {
      const std::uint32_t held = storage_.use_count(moved[i].handle) - carried[i];
      if (held != carried[i]) {
        detail::raise(ErrorCode::kInvalidArgument,
                      "restore: buffer #{} (generation {}) had {} references in the storage image, but {} objects "
                      "hold it in the entry image",
                      moved[i].handle.index(), moved[i].handle.generation(), carried[i], held);
      }
    }
    for (std::size_t i = 0; i < moved.size(); ++i) {
      for (std::uint32_t k = 0; k < carried[i]; ++k) storage_.release(moved[i].handle);
    }
    entries_ = EntryTable::restore(image.slots, std::move(live));
    mailbox_[mailbox::kLastId] = static_cast<double>(image.counters[0]);
    live_data_ = data;
    live_tensors_ = image.live.size() - data;
    return moved;
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
    out[described::kBufferIndex] = t.buffer().index();
    out[described::kBufferGeneration] = t.buffer().generation();
  }

  // ---- views JavaScript derives (lib/tensor.mjs) ----
  // A view op JavaScript computed from a described layout takes its id from
  // the mailbox (kLastId) and no entry: its buffer is held by the object it
  // was derived from, or, once that is disposed, by one reference JavaScript
  // takes for all such views of it (retain_view). The common view made and
  // disposed in one turn costs no call. JavaScript gives it an entry
  // (adopt_view) before anything needs one: a kernel argument, a snapshot,
  // stats, shrink, finalization, a recording.

  // A reference to `buffer` for views derived from an object being disposed.
  // DISPOSED / INVALID_ARGUMENT for a handle that does not resolve.
  void retain_view(double index, double generation) { storage_.retain(buffer_handle(index, generation)); }

  // Drops a reference retain_view() took (the last view holding it went).
  void release_view(double index, double generation) { storage_.release(buffer_handle(index, generation)); }

  // The last id issued (kLastId).
  [[nodiscard]] std::uint32_t last_id() const noexcept {
    const double id = mailbox_[mailbox::kLastId];
    return id >= 0 && id <= 0xFFFFFFFF ? static_cast<std::uint32_t>(id) : 0xFFFFFFFF;
  }

  // Makes view `id` (issued by JavaScript) an object over `buffer` with the
  // layout in view_scratch() (shape, then strides), holding its own
  // reference: its packed handle. The runtime checks the layout against the
  // buffer (OUT_OF_BOUNDS), as for any tensor over a buffer.
  double adopt_view(double index, double generation, DType dtype, double ndim, double offset, double id,
                    bool read_only) {
    const BufferHandle buffer = buffer_handle(index, generation);
    const std::int64_t n = to_int(ndim, "adopt_view", "ndim");
    const std::int64_t view_id = to_int(id, "adopt_view", "id");
    if (n < 0 || n > kMaxDims || view_id <= 0 || view_id > last_id()) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "adopt_view: {} dims, id {} (last issued {})", n, view_id, last_id());
    }
    std::int64_t dims[2 * kMaxDims];
    for (int d = 0; d < 2 * n; ++d) dims[d] = to_int(view_scratch_[d], "adopt_view", "layout", d);
    const auto count = static_cast<std::size_t>(n);
    entries_.reserve_one();
    Tensor t = Tensor::from_buffer(storage_, buffer, dtype, IntList{dims, count}, IntList{dims + n, count},
                                   to_int(offset, "adopt_view", "offset"));
    if (t.is_read_only() && !read_only) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "adopt_view: view #{} is writable, but its layout may alias", view_id);
    }
    if (read_only && !t.is_read_only()) t = t.as_read_only();
    const Handle handle = entries_.insert(Entry{std::move(t), static_cast<std::uint32_t>(view_id), false});
    ++live_tensors_;
    if (history_) [[unlikely]] record_created(handle);
    return pack(handle);
  }

  [[nodiscard]] double* view_scratch() noexcept { return view_scratch_; }

 private:
  // The history's hooks, out of line: the plain paths carry one test of history_.
  [[gnu::noinline]] void record_created(Handle handle) {
    Entry& entry = entries_.get(handle);
    if (entry.kind == OwnerKind::kTensor && storage_.get(entry.tensor.buffer()).refcount > 1) entry.kind = OwnerKind::kView;
    record_object(EventKind::kObjectCreated, handle, entry);
  }

  // Sites exist only while recording, so the slot's is forgotten here (a
  // later object in the slot starts with none).
  [[gnu::noinline]] void record_released(Handle handle, bool reclaimed) {
    record_object(reclaimed ? EventKind::kReclaimed : EventKind::kObjectDisposed, handle, entries_.get(handle));
    if (handle.index() < sites_.size()) sites_[handle.index()] = History::kNoString;
  }

  void record_object(EventKind kind, Handle handle, const Entry& entry) {
    const Tensor& t = entry.tensor;
    HistoryEvent event;
    event.kind = kind;
    event.owner = entry.id;
    event.owner_kind = entry.kind;
    event.buffer = t.buffer();
    event.bytes = storage_.size(t.buffer());
    event.label = site(handle);
    if (!entry.is_data) {
      event.dtype = t.dtype();
      for (const std::int64_t d : t.shape()) event.shape.push_back(d);
    }
    storage_.record(event);
  }

  static BufferHandle buffer_handle(double index, double generation) {
    const std::int64_t i = to_int(index, "view", "buffer index");
    const std::int64_t g = to_int(generation, "view", "buffer generation");
    if (i < 0 || i > 0xFFFFFFFF || g < 0 || g > 0xFFFFFFFF) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "view: buffer #{} (generation {}) does not exist", i, g);
    }
    return BufferHandle{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(g)};
  }

  [[noreturn, gnu::cold]] static void raise_not_int(double value, const char* op, const char* what, int index) {
    const std::string name = index >= 0 ? detail::format("{}[{}]", what, index) : std::string(what);
    // Integers past 2^53 are integers, but not exact ones: say so rather than "not an integer".
    const bool too_large = value == std::trunc(value) && !std::isinf(value);
    detail::raise(ErrorCode::kInvalidArgument, "{}: {} is {}; it must be {}", op, name, detail::format_number(value),
                  too_large ? "at most 2^53 - 1 in magnitude (larger numbers are not exact)" : "an integer");
  }

  alignas(16) double scratch_[kScratchDoubles] = {};
  alignas(8) double mailbox_[mailbox::kSize] = {};
  alignas(8) double view_scratch_[2 * kMaxDims] = {};  // adopt_view's layout: apart from the scratch, which a
                                                      // caller may have filled when a view gets its entry
  std::int64_t ints_[kScratchDoubles] = {};  // scratch_ints() results
  Storage storage_;      // before entries_: destroyed after them
  EntryTable entries_;
  std::unique_ptr<History> history_;  // after storage_: detaches from it first
  std::vector<std::uint32_t> sites_;  // per entry slot, while recording: see site()
  std::uint64_t call_time_ns_ = 0;
  bool call_time_read_ = false;
  std::string snapshot_;
  char text_[kTextBytes] = {};
  std::size_t live_data_ = 0;
  std::size_t live_tensors_ = 0;
};

}  // namespace tensormem::js
