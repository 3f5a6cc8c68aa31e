// Message formatting: the "{}" placeholders of fmt and std::format, for the
// argument types tensormem's messages and JSON documents use.
//
// Every error message and JSON document of the runtime is built here. The text
// is the one fmt prints for the same format string and arguments; what is
// supported is only what tensormem uses, checked when the format string is
// compiled (a wrong placeholder count or an unsupported spec does not build):
//   {}      integers, bool, char, strings, pointers (0x…), doubles (shortest
//           round-trip, as fmt prints them), IntList and Dims ("[2, 3, 4]")
//   {:x}    an integer in lowercase hex; {:04x} zero-padded to a width
//   {{ }}   literal braces
// It is type-erased: a call site stores its arguments in a small array and calls
// one compiled formatter, so formatting costs no code on any hot path (fmt's
// engine, with its parser of every spec and its float algorithms, was a quarter
// of the wasm module).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "tensormem/dims.hpp"

namespace tensormem::detail {

// One argument, type-erased.
struct FormatArg {
  enum class Kind : std::uint8_t { kNone, kSigned, kUnsigned, kBool, kChar, kDouble, kString, kPointer, kList };
  Kind kind = Kind::kNone;
  union {
    std::int64_t i;
    std::uint64_t u;
    double d;
    const void* p;
    const char* s;
    const std::int64_t* list;
  };
  std::size_t size = 0;  // of a string or a list

  constexpr FormatArg() noexcept : i(0) {}
};

template <typename T>
constexpr FormatArg::Kind format_kind() noexcept {
  using K = FormatArg::Kind;
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) return K::kBool;
  else if constexpr (std::is_same_v<U, char>) return K::kChar;
  else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) return K::kSigned;
  else if constexpr (std::is_integral_v<U>) return K::kUnsigned;
  else if constexpr (std::is_same_v<U, double>) return K::kDouble;
  else if constexpr (std::is_convertible_v<const U&, std::string_view>) return K::kString;
  else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>) return K::kPointer;
  else if constexpr (std::is_same_v<U, IntList> || std::is_same_v<U, Dims>) return K::kList;
  else return K::kNone;
}

template <typename T>
FormatArg make_format_arg(const T& value) noexcept {
  constexpr FormatArg::Kind kind = format_kind<T>();
  static_assert(kind != FormatArg::Kind::kNone,
                "not a formattable type: integers, bool, char, double, strings, pointers, IntList, Dims");
  FormatArg arg;
  arg.kind = kind;
  if constexpr (kind == FormatArg::Kind::kSigned) arg.i = value;
  else if constexpr (kind == FormatArg::Kind::kUnsigned || kind == FormatArg::Kind::kBool) arg.u = value;
  else if constexpr (kind == FormatArg::Kind::kChar) arg.u = static_cast<unsigned char>(value);
  else if constexpr (kind == FormatArg::Kind::kDouble) arg.d = value;
  else if constexpr (kind == FormatArg::Kind::kString) {
    const std::string_view text(value);
    arg.s = text.data();
    arg.size = text.size();
  } else if constexpr (kind == FormatArg::Kind::kPointer) arg.p = value;
  else {
    const IntList list(value);
    arg.list = list.data();
    arg.size = list.size();
  }
  return arg;
}

// Called only while a format string is checked at compile time: a call is
// the compile error, and its argument names the mistake.
void format_string_error(const char* why);

// Checks a format string against its arguments' kinds (see the top of this file).
consteval void check_format_string(std::string_view text, std::span<const FormatArg::Kind> kinds) {
  std::size_t next = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      if (i + 1 == text.size() || text[i + 1] != '}') format_string_error("a '}' that closes nothing (write }})");
      ++i;
      continue;
    }
    if (text[i] != '{') continue;
    if (i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    const std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) format_string_error("a '{' without its '}'");
    const std::string_view spec = text.substr(i + 1, close - i - 1);
    if (next == kinds.size()) format_string_error("more placeholders than arguments");
    const FormatArg::Kind kind = kinds[next++];
    if (!spec.empty()) {
      std::size_t k = 0;
      if (spec[k] != ':') format_string_error("only {} and {:x} placeholders (no argument numbers)");
      ++k;
      while (k < spec.size() && spec[k] >= '0' && spec[k] <= '9') ++k;
      if (k + 1 != spec.size() || spec[k] != 'x') format_string_error("the only spec is x, with a width: {:x}, {:04x}");
      if (kind != FormatArg::Kind::kSigned && kind != FormatArg::Kind::kUnsigned) {
        format_string_error("{:x} needs an integer");
      }
    }
    i = close;
  }
  if (next != kinds.size()) format_string_error("fewer placeholders than arguments");
}

// A format string checked against Args when it is compiled, like fmt::format_string.
template <typename... Args>
class BasicFormatString {
 public:
  template <typename S>
    requires std::is_convertible_v<const S&, std::string_view>
  consteval BasicFormatString(const S& text) : text_(text) {  // NOLINT(google-explicit-constructor)
    const FormatArg::Kind kinds[] = {format_kind<Args>()..., FormatArg::Kind::kNone};
    check_format_string(text_, std::span<const FormatArg::Kind>(kinds, sizeof...(Args)));
  }
  [[nodiscard]] constexpr std::string_view get() const noexcept { return text_; }

 private:
  std::string_view text_;
};

template <typename... Args>
using FormatString = BasicFormatString<std::type_identity_t<Args>...>;

// Appends `format` with its placeholders replaced by args. Compiled once (src/format.cpp).
void vformat_to(std::string& out, std::string_view format, std::span<const FormatArg> args);

template <typename... Args>
void format_to(std::string& out, FormatString<Args...> format, const Args&... args) {
  const FormatArg list[] = {make_format_arg(args)..., FormatArg()};
  vformat_to(out, format.get(), std::span<const FormatArg>(list, sizeof...(Args)));
}

template <typename... Args>
[[nodiscard]] std::string format(FormatString<Args...> format, const Args&... args) {
  std::string out;
  format_to(out, format, args...);
  return out;
}

// A double as JavaScript prints it: "NaN", "Infinity", integers without an
// exponent (9007199254740992, not 9.007199254740992e+15). For messages about
// values that came from JavaScript.
[[nodiscard]] std::string format_number(double value);

}  // namespace tensormem::detail
