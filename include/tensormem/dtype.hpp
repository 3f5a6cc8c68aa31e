// Element types. The view layer describes a buffer's contents with these; the
// pool and handles never look at them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tensormem {

enum class DType : std::uint8_t {
  kFloat32,
  kFloat64,
  kInt8,
  kUint8,
  kInt16,
  kUint16,
  kInt32,
  kUint32,
  kInt64,
  kUint64,
  kBool,
};

inline constexpr int kDTypeCount = 11;

// Size of one element in bytes.
[[nodiscard]] constexpr std::size_t size_of(DType dtype) noexcept {
  switch (dtype) {
    case DType::kInt8:
    case DType::kUint8:
    case DType::kBool: return 1;
    case DType::kInt16:
    case DType::kUint16: return 2;
    case DType::kFloat32:
    case DType::kInt32:
    case DType::kUint32: return 4;
    case DType::kFloat64:
    case DType::kInt64:
    case DType::kUint64: return 8;
  }
  return 0;
}

// The name used in messages and by the JavaScript facade ("float32", ...).
[[nodiscard]] constexpr std::string_view to_string(DType dtype) noexcept {
  switch (dtype) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt8: return "int8";
    case DType::kUint8: return "uint8";
    case DType::kInt16: return "int16";
    case DType::kUint16: return "uint16";
    case DType::kInt32: return "int32";
    case DType::kUint32: return "uint32";
    case DType::kInt64: return "int64";
    case DType::kUint64: return "uint64";
    case DType::kBool: return "bool";
  }
  return "unknown";
}

// The DType of a C++ element type, for typed access: dtype_of<float> == kFloat32.
template <typename T>
inline constexpr bool kHasDType = false;
template <typename T>
inline constexpr DType dtype_of = DType::kUint8;

#define TENSORMEM_DTYPE_OF(type, value)        \
  template <>                                  \
  inline constexpr bool kHasDType<type> = true; \
  template <>                                  \
  inline constexpr DType dtype_of<type> = DType::value;
TENSORMEM_DTYPE_OF(float, kFloat32)
TENSORMEM_DTYPE_OF(double, kFloat64)
TENSORMEM_DTYPE_OF(std::int8_t, kInt8)
TENSORMEM_DTYPE_OF(std::uint8_t, kUint8)
TENSORMEM_DTYPE_OF(std::int16_t, kInt16)
TENSORMEM_DTYPE_OF(std::uint16_t, kUint16)
TENSORMEM_DTYPE_OF(std::int32_t, kInt32)
TENSORMEM_DTYPE_OF(std::uint32_t, kUint32)
TENSORMEM_DTYPE_OF(std::int64_t, kInt64)
TENSORMEM_DTYPE_OF(std::uint64_t, kUint64)
TENSORMEM_DTYPE_OF(bool, kBool)
#undef TENSORMEM_DTYPE_OF

}  // namespace tensormem

namespace tensormem {

// Calls f(T{}) with the C++ type of `dtype`: the one switch every
// dtype-generic routine goes through.
template <typename F>
decltype(auto) visit(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32: return f(float{});
    case DType::kFloat64: return f(double{});
    case DType::kInt8: return f(std::int8_t{});
    case DType::kUint8: return f(std::uint8_t{});
    case DType::kInt16: return f(std::int16_t{});
    case DType::kUint16: return f(std::uint16_t{});
    case DType::kInt32: return f(std::int32_t{});
    case DType::kUint32: return f(std::uint32_t{});
    case DType::kInt64: return f(std::int64_t{});
    case DType::kUint64: return f(std::uint64_t{});
    case DType::kBool: return f(bool{});
  }
  return f(std::uint8_t{});  // unreachable for a valid DType
}

}  // namespace tensormem
