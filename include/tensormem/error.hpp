// Errors: one code per kind of failure, one reporting path.
//
// Every failure in tensormem is a tensormem::Error carrying an ErrorCode and a
// message that names the offending values ("buffer #12 (generation 3) was
// released; current generation is 4"). Errors are thrown only through
// detail::raise, so there is exactly one place where messages are built and one
// place where the throw happens. A call that throws leaves every structure as
// it was before the call.
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "tensormem/format.hpp"

// In wasm, errors are C++ exceptions: without wasm exception handling a
// `catch` never runs and a failed check would abort. tensormem::tensormem
// carries the flag as a usage requirement; this catches code compiled without it.
#if defined(__EMSCRIPTEN__) && !defined(__wasm_exception_handling__)
#error "tensormem needs -fwasm-exceptions on every compile and link (link to tensormem::tensormem to get it)"
#endif

namespace tensormem {

enum class ErrorCode : std::uint8_t {
  kDisposed = 1,     // a handle or view names a buffer that was released
  kOutOfBounds,      // an index, range or write lies outside its buffer or dimension
  kInvalidShape,     // a shape is malformed or does not match the element count
  kInvalidArgument,  // any other bad value: options, forged handles, sizes
  kNotViewable,      // the requested view cannot be expressed with strides
  kNotContiguous,    // the operation needs contiguous memory
  kDtypeMismatch,    // element type differs from the one required
  kMemoryLimit,      // the pool's max_bytes would be exceeded, even after compaction
  kOutOfMemory,      // the system allocator itself failed (the wasm heap cannot grow)
  kReadOnly,         // a write through a view that aliases elements (expand, overlapping as_strided)
  kKernelFailed,     // a kernel threw something other than a tensormem::Error, or returned a bad result
};

inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::kKernelFailed);

// The stable, upper-case name of a code ("DISPOSED", "MEMORY_LIMIT", ...), as
// the JavaScript facade reports it in Error.code.
[[nodiscard]] constexpr std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kDisposed: return "DISPOSED";
    case ErrorCode::kOutOfBounds: return "OUT_OF_BOUNDS";
    case ErrorCode::kInvalidShape: return "INVALID_SHAPE";
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kNotViewable: return "NOT_VIEWABLE";
    case ErrorCode::kNotContiguous: return "NOT_CONTIGUOUS";
    case ErrorCode::kDtypeMismatch: return "DTYPE_MISMATCH";
    case ErrorCode::kMemoryLimit: return "MEMORY_LIMIT";
    case ErrorCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case ErrorCode::kReadOnly: return "READ_ONLY";
    case ErrorCode::kKernelFailed: return "KERNEL_FAILED";
  }
  return "UNKNOWN";
}

class Error : public std::exception {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  [[nodiscard]] ErrorCode code() const noexcept { return code_; }
  [[nodiscard]] std::string_view code_name() const noexcept { return to_string(code_); }
  // The message alone, without the code: what() returns the same text.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  ErrorCode code_;
  std::string message_;
};

namespace detail {

// Out of line and cold so that hot paths only carry a call.
[[noreturn]] void throw_error(ErrorCode code, std::string message);
[[noreturn]] void throw_formatted(ErrorCode code, std::string_view format, std::span<const FormatArg> args);

// Arguments by value: a hot caller then never takes the address of its own
// parameters, which would spill them to memory on the fast path too.
template <typename... Args>
[[noreturn, gnu::cold, gnu::noinline]] void raise(ErrorCode code, FormatString<Args...> format, Args... args) {
  const FormatArg list[] = {make_format_arg(args)..., FormatArg()};
  throw_formatted(code, format.get(), std::span<const FormatArg>(list, sizeof...(Args)));
}

}  // namespace detail
}  // namespace tensormem
