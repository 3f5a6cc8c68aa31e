#include "tensormem/error.hpp"

namespace tensormem::detail {

void throw_error(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

void throw_formatted(ErrorCode code, std::string_view format, std::span<const FormatArg> args) {
  std::string message;
  vformat_to(message, format, args);
  throw_error(code, std::move(message));
}

}  // namespace tensormem::detail
