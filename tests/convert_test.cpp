#include "tensormem/convert.hpp"

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

namespace tensormem {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Convert, FloatToIntegerTruncatesTowardZero) {
  EXPECT_EQ((convert<std::int32_t>(2.9)), 2);
  EXPECT_EQ((convert<std::int32_t>(-2.9)), -2);
  EXPECT_EQ((convert<std::uint8_t>(255.9f)), 255);
}

TEST(Convert, FloatToIntegerSaturatesAndMapsNaNToZero) {
  EXPECT_EQ((convert<std::int8_t>(300.0)), 127);
  EXPECT_EQ((convert<std::int8_t>(-300.0)), -128);
  EXPECT_EQ((convert<std::uint8_t>(-1.0)), 0);
  EXPECT_EQ((convert<std::int32_t>(kInf)), std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ((convert<std::int32_t>(-kInf)), std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ((convert<std::int64_t>(9.3e18)), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ((convert<std::int64_t>(-9.3e18)), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ((convert<std::uint64_t>(1.9e19)), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ((convert<std::uint32_t>(4294967296.0)), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ((convert<std::uint32_t>(4294967295.0)), 4294967295U);
  EXPECT_EQ((convert<std::int32_t>(kNaN)), 0);
  EXPECT_EQ((convert<std::uint16_t>(static_cast<float>(kNaN))), 0);
}

TEST(Convert, IntegerToIntegerWraps) {
  EXPECT_EQ((convert<std::int8_t>(std::int32_t{200})), -56);
  EXPECT_EQ((convert<std::uint8_t>(std::int32_t{-1})), 255);
  EXPECT_EQ((convert<std::uint64_t>(std::int64_t{-1})), std::numeric_limits<std::uint64_t>::max());
}

TEST(Convert, BoolIsNonzeroAndConvertsToZeroOrOne) {
  EXPECT_TRUE((convert<bool>(0.5)));
  EXPECT_TRUE((convert<bool>(kNaN)));
  EXPECT_FALSE((convert<bool>(-0.0)));
  EXPECT_TRUE((convert<bool>(std::int8_t{-3})));
  EXPECT_EQ((convert<float>(true)), 1.0f);
  EXPECT_EQ((convert<std::int64_t>(false)), 0);
}

TEST(Convert, FloatsRoundToNearest) {
  EXPECT_EQ((convert<float>(16777217.0)), 16777216.0f);
  EXPECT_EQ((convert<double>(std::int64_t{1} << 53 | 1)), 9007199254740992.0);
}

}  // namespace
}  // namespace tensormem
