// tensormem/format.hpp prints what fmt prints for the same format string and
// arguments: every case here is compared with fmt's own output.
#include "tensormem/format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace tensormem {
namespace {

TEST(Format, IntegersOfEveryWidthAsFmtPrintsThem) {
  for (const std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{42}, std::int64_t{-1234567},
                               std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_EQ(detail::format("{} {:x} {:04x} {:08x}", v, v, v, v), fmt::format("{} {:x} {:04x} {:08x}", v, v, v, v)) << v;
  }
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(detail::format("{} {:x}", big, big), fmt::format("{} {:x}", big, big));
  const unsigned char byte = 0x1f;
  const std::int8_t small = -5;
  const std::uint16_t u16 = 65535;
  EXPECT_EQ(detail::format("\\u{:04x} {} {}", byte, small, u16), fmt::format("\\u{:04x} {} {}", byte, small, u16));
  EXPECT_EQ(detail::format("{} {} {}", true, false, 'c'), fmt::format("{} {} {}", true, false, 'c'));
}

TEST(Format, StringsPointersListsAndBraces) {
  const std::string s = "text";
  const char* c = "chars";
  const std::string_view v = "view";
  EXPECT_EQ(detail::format("{{\"{}\":{}}}, {}{{}}", s, c, v), fmt::format("{{\"{}\":{}}}, {}{{}}", s, c, v));
  int x = 0;
  const void* p = &x;
  const void* null = nullptr;
  EXPECT_EQ(detail::format("{} {}", p, null), fmt::format("{} {}", p, null));
  const std::vector<std::int64_t> shape = {2, -3, 4};
  Dims dims;
  dims.push_back(7);
  EXPECT_EQ(detail::format("{} {} {}", IntList(shape), dims, IntList()), "[2, -3, 4] [7] []");
  EXPECT_EQ(detail::format("no placeholders"), "no placeholders");
  std::string out = "a";
  detail::format_to(out, "{}-{}", 1, 2);
  EXPECT_EQ(out, "a1-2");
}

TEST(Format, DoublesAsFmtPrintsThemShortestRoundTrip) {
  std::vector<double> values = {0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3, 2.5e-5, 1e-4, 9.999e-5, 123456.789, 1e15, 1e16,
                                1.5e16, 9007199254740993.0, 1e21, 1e22, 1e100, 1.7976931348623157e308, 5e-324,
                                2.2250738585072014e-308, std::nan(""), -std::nan(""), HUGE_VAL, -HUGE_VAL};
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = random();
    double d = 0;
    std::memcpy(&d, &bits, sizeof d);
    values.push_back(d);
    values.push_back(static_cast<double>(static_cast<std::int64_t>(bits >> (bits % 64))));
    values.push_back(static_cast<double>(bits % 100000) / 1000.0);
  }
  for (const double d : values) EXPECT_EQ(detail::format("{}", d), fmt::format("{}", d)) << fmt::format("{:a}", d);
}

TEST(Format, NumbersAsJavaScriptPrintsIntegers) {
  std::mt19937_64 random(11);
  for (int i = 0; i < 20000; ++i) {
    const int shift = static_cast<int>(random() % 70);
    const double d = std::ldexp(static_cast<double>(random() >> 11), shift - 53 + 11);
    const double integral = std::trunc(d);
    if (std::fabs(integral) >= 1e21) continue;
    EXPECT_EQ(detail::format_number(integral), fmt::format("{:.0f}", integral)) << integral;
    EXPECT_EQ(detail::format_number(-integral), fmt::format("{:.0f}", -integral)) << -integral;
  }
  EXPECT_EQ(detail::format_number(999999999999999868928.0), "999999999999999868928");
  EXPECT_EQ(detail::format_number(1e21), "1e+21");
  EXPECT_EQ(detail::format_number(0.5), "0.5");
  EXPECT_EQ(detail::format_number(-0.0), "-0");
}

}  // namespace
}  // namespace tensormem
