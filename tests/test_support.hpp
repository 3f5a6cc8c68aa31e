// Shared test helpers: every error check verifies both the code and the text.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tensormem/error.hpp"

// Expects `statement` to throw tensormem::Error with `expected_code` and exactly `expected_message`.
#define EXPECT_TM_ERROR(statement, expected_code, expected_message)                                               \
  do {                                                                                          \
    try {                                                                                       \
      statement;                                                                                \
      ADD_FAILURE() << "expected " << ::tensormem::to_string(expected_code) << " from: " #statement;     \
    } catch (const ::tensormem::Error& tm_error_) {                                             \
      EXPECT_EQ(tm_error_.code_name(), ::tensormem::to_string(expected_code)) << tm_error_.message();    \
      EXPECT_EQ(tm_error_.message(), std::string(expected_message));                                     \
    }                                                                                           \
  } while (false)

// Expects `statement` to throw tensormem::Error with `expected_code` and a message containing `expected_part`.
#define EXPECT_TM_ERROR_HAS(statement, expected_code, expected_part)                                              \
  do {                                                                                          \
    try {                                                                                       \
      statement;                                                                                \
      ADD_FAILURE() << "expected " << ::tensormem::to_string(expected_code) << " from: " #statement;     \
    } catch (const ::tensormem::Error& tm_error_) {                                             \
      EXPECT_EQ(tm_error_.code_name(), ::tensormem::to_string(expected_code)) << tm_error_.message();    \
      EXPECT_NE(tm_error_.message().find(expected_part), std::string::npos)                              \
          << "message: " << tm_error_.message() << "\nexpected to contain: " << (expected_part);         \
    }                                                                                           \
  } while (false)
