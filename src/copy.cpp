#include "tensormem/copy.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tensormem/convert.hpp"

namespace tensormem::detail {
namespace {

using Int = std::int64_t;

// ---- the iteration space ---------------------------------------------------------

// The iteration space after simplification: dims with size > 1, each with a
// positive dst stride (a dim walked backwards in dst is flipped, which moves
// both base addresses), ordered so that dst is walked in memory order
// (innermost last), and merged wherever both operands are contiguous across a
// pair of dims. Strides are in elements.
struct Plan {
  int ndim = 0;
  std::array<Int, kMaxDims> sizes{};
  std::array<Int, kMaxDims> dst_strides{};
  std::array<Int, kMaxDims> src_strides{};
  std::byte* dst = nullptr;
  const std::byte* src = nullptr;
  Int dst_item = 0;
  Int src_item = 0;
  bool empty = false;
};

Plan make_plan(IntList shape, std::byte* dst, const Int* dst_strides, Int dst_item, const std::byte* src,
               const Int* src_strides, Int src_item) noexcept {
  Plan plan;
  plan.dst_item = dst_item;
  plan.src_item = src_item;
  std::array<Int, kMaxDims> sizes{};
  std::array<Int, kMaxDims> dst_by_dim{};
  std::array<Int, kMaxDims> src_by_dim{};
  std::array<int, kMaxDims> order{};
  int kept = 0;
  // Before any stride is used: an empty shape's strides are unchecked.
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) {
    plan.empty = true;
    return plan;
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    const auto k = static_cast<std::size_t>(kept);
    sizes[k] = shape[d];
    dst_by_dim[k] = dst_strides[d];
    src_by_dim[k] = src_strides[d];
    if (dst_by_dim[k] < 0) {
      dst += (sizes[k] - 1) * dst_by_dim[k] * dst_item;
      src += (sizes[k] - 1) * src_by_dim[k] * src_item;
      dst_by_dim[k] = -dst_by_dim[k];
      src_by_dim[k] = -src_by_dim[k];
    }
    order[k] = kept++;
  }
  plan.dst = dst;
  plan.src = src;
  // Outermost first: larger dst strides first; ties keep logical order.
  std::stable_sort(order.begin(), order.begin() + kept,
                   [&](int a, int b) { return dst_by_dim[static_cast<std::size_t>(a)] > dst_by_dim[static_cast<std::size_t>(b)]; });
  for (int i = 0; i < kept; ++i) {
    const auto d = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    if (plan.ndim > 0) {
      const auto m = static_cast<std::size_t>(plan.ndim - 1);
      // Dim d is inner to the last kept dim m: merge when m steps over exactly one row of d.
      if (plan.dst_strides[m] == dst_by_dim[d] * sizes[d] && plan.src_strides[m] == src_by_dim[d] * sizes[d]) {
        plan.sizes[m] *= sizes[d];
        plan.dst_strides[m] = dst_by_dim[d];
        plan.src_strides[m] = src_by_dim[d];
        continue;
      }
    }
    const auto m = static_cast<std::size_t>(plan.ndim++);
    plan.sizes[m] = sizes[d];
    plan.dst_strides[m] = dst_by_dim[d];
    plan.src_strides[m] = src_by_dim[d];
  }
  return plan;
}

// The plan without dim `d`: what is left to iterate around a 2-D kernel.
Plan without_dim(const Plan& plan, int d) noexcept {
  Plan rest = plan;
  const auto from = static_cast<std::ptrdiff_t>(d) + 1;
  std::copy(plan.sizes.begin() + from, plan.sizes.end(), rest.sizes.begin() + d);
  std::copy(plan.dst_strides.begin() + from, plan.dst_strides.end(), rest.dst_strides.begin() + d);
  std::copy(plan.src_strides.begin() + from, plan.src_strides.end(), rest.src_strides.begin() + d);
  --rest.ndim;
  return rest;
}

// Calls row(dst, src) for every index of the plan's dims but the innermost,
// with the operands advanced to that index.
template <typename Row>
void for_each_row(const Plan& plan, Row&& row) {
  const int outer = plan.ndim - 1;
  std::byte* dst = plan.dst;
  const std::byte* src = plan.src;
  if (outer <= 0) {
    row(dst, src);
    return;
  }
  std::array<Int, kMaxDims> dst_step{};
  std::array<Int, kMaxDims> src_step{};
  for (std::size_t d = 0; d < static_cast<std::size_t>(outer); ++d) {
    dst_step[d] = plan.dst_strides[d] * plan.dst_item;
    src_step[d] = plan.src_strides[d] * plan.src_item;
  }
  std::array<Int, kMaxDims> index{};
  for (;;) {
    row(dst, src);
    int d = outer - 1;
    for (; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      dst += dst_step[u];
      src += src_step[u];
      if (++index[u] < plan.sizes[u]) break;
      dst -= dst_step[u] * plan.sizes[u];
      src -= src_step[u] * plan.sizes[u];
      index[u] = 0;
    }
    if (d < 0) return;
  }
}

// ---- elements ----------------------------------------------------------------------

// Loads and stores through memcpy: the caller's spans need not be aligned
// beyond their element type, and bool bytes may hold any value.
template <typename T>
[[gnu::always_inline]] inline T load(const std::byte* p) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return std::to_integer<std::uint8_t>(*p) != 0;
  } else {
    T value;
    std::memcpy(&value, p, sizeof(T));
    return value;
  }
}
template <typename T>
[[gnu::always_inline]] inline void store(std::byte* p, T value) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    *p = std::byte{value};  // as a byte: GCC vectorizes no loop that stores bools
  } else {
    std::memcpy(p, &value, sizeof(T));
  }
}

