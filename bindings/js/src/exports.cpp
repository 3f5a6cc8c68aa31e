// The wasm module's interface, in two parts:
// - hot calls (create, release, view ops, describe) are plain C exports with
//   number arguments: a raw export call costs ~5 ns from JavaScript, an Embind
//   function ~10 ns, and lists cross through the runtime's scratch memory;
// - structured values (stats, the last error, live objects, names) go through
//   Embind, where a JS object is the natural result and the cost is irrelevant.
//
// No exception crosses into JavaScript (it would leak wasm stack): every export
// catches, records the code and message, and returns minus the code. The JS
// layer then reads last_error() and throws a TensorMemError.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "js_runtime.hpp"

namespace tensormem::js {
namespace {

std::unique_ptr<Runtime> g_runtime;
ErrorCode g_last_code = ErrorCode::kInvalidArgument;
std::string g_last_message;

double record(ErrorCode code, std::string message) noexcept {
  g_last_code = code;
  g_last_message = std::move(message);
  return -static_cast<double>(code);
}

// Runs f(runtime), returning its value, or records the error and returns -code.
template <typename F>
double run(F&& f) noexcept {
  if (!g_runtime) [[unlikely]] return record(ErrorCode::kDisposed, "the device was disposed");
  try {
    return static_cast<double>(f(*g_runtime));
  } catch (const Error& error) {
    return record(error.code(), error.message());
  } catch (const std::bad_alloc&) {
    return record(ErrorCode::kOutOfMemory, "the wasm heap could not grow for the runtime's bookkeeping");
  } catch (const std::exception& error) {
    return record(ErrorCode::kInvalidArgument, error.what());
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

}  // namespace
}  // namespace tensormem::js

using namespace tensormem;
using namespace tensormem::js;

extern "C" {

// --- lifetime of the runtime --------------------------------------------------------

// max_bytes: Infinity for no limit. Returns 0 or -code.
EMSCRIPTEN_KEEPALIVE double tm_init(double max_bytes, double compact_threshold, double auto_compact, double debug) {
  try {
    PoolOptions options;
    if (max_bytes != INFINITY) {
      const std::int64_t limit = Runtime::to_int(max_bytes, "Device.create", "maxMemory");
      if (limit <= 0) detail::raise(ErrorCode::kInvalidArgument, "Device.create: maxMemory {} must be positive", limit);
      options.max_bytes = static_cast<std::size_t>(limit);
    }
    options.compact_threshold = compact_threshold;
    options.auto_compact = auto_compact != 0;
    options.debug = debug != 0;
    g_runtime = std::make_unique<Runtime>(options);
    return 0;
  } catch (const Error& error) {
    return record(error.code(), error.message());
  } catch (const std::bad_alloc&) {
    return record(ErrorCode::kOutOfMemory, "the wasm heap could not grow for the runtime");
  }
}

EMSCRIPTEN_KEEPALIVE void tm_shutdown() { g_runtime.reset(); }

// Address of the scratch doubles (see js_runtime.hpp), in bytes.
EMSCRIPTEN_KEEPALIVE double tm_scratch() {
  return g_runtime ? static_cast<double>(reinterpret_cast<std::uintptr_t>(g_runtime->scratch())) : 0;
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

// Writes the object's layout to the scratch (see js_runtime.hpp, `described`).
EMSCRIPTEN_KEEPALIVE double tm_describe(double handle) {
  return run([&](Runtime& rt) {
    rt.describe(handle);
    return 0;
  });
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

}  // extern "C"

// --- Embind: structured values ------------------------------------------------------

namespace {

struct LastError {
  std::string code;
  std::string message;
};

LastError last_error() { return {std::string(to_string(g_last_code)), g_last_message}; }

// Byte counts as doubles: exact below 2^53, and JS numbers either way.
struct JsStats {
  double bytes_in_use, bytes_requested, bytes_cached, bytes_reserved, peak_bytes_in_use, peak_bytes_reserved,
      max_bytes, live_buffers, live_data, live_tensors, allocations, frees, pool_hits, pool_misses, compactions,
      bytes_released, failed_allocations, guard_violations, failed_releases;
};

JsStats stats() {
  if (!g_runtime) return {};
  const Stats s = g_runtime->storage().stats();
  const auto d = [](std::size_t v) { return static_cast<double>(v); };
  return {d(s.bytes_in_use), d(s.bytes_requested), d(s.bytes_cached), d(s.bytes_reserved),
          d(s.peak_bytes_in_use), d(s.peak_bytes_reserved), s.max_bytes == kUnlimited ? INFINITY : d(s.max_bytes),
          d(s.live_buffers), d(g_runtime->live_data()), d(g_runtime->live_tensors()), d(s.allocations), d(s.frees),
          d(s.pool_hits), d(s.pool_misses), d(s.compactions), d(s.bytes_released), d(s.failed_allocations),
          d(s.guard_violations), d(s.failed_releases)};
}

// Every live object: {handle, isData, bufferIndex, bytes, dtype, shape}.
emscripten::val live_objects() {
  emscripten::val list = emscripten::val::array();
  if (!g_runtime) return list;
  const Storage& storage = g_runtime->storage();
  int count = 0;
  g_runtime->entries().for_each([&](Handle handle, const Entry& entry) {
    const Tensor& t = entry.tensor;
    emscripten::val shape = emscripten::val::array();
    for (int d = 0; d < t.ndim(); ++d) shape.set(d, static_cast<double>(t.shape()[static_cast<std::size_t>(d)]));
    emscripten::val item = emscripten::val::object();
    item.set("handle", pack(handle));
    item.set("isData", entry.is_data);
    item.set("bufferIndex", t.buffer().index());
    item.set("bytes", static_cast<double>(storage.size(t.buffer())));
    item.set("dtype", std::string(to_string(t.dtype())));
    item.set("shape", shape);
    list.set(count++, item);
  });
  return list;
}

emscripten::val names(int count, std::string_view (*name)(int)) {
  emscripten::val list = emscripten::val::array();
  // val::set, not val::call("push"): call() keeps a thread_local, which this
  // non-threaded build (bulk memory without atomics) cannot link.
  for (int i = 0; i < count; ++i) list.set(i, std::string(name(i)));
  return list;
}

// Indexed by ErrorCode value (0 is unused).
emscripten::val error_code_names() {
  return names(static_cast<int>(ErrorCode::kReadOnly) + 1,
               [](int i) { return i == 0 ? std::string_view("OK") : to_string(static_cast<ErrorCode>(i)); });
}

emscripten::val dtype_names() {
  return names(kDTypeCount, [](int i) { return to_string(static_cast<DType>(i)); });
}

std::string version() { return TENSORMEM_VERSION_STRING; }

}  // namespace

EMSCRIPTEN_BINDINGS(tensormem) {
  using emscripten::function;
  emscripten::value_object<LastError>("LastError")
      .field("code", &LastError::code)
      .field("message", &LastError::message);
  emscripten::value_object<JsStats>("Stats")
      .field("bytesInUse", &JsStats::bytes_in_use)
      .field("bytesRequested", &JsStats::bytes_requested)
      .field("bytesCached", &JsStats::bytes_cached)
      .field("bytesReserved", &JsStats::bytes_reserved)
      .field("peakBytesInUse", &JsStats::peak_bytes_in_use)
      .field("peakBytesReserved", &JsStats::peak_bytes_reserved)
      .field("maxBytes", &JsStats::max_bytes)
      .field("liveBuffers", &JsStats::live_buffers)
      .field("liveData", &JsStats::live_data)
      .field("liveTensors", &JsStats::live_tensors)
      .field("allocations", &JsStats::allocations)
      .field("frees", &JsStats::frees)
      .field("poolHits", &JsStats::pool_hits)
      .field("poolMisses", &JsStats::pool_misses)
      .field("compactions", &JsStats::compactions)
      .field("bytesReleased", &JsStats::bytes_released)
      .field("failedAllocations", &JsStats::failed_allocations)
      .field("guardViolations", &JsStats::guard_violations)
      .field("failedReleases", &JsStats::failed_releases);
  function("lastError", &last_error);
  function("stats", &stats);
  function("liveObjects", &live_objects);
  function("errorCodeNames", &error_code_names);
  function("dtypeNames", &dtype_names);
  function("version", &version);
}
