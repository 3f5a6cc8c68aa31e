// Kernels: ordinary C++ functions over tensors, registered with the
// constraints of their arguments, which the runtime checks before the call.
//
//   // Root mean square of each row of a 2-D float32 tensor with any strides.
//   tensormem::Tensor row_rms(tensormem::KernelContext& ctx, const tensormem::Tensor& x);
//
//   TENSORMEM_KERNELS(m) {
//     m.def("rowRms", &row_rms, tensormem::arg("x").dtype<float>().ndim(2))
//         .returns<float>()
//         .doc("Root mean square of each row.");
//   }
//
// A kernel takes a KernelContext& first, then any of
//   const Tensor&   an input (retained for the call)
//   Tensor&         an input written in place: it must be writable (READ_ONLY otherwise)
//   arithmetic      float, double, bool, [u]int8..[u]int64: converted exactly or refused
// and returns a Tensor (allocated through the context, under the device's
// limit), an arithmetic value, or nothing. A violated constraint never
// reaches the kernel: DTYPE_MISMATCH, INVALID_SHAPE, NOT_CONTIGUOUS or
// READ_ONLY, naming the kernel, the argument and the value ("rowRms: argument
// x is int32; it must be float32"). An exception from the kernel becomes a
// KERNEL_FAILED error (a tensormem::Error keeps its own code).
//
// Okay:     pointers from t.span<float>() / t.data() used during the call.
// Not okay: keeping them past the call (the buffer may be freed and reused),
//           or a tensor from another Storage as the result.
//
// The JavaScript package exposes every registered kernel as
// device.kernels.<name>(...), with TypeScript types generated from these
// signatures (docs/kernels.md).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensormem/dtype.hpp"
#include "tensormem/error.hpp"
#include "tensormem/storage.hpp"
#include "tensormem/tensor.hpp"

namespace tensormem {

// What a kernel gets besides its arguments: where its outputs come from.
class KernelContext {
 public:
  KernelContext(Storage& storage, std::string_view kernel) noexcept : storage_(&storage), kernel_(kernel) {}

  [[nodiscard]] Storage& storage() const noexcept { return *storage_; }
  [[nodiscard]] std::string_view kernel_name() const noexcept { return kernel_; }

  // New tensors from the device's Storage (MEMORY_LIMIT past its limit).
  [[nodiscard]] Tensor empty(IntList shape, DType dtype = DType::kFloat32) const {
    return Tensor::empty(*storage_, shape, dtype);
  }
  [[nodiscard]] Tensor zeros(IntList shape, DType dtype = DType::kFloat32) const {
    return Tensor::zeros(*storage_, shape, dtype);
  }

  // Raises `code` with the message prefixed by the kernel's name, for the
  // checks only the kernel can make ("spectrogram: frame 1000 is not a power of two").
  template <typename... Args>
  [[noreturn]] void fail(ErrorCode code, fmt::format_string<Args...> format, Args... args) const {
    detail::raise(code, "{}: {}", kernel_, fmt::vformat(fmt::string_view(format), fmt::make_format_args(args...)));
  }

 private:
  Storage* storage_;
  std::string_view kernel_;
};

// The declared constraints of one argument: arg("x").dtype<float>().ndim(2).
class ArgSpec {
 public:
  constexpr explicit ArgSpec(const char* name) noexcept : name_(name) {}

  template <typename T>
  [[nodiscard]] constexpr ArgSpec dtype() const noexcept {
    static_assert(kHasDType<T>, "dtype<T>(): T must be an element type (float, double, [u]int8..64, bool)");
    return dtype(dtype_of<T>);
  }
  [[nodiscard]] constexpr ArgSpec dtype(DType value) const noexcept {
    ArgSpec copy = *this;
    copy.dtype_ = static_cast<int>(value);
    return copy;
  }
  [[nodiscard]] constexpr ArgSpec ndim(int value) const noexcept {
    ArgSpec copy = *this;
    copy.ndim_ = value;
    return copy;
  }
  [[nodiscard]] constexpr ArgSpec contiguous() const noexcept {
    ArgSpec copy = *this;
    copy.contiguous_ = true;
    return copy;
  }
  [[nodiscard]] constexpr ArgSpec writable() const noexcept {
    ArgSpec copy = *this;
    copy.writable_ = true;
    return copy;
  }

