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
  template <typename Make>
  double adopt_from(Make&& make, bool is_data) {
    entries_.reserve_one();
    const std::uint32_t id = next_id_ + 1;
    const Handle handle = entries_.insert(Entry{make(), id, is_data});
    next_id_ = id;
    mailbox_[mailbox::kCreatedId] = id;
    ++(is_data ? live_data_ : live_tensors_);
    return pack(handle);
  }
  double adopt(Tensor tensor, bool is_data) {
    return adopt_from([&tensor] { return std::move(tensor); }, is_data);
  }

  [[nodiscard]] const Tensor& tensor(double packed) const { return entries_.get(unpack(packed)).tensor; }

  // Forgets the object and drops its buffer reference; the slot goes first,
  // so an error from the release (a debug guard overrun) leaves no entry.
  void release(double packed) {
    const Handle handle = unpack(packed);
    Entry& entry = entries_.get(handle);
    --(entry.is_data ? live_data_ : live_tensors_);
    entries_.erase_resolved(handle);
    entry.tensor.reset();  // the slot's memory stays as it is until its next insert
  }

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
  std::size_t live_data_ = 0;
  std::size_t live_tensors_ = 0;
  std::uint32_t next_id_ = 0;
};

}  // namespace tensormem::js
