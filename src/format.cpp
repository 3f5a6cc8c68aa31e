#include "tensormem/format.hpp"

#include <cmath>
#include <cstring>

// Only fmt's shortest-digits routine (Dragonbox): the digits of a double that
// read back as the same double, fewest first. The layout around them is below.
#include <fmt/format.h>

namespace tensormem::detail {
namespace {

void append_decimal(std::string& out, std::uint64_t value) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out.push_back(digits[--n]);
}

void append_signed(std::string& out, std::int64_t value) {
  if (value < 0) out.push_back('-');
  append_decimal(out, value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value));
}

// Lowercase hex, zero-padded to `width` digits.
void append_hex(std::string& out, std::uint64_t value, std::size_t width) {
  char digits[16];
  std::size_t n = 0;
  do {
    digits[n++] = "0123456789abcdef"[value & 0xf];
    value >>= 4;
  } while (value != 0);
  for (; n < width; --width) out.push_back('0');
  while (n > 0) out.push_back(digits[--n]);
}

// As fmt's "{}" prints a double: the shortest round-trip digits, in fixed
// notation for decimal exponents -4 to 15 and as d.ddde±XX outside them;
// "nan", "inf", and a '-' for a set sign bit (so "-0").
void append_double(std::string& out, double value) {
  if (std::signbit(value)) {
    out.push_back('-');
    value = -value;
  }
  if (std::isnan(value)) return out.append("nan"), void();
  if (std::isinf(value)) return out.append("inf"), void();
  const auto decimal = fmt::detail::dragonbox::to_decimal(value);
  std::string digits;
  append_decimal(digits, decimal.significand);
  const int size = static_cast<int>(digits.size());
  const int exponent = decimal.exponent;     // value = digits * 10^exponent
  const int scientific = exponent + size - 1;  // of d.ddd
  if (scientific < -4 || scientific >= 16) {
    out.push_back(digits[0]);
    if (size > 1) out.append(".").append(digits, 1);
    out.push_back('e');
    out.push_back(scientific < 0 ? '-' : '+');
    const int magnitude = scientific < 0 ? -scientific : scientific;
    if (magnitude < 10) out.push_back('0');
    append_decimal(out, static_cast<std::uint64_t>(magnitude));
  } else if (exponent >= 0) {
    out.append(digits).append(static_cast<std::size_t>(exponent), '0');
  } else if (size + exponent > 0) {
    const auto point = static_cast<std::size_t>(size + exponent);
    out.append(digits, 0, point).append(".").append(digits, point);
  } else {
    out.append("0.").append(static_cast<std::size_t>(-(size + exponent)), '0').append(digits);
  }
}

void append_arg(std::string& out, const FormatArg& arg, std::size_t hex_width, bool hex) {
  using K = FormatArg::Kind;
  switch (arg.kind) {
    case K::kSigned:
      if (!hex) return append_signed(out, arg.i);
      if (arg.i >= 0) return append_hex(out, arg.u, hex_width);
      out.push_back('-');  // fmt counts the sign in the width
      return append_hex(out, 0 - arg.u, hex_width > 0 ? hex_width - 1 : 0);
    case K::kUnsigned:
      return hex ? append_hex(out, arg.u, hex_width) : append_decimal(out, arg.u);
    case K::kBool: out.append(arg.u != 0 ? "true" : "false"); return;
    case K::kChar: out.push_back(static_cast<char>(arg.u)); return;
    case K::kDouble: return append_double(out, arg.d);
    case K::kString: out.append(arg.s, arg.size); return;
    case K::kPointer:
      out.append("0x");
      return append_hex(out, reinterpret_cast<std::uintptr_t>(arg.p), 0);
    case K::kList:
      out.push_back('[');
      for (std::size_t i = 0; i < arg.size; ++i) {
        if (i > 0) out.append(", ");
        append_signed(out, arg.list[i]);
      }
      out.push_back(']');
      return;
    case K::kNone: return;
  }
}

}  // namespace

void vformat_to(std::string& out, std::string_view format, std::span<const FormatArg> args) {
  // The format string was checked when it was compiled (check_format_string).
  std::size_t next = 0;
  std::size_t i = 0;
  while (i < format.size()) {
    const std::size_t brace = format.find_first_of("{}", i);
    if (brace == std::string_view::npos) {
      out.append(format.substr(i));
      return;
    }
    out.append(format.substr(i, brace - i));
    if (format[brace] == '}' || format[brace + 1] == '{') {  // "}}" or "{{"
      out.push_back(format[brace]);
      i = brace + 2;
      continue;
    }
    const std::size_t close = format.find('}', brace);
    std::size_t width = 0;
    for (std::size_t k = brace + 2; k < close && format[k] != 'x'; ++k) {
      width = width * 10 + static_cast<std::size_t>(format[k] - '0');
    }
    append_arg(out, args[next++], width, close > brace + 1);
    i = close + 1;
  }
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  std::string out;
  if (value == std::trunc(value) && std::fabs(value) < 1e21) {
    // An integer below 2^70, exact: its 53-bit significand shifted into three
    // 32-bit limbs, then divided by 10 digit by digit.
    if (std::signbit(value)) out.push_back('-');  // "-0", as fmt prints it
    int exponent = 0;
    const double fraction = std::frexp(std::fabs(value), &exponent);  // |value| = fraction * 2^exponent
    auto significand = static_cast<std::uint64_t>(std::ldexp(fraction, 53));
    int shift = exponent - 53;
    if (shift < 0) {
      significand >>= -shift;  // exact: value is an integer
      shift = 0;
    }
    std::uint32_t limbs[3] = {static_cast<std::uint32_t>(significand), static_cast<std::uint32_t>(significand >> 32), 0};
    for (; shift > 0; --shift) {
      limbs[2] = (limbs[2] << 1) | (limbs[1] >> 31);
      limbs[1] = (limbs[1] << 1) | (limbs[0] >> 31);
      limbs[0] <<= 1;
    }
    char digits[24];
    int n = 0;
    do {
      std::uint64_t remainder = 0;
      for (int k = 2; k >= 0; --k) {
        const std::uint64_t current = (remainder << 32) | limbs[k];
        limbs[k] = static_cast<std::uint32_t>(current / 10);
        remainder = current % 10;
      }
      digits[n++] = static_cast<char>('0' + remainder);
    } while ((limbs[0] | limbs[1] | limbs[2]) != 0);
    while (n > 0) out.push_back(digits[--n]);
    return out;
  }
  append_double(out, value);  // shortest round-trip form
  return out;
}

}  // namespace tensormem::detail