  [[nodiscard]] constexpr const char* name() const noexcept { return name_; }
  // -1 when not constrained.
  [[nodiscard]] constexpr int dtype_code() const noexcept { return dtype_; }
  [[nodiscard]] constexpr int ndim() const noexcept { return ndim_; }
  [[nodiscard]] constexpr bool is_contiguous() const noexcept { return contiguous_; }
  [[nodiscard]] constexpr bool is_writable() const noexcept { return writable_; }
  [[nodiscard]] constexpr bool constrains_tensor() const noexcept {
    return dtype_ >= 0 || ndim_ >= 0 || contiguous_ || writable_;
  }

 private:
  const char* name_;
  int dtype_ = -1;
  int ndim_ = -1;
  bool contiguous_ = false;
  bool writable_ = false;
};

[[nodiscard]] constexpr ArgSpec arg(const char* name) noexcept { return ArgSpec(name); }

// --- how values cross into and out of a kernel call ----------------------------------

// One argument as a caller (the JS runtime, a test) passes it.
struct KernelValue {
  enum class Kind : std::uint8_t { kTensor, kNumber, kInteger, kBoolean };
  Kind kind = Kind::kNumber;
  const Tensor* tensor = nullptr;  // kTensor; must live for the call
  double number = 0;               // kNumber: a JS number
  std::int64_t integer = 0;        // kInteger: a JS bigint, as its 64-bit two's complement bits
  bool boolean = false;            // kBoolean

  [[nodiscard]] static KernelValue of(const Tensor& t) noexcept { return {Kind::kTensor, &t, 0, 0, false}; }
  [[nodiscard]] static KernelValue of_number(double v) noexcept { return {Kind::kNumber, nullptr, v, 0, false}; }
  [[nodiscard]] static KernelValue of_integer(std::int64_t v) noexcept { return {Kind::kInteger, nullptr, 0, v, false}; }
  [[nodiscard]] static KernelValue of_boolean(bool v) noexcept { return {Kind::kBoolean, nullptr, 0, 0, v}; }
};

// What a kernel returned.
struct KernelResult {
  enum class Kind : std::uint8_t { kVoid, kTensor, kNumber, kInt64, kUint64, kBoolean };
  Kind kind = Kind::kVoid;
  Tensor tensor;
  double number = 0;
  std::int64_t integer = 0;  // kInt64 / kUint64 (as bits)
  bool boolean = false;
};

// The shape of a parameter or result, as callers and generated types see it.
enum class KernelType : std::uint8_t {
  kVoid,
  kTensorIn,     // const Tensor&
  kTensorInOut,  // Tensor&
  kFloat32, kFloat64, kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kInt64, kUint64, kBool,
  kTensor,  // a result
};
[[nodiscard]] std::string_view to_string(KernelType type) noexcept;

struct KernelParam {
  ArgSpec spec;
  KernelType type;
};

namespace detail {

template <typename T>
struct kernel_type_of {
  static_assert(sizeof(T) == 0,
                "a kernel parameter must be const Tensor&, Tensor& or an arithmetic type "
                "(float, double, bool, [u]int8..[u]int64)");
};
template <> struct kernel_type_of<const Tensor&> { static constexpr KernelType value = KernelType::kTensorIn; };
template <> struct kernel_type_of<Tensor&> { static constexpr KernelType value = KernelType::kTensorInOut; };
#define TENSORMEM_KERNEL_SCALAR(type, kind) \
  template <> struct kernel_type_of<type> { static constexpr KernelType value = KernelType::kind; };
TENSORMEM_KERNEL_SCALAR(float, kFloat32)
TENSORMEM_KERNEL_SCALAR(double, kFloat64)
TENSORMEM_KERNEL_SCALAR(std::int8_t, kInt8)
TENSORMEM_KERNEL_SCALAR(std::uint8_t, kUint8)
TENSORMEM_KERNEL_SCALAR(std::int16_t, kInt16)
TENSORMEM_KERNEL_SCALAR(std::uint16_t, kUint16)
TENSORMEM_KERNEL_SCALAR(std::int32_t, kInt32)
TENSORMEM_KERNEL_SCALAR(std::uint32_t, kUint32)
TENSORMEM_KERNEL_SCALAR(std::int64_t, kInt64)
TENSORMEM_KERNEL_SCALAR(std::uint64_t, kUint64)
TENSORMEM_KERNEL_SCALAR(bool, kBool)
#undef TENSORMEM_KERNEL_SCALAR

template <typename R>
constexpr KernelType kernel_result_type() {
  if constexpr (std::is_void_v<R>) {
    return KernelType::kVoid;
  } else if constexpr (std::is_same_v<R, Tensor>) {
    return KernelType::kTensor;
  } else {
    static_assert(std::is_arithmetic_v<R>, "a kernel returns a Tensor, an arithmetic value or void");
    return kernel_type_of<R>::value;
  }
}

// Raises the first check of a tensor argument that fails, naming the kernel
// and the argument, in the order docs/kernels.md gives. Cold, out of line
// (src/kernels.cpp).
[[noreturn]] void raise_tensor_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value);

// Checks one tensor argument against its parameter (kind, device, buffer,
// declared constraints). The checks that pass cost a few compares inline;
// any failure goes to raise_tensor_argument, which says which.
inline void check_tensor_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  if (value.kind != KernelValue::Kind::kTensor || value.tensor == nullptr) [[unlikely]] {
    raise_tensor_argument(ctx, param, value);
  }
  const Tensor& t = *value.tensor;
  const ArgSpec& spec = param.spec;
  if (t.storage() != &ctx.storage() || !t.is_alive() ||
      (spec.dtype_code() >= 0 && static_cast<int>(t.dtype()) != spec.dtype_code()) ||
      (spec.ndim() >= 0 && t.ndim() != spec.ndim()) ||
      ((spec.is_writable() || param.type == KernelType::kTensorInOut) && t.is_read_only()) ||
      (spec.is_contiguous() && !t.is_contiguous())) [[unlikely]] {
    raise_tensor_argument(ctx, param, value);
  }
}

