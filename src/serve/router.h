// Picks the instance of a pool that receives a request. Private to the serve layer.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "tokenfab/serve/instance.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab {

// Least-outstanding picks in O(log n) from a segment tree over (outstanding, index), so a
// router in front of thousands of instances stays cheap per request.
//
// Prefix-aware: the instance whose prefix cache holds the longest run of the request's leading
// entries, unless it is overloaded (outstanding > 2 x the least + 8); misses and ties go to the
// least outstanding. Pools up to kScanLimit instances ask every instance's cache
// (O(instances x matched entries)); larger pools ask only the instance that last served the
// request's first prefix entry (a session, or a shared system prompt).
class Router {
 public:
  Router(RouterPolicy policy, int first, int count);

  int first() const { return first_; }
  int Pick(const Request& r, std::vector<Instance>& instances);
  // The least load of the pool's instances (outstanding requests; round robin: 0).
  std::int64_t LeastLoad() const {
    return policy_ == RouterPolicy::kRoundRobin ? 0 : load_[1] >> 24;
  }
  // The instance a least-outstanding pick would choose now (-1 for other policies), for
  // prefetching ahead of the next arrival.
  int LikelyPick() const {
    return policy_ == RouterPolicy::kLeastOutstanding
               ? first_ + static_cast<int>(load_[1] & 0xFFFFFF)
               : -1;
  }
  // Called when an instance's load may have changed.
  void Update(const Instance& instance);

 private:
  void Set(int local, std::int64_t load);
  std::int64_t Load(int local) const { return load_[leaves_ + local] >> 24; }
  int PickByPrefix(const Request& r, const std::vector<Instance>& instances) const;
  bool PrefixKey(const Request& r, const std::vector<Instance>& instances,
                 std::uint64_t& key) const;

  static constexpr int kScanLimit = 64;

  RouterPolicy policy_;
  int first_;
  int count_;
  std::uint64_t next_ = 0;
  int leaves_ = 1;
  std::vector<std::int64_t> load_;  // tree of minima; leaves hold (load << 24) | local index
  std::unordered_map<std::uint64_t, int> last_;  // large pools: first prefix entry -> instance
};

}  // namespace tokenfab
