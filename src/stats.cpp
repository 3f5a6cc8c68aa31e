#include "tensormem/stats.hpp"

#include <iterator>

#include <fmt/format.h>

#include "tensormem/options.hpp"

namespace tensormem {
namespace {

void append_class(fmt::memory_buffer& out, const SizeClassStats& c) {
  fmt::format_to(std::back_inserter(out),
                 R"({{"block_bytes":{},"in_use":{},"cached":{},"hits":{},"misses":{}}})",
                 c.block_bytes, c.in_use, c.cached, c.hits, c.misses);
}

}  // namespace

std::string Stats::to_json() const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  char separator = '{';
#define TENSORMEM_STATS_JSON(name, description)                         \
  if (std::string_view(#name) == "max_bytes" && name == kUnlimited) {   \
    fmt::format_to(it, "{}\"{}\":null", separator, #name);              \
  } else {                                                              \
    fmt::format_to(it, "{}\"{}\":{}", separator, #name, name);          \
  }                                                                     \
  separator = ',';
  TENSORMEM_STATS_FIELDS(TENSORMEM_STATS_JSON)
#undef TENSORMEM_STATS_JSON

  fmt::format_to(it, ",\"size_classes\":[");
  bool first = true;
  for (const SizeClassStats& c : size_classes) {
    if (c.in_use + c.cached + c.hits + c.misses == 0) continue;
    if (!first) out.push_back(',');
    first = false;
    append_class(out, c);
  }
  fmt::format_to(it, "],\"large\":");
  append_class(out, large);
  out.push_back('}');
  return fmt::to_string(out);
}

}  // namespace tensormem
