#include "event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace tokenfab {
namespace {

Event EndOf(std::int32_t instance, SimTime time, std::uint64_t start) {
  return Event{time, EventKind::kIterationEnd, start, instance};
}

TEST(IterationEnds, PopsInEventOrderWithTiesByStartThenInstance) {
  IterationEnds ends(4);
  ends.Set(EndOf(3, 100, 50));
  ends.Set(EndOf(1, 100, 50));
  ends.Set(EndOf(2, 100, 40));
  ends.Set(EndOf(0, 90, 80));
  std::vector<std::int32_t> order;
  while (!ends.empty()) {
    order.push_back(ends.top().target);
    ends.pop();
  }
  EXPECT_EQ(order, (std::vector<std::int32_t>{0, 2, 1, 3}));
}

TEST(IterationEnds, SetReplacesAnInstancesEndInPlace) {
  IterationEnds ends(2);
  ends.Set(EndOf(0, 100, 0));
  ends.Set(EndOf(1, 200, 0));
  ends.Set(EndOf(0, 300, 0));  // a cut stretch moves instance 0's end later
  EXPECT_EQ(ends.top().target, 1);
  ends.pop();
  EXPECT_EQ(ends.top().time, 300);
  ends.pop();
  EXPECT_TRUE(ends.empty());
}

// Random sets, moves and removals against a reference map: the heap always yields the
// smallest planned end and never an instance twice.
TEST(IterationEnds, AgreesWithAReferenceUnderRandomOperations) {
  constexpr int kInstances = 64;
  IterationEnds ends(kInstances);
  std::map<std::int32_t, Event> planned;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const auto instance = static_cast<std::int32_t>(rng() % kInstances);
    switch (rng() % 3) {
      case 0:
      case 1: {
        const Event e = EndOf(instance, static_cast<SimTime>(rng() % 1000), rng() % 10);
        ends.Set(e);
        planned[instance] = e;
        break;
      }
      default:
        ends.Remove(instance);
        planned.erase(instance);
    }
    ASSERT_EQ(ends.empty(), planned.empty());
    if (planned.empty()) continue;
    const Event* least = nullptr;
    for (const auto& [id, e] : planned)
      if (least == nullptr || *least > e) least = &e;
    ASSERT_EQ(ends.top().target, least->target);
    ASSERT_EQ(ends.top().time, least->time);
    // The prefetch hints name the second and third ends in order.
    std::vector<Event> sorted;
    for (const auto& [id, e] : planned) sorted.push_back(e);
    std::sort(sorted.begin(), sorted.end(), [](const Event& a, const Event& b) { return b > a; });
    const auto [second, third] = ends.NextTwo();
    ASSERT_EQ(second, sorted.size() > 1 ? sorted[1].target : -1);
    ASSERT_EQ(third, sorted.size() > 2 ? sorted[2].target : -1);
  }
}

}  // namespace
}  // namespace tokenfab
