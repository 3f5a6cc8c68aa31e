#include "tensormem/kernels.hpp"

#include <new>

namespace tensormem {
namespace {

bool is_tensor(KernelType type) noexcept { return type == KernelType::kTensorIn || type == KernelType::kTensorInOut; }

bool is_integer(KernelType type) noexcept {
  return type >= KernelType::kInt8 && type <= KernelType::kUint64;
}

// What a value is, as a message names it.
std::string_view kind_name(const KernelValue& value) noexcept {
  switch (value.kind) {
    case KernelValue::Kind::kTensor: return "a Tensor";
    case KernelValue::Kind::kNumber: return "a number";
    case KernelValue::Kind::kInteger: return "a bigint";
    case KernelValue::Kind::kBoolean: return "a boolean";
  }
  return "a value";
}

// What a parameter wants, as a message names it.
std::string wanted(KernelType type) {
  if (is_tensor(type)) return "a Tensor";
  if (type == KernelType::kBool) return "a boolean";
  if (type == KernelType::kInt64 || type == KernelType::kUint64) {
    return detail::format("an integer ({}; a number or a bigint)", to_string(type));
  }
  if (is_integer(type)) return detail::format("an integer ({})", to_string(type));
  return detail::format("a number ({})", to_string(type));
}

[[noreturn]] void raise_kind(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  detail::raise(ErrorCode::kInvalidArgument, "{}: argument {} is {}; it must be {}", ctx.kernel_name(),
                param.spec.name(), kind_name(value), wanted(param.type));
}

[[noreturn]] void raise_range(const KernelContext& ctx, const KernelParam& param, const std::string& shown,
                              std::int64_t min, std::uint64_t max) {
  detail::raise(ErrorCode::kInvalidArgument, "{}: argument {} is {}; it must be an integer in [{}, {}] ({})",
                ctx.kernel_name(), param.spec.name(), shown, min, max, to_string(param.type));
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += detail::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

bool is_identifier(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Prefixes the kernel's name, unless the message already starts with it (ctx.fail, the argument checks).
std::string in_kernel(std::string_view kernel, const std::string& message) {
  if (message.size() > kernel.size() && message.compare(0, kernel.size(), kernel) == 0 &&
      message[kernel.size()] == ':') {
    return message;
  }
  return detail::format("{}: {}", kernel, message);
}

}  // namespace

std::string_view to_string(KernelType type) noexcept {
  switch (type) {
    case KernelType::kVoid: return "void";
    case KernelType::kTensorIn: return "tensor";
    case KernelType::kTensorInOut: return "tensor_inout";
    case KernelType::kFloat32: return "float32";
    case KernelType::kFloat64: return "float64";
    case KernelType::kInt8: return "int8";
    case KernelType::kUint8: return "uint8";
    case KernelType::kInt16: return "int16";
    case KernelType::kUint16: return "uint16";
    case KernelType::kInt32: return "int32";
    case KernelType::kUint32: return "uint32";
    case KernelType::kInt64: return "int64";
    case KernelType::kUint64: return "uint64";
    case KernelType::kBool: return "bool";
    case KernelType::kTensor: return "tensor";
  }
  return "unknown";
}

namespace detail {

void raise_tensor_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  if (value.kind != KernelValue::Kind::kTensor || value.tensor == nullptr) raise_kind(ctx, param, value);
  const Tensor& t = *value.tensor;
  const std::string_view kernel = ctx.kernel_name();
  const char* name = param.spec.name();
  if (t.storage() != &ctx.storage()) {
    if (t.storage() == nullptr) raise(ErrorCode::kDisposed, "{}: argument {} has no buffer", kernel, name);
    raise(ErrorCode::kInvalidArgument, "{}: argument {} belongs to another device", kernel, name);
  }
  if (!t.is_alive()) {
    raise(ErrorCode::kDisposed, "{}: argument {} views buffer #{} (generation {}), which was released", kernel, name,
          t.buffer().index(), t.buffer().generation());
  }
  const ArgSpec& spec = param.spec;
  if (spec.dtype_code() >= 0 && static_cast<int>(t.dtype()) != spec.dtype_code()) {
    raise(ErrorCode::kDtypeMismatch, "{}: argument {} is {}; it must be {}", kernel, name, to_string(t.dtype()),
          to_string(static_cast<DType>(spec.dtype_code())));
  }
  if (spec.ndim() >= 0 && t.ndim() != spec.ndim()) {
    raise(ErrorCode::kInvalidShape, "{}: argument {} has {} dim{} (shape {}); it must have {}", kernel, name, t.ndim(),
          t.ndim() == 1 ? "" : "s", t.shape(), spec.ndim());
  }
  if (spec.is_contiguous() && !t.is_contiguous()) {
    raise(ErrorCode::kNotContiguous, "{}: argument {} is not contiguous (shape {}, strides {}); it must be contiguous",
          kernel, name, t.shape(), t.strides());
  }
  if ((spec.is_writable() || param.type == KernelType::kTensorInOut) && t.is_read_only()) {
    raise(ErrorCode::kReadOnly,
          "{}: argument {} is read-only (a view that repeats elements, as expand() makes); it must be writable",
          kernel, name);
  }
  // check_tensor_argument() found a failure that no check here reproduces: a bug, said as one.
  raise(ErrorCode::kInvalidArgument, "{}: argument {} failed a check that cannot be named", kernel, name);
}

double number_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  if (value.kind != KernelValue::Kind::kNumber) raise_kind(ctx, param, value);
  return value.number;
}

std::int64_t integer_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value,
                              std::int64_t min, std::uint64_t max) {
  if (value.kind == KernelValue::Kind::kInteger) {
    if (value.integer < min || (value.integer > 0 && static_cast<std::uint64_t>(value.integer) > max)) {
      raise_range(ctx, param, detail::format("{}n", value.integer), min, max);
    }
    return value.integer;
  }
  if (value.kind != KernelValue::Kind::kNumber) raise_kind(ctx, param, value);
  const double v = value.number;
  if (!(v == std::trunc(v))) {  // NaN, infinities, fractions
    detail::raise(ErrorCode::kInvalidArgument, "{}: argument {} is {}; it must be an integer ({})", ctx.kernel_name(),
                  param.spec.name(), format_number(v), to_string(param.type));
  }
  // Doubles compare exactly with these bounds once converted: min is a power
  // of two or zero, and max + 1 is one.
  if (v < static_cast<double>(min) || v >= static_cast<double>(max) + 1.0) {
    raise_range(ctx, param, format_number(v), min, max);
  }
  return static_cast<std::int64_t>(v);
}

std::uint64_t unsigned_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (value.kind == KernelValue::Kind::kInteger) {
    // A bigint arrives as its two's complement bits: JS checks 0 <= v < 2^64
    // for uint64 parameters, so every bit pattern is a valid value here.
    return static_cast<std::uint64_t>(value.integer);
  }
  if (value.kind != KernelValue::Kind::kNumber) raise_kind(ctx, param, value);
  const double v = value.number;
  if (!(v == std::trunc(v))) {
    detail::raise(ErrorCode::kInvalidArgument, "{}: argument {} is {}; it must be an integer ({})", ctx.kernel_name(),
                  param.spec.name(), format_number(v), to_string(param.type));
  }
  if (v < 0 || v >= 18446744073709551616.0) raise_range(ctx, param, format_number(v), 0, kMax);
  return static_cast<std::uint64_t>(v);
}