// convert<To>(value), in a form compilers vectorize. Float -> integer
// conversions whose bounds the float type holds exactly clamp first: the
// truncation is then always in range, and the result is convert's.
template <typename To, typename From>
[[gnu::always_inline]] inline To convert_element(From value) noexcept {
  if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To> && !std::is_same_v<To, bool> &&
                sizeof(To) <= 4 && std::numeric_limits<To>::digits <= std::numeric_limits<From>::digits) {
    constexpr auto kLow = static_cast<From>(std::numeric_limits<To>::min());
    constexpr auto kHigh = static_cast<From>(std::numeric_limits<To>::max());
    return static_cast<To>(value != value ? From{0} : std::min(std::max(value, kLow), kHigh));
  } else {
    return convert<To>(value);
  }
}
template <typename To, typename From>
[[gnu::always_inline]] inline void convert_one(std::byte* dst, const std::byte* src) noexcept {
  store<To>(dst, convert_element<To>(load<From>(src)));
}

// Same-dtype copies only move bytes: one unsigned type per width. Bool is not
// routed here, so that copies store canonical 0/1 bytes.
template <std::size_t Width>
using Bits = std::conditional_t<Width == 1, std::uint8_t,
                                std::conditional_t<Width == 2, std::uint16_t,
                                                   std::conditional_t<Width == 4, std::uint32_t, std::uint64_t>>>;

// ---- 128-bit vectors -----------------------------------------------------------------

