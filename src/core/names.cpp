#include "tokenfab/core/names.h"

#include <algorithm>
#include <numeric>

namespace tokenfab {

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> NearestNames(std::string_view name,
                                      const std::vector<std::string>& candidates,
                                      std::size_t max_count) {
  std::vector<std::pair<std::size_t, std::size_t>> scored;  // (distance, index)
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::size_t d = EditDistance(name, candidates[i]);
    // A candidate that contains the name (or vice versa) is a likely intent.
    if (!name.empty() && (candidates[i].find(name) != std::string::npos ||
                          name.find(candidates[i]) != std::string_view::npos)) {
      d = std::min<std::size_t>(d, 1);
    }
    scored.emplace_back(d, i);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 2);
  std::vector<std::string> out;
  for (const auto& [distance, index] : scored) {
    if (out.size() >= max_count || distance > limit) break;
    out.push_back(candidates[index]);
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += separator;
    out += names[i];
  }
  return out;
}

std::string UnknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates) {
  std::string msg = "unknown " + std::string(what) + " '" + std::string(name) + "'";
  const auto near = NearestNames(name, candidates);
  if (!near.empty()) msg += " (did you mean: " + JoinNames(near) + "?)";
  msg += "; valid: " + JoinNames(candidates);
  return msg;
}

}  // namespace tokenfab
