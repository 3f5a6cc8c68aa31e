// libFuzzer target: the input is a program of Storage / SharedBuffer / Tensor
// operations, run against a reference model of every buffer's bytes and
// reference count. After every operation it checks the contents of every
// live buffer, the values every held view reads, every use count, the stats
// and Pool::check_invariants(). Any disagreement, any exception that is not a
// tensormem::Error, or any sanitizer report is a crash.
//
// Input: byte 0 picks the storage limit, then one operation per opcode byte,
// each taking the argument bytes it needs (0 once the input is used up).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensormem/tensormem.hpp"

#include "index_support.hpp"

namespace tensormem::fuzz {
namespace {

using Int = std::int64_t;
using Index = std::vector<Int>;
using testing::for_each_index;
using testing::numel_of;
constexpr Int kMin = std::numeric_limits<Int>::min();
constexpr Int kMax = std::numeric_limits<Int>::max();
__extension__ typedef __int128 Wide;  // as_strided reach, exactly

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  std::fprintf(stderr, "tensor_ops_fuzzer: %s\n", fmt::format(format, std::forward<Args>(args)...).c_str());
  std::fflush(stderr);
  std::abort();
}

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool done() const { return at_ >= size_; }
  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  Int below(Int n) { return byte() % n; }
  template <typename T, std::size_t N>
  T pick(const std::array<T, N>& options) {
    return options[static_cast<std::size_t>(below(static_cast<Int>(N)))];
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

constexpr std::array<DType, kDTypeCount> kDTypes = {
    DType::kFloat32, DType::kFloat64, DType::kInt8,  DType::kUint8,  DType::kInt16, DType::kUint16,
    DType::kInt32,   DType::kUint32,  DType::kInt64, DType::kUint64, DType::kBool,
};
// Values written by fill/set: finite, so that every conversion is deterministic
// (no NaN payloads), with saturating and truncating cases.
constexpr std::array<double, 12> kValues = {0, 1, -1, 2, 7, -128, 255, 0.5, -2.75, 1e10, -1e20, 65536};
// Strides and offsets for as_strided: plausible ones and the int64 extremes.
constexpr std::array<Int, 16> kStrides = {0, 1, -1, 2, -2, 3, 4, 5, -6, 8, 12, kMin, kMax, kMin + 1, kMax / 2, -64};
constexpr std::array<Int, 12> kOffsets = {0, 1, 2, 3, 4, 5, 8, 13, 40, -1, kMax, kMin};

// ---- the model --------------------------------------------------------------------

struct ModelBuffer {
  BufferHandle handle;
  std::vector<std::byte> bytes;  // what the buffer must hold
  int raw_refs = 0;              // references held through the raw handle API
  bool live = true;
};

struct Slot {
  Tensor tensor;
  int buffer = -1;  // index into buffers, or -1 when empty
};

double read_element(const std::vector<std::byte>& bytes, DType dtype, Int element) {
  const std::byte* p = bytes.data() + element * static_cast<Int>(size_of(dtype));
  return visit(dtype, [p](auto zero) -> double {
    using T = decltype(zero);
    if constexpr (std::is_same_v<T, bool>) {
      return *p != std::byte{0} ? 1.0 : 0.0;
    } else {
      T value;
      std::memcpy(&value, p, sizeof(T));
      return static_cast<double>(value);
    }
  });
}

// dst element = convert<dst dtype>(src element), as the copy kernels define it.
void copy_element(std::byte* dst, DType dst_dtype, const std::byte* src, DType src_dtype) {
  visit(dst_dtype, [&](auto to_zero) {
    using To = decltype(to_zero);
    visit(src_dtype, [&](auto from_zero) {
      using From = decltype(from_zero);
      From value;
      if constexpr (std::is_same_v<From, bool>) {
        value = *src != std::byte{0};
      } else {
        std::memcpy(&value, src, sizeof(From));
      }
      const To converted = convert<To>(value);
      if constexpr (std::is_same_v<To, bool>) {
        *dst = converted ? std::byte{1} : std::byte{0};
      } else {
        std::memcpy(dst, &converted, sizeof(To));
      }
    });
  });
}

// The element a tensor's own layout names at `index` (the layout is checked
// against the buffer before this is used; see check_slot).
Int element_of(const Tensor& t, const Index& index) {
  Int element = t.offset();
  for (std::size_t d = 0; d < index.size(); ++d) element += index[d] * t.strides()[d];
  return element;
}

class Runner {
 public:
  explicit Runner(std::size_t max_bytes) : storage_(options(max_bytes)) {}

  ~Runner() {
    // Leave nothing behind: every raw reference released, then the slots.
    for (ModelBuffer& b : buffers_) {
      for (; b.live && b.raw_refs > 0; --b.raw_refs) storage_.release(b.handle);
    }
    for (Slot& slot : slots_) slot.tensor = Tensor();
    if (storage_.stats().live_buffers != 0) fail("{} buffers live after every reference was dropped", storage_.stats().live_buffers);
  }

  void step(Input& in) {
    const Stats before = storage_.stats();
    bool limit_failure = false;
    expect_error_ = kNone;
    try {
      run_op(in);
      if (expect_error_ == kRequired) fail("{}: succeeded where the model expects an error", last_op_);
    } catch (const Error& error) {
      // The model was not updated (every op updates it only after success).
      limit_failure = error.code() == ErrorCode::kMemoryLimit || error.code() == ErrorCode::kOutOfMemory;
      if (expect_error_ == kNone || (expect_error_ == kLimit && !limit_failure)) {
        fail("{} ({}): unexpected error: {}", last_op_, error.code_name(), error.message());
      }
    } catch (const std::exception& e) {
      fail("{}: an exception that is not a tensormem::Error: {}", last_op_, e.what());
    }
    const Stats after = storage_.stats();
    if ((after.failed_allocations > before.failed_allocations) != limit_failure) {
      fail("{}: failed_allocations went {} -> {}, and the op {} with a limit error", last_op_, before.failed_allocations,
           after.failed_allocations, limit_failure ? "failed" : "did not fail");
    }
    check();
  }

 private:
  static PoolOptions options(std::size_t max_bytes) {
    PoolOptions o;
    o.max_bytes = max_bytes;
    o.min_cache_bytes = 256;
    return o;
  }

  // What the op in progress may throw: nothing, MEMORY_LIMIT / OUT_OF_MEMORY,
  // any Error, or (required) some Error.
  enum Expect { kNone, kLimit, kAny, kRequired };
  Expect expect_error_ = kNone;
  std::string last_op_;

  Storage storage_;
  std::vector<ModelBuffer> buffers_;
  std::array<Slot, 8> slots_{};

  Slot& slot(Input& in) { return slots_[static_cast<std::size_t>(in.below(static_cast<Int>(slots_.size())))]; }
  Slot* held(Input& in) {
    Slot& s = slot(in);
    return s.buffer < 0 ? nullptr : &s;
  }
  int live_count() const {
    return static_cast<int>(std::count_if(buffers_.begin(), buffers_.end(), [](const ModelBuffer& b) { return b.live; }));
  }
  Index shape_arg(Input& in, Int max_size) {
    Index shape(static_cast<std::size_t>(in.below(4) + (in.below(8) == 0 ? 0 : 1)));
    for (Int& size : shape) size = in.below(max_size + 1);
    return shape;
  }

  // Puts `t`, a view of model buffer `buffer`, into `dst` (dropping what it held).
  void hold(Slot& dst, Tensor t, int buffer) {
    dst.tensor = std::move(t);
    dst.buffer = buffer;
    settle();
  }
  // A new model buffer for a tensor that owns a fresh buffer, which must hold `bytes`.
  int adopt_new(const Tensor& t, const std::vector<std::byte>& bytes) {
    buffers_.push_back({t.buffer(), bytes, 0, true});
    return static_cast<int>(buffers_.size()) - 1;
  }
  // Buffers whose last reference is gone are dead in the model too.
  void settle() {
    for (std::size_t b = 0; b < buffers_.size(); ++b) {
      if (buffers_[b].live && refs(static_cast<int>(b)) == 0) {
        buffers_[b].live = false;
        buffers_[b].bytes.clear();
      }
    }
  }
  std::uint32_t refs(int buffer) const {
    auto n = static_cast<std::uint32_t>(buffers_[static_cast<std::size_t>(buffer)].raw_refs);
    for (const Slot& s : slots_) n += s.buffer == buffer ? 1U : 0U;
    return n;
  }

  // Row-major bytes of t's elements in the model, in dtype `dtype`.
  std::vector<std::byte> model_values(const Slot& s, DType dtype) const {
    const ModelBuffer& b = buffers_[static_cast<std::size_t>(s.buffer)];
    std::vector<std::byte> out(static_cast<std::size_t>(numel_of(s.tensor.shape())) * size_of(dtype));
    std::size_t i = 0;
    for_each_index(s.tensor.shape(), [&](const Index& index) {
      const Int element = element_of(s.tensor, index);
      copy_element(out.data() + i++ * size_of(dtype), dtype,
                   b.bytes.data() + element * static_cast<Int>(s.tensor.itemsize()), s.tensor.dtype());
    });
    return out;
  }
  std::vector<Int> elements(const Tensor& t) const {
    std::vector<Int> out;
    for_each_index(t.shape(), [&](const Index& index) { out.push_back(element_of(t, index)); });
    return out;
  }

  void run_op(Input& in);
  void op_view(Input& in);
  void check();
  void check_slot(const Slot& s) const;
};

void Runner::run_op(Input& in) {
  const std::uint8_t op = in.byte() % 14;
  switch (op) {
    case 0: {  // a tensor in a new buffer
      last_op_ = "zeros";
      Slot& dst = slot(in);
      const DType dtype = in.pick(kDTypes);
      Index shape = shape_arg(in, 6);
      // Often the shape of a held tensor: copies between the two then need no luck.
      if (const Slot* like = held(in); like != nullptr && in.below(3) != 0) {
        shape.assign(like->tensor.shape().begin(), like->tensor.shape().end());
      }
      expect_error_ = kLimit;
      Tensor t = Tensor::zeros(storage_, shape, dtype);
      expect_error_ = kNone;
      const int b = adopt_new(t, std::vector<std::byte>(t.nbytes()));
      hold(dst, std::move(t), b);
      return;
    }
    case 1: {  // a raw buffer, then a tensor over it with from_buffer
      last_op_ = "allocate + from_buffer";
      const DType dtype = in.pick(kDTypes);
      const auto bytes = static_cast<std::size_t>(in.below(65));
      const auto pattern = static_cast<std::byte>(in.byte() & (dtype == DType::kBool ? 1 : 0x3f));
      expect_error_ = kLimit;
      const BufferHandle handle = storage_.allocate(bytes);
      expect_error_ = kNone;
      std::fill_n(storage_.data(handle), bytes, pattern);
      buffers_.push_back({handle, std::vector<std::byte>(bytes, pattern), 1, true});
      const int b = static_cast<int>(buffers_.size()) - 1;
      const Int n = static_cast<Int>(bytes / size_of(dtype));
      Slot& dst = slot(in);
      hold(dst, Tensor::from_buffer(storage_, handle, dtype, {n}), b);
      return;
    }
    case 2: {  // retain through a raw handle
      last_op_ = "retain";
      if (buffers_.empty()) return;
      ModelBuffer& b = buffers_[static_cast<std::size_t>(in.below(static_cast<Int>(buffers_.size())))];
      if (!b.live) {
        expect_error_ = kRequired;
        storage_.retain(b.handle);
      }
      storage_.retain(b.handle);
      ++b.raw_refs;
      return;
    }
    case 3: {  // release through a raw handle (a stale one must fail with DISPOSED)
      last_op_ = "release";
      if (buffers_.empty()) return;
      const auto index = static_cast<std::size_t>(in.below(static_cast<Int>(buffers_.size())));
      ModelBuffer& b = buffers_[index];
      if (!b.live || b.raw_refs == 0) {
        if (b.live) return;  // the slots' references are not ours to drop
        expect_error_ = kRequired;
        try {
          storage_.release(b.handle);
        } catch (const Error& error) {
          if (error.code() != ErrorCode::kDisposed) fail("release of a stale handle: {}", error.message());
          throw;
        }
      }
      const std::uint32_t left = storage_.release(b.handle);
      --b.raw_refs;
      if (left != refs(static_cast<int>(index))) fail("release left {} references, the model {}", left, refs(static_cast<int>(index)));
      settle();
      return;
    }
    case 4: {  // drop a slot
      last_op_ = "drop";
      Slot& s = slot(in);
      s.tensor = Tensor();
      s.buffer = -1;
      settle();
      return;
    }
    case 5:
    case 6:
    case 7:
      return op_view(in);
    case 8: {  // copy_from another held tensor, any dtypes, broadcasting
      last_op_ = "copy_from";
      Slot* dst = held(in);
      Slot* src = held(in);
      if (dst == nullptr || src == nullptr) return;
      const Tensor& d = dst->tensor;
      const Tensor& s = src->tensor;
      // Broadcast rule: trailing dims equal, or 1 in the source.
      bool broadcastable = s.ndim() <= d.ndim();
      for (int k = 1; broadcastable && k <= s.ndim(); ++k) {
        const Int ss = s.shape()[static_cast<std::size_t>(s.ndim() - k)];
        broadcastable = ss == 1 || ss == d.shape()[static_cast<std::size_t>(d.ndim() - k)];
      }
      // The temporary an overlapping copy goes through may hit the limit.
      expect_error_ = broadcastable && !d.is_read_only() ? kLimit : kRequired;
      // The model first reads every source element, then writes (copy_from reads before it writes).
      std::vector<std::byte> values;
      if (broadcastable) {
        const Index shape(d.shape().begin(), d.shape().end());
        const Tensor expanded = s.expand(shape);
        Slot view{expanded, src->buffer};
        values = model_values(view, d.dtype());
      }
      d.copy_from(s);
      expect_error_ = kNone;
      ModelBuffer& b = buffers_[static_cast<std::size_t>(dst->buffer)];
      const std::vector<Int> targets = elements(d);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        std::memcpy(b.bytes.data() + targets[i] * static_cast<Int>(d.itemsize()), values.data() + i * d.itemsize(),
                    d.itemsize());
      }
      return;
    }
    case 9: {  // fill
      last_op_ = "fill";
      Slot* dst = held(in);
      const double value = in.pick(kValues);
      if (dst == nullptr) return;
      const Tensor& d = dst->tensor;
      expect_error_ = d.is_read_only() ? kRequired : kNone;
      d.fill(value);
      ModelBuffer& b = buffers_[static_cast<std::size_t>(dst->buffer)];
      std::byte one[8];
      copy_element(one, d.dtype(), reinterpret_cast<const std::byte*>(&value), DType::kFloat64);
      for (const Int e : elements(d)) std::memcpy(b.bytes.data() + e * static_cast<Int>(d.itemsize()), one, d.itemsize());
      return;
    }
    case 10: {  // clone / contiguous / to(dtype)
      Slot* src = held(in);
      Slot& dst = slot(in);
      const int kind = static_cast<int>(in.below(3));
      const DType dtype = kind == 2 ? in.pick(kDTypes) : DType::kFloat32;
      if (src == nullptr) return;
      const Tensor s = src->tensor;
      last_op_ = kind == 0 ? "clone" : kind == 1 ? "contiguous" : fmt::format("to({})", to_string(dtype));
      expect_error_ = kLimit;
      Tensor t = kind == 0 ? s.clone() : kind == 1 ? s.contiguous() : s.to(dtype);
      expect_error_ = kNone;
      const bool shares = t.buffer() == s.buffer();
      if (shares != (kind == 1 ? s.is_contiguous() : kind == 2 && dtype == s.dtype())) {
        fail("{} of shape {} strides {}: shares its buffer: {}", last_op_, s.shape(), s.strides(), shares);
      }
      if (!(t.shape() == s.shape()) || (!shares && !t.is_contiguous())) fail("{}: shape {}", last_op_, t.shape());
      const Slot source{s, src->buffer};
      const int b = shares ? src->buffer : adopt_new(t, model_values(source, t.dtype()));
      hold(dst, std::move(t), b);
      return;
    }
    case 11: {  // compact
      last_op_ = "compact";
      const Stats before = storage_.stats();
      const std::size_t released = storage_.compact();
      const Stats after = storage_.stats();
      if (after.bytes_cached != 0 || released != before.bytes_cached) {
        fail("compact released {} of {} cached bytes; {} still cached", released, before.bytes_cached, after.bytes_cached);
      }
      return;
    }
    case 12: {  // element access, in and out of bounds
      last_op_ = "get_as / set_as";
      Slot* s = held(in);
      const bool write = in.below(2) == 0;
      const double value = in.pick(kValues);
      if (s == nullptr) return;
      const Tensor& t = s->tensor;
      Index call(static_cast<std::size_t>(t.ndim()));  // as passed: negatives count from the end
      Index index(call.size());                        // as the model resolves it
      bool inside = true;
      for (std::size_t d = 0; d < call.size(); ++d) {
        call[d] = static_cast<Int>(in.below(9)) - 3;
        const Int size = t.shape()[d];
        inside = inside && call[d] >= -size && call[d] < size;
        index[d] = call[d] < 0 ? call[d] + size : call[d];
      }
      expect_error_ = inside && !(write && t.is_read_only()) ? kNone : kRequired;
      if (write) {
        t.set_as(call, value);
        std::byte* p = buffers_[static_cast<std::size_t>(s->buffer)].bytes.data() +
                       element_of(t, index) * static_cast<Int>(t.itemsize());
        copy_element(p, t.dtype(), reinterpret_cast<const std::byte*>(&value), DType::kFloat64);
      } else {
        const double got = t.get_as<double>(call);
        const double want = read_element(buffers_[static_cast<std::size_t>(s->buffer)].bytes, t.dtype(), element_of(t, index));
        if (got != want) fail("get_as {}: {} but the model has {}", call, got, want);
      }
      return;
    }
    default: {  // a stale handle, through from_buffer and SharedBuffer::share
      last_op_ = "stale handle";
      if (buffers_.empty()) return;
      const ModelBuffer& b = buffers_[static_cast<std::size_t>(in.below(static_cast<Int>(buffers_.size())))];
      if (b.live) return;
      expect_error_ = kRequired;
      if (in.below(2) == 0) {
        (void)Tensor::from_buffer(storage_, b.handle, DType::kUint8, {0});
      } else {
        (void)SharedBuffer::share(storage_, b.handle);
      }
      return;
    }
  }
}

void Runner::op_view(Input& in) {
  Slot* src = held(in);
  Slot& dst = slot(in);
  const std::uint8_t kind = in.byte() % 11;
  if (src == nullptr) return;
  const Tensor p = src->tensor;  // a copy: dst may be src
  const int buffer = src->buffer;
  const Index shape(p.shape().begin(), p.shape().end());
  const auto ndim = static_cast<Int>(shape.size());
  // Where each index of the result must land, as an index of p; nullopt: compare row-major order.
  std::optional<Tensor> result;
  bool may_copy = false;  // reshape() and flatten() copy when no view can express the result
  const auto dim_arg = [&] { return ndim == 0 ? in.below(3) - 1 : in.below(ndim + 2) - 1; };
  const auto valid_dim = [&](Int d) { return d >= -ndim && d < ndim; };
  const auto wrap = [&](Int d) { return static_cast<std::size_t>(d < 0 ? d + ndim : d); };
  expect_error_ = kAny;
  const auto must_have_failed = [&] {
    if (expect_error_ == kRequired) fail("{} of shape {}: succeeded where the model expects an error", last_op_, shape);
  };
  switch (kind) {
    case 0: {  // slice
      const Int dim = dim_arg();
      const Int start = in.below(9) - 3;
      const Int stop = in.below(9) - 3;
      const Int step = in.pick(std::array<Int, 6>{1, 2, 3, -1, -2, 1});
      const bool open_start = in.below(3) == 0;
      const bool open_stop = in.below(3) == 0;
      last_op_ = fmt::format("slice({}, {}:{}:{})", dim, open_start ? "" : std::to_string(start),
                             open_stop ? "" : std::to_string(stop), step);
      Slice range{open_start ? std::nullopt : std::optional<Int>(start), open_stop ? std::nullopt : std::optional<Int>(stop), step};
      if (!valid_dim(dim)) expect_error_ = kRequired;
      result = p.slice(dim, range);
      must_have_failed();
      const std::size_t d = wrap(dim);
      const Int size = shape[d];
      Int first = 0;
      Int length = 0;
      bool ok = true;
      if (step > 0) {
        Int a = range.start.value_or(0);
        Int b = range.stop.value_or(size);
        if (a < 0) a += size;
        if (b < 0) b += size;
        ok = a >= 0 && a <= size && b >= 0 && b <= size;
        first = a;
        length = b > a ? (b - a - 1) / step + 1 : 0;
      } else {
        Int a = range.start ? (*range.start < 0 ? *range.start + size : *range.start) : size - 1;
        Int b = range.stop ? (*range.stop < 0 ? *range.stop + size : *range.stop) : -1;
        ok = (!range.start || (a >= 0 && a < size)) && (!range.stop || (b >= 0 && b <= size));
        first = a;
        length = a > b ? (a - b - 1) / -step + 1 : 0;
      }
      if (!ok) fail("{} of shape {} succeeded out of bounds", last_op_, shape);
      Index want = shape;
      want[d] = length;
      if (!(result->shape() == IntList(want))) fail("{} of shape {} gave shape {}, not {}", last_op_, shape, result->shape(), want);
      for_each_index(result->shape(), [&](const Index& index) {
        Index at = index;
        at[d] = first + index[d] * step;
        if (element_of(*result, index) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, index, at);
      });
      break;
    }
    case 1: {  // select
      const Int dim = dim_arg();
      const Int index = in.below(7) - 2;
      last_op_ = fmt::format("select({}, {})", dim, index);
      if (!valid_dim(dim) || index < -shape[wrap(dim)] || index >= shape[wrap(dim)]) expect_error_ = kRequired;
      result = p.select(dim, index);
      must_have_failed();
      const std::size_t d = wrap(dim);
      for_each_index(result->shape(), [&](const Index& i) {
        Index at = i;
        at.insert(at.begin() + static_cast<std::ptrdiff_t>(d), index < 0 ? index + shape[d] : index);
        if (element_of(*result, i) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, i, at);
      });
      break;
    }
    case 2: {  // permute (sometimes not a permutation)
      Index dims(shape.size());
      for (std::size_t i = 0; i < dims.size(); ++i) dims[i] = static_cast<Int>(i);
      for (std::size_t i = dims.size(); i > 1; --i) std::swap(dims[i - 1], dims[static_cast<std::size_t>(in.below(static_cast<Int>(i)))]);
      if (!dims.empty() && in.below(6) == 0) {
        dims[0] = dims.size() > 1 ? dims[1] : 5;
        expect_error_ = kRequired;
      }
      last_op_ = fmt::format("permute({})", dims);
      result = p.permute(dims);
      must_have_failed();
      for_each_index(result->shape(), [&](const Index& i) {
        Index at(shape.size());
        for (std::size_t k = 0; k < dims.size(); ++k) at[static_cast<std::size_t>(dims[k])] = i[k];
        if (element_of(*result, i) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, i, at);
      });
      break;
    }
    case 3: {  // expand
      const Int leading = in.below(2);
      Index target(static_cast<std::size_t>(leading), in.below(4));
      for (const Int size : shape) target.push_back(size == 1 ? in.below(5) : (in.below(5) == 0 ? -1 : size));
      if (in.below(8) == 0 && !target.empty()) target.back() += 1;  // mostly a mismatch
      last_op_ = fmt::format("expand({})", target);
      result = p.expand(target);
      for_each_index(result->shape(), [&](const Index& i) {
        Index at(i.begin() + static_cast<std::ptrdiff_t>(leading), i.end());
        for (std::size_t k = 0; k < at.size(); ++k) at[k] = shape[k] == 1 ? 0 : at[k];
        if (element_of(*result, i) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, i, at);
      });
      break;
    }
    case 4: {  // as_strided, strides from the extremes table
      const Index view_shape = shape_arg(in, 5);
      Index strides(view_shape.size());
      for (Int& s : strides) s = in.pick(kStrides);
      const Int offset = in.pick(kOffsets);
      last_op_ = fmt::format("as_strided({}, {}, {})", view_shape, strides, offset);
      const auto capacity = static_cast<Int>(buffers_[static_cast<std::size_t>(buffer)].bytes.size() / p.itemsize());
      // Inside iff every reachable element is in [0, capacity) (and the offset in [0, capacity]).
      bool inside = offset >= 0 && offset <= capacity;
      if (numel_of(view_shape) > 0) {
        Wide low = offset;
        Wide high = offset;
        for (std::size_t d = 0; d < view_shape.size(); ++d) {
          const Wide reach = static_cast<Wide>(view_shape[d] - 1) * strides[d];
          (reach < 0 ? low : high) += reach;
        }
        inside = inside && low >= 0 && high < capacity;
      }
      expect_error_ = inside ? kNone : kRequired;
      result = p.as_strided(view_shape, strides, offset);
      must_have_failed();
      if (!(result->strides() == IntList(strides)) || result->offset() != offset) fail("{}: strides {}", last_op_, result->strides());
      break;
    }
    case 5:
    case 6: {  // reshape / view to a shape with the same count (or not)
      Index target = shape;
      const Int n = numel_of(shape);
      switch (in.below(4)) {
        case 0: target = {n}; break;
        case 1: target = {-1}; break;
        case 2: target.insert(target.begin(), 1); break;
        default:
          if (n > 0 && n % 2 == 0) target = {2, -1};
          else target = {n + 1};
      }
      const bool copying = kind == 5;
      last_op_ = fmt::format("{}({})", copying ? "reshape" : "view", target);
      may_copy = copying;
      result = copying ? p.reshape(target) : p.view(target);
      break;
    }
    case 7: {  // squeeze / unsqueeze / flatten
      const Int dim = dim_arg();
      const int which = static_cast<int>(in.below(3));
      last_op_ = fmt::format("{}({})", which == 0 ? "squeeze" : which == 1 ? "unsqueeze" : "flatten", dim);
      if (which == 0) {
        result = dim == -1 ? p.squeeze() : p.squeeze(dim);
      } else if (which == 1) {
        result = p.unsqueeze(dim);
      } else {
        may_copy = true;
        result = p.flatten(dim, -1);
      }
      break;
    }
    case 8: {  // narrow
      const Int dim = dim_arg();
      const Int start = in.below(7) - 2;
      const Int length = in.below(5);
      last_op_ = fmt::format("narrow({}, {}, {})", dim, start, length);
      result = p.narrow(dim, start, length);
      const std::size_t d = wrap(dim);
      const Int first = start < 0 ? start + shape[d] : start;
      for_each_index(result->shape(), [&](const Index& i) {
        Index at = i;
        at[d] += first;
        if (element_of(*result, i) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, i, at);
      });
      break;
    }
    case 9: {  // transpose
      const Int a = dim_arg();
      const Int b = dim_arg();
      last_op_ = fmt::format("transpose({}, {})", a, b);
      if (!valid_dim(a) || !valid_dim(b)) expect_error_ = kRequired;
      result = p.transpose(a, b);
      must_have_failed();
      for_each_index(result->shape(), [&](const Index& i) {
        Index at = i;
        std::swap(at[wrap(a)], at[wrap(b)]);
        if (element_of(*result, i) != element_of(p, at)) fail("{}: index {} is not parent index {}", last_op_, i, at);
      });
      break;
    }
    default: {  // a read-only view
      last_op_ = "as_read_only";
      result = p.as_read_only();
      if (!result->is_read_only()) fail("as_read_only gave a writable view");
      break;
    }
  }
  if (result->buffer() != p.buffer()) {  // reshape copied: a new buffer in row-major order
    if (!may_copy || !result->is_contiguous()) fail("{}: a view with a new buffer", last_op_);
    const Slot source{p, buffer};
    const int b = adopt_new(*result, model_values(source, p.dtype()));
    hold(dst, std::move(*result), b);
    return;
  }
  if (p.is_read_only() && !result->is_read_only()) fail("{}: a view of a read-only tensor is writable", last_op_);
  if (kind >= 5 && kind <= 7) {  // same elements in row-major order
    if (numel_of(result->shape()) != numel_of(p.shape())) fail("{}: {} elements from {}", last_op_, result->numel(), p.numel());
    if (result->numel() > 0 && elements(*result) != elements(p)) fail("{}: elements in another order", last_op_);
  }
  hold(dst, std::move(*result), buffer);
}

void Runner::check_slot(const Slot& s) const {
  const Tensor& t = s.tensor;
  const ModelBuffer& b = buffers_[static_cast<std::size_t>(s.buffer)];
  if (!b.live || t.buffer() != b.handle) fail("a slot holds buffer #{}, the model another", t.buffer().index());
  // Every element the layout reaches lies in the buffer (what the layout checks promise).
  const auto capacity = static_cast<Int>(b.bytes.size() / t.itemsize());
  const std::vector<Int> reached = elements(t);
  for (const Int e : reached) {
    if (e < 0 || e >= capacity) fail("shape {} strides {} offset {} reaches element {} of {}", t.shape(), t.strides(), t.offset(), e, capacity);
  }
  // A writable view names each element once.
  if (!t.is_read_only() && std::set<Int>(reached.begin(), reached.end()).size() != reached.size()) {
    fail("writable view of shape {} strides {} names an element twice", t.shape(), t.strides());
  }
  std::vector<double> got(reached.size());
  t.copy_to<double>(got);
  const std::vector<std::byte> want = model_values(s, DType::kFloat64);
  if (!want.empty() && std::memcmp(got.data(), want.data(), want.size()) != 0) {
    fail("{} view of shape {} strides {} offset {} reads {}, not the model's values", to_string(t.dtype()), t.shape(),
         t.strides(), t.offset(), got);
  }
}

void Runner::check() {
  if (const std::string broken = storage_.pool().check_invariants(); !broken.empty()) fail("{}: {}", last_op_, broken);
  const Stats stats = storage_.stats();
  std::size_t requested = 0;
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    const ModelBuffer& b = buffers_[i];
    if (storage_.is_live(b.handle) != b.live) fail("{}: buffer {} is {} but the model says {}", last_op_, i, storage_.is_live(b.handle), b.live);
    if (!b.live) continue;
    requested += b.bytes.size();
    if (storage_.use_count(b.handle) != refs(static_cast<int>(i))) {
      fail("{}: buffer {} has {} references, the model {}", last_op_, i, storage_.use_count(b.handle), refs(static_cast<int>(i)));
    }
    const std::span<const std::byte> bytes = storage_.bytes(b.handle);
    if (bytes.size() != b.bytes.size() || !std::equal(bytes.begin(), bytes.end(), b.bytes.begin())) {
      fail("{}: buffer {} holds other bytes than the model", last_op_, i);
    }
  }
  if (stats.live_buffers != static_cast<std::size_t>(live_count()) || stats.bytes_requested != requested) {
    fail("{}: stats say {} live buffers of {} bytes, the model {} of {}", last_op_, stats.live_buffers, stats.bytes_requested,
         live_count(), requested);
  }
  if (stats.allocations - stats.frees != stats.live_buffers || stats.bytes_in_use < stats.bytes_requested ||
      stats.bytes_reserved != stats.bytes_in_use + stats.bytes_cached || stats.bytes_reserved > stats.max_bytes ||
      stats.peak_bytes_in_use < stats.bytes_in_use || stats.failed_releases != 0 || stats.guard_violations != 0) {
    fail("{}: inconsistent stats {}", last_op_, stats.to_json());
  }
  for (const Slot& s : slots_) {
    if (s.buffer >= 0) check_slot(s);
  }
}

}  // namespace

int run(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  // A limit that allocations reach within a few ops, or none.
  const std::uint8_t limit = in.byte();
  Runner runner(limit < 128 ? kUnlimited : std::size_t{limit - 127U} * 64);
  for (int ops = 0; !in.done() && ops < 256; ++ops) runner.step(in);
  return 0;
}

}  // namespace tensormem::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return tensormem::fuzz::run(data, size);
}
