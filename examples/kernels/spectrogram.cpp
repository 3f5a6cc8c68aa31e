// spectrogram: magnitudes |DFT(w * x)| of overlapping frames of a 1-D float32
// signal of any stride, with a periodic Hann window and no padding.
#include <tensormem/kernels.hpp>

#include <cmath>
#include <complex>
#include <cstdint>
#include <vector>

using tensormem::ErrorCode;
using tensormem::KernelContext;
using tensormem::Tensor;

namespace {

constexpr double kPi = 3.14159265358979323846;

// In-place iterative radix-2 FFT of n = 2^k points.
void fft(std::vector<std::complex<float>>& a, const std::vector<std::complex<float>>& twiddles) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; (j & bit) != 0; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t length = 2; length <= n; length <<= 1) {
    const std::size_t step = n / length;
    for (std::size_t start = 0; start < n; start += length) {
      for (std::size_t k = 0; k < length / 2; ++k) {
        const std::complex<float> t = twiddles[k * step] * a[start + k + length / 2];
        a[start + k + length / 2] = a[start + k] - t;
        a[start + k] += t;
      }
    }
  }
}

Tensor spectrogram(KernelContext& ctx, const Tensor& signal, std::int32_t frame, std::int32_t hop) {
  const std::int64_t n = signal.size(0);
  if (frame < 2 || (frame & (frame - 1)) != 0) {
    ctx.fail(ErrorCode::kInvalidArgument, "frame {} is not a power of two of at least 2", frame);
  }
  if (hop < 1) ctx.fail(ErrorCode::kInvalidArgument, "hop {} must be at least 1", hop);
  if (n < frame) {
    ctx.fail(ErrorCode::kInvalidShape, "the signal has {} samples, fewer than one frame of {}", n, frame);
  }
  const std::int64_t frames = 1 + (n - frame) / hop;
  const std::int64_t bins = frame / 2 + 1;
  Tensor out = ctx.empty({frames, bins});  // allocated before the work: a limit failure costs nothing

  const auto size = static_cast<std::size_t>(frame);
  std::vector<float> window(size);
  for (std::size_t k = 0; k < size; ++k) {
    window[k] = static_cast<float>(0.5 - 0.5 * std::cos(2 * kPi * static_cast<double>(k) / frame));  // periodic
  }
  std::vector<std::complex<float>> twiddles(size / 2);
  for (std::size_t k = 0; k < size / 2; ++k) {
    twiddles[k] = std::polar(1.0f, static_cast<float>(-2 * kPi * static_cast<double>(k) / frame));
  }
  std::vector<std::complex<float>> buffer(size);
  const float* x = reinterpret_cast<const float*>(signal.data());
  const std::int64_t stride = signal.stride(0);
  float* magnitudes = out.span<float>().data();
  for (std::int64_t f = 0; f < frames; ++f) {
    const float* start = x + f * hop * stride;
    for (std::size_t k = 0; k < size; ++k) {
      buffer[k] = {window[k] * start[static_cast<std::int64_t>(k) * stride], 0.0f};
    }
    fft(buffer, twiddles);
    for (std::int64_t b = 0; b < bins; ++b) magnitudes[f * bins + b] = std::abs(buffer[static_cast<std::size_t>(b)]);
  }
  return out;
}

}  // namespace

TENSORMEM_KERNELS(m) {
  m.def("spectrogram", &spectrogram, tensormem::arg("signal").dtype<float>().ndim(1), tensormem::arg("frame"),
        tensormem::arg("hop"))
      .returns<float>()
      .doc("Magnitude spectrogram of a 1-D float32 signal (any stride): float32 [1 + (n - frame) / hop, frame / 2 + 1], "
           "periodic Hann window, frame a power of two.");
}
