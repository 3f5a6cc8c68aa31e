// Shared test helpers: every error check verifies both the code and the text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tensormem/error.hpp"
#include "tensormem/tensor.hpp"

#include "index_support.hpp"

namespace tensormem::testing {

using Shape = std::vector<std::int64_t>;

// Element count of a shape (1 for 0-d).
inline std::int64_t product(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t size : shape) n *= size;
  return n;
}

// Row-major position of `index` in `shape`.
inline std::int64_t row_major(const Shape& shape, const Shape& index) {
  std::int64_t position = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) position = position * shape[d] + index[d];
  return position;
}

// A tensor's elements in row-major logical order, converted to T.
template <typename T = float>
std::vector<T> values_of(const Tensor& t) {
  std::vector<T> out(static_cast<std::size_t>(t.numel()));
  t.copy_to<T>(out);
  return out;
}

// Runs `f`, expecting it to throw tensormem::Error with `code`; returns the
// message (empty, with a test failure, if nothing or something else was thrown).
template <typename F>
std::string error_message_of(F&& f, ErrorCode code, const char* statement) {
  try {
    f();
  } catch (const Error& error) {
    EXPECT_EQ(error.code_name(), to_string(code)) << error.message();
    return error.message();
  }
  ADD_FAILURE() << "expected " << to_string(code) << " from: " << statement;
  return {};
}

}  // namespace tensormem::testing

// Expects `statement` to throw tensormem::Error with `expected_code` and exactly `expected_message`.
#define EXPECT_TM_ERROR(statement, expected_code, expected_message)                                       \
  EXPECT_EQ(::tensormem::testing::error_message_of([&] { statement; }, expected_code, #statement), \
            std::string(expected_message))

// Expects `statement` to throw tensormem::Error with `expected_code` and a message containing `expected_part`.
#define EXPECT_TM_ERROR_HAS(statement, expected_code, expected_part)                                             \
  do {                                                                                                          \
    const std::string tm_message_ =                                                                             \
        ::tensormem::testing::error_message_of([&] { statement; }, expected_code, #statement);                   \
    EXPECT_NE(tm_message_.find(expected_part), std::string::npos) << "message: " << tm_message_;               \
  } while (false)
