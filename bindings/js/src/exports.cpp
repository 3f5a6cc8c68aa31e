// The wasm module's interface: plain C exports with number arguments (a raw
// export call costs ~5 ns from JavaScript). Lists cross through the runtime's
// scratch memory; strings (error messages, kernel signatures) as a pointer
// and a length into wasm memory. The module is built standalone (no
// Emscripten JS glue): the package's loader provides its few imports.
//
// No exception crosses into JavaScript: every export catches, records the
// code and message, and returns minus the code; the JS layer then reads the
// error (tm_last_error) and throws a TensorMemError.
#include <emscripten/emscripten.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <tensormem/kernels.hpp>

#include "js_runtime.hpp"

namespace tensormem::js {
namespace {

// Changes whenever an export's meaning changes: the JS layer refuses a module
// built for another ABI rather than misreading it.
constexpr double kAbi = 3;

std::unique_ptr<Runtime> g_runtime;
std::vector<std::string> g_signatures;  // one JSON signature per registered kernel
std::vector<const KernelDef*> g_kernels;  // the registry's kernels, by index: one load per call
// device.shrink(): the images this instance exported (storage, entries), or
// those copied in for tm_restore; and the moves tm_restore returns.
std::vector<std::byte> g_images[2];
std::vector<double> g_moves;

// The last error, in fixed storage: recording must work when the heap is full.
ErrorCode g_last_code = ErrorCode::kInvalidArgument;
char g_last_message[1024];
std::size_t g_last_length = 0;

double record(ErrorCode code, std::string_view message) noexcept {
  g_last_code = code;
  g_last_length = message.size() < sizeof g_last_message ? message.size() : sizeof g_last_message - 1;
  std::memcpy(g_last_message, message.data(), g_last_length);
  return -static_cast<double>(code);
}

// Runs f(runtime), returning its value, or records the error and returns -code.
template <typename F>
double run(F&& f) noexcept {
  if (!g_runtime) [[unlikely]] return record(ErrorCode::kDisposed, "the device was disposed");
  g_runtime->begin_call();  // a store, not a destructor: no cleanup path on every export
  try {
    return static_cast<double>(f(*g_runtime));
  } catch (const Error& error) {
    return record(error.code(), error.message());
  } catch (const std::bad_alloc&) {
    return record(ErrorCode::kOutOfMemory, "the wasm heap could not grow for the runtime's bookkeeping");
  } catch (const std::exception& error) {
    return record(ErrorCode::kInvalidArgument, error.what());
  } catch (...) {
    return record(ErrorCode::kKernelFailed, "an exception that is not a std::exception reached the runtime");
  }
}

// A new object from one of the source tensor's view ops.
template <typename Op>
double derive(double handle, Op&& op) noexcept {
  return run([&](Runtime& rt) { return rt.adopt_from([&] { return op(rt, rt.tensor(handle)); }, false); });
}

DType to_dtype(double value, const char* op) {
  const std::int64_t code = Runtime::to_int(value, op, "dtype");
  if (code < 0 || code >= kDTypeCount) [[unlikely]] {
    detail::raise(ErrorCode::kInvalidArgument, "{}: dtype {} is not one of the {} dtypes", op, code, kDTypeCount);
  }
  return static_cast<DType>(code);
}

std::int64_t to_dim(double value, const char* op) { return Runtime::to_int(value, op, "dim"); }

// The arguments of one kernel call, constructed only as far as the call has
// them: default-constructing kMax values and kMax optional tensors on every
// call cost ~40 ns, more than a small kernel. A `const Tensor&` parameter
// gets the object's own tensor: the object holds its buffer for the call, and
// nothing a kernel can reach (its KernelContext gives it the Storage) changes
// the table of objects. A `Tensor&` parameter gets a copy (retaining the
// buffer for the call), so that a kernel that reassigns it changes only the
// copy; copying every tensor argument cost ~14 ns a call.
class CallArguments {
 public:
  static constexpr int kMax = kScratchDoubles / 2;

  CallArguments() noexcept {}  // the unions stay unconstructed
  ~CallArguments() { release_tensors(); }
  CallArguments(const CallArguments&) = delete;
  CallArguments& operator=(const CallArguments&) = delete;

