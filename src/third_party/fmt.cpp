// fmt, compiled once: the wasm build's bundled fmt is not header-only. With
// FMT_HEADER_ONLY every call of fmt::format or detail::raise inlined fmt's
// vformat (a 500-byte stack buffer, its growth and the std::string it makes),
// ~300 bytes of wasm per call site; here they all call this one copy.
// What fmt's own src/format.cc compiles for char: its non-template functions
// (format-inl.h) and the templates the headers declare extern.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);

}  // namespace detail
FMT_END_NAMESPACE