bool boolean_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  if (value.kind != KernelValue::Kind::kBoolean) raise_kind(ctx, param, value);
  return value.boolean;
}

}  // namespace detail

void KernelDef::raise_argument_count(std::size_t got) const {
  std::string names;
  for (const KernelParam& param : params_) names += detail::format("{}{}", names.empty() ? "" : ", ", param.spec.name());
  detail::raise(ErrorCode::kInvalidArgument, "{}: takes {} argument{} ({}), got {}", name_, params_.size(),
                params_.size() == 1 ? "" : "s", names, got);
}

void KernelDef::raise_from_kernel() const {
  try {
    throw;
  } catch (const Error& error) {
    detail::raise(error.code(), "{}", in_kernel(name_, error.message()));
  } catch (const std::bad_alloc&) {
    detail::raise(ErrorCode::kOutOfMemory, "{}: out of memory (std::bad_alloc from the kernel)", name_);
  } catch (const std::exception& error) {
    detail::raise(ErrorCode::kKernelFailed, "{} failed: {}", name_, error.what());
  } catch (...) {
    detail::raise(ErrorCode::kKernelFailed, "{} threw an exception that is not a std::exception", name_);
  }
}

void KernelDef::raise_bad_result(const Storage& storage, const Tensor& t) const {
  if (t.storage() == nullptr) detail::raise(ErrorCode::kKernelFailed, "{} returned an empty Tensor (no buffer)", name_);
  if (t.storage() != &storage) {
    detail::raise(ErrorCode::kKernelFailed, "{} returned a tensor from another Storage; allocate results through "
                  "the KernelContext", name_);
  }
  if (!t.is_alive()) detail::raise(ErrorCode::kKernelFailed, "{} returned a tensor whose buffer was released", name_);
  detail::raise(ErrorCode::kKernelFailed, "{} returned a {} tensor; it declares {}", name_, to_string(t.dtype()),
                to_string(static_cast<DType>(result_dtype_)));
}

