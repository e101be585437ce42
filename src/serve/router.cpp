#include "router.h"

#include <algorithm>
#include <limits>

namespace tokenfab {

Router::Router(RouterPolicy policy, int first, int count)
    : policy_(policy), first_(first), count_(count) {
  while (leaves_ < count) leaves_ *= 2;
  load_.assign(2 * leaves_, std::numeric_limits<std::int64_t>::max());
  for (int i = 0; i < count; ++i) Set(i, 0);
}

void Router::Set(int local, std::int64_t load) {
  int node = leaves_ + local;
  const std::int64_t value = (load << 24) | local;
  if (load_[node] == value) return;
  load_[node] = value;
  // Up to the first ancestor whose minimum does not change: the ones above keep theirs.
  for (node /= 2; node >= 1; node /= 2) {
    const std::int64_t least = std::min(load_[2 * node], load_[2 * node + 1]);
    if (load_[node] == least) break;
    load_[node] = least;
  }
}

void Router::Update(const Instance& instance) {
  if (policy_ == RouterPolicy::kRoundRobin) return;
  Set(instance.index() - first_, instance.Outstanding());
}

bool Router::PrefixKey(const Request& r, const std::vector<Instance>& instances,
                       std::uint64_t& key) const {
  const PrefixCache& cache = instances[first_].prefix_cache();
  if (cache.Entries(r, r.PrefillTarget() - 1) == 0) return false;
  key = cache.Key(r, 0);
  return true;
}

// -1 when no instance within the load guard holds a prefix of r.
int Router::PickByPrefix(const Request& r, const std::vector<Instance>& instances) const {
  const std::int64_t limit = 2 * (load_[1] >> 24) + 8;
  if (count_ <= kScanLimit) {
    int best = -1, best_entries = 0;
    for (int i = 0; i < count_; ++i) {
      if (Load(i) > limit) continue;
      const int n = instances[first_ + i].CachedPrefixEntries(r);
      if (n > best_entries || (n == best_entries && n > 0 && Load(i) < Load(best))) {
        best = i;
        best_entries = n;
      }
    }
    return best;
  }
  std::uint64_t key = 0;
  if (!PrefixKey(r, instances, key)) return -1;
  const auto it = last_.find(key);
  if (it == last_.end()) return -1;
  const int i = it->second;
  if (Load(i) > limit || instances[first_ + i].CachedPrefixEntries(r) == 0) return -1;
  return i;
}

int Router::Pick(const Request& r, std::vector<Instance>& instances) {
  if (policy_ == RouterPolicy::kRoundRobin) return first_ + static_cast<int>(next_++ % count_);
  int local = policy_ == RouterPolicy::kPrefixAware ? PickByPrefix(r, instances) : -1;
  if (local < 0) local = static_cast<int>(load_[1] & ((1 << 24) - 1));
  std::uint64_t key = 0;
  if (policy_ == RouterPolicy::kPrefixAware && count_ > kScanLimit &&
      PrefixKey(r, instances, key)) {
    last_[key] = local;
  }
  // The pick's load grows now, before its iteration starts, so a burst spreads out.
  Set(local, instances[first_ + local].Outstanding() + 1);
  return first_ + local;
}

}  // namespace tokenfab
