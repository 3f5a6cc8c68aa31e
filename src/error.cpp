#include "tensormem/error.hpp"

namespace tensormem::detail {

void throw_error(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

}  // namespace tensormem::detail
