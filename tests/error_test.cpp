#include "tensormem/error.hpp"

#include <array>
#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tensormem {
namespace {

TEST(Error, EveryCodeHasItsStableUpperCaseName) {
  const std::array<std::pair<ErrorCode, std::string_view>, 11> expected{{
      {ErrorCode::kDisposed, "DISPOSED"},
      {ErrorCode::kOutOfBounds, "OUT_OF_BOUNDS"},
      {ErrorCode::kInvalidShape, "INVALID_SHAPE"},
      {ErrorCode::kInvalidArgument, "INVALID_ARGUMENT"},
      {ErrorCode::kNotViewable, "NOT_VIEWABLE"},
      {ErrorCode::kNotContiguous, "NOT_CONTIGUOUS"},
      {ErrorCode::kDtypeMismatch, "DTYPE_MISMATCH"},
      {ErrorCode::kMemoryLimit, "MEMORY_LIMIT"},
      {ErrorCode::kOutOfMemory, "OUT_OF_MEMORY"},
      {ErrorCode::kReadOnly, "READ_ONLY"},
      {ErrorCode::kKernelFailed, "KERNEL_FAILED"},
  }};
  for (const auto& [code, name] : expected) EXPECT_EQ(to_string(code), name);
  EXPECT_EQ(static_cast<int>(expected.size()), kErrorCodeCount);
}

TEST(Error, NumbersFromJavaScriptArePrintedAsJavaScriptPrintsThem) {
  EXPECT_EQ(detail::format_number(std::nan("")), "NaN");
  EXPECT_EQ(detail::format_number(HUGE_VAL), "Infinity");
  EXPECT_EQ(detail::format_number(-HUGE_VAL), "-Infinity");
  EXPECT_EQ(detail::format_number(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(detail::format_number(-3.0), "-3");
  EXPECT_EQ(detail::format_number(2.5), "2.5");
  EXPECT_EQ(detail::format_number(1e21), "1e+21");
}

TEST(Error, RaiseFormatsTheOffendingValuesIntoTheMessage) {
  EXPECT_TM_ERROR(detail::raise(ErrorCode::kOutOfBounds, "index {} out of bounds for dimension {} of size {}", 7, 1, 3),
                  ErrorCode::kOutOfBounds, "index 7 out of bounds for dimension 1 of size 3");
}

TEST(Error, IsCatchableAsStdExceptionWithTheMessageAsWhat) {
  try {
    detail::raise(ErrorCode::kInvalidArgument, "bad value {}", -1);
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "bad value -1");
    const auto* error = dynamic_cast<const Error*>(&e);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(error->code_name(), "INVALID_ARGUMENT");
    return;
  }
  FAIL() << "raise did not throw";
}

}  // namespace
}  // namespace tensormem