  void add(const KernelValue& value) noexcept { std::construct_at(&values_[count_++], value); }
  void add_copy(const Tensor& tensor) {
    const Tensor& copy = *std::construct_at(&tensors_[tensor_count_], tensor);
    ++tensor_count_;
    add(KernelValue::of(copy));
  }
  // Drops the copies' references (the values naming them must not be used after).
  void release_tensors() noexcept {
    for (; tensor_count_ > 0; --tensor_count_) std::destroy_at(&tensors_[tensor_count_ - 1]);
  }
  [[nodiscard]] const KernelValue* data() const noexcept { return values_; }
  [[nodiscard]] std::size_t count() const noexcept { return static_cast<std::size_t>(count_); }

 private:
  union {
    KernelValue values_[kMax];
  };
  union {
    Tensor tensors_[kMax];
  };
  int count_ = 0;
  int tensor_count_ = 0;
};

// A string for JS: its address, with the length in scratch[0].
double put_string(std::string_view text) noexcept {
  if (g_runtime) g_runtime->scratch()[0] = static_cast<double>(text.size());
  return static_cast<double>(reinterpret_cast<std::uintptr_t>(text.data()));
}

}  // namespace
}  // namespace tensormem::js

using namespace tensormem;
using namespace tensormem::js;

extern "C" {

// --- lifetime of the runtime --------------------------------------------------------

// The ABI this module speaks, and the tensormem version it was built from.
EMSCRIPTEN_KEEPALIVE double tm_abi() { return kAbi; }
EMSCRIPTEN_KEEPALIVE double tm_version() {
  return TENSORMEM_VERSION_MAJOR * 10000.0 + TENSORMEM_VERSION_MINOR * 100.0 + TENSORMEM_VERSION_PATCH;
}

// max_bytes: Infinity for no limit. Returns 0 or -code.
EMSCRIPTEN_KEEPALIVE double tm_init(double max_bytes, double compact_threshold, double auto_compact, double debug) {
  try {
    KernelRegistry::global().check();
    PoolOptions options;
    if (max_bytes != INFINITY) {
      const std::int64_t limit = Runtime::to_int(max_bytes, "Device.create", "maxMemory");
      if (limit <= 0) detail::raise(ErrorCode::kInvalidArgument, "Device.create: maxMemory {} must be positive", limit);
      // The most the wasm memory can ever hold (-sMAXIMUM_MEMORY): a larger
      // limit could never bind, and past 2^32 it would not fit size_t.
      constexpr double heap_max = TENSORMEM_WASM_MAXIMUM_MEMORY;
      if (static_cast<double>(limit) > heap_max) {
        detail::raise(ErrorCode::kInvalidArgument,
                      "Device.create: maxMemory {} is more than the wasm heap can ever hold ({} bytes); use "
                      "Infinity for no limit but the heap's",
                      limit, detail::format_number(heap_max));
      }
      options.max_bytes = static_cast<std::size_t>(limit);
    }
    options.compact_threshold = compact_threshold;
    options.auto_compact = auto_compact != 0;
    options.debug = debug != 0;
    g_runtime = std::make_unique<Runtime>(options);
    if (g_signatures.size() != KernelRegistry::global().size()) {
      for (std::size_t i = 0; i < KernelRegistry::global().size(); ++i) {
        g_signatures.push_back(KernelRegistry::global().at(i).signature_json());
        g_kernels.push_back(&KernelRegistry::global().at(i));
      }
    }
    return 0;
  } catch (const Error& error) {
    g_runtime.reset();
    return record(error.code(), error.message());
  } catch (const std::bad_alloc&) {
    g_runtime.reset();
    return record(ErrorCode::kOutOfMemory, "the wasm heap could not grow for the runtime");
  }
}

EMSCRIPTEN_KEEPALIVE void tm_shutdown() { g_runtime.reset(); }

// The last error's code; its message's address in scratch[0], length in scratch[1].
EMSCRIPTEN_KEEPALIVE double tm_last_error() {
  if (g_runtime) {
    g_runtime->scratch()[0] = static_cast<double>(reinterpret_cast<std::uintptr_t>(g_last_message));
    g_runtime->scratch()[1] = static_cast<double>(g_last_length);
  }
  return static_cast<double>(g_last_code);
}

// The last error's message address and length, for when there is no runtime
// (a failed tm_init) and so no scratch: two calls.
EMSCRIPTEN_KEEPALIVE double tm_last_error_message() {
  return static_cast<double>(reinterpret_cast<std::uintptr_t>(g_last_message));
}
EMSCRIPTEN_KEEPALIVE double tm_last_error_length() { return static_cast<double>(g_last_length); }

// Addresses of the scratch and the mailbox doubles (see js_runtime.hpp), in bytes.
EMSCRIPTEN_KEEPALIVE double tm_scratch() {
  return g_runtime ? static_cast<double>(reinterpret_cast<std::uintptr_t>(g_runtime->scratch())) : 0;
}
EMSCRIPTEN_KEEPALIVE double tm_mailbox() {
  return g_runtime ? static_cast<double>(reinterpret_cast<std::uintptr_t>(g_runtime->mailbox())) : 0;
}

// --- objects ------------------------------------------------------------------------

// A zero-filled DeviceData of `bytes` bytes.
EMSCRIPTEN_KEEPALIVE double tm_create_data(double bytes) {
  return run([&](Runtime& rt) {
    const std::int64_t n = Runtime::to_int(bytes, "createData", "byteLength");
    if (n < 0) detail::raise(ErrorCode::kInvalidArgument, "createData: byteLength {} is negative", n);
    return rt.adopt(Tensor::zeros(rt.storage(), {n}, DType::kUint8), true);
  });
}

// A tensor of the shape in scratch[0, ndim); zero-filled when `zero`.
EMSCRIPTEN_KEEPALIVE double tm_empty(double dtype, double ndim, double zero) {
  return run([&](Runtime& rt) {
    const char* op = zero != 0 ? "zeros" : "empty";
    const DType type = to_dtype(dtype, op);
    const IntList shape = rt.scratch_ints(ndim, op, "shape");
    return rt.adopt(zero != 0 ? Tensor::zeros(rt.storage(), shape, type) : Tensor::empty(rt.storage(), shape, type),
                    false);
  });
}

// A tensor viewing any object's buffer as `dtype`, with the shape in
// scratch[0, ndim), or (ndim < 0) as many whole elements as fit.
EMSCRIPTEN_KEEPALIVE double tm_from_data(double handle, double dtype, double ndim) {
  return run([&](Runtime& rt) {
    const DType type = to_dtype(dtype, "fromData");
    const Tensor& source = rt.tensor(handle);
    const BufferHandle buffer = source.buffer();
    if (ndim < 0) {
      const auto count = static_cast<std::int64_t>(rt.storage().size(buffer) / size_of(type));
      return rt.adopt(Tensor::from_buffer(rt.storage(), buffer, type, {count}), false);
    }
    const IntList shape = rt.scratch_ints(ndim, "fromData", "shape");
    return rt.adopt(Tensor::from_buffer(rt.storage(), buffer, type, shape), false);
  });
}

EMSCRIPTEN_KEEPALIVE double tm_release(double handle) {
  return run([&](Runtime& rt) {
    rt.release(handle);
    return 0;
  });
}

// tm_release for the safety net: the history records a `reclaimed` event.
EMSCRIPTEN_KEEPALIVE double tm_release_reclaimed(double handle) {
  return run([&](Runtime& rt) {
    rt.release(handle, true);
    return 0;
  });
}

// Writes the object's layout to the scratch (see js_runtime.hpp, `described`).
EMSCRIPTEN_KEEPALIVE double tm_describe(double handle) {
  return run([&](Runtime& rt) {
    rt.describe(handle);
    return 0;
  });
}

// Views JavaScript derives (Runtime::retain_view): a reference to the buffer
// for them; the reference back; and a view's entry, with its layout in
// tm_view_scratch().
EMSCRIPTEN_KEEPALIVE double tm_view_retain(double index, double generation) {
  return run([&](Runtime& rt) {
    rt.retain_view(index, generation);
    return 0;
  });
}

EMSCRIPTEN_KEEPALIVE double tm_view_release(double index, double generation) {
  return run([&](Runtime& rt) {
    rt.release_view(index, generation);
    return 0;
  });
}

EMSCRIPTEN_KEEPALIVE double tm_view_adopt(double index, double generation, double dtype, double ndim, double offset,
                                          double id, double read_only) {
  return run([&](Runtime& rt) {
    return rt.adopt_view(index, generation, to_dtype(dtype, "adopt_view"), ndim, offset, id, read_only != 0);
  });
}

EMSCRIPTEN_KEEPALIVE double tm_view_scratch() {
  return g_runtime ? static_cast<double>(reinterpret_cast<std::uintptr_t>(g_runtime->view_scratch())) : 0;
}

// The heap index (in elements of the tensor's dtype) of the element at the
// index in scratch[0, n), negatives counting from the end: the checked slow path of get/set.
EMSCRIPTEN_KEEPALIVE double tm_element(double handle, double n) {
  return run([&](Runtime& rt) {
    const Tensor& t = rt.tensor(handle);
    const IntList index = rt.scratch_ints(n, "get", "index");
    const std::int64_t element = t.layout().element(index);
    return static_cast<double>(reinterpret_cast<std::uintptr_t>(t.data()) / t.itemsize()) +
           static_cast<double>(element - t.offset());
  });
}

// Raises what the JS fast paths found by their cached flags, in the runtime's
// words: `check` 1 = writable (READ_ONLY), 2 = contiguous (NOT_CONTIGUOUS).
// `op` names the JS method: 0 set, 1 write, 2 view, 3 read.
EMSCRIPTEN_KEEPALIVE double tm_require(double handle, double check, double op) {
  static constexpr const char* kOps[] = {"set", "write", "view", "read"};
  return run([&](Runtime& rt) {
    const Tensor& t = rt.tensor(handle);
    const char* name = kOps[op >= 0 && op < 4 ? static_cast<int>(op) : 0];
    if (check == 1) t.require_writable(name);
    if (check == 2) t.require_contiguous(name);
    return 0;
  });
}

EMSCRIPTEN_KEEPALIVE double tm_shares_storage(double a, double b) {
  return run([&](Runtime& rt) { return rt.tensor(a).shares_storage(rt.tensor(b)) ? 1 : 0; });
}

// --- view ops: shapes and dim lists in scratch[0, n) -------------------------------------

EMSCRIPTEN_KEEPALIVE double tm_reshape(double handle, double n) {
  return derive(handle, [&](Runtime& rt, const Tensor& t) { return t.reshape(rt.scratch_ints(n, "reshape", "shape")); });
}

EMSCRIPTEN_KEEPALIVE double tm_view(double handle, double n) {
  return derive(handle, [&](Runtime& rt, const Tensor& t) { return t.view(rt.scratch_ints(n, "view", "shape")); });
}

EMSCRIPTEN_KEEPALIVE double tm_can_view(double handle, double n) {
  return run([&](Runtime& rt) {
    const Tensor& t = rt.tensor(handle);
    const IntList shape = rt.scratch_ints(n, "canView", "shape");
    try {
      return t.can_view(shape) ? 1 : 0;
    } catch (const Error& error) {
      if (error.code() == ErrorCode::kInvalidShape) return 0;  // another element count: view() would fail too
      throw;
    }
  });
}

EMSCRIPTEN_KEEPALIVE double tm_expand(double handle, double n) {
  return derive(handle, [&](Runtime& rt, const Tensor& t) { return t.expand(rt.scratch_ints(n, "expand", "shape")); });
}

EMSCRIPTEN_KEEPALIVE double tm_permute(double handle, double n) {
  return derive(handle, [&](Runtime& rt, const Tensor& t) { return t.permute(rt.scratch_ints(n, "permute", "dims")); });
}

EMSCRIPTEN_KEEPALIVE double tm_flatten(double handle, double start_dim, double end_dim) {
  return derive(handle, [&](Runtime&, const Tensor& t) {
    return t.flatten(Runtime::to_int(start_dim, "flatten", "startDim"), Runtime::to_int(end_dim, "flatten", "endDim"));
  });
}

// dim NaN: squeeze every size-1 dim.
EMSCRIPTEN_KEEPALIVE double tm_squeeze(double handle, double dim) {
  return derive(handle, [&](Runtime&, const Tensor& t) {
    return std::isnan(dim) ? t.squeeze() : t.squeeze(to_dim(dim, "squeeze"));
  });
}

EMSCRIPTEN_KEEPALIVE double tm_unsqueeze(double handle, double dim) {
  return derive(handle, [&](Runtime&, const Tensor& t) { return t.unsqueeze(to_dim(dim, "unsqueeze")); });
}

EMSCRIPTEN_KEEPALIVE double tm_select(double handle, double dim, double index) {
  return derive(handle, [&](Runtime&, const Tensor& t) {
    return t.select(to_dim(dim, "select"), Runtime::to_int(index, "select", "index"));
  });
}

EMSCRIPTEN_KEEPALIVE double tm_narrow(double handle, double dim, double start, double length) {
  return derive(handle, [&](Runtime&, const Tensor& t) {
    return t.narrow(to_dim(dim, "narrow"), Runtime::to_int(start, "narrow", "start"),
                    Runtime::to_int(length, "narrow", "length"));
  });
}

EMSCRIPTEN_KEEPALIVE double tm_transpose(double handle, double dim0, double dim1) {
  return derive(handle, [&](Runtime&, const Tensor& t) {
    return t.transpose(to_dim(dim0, "transpose"), to_dim(dim1, "transpose"));
  });
}

// Slice specs in scratch: 4 doubles per leading dim, {kind, start, stop, step}
// with kind 0 = range (NaN start/stop: open end), 1 = index (start; drops the dim).
// Ranges are applied first, then indices from the last dim back, so every
// message names dims as the caller numbered them.
EMSCRIPTEN_KEEPALIVE double tm_slice(double handle, double n) {
  return derive(handle, [&](Runtime& rt, const Tensor& t) {
    const std::int64_t count = Runtime::to_int(n, "slice", "the number of specs");
    if (count < 0 || count > t.ndim()) {
      detail::raise(ErrorCode::kInvalidArgument, "slice: {} specs for a tensor of shape {} ({} dims)", count, t.shape(),
                    t.ndim());
    }
    const double* specs = rt.scratch();
    Slice ranges[kMaxDims];
    bool has_index = false;
    for (int d = 0; d < count; ++d) {
      const double* spec = specs + 4 * d;
      if (spec[0] != 0) {
        has_index = true;
        continue;  // ranges[d] stays whole until the index is selected below
      }
      if (!std::isnan(spec[1])) ranges[d].start = Runtime::to_int(spec[1], "slice", "start");
      if (!std::isnan(spec[2])) ranges[d].stop = Runtime::to_int(spec[2], "slice", "stop");
      ranges[d].step = Runtime::to_int(spec[3], "slice", "step");
    }
    Tensor result = t.slice(std::span<const Slice>(ranges, static_cast<std::size_t>(count)));
    if (!has_index) return result;
    for (auto d = static_cast<int>(count); d-- > 0;) {
      if (specs[4 * d] != 0) result = result.select(d, Runtime::to_int(specs[4 * d + 1], "slice", "index"));
    }
    return result;
  });
}

// --- copies ---------------------------------------------------------------------

EMSCRIPTEN_KEEPALIVE double tm_contiguous(double handle) {
  return derive(handle, [](Runtime&, const Tensor& t) { return t.contiguous(); });
}

EMSCRIPTEN_KEEPALIVE double tm_clone(double handle) {
  return derive(handle, [](Runtime&, const Tensor& t) { return t.clone(); });
}

EMSCRIPTEN_KEEPALIVE double tm_to(double handle, double dtype) {
  // Always a new buffer, as the JS contract says (Tensor::to returns *this for the same dtype).
  return derive(handle, [&](Runtime&, const Tensor& t) {
    const DType type = to_dtype(dtype, "to");
    return type == t.dtype() ? t.clone() : t.to(type);
  });
}

// dst <- src, broadcasting and converting (write() of a non-contiguous tensor).
EMSCRIPTEN_KEEPALIVE double tm_copy(double dst, double src) {
  return run([&](Runtime& rt) {
    rt.tensor(dst).copy_from(rt.tensor(src));
    return 0;
  });
}

EMSCRIPTEN_KEEPALIVE double tm_compact() {
  return run([](Runtime& rt) { return rt.storage().compact(); });
}

// --- device.shrink(): moving to a new instance (see lib/shrink.mjs) ---------------

// In the old instance: the storage image and the entry image, kept until
// tm_drop_images(). Scratch: [storage address, bytes, entries address, bytes,
// bytes of blocks the new instance's storage needs (block_bytes_needed)].
EMSCRIPTEN_KEEPALIVE double tm_export_images() {
  return run([](Runtime& rt) {
    g_images[0] = export_image(rt.storage());
    g_images[1] = rt.export_entries();
    const StorageImage decoded = decode_storage_image(g_images[0]);
    double* s = rt.scratch();
    for (int i = 0; i < 2; ++i) {
      s[2 * i] = static_cast<double>(reinterpret_cast<std::uintptr_t>(g_images[i].data()));
      s[2 * i + 1] = static_cast<double>(g_images[i].size());
    }
    s[4] = static_cast<double>(block_bytes_needed(decoded, rt.storage().options()));
    return 0;
  });
}

// In the new instance: room for image `which` (0 storage, 1 entries) of
// `bytes` bytes, for JS to copy it in; its address.
EMSCRIPTEN_KEEPALIVE double tm_image_room(double which, double bytes) {
  return run([&](Runtime&) {
    const std::int64_t n = Runtime::to_int(bytes, "shrink", "image bytes");
    if ((which != 0 && which != 1) || n < 0) {
      detail::raise(ErrorCode::kInvalidArgument, "shrink: no image {} of {} bytes", which, n);
    }
    try {
      g_images[static_cast<int>(which)].resize(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
      detail::raise(ErrorCode::kOutOfMemory, "shrink: the new instance could not hold an image of {} bytes", n);
    }
    return reinterpret_cast<std::uintptr_t>(g_images[static_cast<int>(which)].data());
  });
}

// In the new instance, after both images were copied in: rebuilds the old
// runtime's buffers and objects (Runtime::restore). Returns the number of
// moves; their address in scratch[0]: per live buffer {from, to, size} (old
// address, new address, bytes), for JS to copy between the two memories.
EMSCRIPTEN_KEEPALIVE double tm_restore() {
  return run([](Runtime& rt) {
    const std::vector<MovedBuffer> moved = rt.restore(g_images[0], g_images[1]);
    g_images[0] = std::vector<std::byte>();
    g_images[1] = std::vector<std::byte>();
    try {
      g_moves.resize(moved.size() * 3);
    } catch (const std::bad_alloc&) {
      detail::raise(ErrorCode::kOutOfMemory, "shrink: could not list the moves of {} buffers", moved.size());
    }
    for (std::size_t i = 0; i < moved.size(); ++i) {
      g_moves[3 * i] = static_cast<double>(moved[i].from);
      g_moves[3 * i + 1] = static_cast<double>(reinterpret_cast<std::uintptr_t>(moved[i].to));
      g_moves[3 * i + 2] = static_cast<double>(moved[i].size);
    }
    rt.scratch()[0] = static_cast<double>(reinterpret_cast<std::uintptr_t>(g_moves.data()));
    return moved.size();
  });
}

// Frees the images and the list of moves, in either instance.
EMSCRIPTEN_KEEPALIVE void tm_drop_images() {
  g_images[0] = std::vector<std::byte>();
  g_images[1] = std::vector<std::byte>();
  g_moves = std::vector<double>();
}

// --- structured values ------------------------------------------------------------

// Every counter of getMemoryStats() into the scratch, in the order of
// STATS in lib/runtime.mjs; their number. No allocation: it must work on a full heap.
EMSCRIPTEN_KEEPALIVE double tm_stats() {
  return run([](Runtime& rt) {
    const Stats s = rt.storage().stats();
    const auto d = [](std::size_t v) { return static_cast<double>(v); };
    const double values[] = {d(s.bytes_in_use), d(s.bytes_requested), d(s.bytes_cached), d(s.bytes_reserved),
                             d(s.peak_bytes_in_use), d(s.peak_bytes_reserved),
                             s.max_bytes == kUnlimited ? INFINITY : d(s.max_bytes), d(s.live_buffers),
                             d(rt.live_data()), d(rt.live_tensors()), d(s.allocations), d(s.frees), d(s.pool_hits),
                             d(s.pool_misses), d(s.compactions), d(s.bytes_released), d(s.failed_allocations),
                             d(s.guard_violations), d(s.failed_releases)};
    std::memcpy(rt.scratch(), values, sizeof values);
    return sizeof values / sizeof values[0];
  });
}

// The first live object at slot `cursor` or after: {id, handle, isData,
// buffer index, buffer generation, buffer bytes, dtype, ndim, shape...} into
// the scratch, then at 8 + kMaxDims its OwnerKind and creation site (an
// interned text of the history, or -1); the cursor to pass next, or 0 when
// there are no more. One object a call, so that listing them allocates nothing.
EMSCRIPTEN_KEEPALIVE double tm_live_object(double cursor) {
  return run([&](Runtime& rt) -> double {
    const EntryTable& entries = rt.entries();
    for (auto i = static_cast<std::uint32_t>(cursor); i < entries.slot_count(); ++i) {
      const std::uint32_t generation = entries.current_generation(i);
      if ((generation & 1U) == 0) continue;
      const Handle handle{i, generation};
      const Entry& entry = entries.get(handle);
      const Tensor& t = entry.tensor;
      double* out = rt.scratch();
      out[0] = entry.id;
      out[1] = pack(handle);
      out[2] = entry.is_data ? 1 : 0;
      out[3] = t.buffer().index();
      out[4] = t.buffer().generation();
      out[5] = static_cast<double>(rt.storage().size(t.buffer()));
      out[6] = static_cast<double>(t.dtype());
      out[7] = t.ndim();
      for (int d = 0; d < t.ndim(); ++d) out[8 + d] = static_cast<double>(t.shape()[static_cast<std::size_t>(d)]);
      out[8 + kMaxDims] = static_cast<double>(entry.kind);
      const std::uint32_t site = rt.site(handle);
      out[9 + kMaxDims] = site == History::kNoString ? -1 : static_cast<double>(site);
      return i + 1.0;
    }
    return 0;
  });
}

// --- history (device.recordHistory, snapshot) -------------------------------------------

EMSCRIPTEN_KEEPALIVE double tm_history_start(double max_events) {
  return run([&](Runtime& rt) {
    rt.start_history(max_events);
    return 0;
  });
}

EMSCRIPTEN_KEEPALIVE double tm_history_stop() {
  return run([](Runtime& rt) {
    rt.stop_history();
    return 0;
  });
}

// The wasm heap grew by `bytes` to `heap_bytes` (called from the growth
// notification, possibly inside an allocation).
EMSCRIPTEN_KEEPALIVE double tm_history_heap_growth(double bytes, double heap_bytes) {
  return run([&](Runtime& rt) {
    if (rt.history() == nullptr) return 0;
    HistoryEvent& event = rt.direct_event(EventKind::kHeapGrowth);
    event.bytes = static_cast<std::uint64_t>(bytes);
    event.heap_bytes = static_cast<std::uint64_t>(heap_bytes);
    return 0;
  });
}

// The address of the text buffer (Runtime::kTextBytes) JS writes a text into.
EMSCRIPTEN_KEEPALIVE double tm_history_text() {
  return run([](Runtime& rt) { return reinterpret_cast<std::uintptr_t>(rt.text()); });
}

// The id of the `length` bytes of the text buffer in the history's strings,
// or -1 when its table is full.
EMSCRIPTEN_KEEPALIVE double tm_history_intern(double length) {
  return run([&](Runtime& rt) -> double {
    History* history = rt.history();
    if (history == nullptr) detail::raise(ErrorCode::kInvalidArgument, "no history is being recorded");
    const auto n = static_cast<std::size_t>(Runtime::to_int(length, "intern", "length"));
    if (n > static_cast<std::size_t>(Runtime::kTextBytes)) {
      detail::raise(ErrorCode::kInvalidArgument, "intern: {} bytes; the text buffer holds {}", n, Runtime::kTextBytes);
    }
    const std::uint32_t id = history->intern(std::string_view(rt.text(), n));
    return id == History::kNoString ? -1.0 : static_cast<double>(id);
  });
}

// The object's creation site: an id from tm_history_intern.
EMSCRIPTEN_KEEPALIVE double tm_history_site(double handle, double site) {
  return run([&](Runtime& rt) {
    rt.set_site(handle, static_cast<std::uint32_t>(Runtime::to_int(site, "site", "id")));
    return 0;
  });
}

// Storage::snapshot_json(): its address, length in scratch[0].
EMSCRIPTEN_KEEPALIVE double tm_snapshot() {
  return run([](Runtime& rt) { return put_string(rt.snapshot()); });
}

// --- kernels ----------------------------------------------------------------------

EMSCRIPTEN_KEEPALIVE double tm_kernel_count() { return static_cast<double>(g_signatures.size()); }

// Kernel i's signature (JSON, see KernelDef::signature_json): its address, length in scratch[0].
EMSCRIPTEN_KEEPALIVE double tm_kernel_signature(double index) {
  return run([&](Runtime&) {
    const auto i = static_cast<std::size_t>(Runtime::to_int(index, "kernel", "index"));
    if (i >= g_signatures.size()) {
      detail::raise(ErrorCode::kInvalidArgument, "kernel #{} does not exist: there are {}", i, g_signatures.size());
    }
    return put_string(g_signatures[i]);
  });
}

// Calls kernel `index` with `n` arguments from the scratch, two doubles each:
// {kind, value} with kind 0 = tensor (value: its handle), 1 = number,
// 2 = bigint (value: the int64's bits), 3 = boolean. The result: a tensor's
// handle (its dtype in mailbox[1]) or, for a scalar, 0 with the value in
// mailbox[1] (a number) or as int64 bits in mailbox[1].
EMSCRIPTEN_KEEPALIVE double tm_kernel_call(double index, double n) {
  return run([&](Runtime& rt) -> double {
    const auto i = static_cast<std::size_t>(Runtime::to_int(index, "kernel", "index"));
    if (i >= g_kernels.size()) [[unlikely]] detail::raise(ErrorCode::kInvalidArgument, "kernel #{} does not exist", i);
    const KernelDef& kernel = *g_kernels[i];
    const std::int64_t count = Runtime::to_int(n, kernel.name().c_str(), "the argument count");
    if (count < 0 || count > CallArguments::kMax) [[unlikely]] {
      detail::raise(ErrorCode::kInvalidArgument, "{}: {} arguments; at most {} are supported", kernel.name(), count,
                    CallArguments::kMax);
    }
    CallArguments args;
    const double* slots = rt.scratch();
    const std::span<const KernelParam> params = kernel.params();
    for (int a = 0; a < count; ++a) {
      const double kind = slots[2 * a];
      const double value = slots[2 * a + 1];
      if (kind == 0) {
        const Tensor& tensor = rt.tensor(value);
        const auto p = static_cast<std::size_t>(a);
        if (p < params.size() && params[p].type == KernelType::kTensorInOut) {
          args.add_copy(tensor);
        } else {
          args.add(KernelValue::of(tensor));  // a count that does not match is refused before the kernel runs
        }
      } else if (kind == 1) {
        args.add(KernelValue::of_number(value));
      } else if (kind == 2) {
        args.add(KernelValue::of_integer(__builtin_bit_cast(std::int64_t, value)));
      } else {
        args.add(KernelValue::of_boolean(value != 0));
      }
    }
    const std::size_t in_use_before = rt.storage().pool().bytes_in_use();
    KernelResult result = kernel.call(rt.storage(), args.data(), args.count());
    double handle = 0;
    if (result.kind == KernelResult::Kind::kTensor) {
      rt.mailbox()[1] = static_cast<double>(result.tensor.dtype());
      handle = rt.adopt(std::move(result.tensor), false, OwnerKind::kKernelOutput);
    }
    if (History* history = rt.history(); history != nullptr) [[unlikely]] {
      args.release_tensors();  // the copies' references end with the call
      HistoryEvent event;
      event.kind = EventKind::kKernelCall;
      event.label = history->intern(kernel.name());
      event.bytes_added = static_cast<std::int64_t>(rt.storage().pool().bytes_in_use()) -
                          static_cast<std::int64_t>(in_use_before);
      rt.storage().record(event);
    }
    double* out = rt.mailbox();
    switch (result.kind) {
      case KernelResult::Kind::kTensor: return handle;
      case KernelResult::Kind::kNumber: out[1] = result.number; return 0;
      case KernelResult::Kind::kInt64:
      case KernelResult::Kind::kUint64: out[1] = __builtin_bit_cast(double, result.integer); return 0;
      case KernelResult::Kind::kBoolean: out[1] = result.boolean ? 1 : 0; return 0;
      case KernelResult::Kind::kVoid: return 0;
    }
    return 0;
  });
}

}  // extern "C"

