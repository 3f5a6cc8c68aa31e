#include "tensormem/stats.hpp"

#include <string>
#include <string_view>

#include "tensormem/format.hpp"
#include "tensormem/options.hpp"

namespace tensormem {
namespace {

void append_class(std::string& out, const SizeClassStats& c) {
  detail::format_to(out,
                    R"({{"block_bytes":{},"in_use":{},"cached":{},"hits":{},"misses":{}}})",
                    c.block_bytes, c.in_use, c.cached, c.hits, c.misses);
}

}  // namespace

std::string Stats::to_json() const {
  std::string out;
  char separator = '{';
#define TENSORMEM_STATS_JSON(name, description)                         \
  if (std::string_view(#name) == "max_bytes" && name == kUnlimited) {   \
    detail::format_to(out, "{}\"{}\":null", separator, #name);              \
  } else {                                                              \
    detail::format_to(out, "{}\"{}\":{}", separator, #name, name);          \
  }                                                                     \
  separator = ',';
  TENSORMEM_STATS_FIELDS(TENSORMEM_STATS_JSON)
#undef TENSORMEM_STATS_JSON

  detail::format_to(out, ",\"size_classes\":[");
  bool first = true;
  for (const SizeClassStats& c : size_classes) {
    if (c.in_use + c.cached + c.hits + c.misses == 0) continue;
    if (!first) out.push_back(',');
    first = false;
    append_class(out, c);
  }
  detail::format_to(out, "],\"large\":");
  append_class(out, large);
  out.push_back('}');
  return out;
}

}  // namespace tensormem
