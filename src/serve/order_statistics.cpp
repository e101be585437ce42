#include "order_statistics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace tokenfab {
namespace {

// Below this, nth_element on the whole vector is as fast and needs no histogram.
constexpr std::size_t kSmall = std::size_t{1} << 16;
constexpr int kBucketBits = 16;

// Unsigned keys in the order of the doubles: the sign bit flipped for positives, every bit
// for negatives.
std::uint64_t Key(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

std::size_t Bucket(double v) { return static_cast<std::size_t>(Key(v) >> (64 - kBucketBits)); }

// The selection itself, on [first, last).
void SelectInPlace(double* first, double* last, const std::vector<std::size_t>& ranks,
                   std::vector<double>& out) {
  std::vector<std::size_t> order(ranks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
  double* from = first;
  std::size_t done = 0;  // first[0, done) hold their sorted-order elements
  for (std::size_t i : order) {
    const std::size_t k = ranks[i];
    if (k >= done) {
      double* kth = first + k;
      if (k == done && k > 0) {
        // The element after a selected one is the least of the rest: one pass, no partition.
        std::iter_swap(kth, std::min_element(kth, last));
      } else {
        std::nth_element(from, kth, last);
      }
      from = kth + 1;
      done = k + 1;
    }
    out[i] = first[k];
  }
}

}  // namespace

void OrderStatistics(std::vector<double>& values, const std::vector<std::size_t>& ranks,
                     std::vector<double>& out) {
  out.assign(ranks.size(), 0.0);
  if (ranks.empty()) return;
  assert(ranks.size() < 256);  // slot numbers are bytes
  if (values.size() < kSmall) {
    SelectInPlace(values.data(), values.data() + values.size(), ranks, out);
    return;
  }
  std::vector<std::uint32_t> count(std::size_t{1} << kBucketBits, 0);
  for (double v : values) ++count[Bucket(v)];
  // Each rank's bucket and its rank among that bucket's values.
  std::vector<std::size_t> bucket_of(ranks.size()), rank_in(ranks.size());
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    assert(ranks[i] < values.size());
    std::size_t below = 0, b = 0;
    while (below + count[b] <= ranks[i]) below += count[b++];
    bucket_of[i] = b;
    rank_in[i] = ranks[i] - below;
  }
  std::vector<std::size_t> wanted = bucket_of;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // slot[bucket]: index in `wanted` + 1, or 0 for a bucket no rank falls in.
  std::vector<std::uint8_t> slot(count.size(), 0);
  for (std::size_t j = 0; j < wanted.size(); ++j)
    slot[wanted[j]] = static_cast<std::uint8_t>(j + 1);
  // The wanted buckets' values to the front, then bucket by bucket: in place, as a copy
  // would add up to a tenth of the samples to the run's peak memory.
  double* begin = values.data();
  double* const wanted_end =
      std::partition(begin, begin + values.size(), [&](double v) { return slot[Bucket(v)] != 0; });
  for (std::size_t j = 0; j < wanted.size(); ++j) {
    double* const end = std::partition(begin, wanted_end, [&](double v) {
      return slot[Bucket(v)] == static_cast<std::uint8_t>(j + 1);
    });
    std::vector<std::size_t> local, which;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      if (bucket_of[i] == wanted[j]) {
        local.push_back(rank_in[i]);
        which.push_back(i);
      }
    }
    std::vector<double> got(local.size());
    SelectInPlace(begin, end, local, got);
    for (std::size_t m = 0; m < which.size(); ++m) out[which[m]] = got[m];
    begin = end;
  }
}

std::vector<double> SelectPercentiles(std::vector<double>& values, const std::vector<double>& ps,
                                      PercentileMethod method) {
  return PercentilesByRank(static_cast<std::int64_t>(values.size()), ps, method,
                           [&](const std::vector<std::int64_t>& ranks) {
                             std::vector<double> v;
                             OrderStatistics(values, {ranks.begin(), ranks.end()}, v);
                             return v;
                           });
}

}  // namespace tokenfab
