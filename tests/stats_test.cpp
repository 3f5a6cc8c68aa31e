#include "tensormem/stats.hpp"

#include <map>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tensormem/storage.hpp"

namespace tensormem {
namespace {

std::map<std::string, std::size_t> counters(const Stats& stats) {
  std::map<std::string, std::size_t> out;
#define TENSORMEM_TEST_COUNTER(name, description) out[#name] = stats.name;
  TENSORMEM_STATS_FIELDS(TENSORMEM_TEST_COUNTER)
#undef TENSORMEM_TEST_COUNTER
  return out;
}

// Checks every counter: those named in `expected` take those values, all others are 0
// (max_bytes excepted: it is the limit).
void expect_counters(const Storage& storage, const std::map<std::string, std::size_t>& expected,
                     const std::string& step) {
  SCOPED_TRACE(step);
  for (const auto& [name, value] : counters(storage.stats())) {
    if (name == "max_bytes") continue;
    const auto it = expected.find(name);
    EXPECT_EQ(value, it == expected.end() ? 0U : it->second) << name;
  }
  for (const auto& [name, value] : expected) EXPECT_EQ(counters(storage.stats()).count(name), 1U) << name;
  EXPECT_EQ(storage.pool().check_invariants(), "");
}

TEST(Stats, AreExactAfterEveryOperation) {
  Storage storage;
  expect_counters(storage, {}, "fresh");

  const BufferHandle a = storage.allocate(1000);  // 1 KiB class, miss
  expect_counters(storage,
                  {{"bytes_in_use", 1024}, {"bytes_requested", 1000}, {"bytes_reserved", 1024},
                   {"peak_bytes_in_use", 1024}, {"peak_bytes_reserved", 1024}, {"live_buffers", 1},
                   {"allocations", 1}, {"pool_misses", 1}},
                  "allocate 1000");

  const BufferHandle b = storage.allocate(100);  // 128-byte class, miss
  std::map<std::string, std::size_t> two_live{
      {"bytes_in_use", 1152}, {"bytes_requested", 1100}, {"bytes_reserved", 1152}, {"peak_bytes_in_use", 1152},
      {"peak_bytes_reserved", 1152}, {"live_buffers", 2}, {"allocations", 2}, {"pool_misses", 2}};
  expect_counters(storage, two_live, "allocate 100");

  storage.retain(a);
  storage.release(a);  // one reference left: nothing moves
  expect_counters(storage, two_live, "retain + release");

  storage.release(a);  // last reference: the block is cached
  expect_counters(storage,
                  {{"bytes_in_use", 128}, {"bytes_requested", 100}, {"bytes_cached", 1024}, {"bytes_reserved", 1152},
                   {"peak_bytes_in_use", 1152}, {"peak_bytes_reserved", 1152}, {"live_buffers", 1},
                   {"allocations", 2}, {"frees", 1}, {"pool_misses", 2}},
                  "last release");

  const BufferHandle c = storage.allocate(1024);  // hit
  expect_counters(storage,
                  {{"bytes_in_use", 1152}, {"bytes_requested", 1124}, {"bytes_reserved", 1152},
                   {"peak_bytes_in_use", 1152}, {"peak_bytes_reserved", 1152}, {"live_buffers", 2},
                   {"allocations", 3}, {"frees", 1}, {"pool_hits", 1}, {"pool_misses", 2}},
                  "allocate 1024 (hit)");

  EXPECT_EQ(storage.compact(), 0U);  // nothing cached: not a compaction
  storage.release(c);
  storage.release(b);
  expect_counters(storage,
                  {{"bytes_cached", 1152}, {"bytes_reserved", 1152}, {"peak_bytes_in_use", 1152},
                   {"peak_bytes_reserved", 1152}, {"allocations", 3}, {"frees", 3}, {"pool_hits", 1},
                   {"pool_misses", 2}},
                  "release all");

  EXPECT_EQ(storage.compact(), 1152U);
  expect_counters(storage,
                  {{"peak_bytes_in_use", 1152}, {"peak_bytes_reserved", 1152}, {"allocations", 3}, {"frees", 3},
                   {"pool_hits", 1}, {"pool_misses", 2}, {"compactions", 1}, {"bytes_released", 1152}},
                  "compact");

  const Stats final_stats = storage.stats();
  const SizeClassStats& kib = final_stats.size_classes[size_class_of(1024)];
  EXPECT_EQ(kib.block_bytes, 1024U);
  EXPECT_EQ(kib.hits, 1U);
  EXPECT_EQ(kib.misses, 1U);
  EXPECT_EQ(kib.in_use, 0U);
  EXPECT_EQ(kib.cached, 0U);
}

TEST(Stats, JsonCarriesEveryCounterAndTheActiveClasses) {
  Storage storage({.max_bytes = 1 << 20});
  const BufferHandle handle = storage.allocate(1000);
  const std::string json = storage.stats().to_json();
  for (const auto& [name, value] : counters(storage.stats())) {
    EXPECT_NE(json.find(fmt::format("\"{}\":{}", name, value)), std::string::npos) << name << " in " << json;
  }
  EXPECT_NE(json.find(R"("size_classes":[{"block_bytes":1024,"in_use":1,"cached":0,"hits":0,"misses":1}])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("large":{"block_bytes":0,"in_use":0,"cached":0,"hits":0,"misses":0})"), std::string::npos);
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
  storage.release(handle);
}

TEST(Stats, JsonSaysNullForNoLimit) {
  Storage storage;
  EXPECT_NE(storage.stats().to_json().find("\"max_bytes\":null"), std::string::npos);
  EXPECT_EQ(storage.stats().max_bytes, kUnlimited);
}

}  // namespace
}  // namespace tensormem
