// Helpers for error messages about names: the nearest valid ones to a misspelt name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tokenfab {

std::size_t EditDistance(std::string_view a, std::string_view b);

// Up to `max_count` candidates closest to `name`, closest first; ties keep candidate order.
std::vector<std::string> NearestNames(std::string_view name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t max_count = 3);

// "unknown gpu 'h100' (did you mean: h100-sxm, h200-sxm?); valid: a, b, c"
std::string UnknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates);

std::string JoinNames(const std::vector<std::string>& names, std::string_view separator = ", ");

}  // namespace tokenfab
