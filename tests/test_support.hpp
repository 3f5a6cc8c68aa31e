// Shared test helpers: every error check verifies both the code and the text.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tensormem/error.hpp"

namespace tensormem::testing {

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
