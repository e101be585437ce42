#include "log_histogram.h"

#include <algorithm>
#include <cassert>

namespace tokenfab {

// An octave of buckets either side of the range seen so far: growing is rare.
void LogHistogram::Grow(std::int64_t bucket) {
  constexpr std::int64_t kSlack = std::int64_t{1} << kMantissaBits;
  if (counts_.empty()) {
    base_ = bucket - kSlack;
    counts_.assign(static_cast<std::size_t>(3 * kSlack), 0);
    return;
  }
  const std::int64_t end = base_ + static_cast<std::int64_t>(counts_.size());
  const std::int64_t new_base = std::min(base_, bucket - kSlack);
  const std::int64_t new_end = std::max(end, bucket + kSlack);
  std::vector<std::int64_t> grown(static_cast<std::size_t>(new_end - new_base), 0);
  std::copy(counts_.begin(), counts_.end(), grown.begin() + (base_ - new_base));
  counts_ = std::move(grown);
  base_ = new_base;
}

std::vector<double> LogHistogram::AtRanks(const std::vector<std::int64_t>& ranks) const {
  std::vector<double> out(ranks.size(), 0.0);
  // Ranks in increasing order, walked once over the buckets.
  std::vector<std::size_t> order(ranks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
  std::size_t next = 0;
  std::int64_t seen = 0;
  for (std::size_t b = 0; b < counts_.size() && next < order.size(); ++b) {
    seen += counts_[b];
    while (next < order.size() && ranks[order[next]] < seen) {
      const auto bucket = static_cast<std::uint64_t>(base_ + static_cast<std::int64_t>(b));
      const double mid =
          std::bit_cast<double>((bucket << kShift) | (std::uint64_t{1} << (kShift - 1)));
      const std::int64_t rank = ranks[order[next]];
      out[order[next]] = rank == 0 ? min_ : rank == total_ - 1 ? max_ : std::clamp(mid, min_, max_);
      ++next;
    }
  }
  assert(next == order.size());  // every rank < total()
  return out;
}

}  // namespace tokenfab
