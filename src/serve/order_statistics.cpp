#include "order_statistics.h"

#include <algorithm>
#include <cassert>
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

void SelectInPlace(std::vector<double>& values, const std::vector<std::size_t>& ranks,
                   std::vector<double>& out) {
  std::vector<std::size_t> order(ranks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
  auto from = values.begin();
  std::size_t done = 0;  // values[0, done) hold their sorted-order elements
  for (std::size_t i : order) {
    const std::size_t k = ranks[i];
    if (k >= done) {
      const auto kth = values.begin() + static_cast<std::ptrdiff_t>(k);
      if (k == done && k > 0) {
        // The element after a selected one is the least of the rest: one pass, no partition.
        std::iter_swap(kth, std::min_element(kth, values.end()));
      } else {
        std::nth_element(from, kth, values.end());
      }
      from = kth + 1;
      done = k + 1;
    }
    out[i] = values[k];
  }
}

}  // namespace

void OrderStatistics(std::vector<double>& values, const std::vector<std::size_t>& ranks,
                     std::vector<double>& out) {
  out.assign(ranks.size(), 0.0);
  if (ranks.empty()) return;
  if (values.size() < kSmall) {
    SelectInPlace(values, ranks, out);
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
  std::vector<std::vector<double>> members(wanted.size());
  for (std::size_t j = 0; j < wanted.size(); ++j) {
    slot[wanted[j]] = static_cast<std::uint8_t>(j + 1);
    members[j].reserve(count[wanted[j]]);
  }
  for (double v : values) {
    const std::uint8_t s = slot[Bucket(v)];
    if (s != 0) members[s - 1].push_back(v);
  }
  for (std::size_t j = 0; j < wanted.size(); ++j) {
    std::vector<std::size_t> local;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      if (bucket_of[i] == wanted[j]) {
        local.push_back(rank_in[i]);
        which.push_back(i);
      }
    }
    std::vector<double> got(local.size());
    SelectInPlace(members[j], local, got);
    for (std::size_t m = 0; m < which.size(); ++m) out[which[m]] = got[m];
  }
}

}  // namespace tokenfab
