// Events of a serving run and the queue of iteration ends. Private to the serve layer.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

#include "tokenfab/core/sim_time.h"

namespace tokenfab {

// Same-instant events resolve in this order, then by sequence number: runs are reproducible.
enum class EventKind : std::uint8_t {
  kIterationEnd = 0,
  kKvReady = 1,
  kArrival = 2,
  kFollowUp = 3
};

// Iteration ends at the same instant are ordered by (start, instance): the order in which
// step-by-step simulation pushes them, whether or not a stretch skipped the steps before.
struct Event {
  SimTime time;
  EventKind kind;
  std::uint64_t seq;    // iteration end: the iteration's start; otherwise a push counter
  std::int32_t target;  // instance (iteration end), request (KV ready), follow-up slot
  bool operator>(const Event& o) const {
    if (time != o.time) return time > o.time;
    if (kind != o.kind) return kind > o.kind;
    if (seq != o.seq) return seq > o.seq;
    return target > o.target;
  }
};

// The planned iteration end of each busy instance (at most one), in a 4-ary heap indexed
// by instance: cutting a stretch moves its instance's end in place. A plain heap kept the
// old end as a stale event, one per cut, each popped and checked against its instance.
// Four children per node halve the levels a pop walks down (10 for the factory's 1,250
// instances in a binary heap, where the sift-down was 5% of the run); every entry is an
// iteration end, so entries compare by (time, start, instance) only.
class IterationEnds {
 public:
  explicit IterationEnds(int instances = 0) : pos_(static_cast<std::size_t>(instances), -1) {}

  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.front(); }
  // The instances of the second and third ends in order (-1 when there are fewer), for
  // prefetching: the second is the least of the root's children, the third the least of the
  // root's other children and the second's children.
  std::pair<std::int32_t, std::int32_t> NextTwo() const {
    const std::size_t n = heap_.size();
    std::size_t second = Least(1, n, n);
    if (second >= n) return {-1, -1};
    std::size_t third = n;
    for (std::size_t c = 1; c < std::min<std::size_t>(5, n); ++c) {
      if (c != second && (third == n || Later(heap_[third], heap_[c]))) third = c;
    }
    third = Least(4 * second + 1, n, third);
    return {heap_[second].target, third < n ? heap_[third].target : -1};
  }
  // e.target's iteration ends at e: added, or replacing the end it had.
  void Set(const Event& e) {
    assert(e.kind == EventKind::kIterationEnd);
    std::int32_t& at = pos_[e.target];
    if (at < 0) {
      heap_.push_back(e);
      at = static_cast<std::int32_t>(heap_.size() - 1);
    } else {
      heap_[at] = e;
    }
    Restore(static_cast<std::size_t>(at));
  }
  void Remove(std::int32_t instance) {
    const std::int32_t at = pos_[instance];
    if (at < 0) return;
    pos_[instance] = -1;
    const Event last = heap_.back();
    heap_.pop_back();
    if (static_cast<std::size_t>(at) == heap_.size()) return;
    Place(static_cast<std::size_t>(at), last);
    Restore(static_cast<std::size_t>(at));
  }
  void pop() { Remove(heap_.front().target); }

 private:
  void Place(std::size_t i, const Event& e) {
    heap_[i] = e;
    pos_[e.target] = static_cast<std::int32_t>(i);
  }
  // Event order among iteration ends (their kinds are equal).
  static bool Later(const Event& a, const Event& b) {
    if (a.time != b.time) return a.time > b.time;
    if (a.seq != b.seq) return a.seq > b.seq;
    return a.target > b.target;
  }
  // The least of heap_[first, first + 4) and heap_[best] (n: none), within [0, n).
  std::size_t Least(std::size_t first, std::size_t n, std::size_t best) const {
    for (std::size_t c = first; c < std::min(first + 4, n); ++c) {
      if (best == n || Later(heap_[best], heap_[c])) best = c;
    }
    return best;
  }
  // Moves heap_[i] up or down to its place.
  void Restore(std::size_t i) {
    const Event e = heap_[i];
    while (i > 0 && Later(heap_[(i - 1) / 4], e)) {
      Place(i, heap_[(i - 1) / 4]);
      i = (i - 1) / 4;
    }
    const std::size_t n = heap_.size();
    while (true) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t child = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c) {
        if (Later(heap_[child], heap_[c])) child = c;
      }
      if (!Later(e, heap_[child])) break;
      Place(i, heap_[child]);
      i = child;
    }
    Place(i, e);
  }

  std::vector<Event> heap_;
  std::vector<std::int32_t> pos_;  // index in heap_ by instance, -1 when idle
};

}  // namespace tokenfab
