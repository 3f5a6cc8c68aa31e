#include "tensormem/dims.hpp"

auto fmt::formatter<tensormem::IntList>::format(tensormem::IntList list, fmt::format_context& ctx) const
    -> fmt::format_context::iterator {
  return fmt::format_to(ctx.out(), "[{}]", fmt::join(list.begin(), list.end(), ", "));
}
