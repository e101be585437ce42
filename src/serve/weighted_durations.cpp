#include "weighted_durations.h"

#include "order_statistics.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cmath>
#include <cstdint>

namespace tokenfab {
namespace {

constexpr int kBucketBits = 20;

double ToMillis(SimTime ns) { return SimTimeToSeconds(ns) * 1e3; }

}  // namespace

void WeightedDurations::AddSlow(SimTime duration, std::int64_t weight) {
  assert(duration >= 0 && weight >= 1);
  if (duration > UINT32_MAX || weight > UINT16_MAX) {
    wide_.emplace_back(duration, weight);
    return;
  }
  const auto slot = static_cast<std::size_t>(size_) & (kChunk - 1);
  if (slot == 0) chunks_.push_back(std::make_unique_for_overwrite<Chunk>());
  chunks_.back()->duration[slot] = static_cast<std::uint32_t>(duration);
  chunks_.back()->weight[slot] = static_cast<std::uint16_t>(weight);
  ++size_;
}

template <typename Visit>
void WeightedDurations::ForEach(Visit visit) const {
  std::int64_t left = size_;
  for (const auto& chunk : chunks_) {
    const std::int64_t n = std::min<std::int64_t>(left, static_cast<std::int64_t>(kChunk));
    for (std::int64_t i = 0; i < n; ++i) visit(SimTime{chunk->duration[i]}, chunk->weight[i]);
    left -= n;
  }
  for (const auto& [duration, weight] : wide_) visit(duration, weight);
}

// Pass 1: weights per bucket of 2^shift ns over [min_, max_], at most 2^20 buckets, locate
// each rank's bucket. Pass 2: weights per ns inside those buckets only; walk to the rank.
std::vector<SimTime> WeightedDurations::AtRanks(const std::vector<std::int64_t>& ranks) const {
  int shift = 0;
  while (((max_ - min_) >> shift) >= (SimTime{1} << kBucketBits)) ++shift;
  const auto buckets = static_cast<std::size_t>(((max_ - min_) >> shift) + 1);
  std::vector<std::int64_t> weight(buckets, 0);
  ForEach([&](SimTime d, std::int64_t w) { weight[(d - min_) >> shift] += w; });

  struct Target {
    std::size_t bucket;
    std::int64_t rank_in_bucket;
  };
  std::vector<Target> targets;
  std::vector<int> slot_of(buckets, -1);  // bucket -> index into `fine`
  std::vector<std::vector<std::int64_t>> fine;
  for (std::int64_t rank : ranks) {
    std::int64_t before = 0;
    std::size_t b = 0;
    while (b + 1 < buckets && before + weight[b] <= rank) before += weight[b++];
    targets.push_back({b, rank - before});
    if (slot_of[b] < 0) {
      slot_of[b] = static_cast<int>(fine.size());
      fine.emplace_back(std::size_t{1} << shift, 0);
    }
  }
  ForEach([&](SimTime d, std::int64_t w) {
    const int slot = slot_of[(d - min_) >> shift];
    if (slot >= 0) fine[slot][(d - min_) & ((SimTime{1} << shift) - 1)] += w;
  });
  std::vector<SimTime> out;
  for (const Target& t : targets) {
    const std::vector<std::int64_t>& f = fine[slot_of[t.bucket]];
    std::int64_t seen = 0;
    std::size_t i = 0;
    while (i + 1 < f.size() && seen + f[i] <= t.rank_in_bucket) seen += f[i++];
    out.push_back(min_ + static_cast<SimTime>(t.bucket << shift) + static_cast<SimTime>(i));
  }
  return out;
}

LatencySummary WeightedDurations::SummarizeMillis(PercentileMethod method) const {
  LatencySummary s;
  if (total_weight_ <= 0) return s;
  s.mean = ToMillis(static_cast<SimTime>(weighted_ns_ / total_weight_)) +
           ToMillis(1) * static_cast<double>(weighted_ns_ % total_weight_) /
               static_cast<double>(total_weight_);
  // Over total_weight_ unit samples in order, ranked as WeightedPercentile() ranks them.
  const std::vector<double> q = PercentilesByRank(total_weight_, {0.50, 0.90, 0.99}, method,
                                                  [&](const std::vector<std::int64_t>& ranks) {
                                                    std::vector<double> ms;
                                                    if (histogram_) {
                                                      ms = counts_.AtRanks(ranks);
                                                      for (double& v : ms) v *= ToMillis(1);
                                                    } else {
                                                      for (SimTime ns : AtRanks(ranks))
                                                        ms.push_back(ToMillis(ns));
                                                    }
                                                    return ms;
                                                  });
  s.p50 = q[0];
  s.p90 = q[1];
  s.p99 = q[2];
  return s;
}

}  // namespace tokenfab
