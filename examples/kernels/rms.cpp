// rowRms: root mean square of each row of a 2-D float32 tensor, any strides.
#include <tensormem/kernels.hpp>

#include <cmath>
#include <cstdint>

using tensormem::KernelContext;
using tensormem::Tensor;

namespace {

Tensor row_rms(KernelContext& ctx, const Tensor& x) {
  const std::int64_t rows = x.size(0);
  const std::int64_t cols = x.size(1);
  Tensor out = ctx.empty({rows});
  float* result = out.span<float>().data();
  // Strided access through the element pointer: the view's strides are in
  // elements and may be negative (a reversed slice) or 0 (a broadcast).
  const float* base = reinterpret_cast<const float*>(x.data());
  const std::int64_t row_stride = x.stride(0);
  const std::int64_t col_stride = x.stride(1);
  for (std::int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    const float* row = base + r * row_stride;
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = row[c * col_stride];
      sum += v * v;
    }
    result[r] = cols == 0 ? 0.0f : static_cast<float>(std::sqrt(sum / static_cast<double>(cols)));
  }
  return out;
}

}  // namespace

TENSORMEM_KERNELS(m) {
  m.def("rowRms", &row_rms, tensormem::arg("x").dtype<float>().ndim(2))
      .returns<float>()
      .doc("Root mean square of each row of a 2-D float32 tensor (any strides): float32 [rows].");
}