// Checks one scalar argument against its parameter (kind, range); raises
// naming the kernel and the argument. Out of line (src/kernels.cpp).
[[nodiscard]] double number_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value);
[[nodiscard]] std::int64_t integer_argument(const KernelContext& ctx, const KernelParam& param,
                                            const KernelValue& value, std::int64_t min, std::uint64_t max);
[[nodiscard]] std::uint64_t unsigned_argument(const KernelContext& ctx, const KernelParam& param,
                                              const KernelValue& value);
[[nodiscard]] bool boolean_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value);

template <typename P>
decltype(auto) convert_argument(const KernelContext& ctx, const KernelParam& param, const KernelValue& value) {
  using T = std::remove_cvref_t<P>;
  if constexpr (std::is_same_v<T, Tensor>) {
    check_tensor_argument(ctx, param, value);
    return *const_cast<Tensor*>(value.tensor);  // the caller's copy, retained for the call
  } else if constexpr (std::is_same_v<T, bool>) {
    return boolean_argument(ctx, param, value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(number_argument(ctx, param, value));
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    return unsigned_argument(ctx, param, value);
  } else {
    return static_cast<T>(integer_argument(ctx, param, value, std::numeric_limits<T>::min(),
                                           static_cast<std::uint64_t>(std::numeric_limits<T>::max())));
  }
}

template <typename R>
KernelResult wrap_result(R&& value) {
  KernelResult result;
  using T = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<T, Tensor>) {
    result.kind = KernelResult::Kind::kTensor;
    result.tensor = std::forward<R>(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    result.kind = KernelResult::Kind::kBoolean;
    result.boolean = value;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    result.kind = KernelResult::Kind::kInt64;
    result.integer = value;
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    result.kind = KernelResult::Kind::kUint64;
    result.integer = static_cast<std::int64_t>(value);
  } else {
    result.kind = KernelResult::Kind::kNumber;
    result.number = static_cast<double>(value);
  }
  return result;
}

using ErasedKernel = void (*)();
// Parameters and values as pointers (call() has checked that the counts
// match): a span passed by value goes through memory in wasm, and reading it
// back with wider loads than wrote it stalls store-to-load forwarding.
using KernelInvoker = KernelResult (*)(ErasedKernel, KernelContext&, const KernelParam*, const KernelValue*);

template <typename R, typename... P, std::size_t... I>
KernelResult invoke_kernel(ErasedKernel erased, KernelContext& ctx, const KernelParam* params,
                           const KernelValue* values, std::index_sequence<I...>) {
  const auto fn = reinterpret_cast<R (*)(KernelContext&, P...)>(erased);
  // Every argument is converted and checked before the kernel runs; a braced
  // list evaluates left to right, so the first bad argument is the one named.
  auto args = std::tuple<decltype(convert_argument<P>(ctx, params[I], values[I]))...>{
      convert_argument<P>(ctx, params[I], values[I])...};
  if constexpr (std::is_void_v<R>) {
    fn(ctx, std::get<I>(args)...);
    return {};
  } else {
    return wrap_result(fn(ctx, std::get<I>(args)...));
  }
}

template <typename R, typename... P>
KernelResult invoke_erased(ErasedKernel erased, KernelContext& ctx, const KernelParam* params,
                           const KernelValue* values) {
  return invoke_kernel<R, P...>(erased, ctx, params, values, std::index_sequence_for<P...>{});
}

}  // namespace detail