#if defined(__wasm_simd128__)
using Vec = v128_t;
[[gnu::always_inline]] inline Vec load_vec(const std::byte* p) noexcept { return wasm_v128_load(p); }
[[gnu::always_inline]] inline void store_vec(std::byte* p, Vec v) noexcept { wasm_v128_store(p, v); }
// Lanes of width W from the low (high) halves of a and b, alternating: a0 b0 a1 b1 ...
template <std::size_t W>
[[gnu::always_inline]] inline Vec interleave_low(Vec a, Vec b) noexcept {
  if constexpr (W == 1) return wasm_i8x16_shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  if constexpr (W == 2) return wasm_i16x8_shuffle(a, b, 0, 8, 1, 9, 2, 10, 3, 11);
  if constexpr (W == 4) return wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
  if constexpr (W == 8) return wasm_i64x2_shuffle(a, b, 0, 2);
}
template <std::size_t W>
[[gnu::always_inline]] inline Vec interleave_high(Vec a, Vec b) noexcept {
  if constexpr (W == 1) return wasm_i8x16_shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  if constexpr (W == 2) return wasm_i16x8_shuffle(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
  if constexpr (W == 4) return wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
  if constexpr (W == 8) return wasm_i64x2_shuffle(a, b, 1, 3);
}
// convert<std::int32_t>(float) for four lanes: saturating, NaN to 0.
[[gnu::always_inline]] inline Vec float32_to_int32(Vec v) noexcept { return wasm_i32x4_trunc_sat_f32x4(v); }
// Signed saturating narrowing of two vectors into one.
[[gnu::always_inline]] inline Vec narrow_to_int16(Vec a, Vec b) noexcept { return wasm_i16x8_narrow_i32x4(a, b); }
[[gnu::always_inline]] inline Vec narrow_to_int8(Vec a, Vec b) noexcept { return wasm_i8x16_narrow_i16x8(a, b); }
[[gnu::always_inline]] inline Vec narrow_to_uint8(Vec a, Vec b) noexcept { return wasm_u8x16_narrow_i16x8(a, b); }
// Lanes 4k..4k+3 of sixteen uint8 lanes u, as the float32 2^23 + u: each
// byte under the exponent of 2^23. (Clang 14 turns the widened lanes of
// f32x4.convert_i32x4 back into four scalar conversions: 0.8 ns per element.)
template <int K>
[[gnu::always_inline]] inline Vec uint8_quarter_above_2p23(Vec v) noexcept {
  const Vec half = K < 2 ? wasm_u16x8_extend_low_u8x16(v) : wasm_u16x8_extend_high_u8x16(v);
  const Vec quarter = K % 2 == 0 ? wasm_u32x4_extend_low_u16x8(half) : wasm_u32x4_extend_high_u16x8(half);
  return wasm_v128_or(quarter, wasm_i32x4_splat(0x4B00'0000));
}
[[gnu::always_inline]] inline Vec flip_sign_bits(Vec v) noexcept { return wasm_v128_xor(v, wasm_i8x16_splat(-128)); }
[[gnu::always_inline]] inline Vec float32_minus(Vec v, float x) noexcept {
  return wasm_f32x4_sub(v, wasm_f32x4_splat(x));
}
#elif defined(__SSE2__)
using Vec = __m128i;
[[gnu::always_inline]] inline Vec load_vec(const std::byte* p) noexcept {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
[[gnu::always_inline]] inline void store_vec(std::byte* p, Vec v) noexcept {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}
template <std::size_t W>
[[gnu::always_inline]] inline Vec interleave_low(Vec a, Vec b) noexcept {
  if constexpr (W == 1) return _mm_unpacklo_epi8(a, b);
  if constexpr (W == 2) return _mm_unpacklo_epi16(a, b);
  if constexpr (W == 4) return _mm_unpacklo_epi32(a, b);
  if constexpr (W == 8) return _mm_unpacklo_epi64(a, b);
}
template <std::size_t W>
[[gnu::always_inline]] inline Vec interleave_high(Vec a, Vec b) noexcept {
  if constexpr (W == 1) return _mm_unpackhi_epi8(a, b);
  if constexpr (W == 2) return _mm_unpackhi_epi16(a, b);
  if constexpr (W == 4) return _mm_unpackhi_epi32(a, b);
  if constexpr (W == 8) return _mm_unpackhi_epi64(a, b);
}
// convert<std::int32_t>(float) for four lanes. cvttps2dq gives INT_MIN for
// NaN and out of range: flip that to INT_MAX above the range, clear it for NaN.
[[gnu::always_inline]] inline Vec float32_to_int32(Vec v) noexcept {
  const __m128 x = _mm_castsi128_ps(v);
  const __m128i truncated = _mm_cvttps_epi32(x);
  const __m128i above = _mm_castps_si128(_mm_cmpge_ps(x, _mm_set1_ps(2147483648.0f)));
  const __m128i ordered = _mm_castps_si128(_mm_cmpord_ps(x, x));
  return _mm_and_si128(_mm_xor_si128(truncated, above), ordered);
}
// Signed saturating narrowing of two vectors into one.
[[gnu::always_inline]] inline Vec narrow_to_int16(Vec a, Vec b) noexcept { return _mm_packs_epi32(a, b); }
[[gnu::always_inline]] inline Vec narrow_to_int8(Vec a, Vec b) noexcept { return _mm_packs_epi16(a, b); }
[[gnu::always_inline]] inline Vec narrow_to_uint8(Vec a, Vec b) noexcept { return _mm_packus_epi16(a, b); }
// Lanes 4k..4k+3 of sixteen uint8 lanes u, as the float32 2^23 + u.
template <int K>
[[gnu::always_inline]] inline Vec uint8_quarter_above_2p23(Vec v) noexcept {
  const Vec zero = _mm_setzero_si128();
  const Vec half = K < 2 ? _mm_unpacklo_epi8(v, zero) : _mm_unpackhi_epi8(v, zero);
  const Vec quarter = K % 2 == 0 ? _mm_unpacklo_epi16(half, zero) : _mm_unpackhi_epi16(half, zero);
  return _mm_or_si128(quarter, _mm_set1_epi32(0x4B00'0000));
}
[[gnu::always_inline]] inline Vec flip_sign_bits(Vec v) noexcept {
  return _mm_xor_si128(v, _mm_set1_epi8(static_cast<char>(0x80)));
}
[[gnu::always_inline]] inline Vec float32_minus(Vec v, float x) noexcept {
  return _mm_castps_si128(_mm_sub_ps(_mm_castsi128_ps(v), _mm_set1_ps(x)));
}
#endif

// ---- rows ------------------------------------------------------------------------------

// Converts a leading run with explicit vector code where compilers find
// none themselves; returns how many elements it converted.
template <typename To, typename From>
Int convert_vector_prefix([[maybe_unused]] std::byte* dst, [[maybe_unused]] const std::byte* src,
                          [[maybe_unused]] Int n) noexcept {
#if defined(__wasm_simd128__) || defined(__SSE2__)
  // Float32 to int32, and on to narrower integers by saturating narrowing,
  // which clamps exactly as convert does. (Scalar float -> integer code in
  // wasm checks every element's range with a branch: 2 ns per element.)
  constexpr bool kNarrow = std::is_same_v<To, std::int16_t> || std::is_same_v<To, std::int8_t> ||
                           std::is_same_v<To, std::uint8_t>;
  if constexpr (std::is_same_v<From, float> && (std::is_same_v<To, std::int32_t> || kNarrow)) {
    constexpr Int kFloats = 16 / sizeof(To) > 4 ? 16 / sizeof(To) : 4;  // per vector stored
    const auto lanes = [&](Int i) { return float32_to_int32(load_vec(src + i * 4)); };
    Int i = 0;
    for (; i + kFloats <= n; i += kFloats) {
      if constexpr (std::is_same_v<To, std::int32_t>) {
        store_vec(dst + i * 4, lanes(i));
      } else if constexpr (std::is_same_v<To, std::int16_t>) {
        store_vec(dst + i * 2, narrow_to_int16(lanes(i), lanes(i + 4)));
      } else {
        const Vec low = narrow_to_int16(lanes(i), lanes(i + 4));
        const Vec high = narrow_to_int16(lanes(i + 8), lanes(i + 12));
        store_vec(dst + i, std::is_same_v<To, std::int8_t> ? narrow_to_int8(low, high) : narrow_to_uint8(low, high));
      }
    }
    return i;
  }
  // Bytes to float32 (clang vectorizes no such loop for wasm): 2^23 + u,
  // exact, minus 2^23. An int8 s is the uint8 s + 128 with its sign bit
  // flipped, so it subtracts 2^23 + 128.
  constexpr bool kSigned = std::is_same_v<From, std::int8_t>;
  if constexpr ((kSigned || std::is_same_v<From, std::uint8_t>) && std::is_same_v<To, float>) {
    constexpr float kBias = kSigned ? 8388608.0f + 128.0f : 8388608.0f;
    Int i = 0;
    for (; i + 16 <= n; i += 16) {
      const Vec bytes = kSigned ? flip_sign_bits(load_vec(src + i)) : load_vec(src + i);
      store_vec(dst + i * 4, float32_minus(uint8_quarter_above_2p23<0>(bytes), kBias));
      store_vec(dst + i * 4 + 16, float32_minus(uint8_quarter_above_2p23<1>(bytes), kBias));
      store_vec(dst + i * 4 + 32, float32_minus(uint8_quarter_above_2p23<2>(bytes), kBias));
      store_vec(dst + i * 4 + 48, float32_minus(uint8_quarter_above_2p23<3>(bytes), kBias));
    }
    return i;
  }
#endif
  return 0;
}

template <typename To, typename From>
// Not inlined: it is called through the row kernel table, and inlined into
// one dispatcher GCC vectorized fewer of these loops.
[[gnu::noinline]] void convert_contiguous(std::byte* dst, const std::byte* src, Int n) noexcept {
  for (Int i = convert_vector_prefix<To, From>(dst, src, n); i < n; ++i) {
    convert_one<To, From>(dst + i * Int{sizeof(To)}, src + i * Int{sizeof(From)});
  }
}

template <typename T>
void fill_contiguous(std::byte* dst, T value, Int n) noexcept {
  std::array<unsigned char, sizeof(T)> bytes;
  std::memcpy(bytes.data(), &value, sizeof(T));
  if (std::all_of(bytes.begin(), bytes.end(), [&](unsigned char b) { return b == bytes[0]; })) {
    std::memset(dst, bytes[0], static_cast<std::size_t>(n) * sizeof(T));  // zeros, mostly
    return;
  }
  for (Int i = 0; i < n; ++i) store<T>(dst + i * Int{sizeof(T)}, value);
}

// ---- moving bits by element width ----------------------------------------------------

// A row kernel converts n contiguous elements of one dtype into n contiguous
// elements of another. It is the only code that depends on the dtype pair:
// broadcasts, gathers and transposes move the bits by element width and call
// it on contiguous runs, so each pair costs one loop in the binary.
using RowKernel = void (*)(std::byte* dst, const std::byte* src, Int n) noexcept;

// 16 bytes as lanes of W bytes (GCC and Clang vector extensions: SSE2 natively,
// wasm SIMD with -msimd128, scalar code elsewhere).
template <std::size_t W>
struct LanesOf;
template <>
struct LanesOf<1> {
  typedef std::uint8_t type __attribute__((vector_size(16)));
};
template <>
struct LanesOf<2> {
  typedef std::uint16_t type __attribute__((vector_size(16)));
};
template <>
struct LanesOf<4> {
  typedef std::uint32_t type __attribute__((vector_size(16)));
};
template <>
struct LanesOf<8> {
  typedef std::uint64_t type __attribute__((vector_size(16)));
};
template <std::size_t W>
using Lanes = typename LanesOf<W>::type;

template <std::size_t W>
[[gnu::always_inline]] inline Lanes<W> load_lanes(const std::byte* p) noexcept {
  Lanes<W> v;
  std::memcpy(&v, p, 16);
  return v;
}
template <std::size_t W>
[[gnu::always_inline]] inline void store_lanes(std::byte* p, Lanes<W> v) noexcept {
  std::memcpy(p, &v, 16);
}
// The lanes in reverse order.
template <std::size_t W>
[[gnu::always_inline]] inline Lanes<W> reversed(Lanes<W> v) noexcept {
  if constexpr (W == 1) {
    return __builtin_shufflevector(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  } else if constexpr (W == 2) {
    return __builtin_shufflevector(v, v, 7, 6, 5, 4, 3, 2, 1, 0);
  } else if constexpr (W == 4) {
    return __builtin_shufflevector(v, v, 3, 2, 1, 0);
  } else {
    return __builtin_shufflevector(v, v, 1, 0);
  }
}
// The even lanes of a followed by those of b.
template <std::size_t W>
[[gnu::always_inline]] inline Lanes<W> evens(Lanes<W> a, Lanes<W> b) noexcept {
  if constexpr (W == 1) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  } else if constexpr (W == 2) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
  } else if constexpr (W == 4) {
    return __builtin_shufflevector(a, b, 0, 2, 4, 6);
  } else {
    return __builtin_shufflevector(a, b, 0, 2);
  }
}

// n elements of W bytes, steps in bytes. Runs read backwards or every other
// element go through vector shuffles: scalar loads and stores reach a fifth
// of memcpy in wasm.
template <std::size_t W>
[[gnu::noinline]] void move_strided(std::byte* dst, Int dst_step, const std::byte* src, Int src_step, Int n) noexcept {
  constexpr Int kW = W;
  constexpr Int K = 16 / kW;
  Int i = 0;
  if (dst_step == kW && src_step == -kW) {
    for (; i + K <= n; i += K) store_lanes<W>(dst + i * kW, reversed<W>(load_lanes<W>(src - (i + K - 1) * kW)));
  } else if (dst_step == kW && src_step == 2 * kW) {
    // i + K < n: the second load's last lane lies before element i + K, inside the view's extent.
    for (; i + K < n; i += K) {
      store_lanes<W>(dst + i * kW, evens<W>(load_lanes<W>(src + 2 * i * kW), load_lanes<W>(src + (2 * i + K) * kW)));
    }
  }
  for (; i < n; ++i) store<Bits<W>>(dst + i * dst_step, load<Bits<W>>(src + i * src_step));
}

void move_strided(std::byte* dst, Int dst_step, const std::byte* src, Int src_step, Int n, Int width) noexcept {
  switch (width) {
    case 1: return move_strided<1>(dst, dst_step, src, src_step, n);
    case 2: return move_strided<2>(dst, dst_step, src, src_step, n);
    case 4: return move_strided<4>(dst, dst_step, src, src_step, n);
    default: return move_strided<8>(dst, dst_step, src, src_step, n);
  }
}

// n copies of the width-byte element at value.
void fill_bytes(std::byte* dst, const std::byte* value, Int width, Int n) noexcept {
  switch (width) {
    case 1: return fill_contiguous(dst, load<Bits<1>>(value), n);
    case 2: return fill_contiguous(dst, load<Bits<2>>(value), n);
    case 4: return fill_contiguous(dst, load<Bits<4>>(value), n);
    default: return fill_contiguous(dst, load<Bits<8>>(value), n);
  }
}

// ---- transposes ----------------------------------------------------------------------

// One K x K square of W-byte elements, K = 16 / W: row r of src (rows src_row
// bytes apart) becomes column r of dst. The loops are unrolled by pragma:
// GCC -O2 otherwise keeps the rows in a stack array, and the 4096^2 float32
// transpose ran at half the speed.
template <std::size_t W>
[[gnu::always_inline]] inline void transpose_square(std::byte* dst, Int dst_row, const std::byte* src,
                                                    Int src_row) noexcept {
  constexpr std::size_t K = 16 / W;
#if defined(__wasm_simd128__) || defined(__SSE2__)
  // log2(K) rounds of interleaving rows i and i + K/2 transpose the square
  // (each round swaps one bit between the row index and the lane index).
  Vec rows[K];  // not std::array: GCC drops __m128i's attributes in template arguments
#pragma GCC unroll 16
  for (std::size_t i = 0; i < K; ++i) rows[i] = load_vec(src + static_cast<Int>(i) * src_row);
#pragma GCC unroll 4
  for (std::size_t round = 1; round < K; round *= 2) {
    Vec next[K];
#pragma GCC unroll 8
    for (std::size_t i = 0; i < K / 2; ++i) {
      next[2 * i] = interleave_low<W>(rows[i], rows[i + K / 2]);
      next[2 * i + 1] = interleave_high<W>(rows[i], rows[i + K / 2]);
    }
#pragma GCC unroll 16
    for (std::size_t i = 0; i < K; ++i) rows[i] = next[i];
  }
#pragma GCC unroll 16
  for (std::size_t i = 0; i < K; ++i) store_vec(dst + static_cast<Int>(i) * dst_row, rows[i]);
#else
  for (std::size_t b = 0; b < K; ++b) {
    for (std::size_t a = 0; a < K; ++a) {
      store<Bits<W>>(dst + static_cast<Int>(b) * dst_row + static_cast<Int>(a * W),
                     load<Bits<W>>(src + static_cast<Int>(a) * src_row + static_cast<Int>(b * W)));
    }
  }
#endif
}

// dst(b, a) = src(a, b) for a < na, b < nb, W-byte elements; rows in bytes.
// Squares are written straight into dst, in blocks of kBlockA src rows: for
// each 64-byte line of columns, the block's src rows are read once (a whole
// line each), and the 64 / W dst rows they fill, kBlockA elements long
// (64 * kBlockA bytes, 32 KiB), stay in L1 until complete. Measured on
// 4096^2 float32 against memcpy of 64 MiB, native and wasm: 0.33-0.36 with
// 256-512 rows per block, 0.26-0.30 without blocks, 0.25-0.34 for 64 x 32
// tiles through a stack buffer.
constexpr Int kBlockA = 512;

template <std::size_t W>
[[gnu::noinline]] void transpose_bits(std::byte* dst, Int dst_row, const std::byte* src, Int src_row, Int na,
                                      Int nb) noexcept {
  constexpr Int kW = W;
  constexpr Int K = 16 / kW;    // a square's side
  constexpr Int kLine = 64 / kW;  // elements per line of columns
  for (Int a0 = 0; a0 < na; a0 += kBlockA) {
    const Int a_end = std::min(na, a0 + kBlockA);
    const Int a_squares = a0 + (a_end - a0) / K * K;
    for (Int b0 = 0; b0 < nb; b0 += kLine) {
      const Int b_end = std::min(nb, b0 + kLine);
      const Int b_squares = b0 + (b_end - b0) / K * K;
      for (Int a = a0; a < a_squares; a += K) {
        for (Int b = b0; b < b_squares; b += K) {
          transpose_square<W>(dst + b * dst_row + a * kW, dst_row, src + a * src_row + b * kW, src_row);
        }
      }
      // The ragged edges: rows past the last whole square, columns past it.
      for (Int a = a0; a < a_end; ++a) {
        for (Int b = a < a_squares ? b_squares : b0; b < b_end; ++b) {
          store<Bits<W>>(dst + b * dst_row + a * kW, load<Bits<W>>(src + a * src_row + b * kW));
        }
      }
    }
  }
}

// Converting transposes go tile by tile through a buffer on the stack: the
// bits are transposed into it, and each buffer row is converted on its way
// to dst by the pair's row kernel.
constexpr Int kTileA = 64;  // elements per dst run (and src rows per tile)
constexpr Int kTileB = 32;  // elements per src run (and dst rows per tile)

void transpose_bits(std::byte* dst, Int dst_row, const std::byte* src, Int src_row, Int na, Int nb,
                    Int width) noexcept {
  switch (width) {
    case 1: return transpose_bits<1>(dst, dst_row, src, src_row, na, nb);
    case 2: return transpose_bits<2>(dst, dst_row, src, src_row, na, nb);
    case 4: return transpose_bits<4>(dst, dst_row, src, src_row, na, nb);
    default: return transpose_bits<8>(dst, dst_row, src, src_row, na, nb);
  }
}

// dst(a, b) = convert(src(a, b)) for a < size_a, b < size_b, where dst is
// contiguous along a (b steps dst_b elements of dst_item bytes) and src along
// b (a steps src_a elements of src_item bytes).
void transpose_converting(std::byte* dst, Int dst_b, Int dst_item, const std::byte* src, Int src_a, Int src_item,
                          Int size_a, Int size_b, RowKernel row) noexcept {
  const Int dst_row = dst_b * dst_item;
  const Int src_row = src_a * src_item;
  const Int buffer_row = kTileA * src_item;
  alignas(64) std::byte buffer[static_cast<std::size_t>(kTileB * kTileA * 8)];
  for (Int b0 = 0; b0 < size_b; b0 += kTileB) {
    const Int nb = std::min(kTileB, size_b - b0);
    for (Int a0 = 0; a0 < size_a; a0 += kTileA) {
      const Int na = std::min(kTileA, size_a - a0);
      transpose_bits(buffer, buffer_row, src + a0 * src_row + b0 * src_item, src_row, na, nb, src_item);
      std::byte* out = dst + b0 * dst_row + a0 * dst_item;
      for (Int b = 0; b < nb; ++b) row(out + b * dst_row, buffer + b * buffer_row, na);
    }
  }
}

// The dim, other than the innermost, along which src is contiguous, or -1.
int src_contiguous_dim(const Plan& plan) noexcept {
  for (int d = plan.ndim - 2; d >= 0; --d) {
    if (plan.src_strides[static_cast<std::size_t>(d)] == 1) return d;
  }
  return -1;
}

// Calls transpose(d, s) for each 2-D transpose the plan splits into, where dst
// is contiguous along the innermost dim and src along dim `other`.
template <typename Transpose>
void for_each_transpose(const Plan& plan, int other, Transpose&& transpose) {
  Plan rest = without_dim(plan, other);
  for_each_row(rest, transpose);
}

// ---- the copy ----------------------------------------------------------------------------

// Same-dtype copies (and integer pairs of one width, whose conversion wraps to
// the same bits): W-byte elements moved as they are.
template <std::size_t W>
void copy_bits(const Plan& plan) noexcept {
  using T = Bits<W>;
  constexpr Int kW = W;
  if (plan.ndim == 0) return store<T>(plan.dst, load<T>(plan.src));
  const auto last = static_cast<std::size_t>(plan.ndim - 1);
  const Int n = plan.sizes[last];
  const Int dst_inner = plan.dst_strides[last];
  const Int src_inner = plan.src_strides[last];
  if (dst_inner == 1 && src_inner == 1) {
    const auto bytes = static_cast<std::size_t>(n * kW);
    return for_each_row(plan, [bytes](std::byte* d, const std::byte* s) { std::memcpy(d, s, bytes); });
  }
  if (dst_inner == 1 && src_inner == 0) {  // a broadcast row
    return for_each_row(plan, [n](std::byte* d, const std::byte* s) { fill_contiguous<T>(d, load<T>(s), n); });
  }
  if (const int other = src_contiguous_dim(plan); dst_inner == 1 && other >= 0) {
    const auto o = static_cast<std::size_t>(other);
    const Int size_b = plan.sizes[o];
    const Int dst_b = plan.dst_strides[o];
    return for_each_transpose(plan, other, [&](std::byte* d, const std::byte* s) {
      transpose_bits<W>(d, dst_b * kW, s, src_inner * kW, n, size_b);
    });
  }
  for_each_row(plan, [&](std::byte* d, const std::byte* s) {
    move_strided<W>(d, dst_inner * kW, s, src_inner * kW, n);
  });
}

// Converting copies: the pair's row kernel on contiguous runs, the rest by width.
void copy_converting(const Plan& plan, RowKernel row) noexcept {
  if (plan.ndim == 0) return row(plan.dst, plan.src, 1);
  const Int dst_item = plan.dst_item;
  const Int src_item = plan.src_item;
  const auto last = static_cast<std::size_t>(plan.ndim - 1);
  const Int n = plan.sizes[last];
  const Int dst_inner = plan.dst_strides[last];
  const Int src_inner = plan.src_strides[last];
  if (dst_inner == 1 && src_inner == 1) {
    return for_each_row(plan, [&](std::byte* d, const std::byte* s) { row(d, s, n); });
  }
  if (dst_inner == 1 && src_inner == 0) {  // a broadcast row: one element converted, then filled
    return for_each_row(plan, [&](std::byte* d, const std::byte* s) {
      alignas(8) std::byte value[8];
      row(value, s, 1);
      fill_bytes(d, value, dst_item, n);
    });
  }
  if (const int other = src_contiguous_dim(plan); dst_inner == 1 && other >= 0) {
    const auto o = static_cast<std::size_t>(other);
    const Int size_b = plan.sizes[o];
    const Int dst_b = plan.dst_strides[o];
    return for_each_transpose(plan, other, [&](std::byte* d, const std::byte* s) {
      transpose_converting(d, dst_b, dst_item, s, src_inner, src_item, n, size_b, row);
    });
  }
  // Any other strides: gather a chunk of src, convert it, scatter it unless
  // dst is contiguous.
  constexpr Int kChunk = 256;
  alignas(16) std::byte gathered[kChunk * 8];
  alignas(16) std::byte converted[kChunk * 8];
  for_each_row(plan, [&](std::byte* d, const std::byte* s) {
    for (Int i = 0; i < n; i += kChunk) {
      const Int m = std::min(kChunk, n - i);
      move_strided(gathered, src_item, s + i * src_inner * src_item, src_inner * src_item, m, src_item);
      if (dst_inner == 1) {
        row(d + i * dst_item, gathered, m);
      } else {
        row(converted, gathered, m);
        move_strided(d + i * dst_inner * dst_item, dst_inner * dst_item, converted, dst_item, m, dst_item);
      }
    }
  });
}

// One row kernel per converting (dst, src) dtype pair, in a table rather than
// reached through visit(): inlined into one dispatcher, the 121 pairs made
// copy_strided a 500 KB wasm function that V8 needs seconds to optimize (and
// a new instance of the module waits for that). Apart, only the pairs in use
// are optimized. Pairs that move bits have no row kernel.
using DTypeTypes = std::tuple<float, double, std::int8_t, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                              std::uint32_t, std::int64_t, std::uint64_t, bool>;
template <std::size_t... I>
constexpr bool in_dtype_order(std::index_sequence<I...>) {
  return ((dtype_of<std::tuple_element_t<I, DTypeTypes>> == static_cast<DType>(I)) && ...);
}
static_assert(std::tuple_size_v<DTypeTypes> == kDTypeCount &&
              in_dtype_order(std::make_index_sequence<kDTypeCount>{}));

template <typename To, typename From>
inline constexpr bool kSameBits =
    !std::is_same_v<To, bool> && !std::is_same_v<From, bool> &&
    (std::is_same_v<To, From> || (std::is_integral_v<To> && std::is_integral_v<From> && sizeof(To) == sizeof(From)));

template <typename To, typename From>
constexpr RowKernel row_kernel() {
  if constexpr (kSameBits<To, From>) {
    return nullptr;
  } else {
    return &convert_contiguous<To, From>;
  }
}
template <typename To, std::size_t... From>
constexpr std::array<RowKernel, kDTypeCount> row_kernels_to(std::index_sequence<From...>) {
  return {row_kernel<To, std::tuple_element_t<From, DTypeTypes>>()...};
}
template <std::size_t... To>
constexpr std::array<std::array<RowKernel, kDTypeCount>, kDTypeCount> all_row_kernels(std::index_sequence<To...>) {
  return {row_kernels_to<std::tuple_element_t<To, DTypeTypes>>(std::make_index_sequence<kDTypeCount>{})...};
}
constexpr auto kRowKernels = all_row_kernels(std::make_index_sequence<kDTypeCount>{});

}  // namespace

void copy_strided(IntList shape, const StridedOperand& dst, const StridedOperand& src) noexcept {
  const auto dst_item = static_cast<Int>(size_of(dst.dtype));
  const auto src_item = static_cast<Int>(size_of(src.dtype));
  const Plan plan = make_plan(shape, dst.data, dst.strides, dst_item, src.data, src.strides, src_item);
  if (plan.empty) return;
  if (const RowKernel row = kRowKernels[static_cast<std::size_t>(dst.dtype)][static_cast<std::size_t>(src.dtype)]) {
    return copy_converting(plan, row);
  }
  switch (dst_item) {
    case 1: return copy_bits<1>(plan);
    case 2: return copy_bits<2>(plan);
    case 4: return copy_bits<4>(plan);
    default: return copy_bits<8>(plan);
  }
}

void fill_strided(IntList shape, const StridedOperand& dst, const std::byte* value) noexcept {
  const auto item = static_cast<Int>(size_of(dst.dtype));
  const std::array<Int, kMaxDims> zero_strides{};
  const Plan plan = make_plan(shape, dst.data, dst.strides, item, value, zero_strides.data(), item);
  if (plan.empty) return;
  const auto fill = [&](auto bits) {
    using T = decltype(bits);
    const T v = load<T>(value);
    if (plan.ndim == 0) return store<T>(plan.dst, v);
    const auto last = static_cast<std::size_t>(plan.ndim - 1);
    const Int n = plan.sizes[last];
    const Int stride = plan.dst_strides[last];
    for_each_row(plan, [&](std::byte* d, const std::byte*) {
      if (stride == 1) return fill_contiguous<T>(d, v, n);
      for (Int i = 0; i < n; ++i) store<T>(d + i * stride * Int{sizeof(T)}, v);
    });
  };
  switch (item) {
    case 1: return fill(Bits<1>{});
    case 2: return fill(Bits<2>{});
    case 4: return fill(Bits<4>{});
    default: return fill(Bits<8>{});
  }
}

}  // namespace tensormem::detail
