#include "tensormem/error.hpp"

#include <cmath>

namespace tensormem::detail {

void throw_error(ErrorCode code, std::string message) { throw Error(code, std::move(message)); }

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == std::trunc(value) && std::fabs(value) < 1e21) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);  // shortest round-trip form
}

}  // namespace tensormem::detail