// One registered kernel.
class KernelDef {
 public:
  KernelDef(std::string name, detail::ErasedKernel fn, detail::KernelInvoker invoker, std::vector<KernelParam> params,
            KernelType result) noexcept
      : name_(std::move(name)), fn_(fn), invoker_(invoker), params_(std::move(params)), result_(result) {}

  // The dtype a returned tensor must have (checked after the call).
  template <typename T>
  KernelDef& returns() {
    static_assert(kHasDType<T>, "returns<T>(): T must be an element type");
    result_dtype_ = static_cast<int>(dtype_of<T>);
    return *this;
  }
  KernelDef& returns(DType dtype) {
    result_dtype_ = static_cast<int>(dtype);
    return *this;
  }
  // One line for the generated TypeScript docs.
  KernelDef& doc(std::string text) {
    doc_ = std::move(text);
    return *this;
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& doc() const noexcept { return doc_; }
  [[nodiscard]] std::span<const KernelParam> params() const noexcept { return params_; }
  [[nodiscard]] KernelType result() const noexcept { return result_; }
  [[nodiscard]] int result_dtype() const noexcept { return result_dtype_; }  // -1: any

  // Checks the arguments, runs the kernel and checks its result. Throws the
  // checks' errors, the kernel's tensormem::Error as it is, and anything else
  // the kernel throws as KERNEL_FAILED. Hot (src/kernel_call.cpp): every
  // error is raised out of line, from the cold src/kernels.cpp.
  KernelResult call(Storage& storage, std::span<const KernelValue> values) const {
    return call(storage, values.data(), values.size());
  }
  // The same, with the values as a pointer and a count (how the span reaches
  // the hot path: in registers, not through memory).
  KernelResult call(Storage& storage, const KernelValue* values, std::size_t count) const;

  // {"name", "doc", "args": [{"name", "type", "dtype", "ndim", "contiguous", "writable"}],
  //  "returns": {"type", "dtype"}}: what the JS layer builds methods and types from.
  [[nodiscard]] std::string signature_json() const;

  // A definition error found at registration (a constraint on a scalar, a
  // dtype on a non-tensor result, ...), reported when the registry is checked.
  [[nodiscard]] std::string definition_error() const;

 private:
  // The errors of call(), cold (src/kernels.cpp).
  [[noreturn]] void raise_argument_count(std::size_t got) const;
  [[noreturn]] void raise_from_kernel() const;  // inside a catch: translates the exception being handled
  [[noreturn]] void raise_bad_result(const Storage& storage, const Tensor& t) const;

  std::string name_;
  std::string doc_;
  detail::ErasedKernel fn_;
  detail::KernelInvoker invoker_;
  std::vector<KernelParam> params_;
  KernelType result_;
  int result_dtype_ = -1;
};

// Every kernel of a program, in registration order. Registration runs during
// static initialization (TENSORMEM_KERNELS); lookups after it.
class KernelRegistry {
 public:
  [[nodiscard]] static KernelRegistry& global() noexcept;