std::string KernelDef::signature_json() const {
  std::string out = "{\"name\":";
  append_json_string(out, name_);
  out += ",\"doc\":";
  append_json_string(out, doc_);
  out += ",\"args\":[";
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const KernelParam& param = params_[i];
    const ArgSpec& spec = param.spec;
    if (i > 0) out += ',';
    out += "{\"name\":";
    append_json_string(out, spec.name());
    out += detail::format(",\"type\":\"{}\"", to_string(param.type));
    if (spec.dtype_code() >= 0) out += detail::format(",\"dtype\":\"{}\"", to_string(static_cast<DType>(spec.dtype_code())));
    if (spec.ndim() >= 0) out += detail::format(",\"ndim\":{}", spec.ndim());
    if (spec.is_contiguous()) out += ",\"contiguous\":true";
    if (spec.is_writable() || param.type == KernelType::kTensorInOut) out += ",\"writable\":true";
    out += '}';
  }
  out += detail::format("],\"returns\":{{\"type\":\"{}\"", to_string(result_));
  if (result_dtype_ >= 0) out += detail::format(",\"dtype\":\"{}\"", to_string(static_cast<DType>(result_dtype_)));
  out += "}}";
  return out;
}

std::string KernelDef::definition_error() const {
  if (!is_identifier(name_)) {
    return detail::format("kernel name \"{}\" is not a JavaScript identifier (letters, digits, _ and $)", name_);
  }
  for (const KernelParam& param : params_) {
    const ArgSpec& spec = param.spec;
    if (spec.name() == nullptr || !is_identifier(spec.name())) {
      return detail::format("kernel {}: argument name \"{}\" is not a JavaScript identifier", name_,
                            spec.name() == nullptr ? "" : spec.name());
    }
    if (!is_tensor(param.type) && spec.constrains_tensor()) {
      return detail::format("kernel {}: argument {} is a {} scalar; dtype(), ndim(), contiguous() and writable() apply "
                            "to tensors", name_, spec.name(), to_string(param.type));
    }
    if (spec.ndim() > kMaxDims) {
      return detail::format("kernel {}: argument {} asks for {} dims; tensors have at most {}", name_, spec.name(),
                            spec.ndim(), kMaxDims);
    }
    if (spec.is_writable() && param.type == KernelType::kTensorIn) {
      return detail::format("kernel {}: argument {} is declared writable() but taken as const Tensor&; take Tensor& to "
                            "write it", name_, spec.name());
    }
  }
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (std::string_view(params_[i].spec.name()) == params_[j].spec.name()) {
        return detail::format("kernel {}: two arguments are named {}", name_, params_[i].spec.name());
      }
    }
  }
  if (result_dtype_ >= 0 && result_ != KernelType::kTensor) {
    return detail::format("kernel {}: returns<{}>() declares a tensor dtype, but the kernel returns {}", name_,
                          to_string(static_cast<DType>(result_dtype_)), to_string(result_));
  }
  return {};
}

KernelRegistry& KernelRegistry::global() noexcept {
  static KernelRegistry registry;
  return registry;
}

KernelDef& KernelRegistry::add(KernelDef def) {
  kernels_.push_back(std::move(def));
  return kernels_.back();
}

const KernelDef* KernelRegistry::find(std::string_view name) const noexcept {
  for (const KernelDef& def : kernels_) {
    if (def.name() == name) return &def;
  }
  return nullptr;
}

void KernelRegistry::check() const {
  for (std::size_t i = 0; i < kernels_.size(); ++i) {
    const std::string error = kernels_[i].definition_error();
    if (!error.empty()) detail::raise(ErrorCode::kInvalidArgument, "{}", error);
    for (std::size_t j = 0; j < i; ++j) {
      if (kernels_[j].name() == kernels_[i].name()) {
        detail::raise(ErrorCode::kInvalidArgument, "two kernels are named {}", kernels_[i].name());
      }
    }
  }
}

}  // namespace tensormem
