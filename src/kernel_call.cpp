// The hot path of a kernel call, compiled for speed: the cold parts of the
// kernel layer (registration, signatures, every error message) are in
// src/kernels.cpp, which the wasm build compiles for size. There, clang
// inlines nothing, not even vector::size(): KernelDef::call compiled with
// them cost ~35 ns a call (docs/benchmarks.md, "Kernel calls").
#include "tensormem/kernels.hpp"

namespace tensormem {

KernelResult KernelDef::call(Storage& storage, const KernelValue* values, std::size_t count) const {
  if (count != params_.size()) [[unlikely]] raise_argument_count(count);
  KernelContext ctx(storage, name_);
  KernelResult result = [&] {
    try {
      return invoker_(fn_, ctx, params_.data(), values);
    } catch (...) {
      raise_from_kernel();
    }
  }();
  if (result.kind == KernelResult::Kind::kTensor) {
    const Tensor& t = result.tensor;
    if (t.storage() != &storage || !t.is_alive() ||
        (result_dtype_ >= 0 && static_cast<int>(t.dtype()) != result_dtype_)) [[unlikely]] {
      raise_bad_result(storage, t);
    }
  }
  return result;
}

}  // namespace tensormem