  template <typename R, typename... P, typename... Specs>
  KernelDef& def(const char* name, R (*fn)(KernelContext&, P...), Specs... specs) {
    static_assert(sizeof...(Specs) == 0 || sizeof...(Specs) == sizeof...(P),
                  "give an arg(...) spec for every parameter after the KernelContext, or none");
    static_assert((std::is_same_v<Specs, ArgSpec> && ...), "argument specs are tensormem::arg(\"name\")...");
    std::vector<KernelParam> params;
    params.reserve(sizeof...(P));
    if constexpr (sizeof...(Specs) == 0) {
      (params.push_back({ArgSpec(kDefaultNames[params.size() < 8 ? params.size() : 7]),
                         detail::kernel_type_of<P>::value}),
       ...);
    } else {
      const ArgSpec given[] = {specs...};
      std::size_t i = 0;
      ((params.push_back({given[i], detail::kernel_type_of<P>::value}), ++i), ...);
    }
    return add(KernelDef(name, reinterpret_cast<detail::ErasedKernel>(fn), &detail::invoke_erased<R, P...>,
                         std::move(params), detail::kernel_result_type<R>()));
  }
  // Captureless lambdas, through their function pointer.
  template <typename F, typename... Specs>
    requires(!std::is_pointer_v<F> && requires(F f) { +f; })
  KernelDef& def(const char* name, F f, Specs... specs) {
    return def(name, +f, specs...);
  }

  [[nodiscard]] std::size_t size() const noexcept { return kernels_.size(); }
  [[nodiscard]] const KernelDef& at(std::size_t index) const { return kernels_.at(index); }
  // The kernel named `name`, or null.
  [[nodiscard]] const KernelDef* find(std::string_view name) const noexcept;
  // Throws INVALID_ARGUMENT naming the first definition error (a duplicate
  // name, a constraint that cannot apply), if any.
  void check() const;

 private:
  static constexpr const char* kDefaultNames[] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "args"};
  KernelDef& add(KernelDef def);

  std::deque<KernelDef> kernels_;  // a deque: def() hands out references that later defs must not move
};

// What a TENSORMEM_KERNELS block receives.
using KernelModule = KernelRegistry;

namespace detail {
struct KernelRegistration {
  explicit KernelRegistration(void (*define)(KernelModule&)) { define(KernelRegistry::global()); }
};
}  // namespace detail

}  // namespace tensormem

#define TENSORMEM_KERNELS_CONCAT_(a, b) a##b
#define TENSORMEM_KERNELS_CONCAT(a, b) TENSORMEM_KERNELS_CONCAT_(a, b)
#define TENSORMEM_KERNELS_IMPL_(m, id)                                                                    \
  static void TENSORMEM_KERNELS_CONCAT(tensormem_define_kernels_, id)(::tensormem::KernelModule&);     \
  static const ::tensormem::detail::KernelRegistration TENSORMEM_KERNELS_CONCAT(                        \
      tensormem_kernel_registration_, id)(&TENSORMEM_KERNELS_CONCAT(tensormem_define_kernels_, id)); \
  static void TENSORMEM_KERNELS_CONCAT(tensormem_define_kernels_, id)(::tensormem::KernelModule & m)
// Registers the kernels defined in the block that follows; any number of
// blocks, in any number of files of one program.
#define TENSORMEM_KERNELS(m) TENSORMEM_KERNELS_IMPL_(m, __COUNTER__)
