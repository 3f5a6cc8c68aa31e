#include "tensormem/size_class.hpp"

#include <gtest/gtest.h>

namespace tensormem {
namespace {

constexpr std::size_t granule_rounded(std::size_t n) { return (n + kBlockAlignment - 1) / kBlockAlignment * kBlockAlignment; }

TEST(SizeClass, EveryRequestFitsItsClassWithAtMostOneEighthWaste) {
  for (std::size_t n = 1; n <= kMaxSmallBytes; ++n) {
    const std::size_t c = size_class_of(n);
    ASSERT_LT(c, kSizeClassCount) << n;
    const std::size_t block = size_class_bytes(c);
    ASSERT_GE(block, n) << n;
    // Waste beyond the 64-byte granule is at most 12.5%.
    ASSERT_LE(block * 8, granule_rounded(n) * 9) << "request " << n << " got block " << block;
    // And the class is the smallest that fits.
    if (c > 0) {
      ASSERT_LT(size_class_bytes(c - 1), n) << n;
    }
  }
}

TEST(SizeClass, BlocksAreGranuleMultiplesAndStrictlyIncreasing) {
  for (std::size_t c = 0; c < kSizeClassCount; ++c) {
    EXPECT_EQ(size_class_bytes(c) % kBlockAlignment, 0U) << c;
    EXPECT_EQ(size_class_of(size_class_bytes(c)), c) << c;
    if (c > 0) {
      EXPECT_GT(size_class_bytes(c), size_class_bytes(c - 1)) << c;
    }
  }
}

TEST(SizeClass, HasEightClassesPerDoublingAbove512Bytes) {
  for (std::size_t low = 512; low < kMaxSmallBytes; low *= 2) {
    EXPECT_EQ(size_class_of(2 * low) - size_class_of(low), 8U) << low;
  }
  EXPECT_EQ(size_class_bytes(size_class_of(1000)), 1024U);
  EXPECT_EQ(size_class_bytes(size_class_of(1025)), 1152U);
  EXPECT_EQ(size_class_bytes(size_class_of(100'000)), 106'496U);
}

TEST(SizeClass, ZeroBytesUsesTheSmallestClass) {
  EXPECT_EQ(size_class_of(0), 0U);
  EXPECT_EQ(size_class_bytes(0), kBlockAlignment);
}

}  // namespace
}  // namespace tensormem
