#include "tokenfab/serve/simulation.h"

#include <algorithm>
#include <chrono>
#include <fmt/format.h>
#include <queue>

#include "metrics_collector.h"

namespace tokenfab {
namespace {

enum class EventKind : std::uint8_t { kIterationEnd = 0, kArrival = 1 };

// Ordered by (time, kind, sequence number): ties resolve the same way every run.
struct Event {
  SimTime time;
  EventKind kind;
  std::uint64_t seq;
  std::int32_t target;  // instance index for iteration ends
  bool operator>(const Event& o) const {
    if (time != o.time) return time > o.time;
    if (kind != o.kind) return kind > o.kind;
    return seq > o.seq;
  }
};

class Router {
 public:
  Router(RouterPolicy policy, std::vector<Instance>* instances)
      : policy_(policy), instances_(instances) {}
  int Pick() {
    const int n = static_cast<int>(instances_->size());
    if (policy_ == RouterPolicy::kRoundRobin) return next_++ % n;
    int best = 0;
    for (int i = 1; i < n; ++i) {
      if ((*instances_)[i].Outstanding() < (*instances_)[best].Outstanding()) best = i;
    }
    return best;
  }

 private:
  RouterPolicy policy_;
  std::vector<Instance>* instances_;
  std::uint64_t next_ = 0;
};

}  // namespace

Simulation::Simulation(const InstanceCostModel& cost, ServeConfig config)
    : cost_(cost), config_(std::move(config)) {}

Result<ServeResult> Simulation::Run() {
  const auto wall_start = std::chrono::steady_clock::now();
  ServeResult result;
  std::vector<Request>& requests = result.requests;
  WorkloadSource source(config_.workload, config_.seed);
  requests.reserve(static_cast<std::size_t>(std::min<std::int64_t>(source.total(), 50'000'000)));

  std::vector<Instance> instances;
  instances.reserve(config_.replicas);
  for (int i = 0; i < config_.replicas; ++i) {
    instances.emplace_back(i, &cost_, config_.scheduler, &requests);
  }
  Router router(config_.router, &instances);
  MetricsCollector metrics(cost_, config_, &result);

  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t seq = 0;
  std::int64_t pending_closed = 0;  // closed loop: arrivals owed at the current time
  const bool closed = config_.workload.kind == WorkloadSpec::Kind::kClosed;
  auto schedule_arrival = [&](SimTime at) {
    events.push({at, EventKind::kArrival, seq++, -1});
  };
  if (closed) {
    const std::int64_t first = std::min<std::int64_t>(config_.workload.concurrency, source.total());
    for (std::int64_t i = 0; i < first; ++i) schedule_arrival(0);
    pending_closed = first;
  }
  // The open-loop source is read one request ahead: `lookahead` is the next arrival.
  WorkloadSource::Draw lookahead{};
  bool has_lookahead = false;
  if (!closed && !source.Exhausted()) {
    lookahead = source.Next();
    has_lookahead = true;
    schedule_arrival(lookahead.arrival);
  }

  std::vector<int> dirty;
  std::vector<RequestId> first_tokens, finished;
  SimTime now = 0;
  const std::int64_t capacity = instances.front().CapacityTokens();

  while (!events.empty()) {
    const Event ev = events.top();
    events.pop();
    metrics.AdvanceTo(ev.time);
    now = ev.time;
    if (ev.kind == EventKind::kArrival) {
      WorkloadSource::Draw d;
      if (has_lookahead) {
        d = lookahead;
        has_lookahead = false;
      } else {
        d = source.Next();
      }
      d.arrival = now;
      const auto id = static_cast<RequestId>(requests.size());
      if (static_cast<std::int64_t>(d.input_tokens) + d.output_tokens > capacity) {
        return Error{fmt::format(
            "request {} needs {} KV tokens ({} input + {} output) but one instance's KV cache "
            "holds {} tokens; shorten workload.input_tokens/output_tokens (set max:) or give "
            "each instance more memory (tp, pp, precision.kv_cache)",
            id, d.input_tokens + d.output_tokens, d.input_tokens, d.output_tokens, capacity)};
      }
      Request r;
      r.id = id;
      r.arrival = now;
      r.input_tokens = d.input_tokens;
      r.output_tokens = d.output_tokens;
      requests.push_back(r);
      metrics.OnArrival(requests.back());
      const int target = router.Pick();
      instances[target].Enqueue(id);
      dirty.push_back(target);
      if (!closed && !source.Exhausted()) {
        lookahead = source.Next();
        has_lookahead = true;
        schedule_arrival(lookahead.arrival);
      }
      if (closed) --pending_closed;
    } else {
      Instance& inst = instances[ev.target];
      first_tokens.clear();
      finished.clear();
      inst.FinishIteration(first_tokens, finished);
      metrics.OnIteration(inst.last_iteration());
      for (RequestId id : first_tokens) metrics.OnFirstToken(requests[id]);
      for (RequestId id : finished) {
        metrics.OnFinish(requests[id]);
        if (closed && source.issued() + pending_closed < source.total()) {
          schedule_arrival(now);
          ++pending_closed;
        }
      }
      dirty.push_back(ev.target);
    }
    metrics.CountEvent();
    // Start iterations only once every event at this instant is in, so requests that arrive
    // together are batched together.
    if (!events.empty() && events.top().time == now) continue;
    std::sort(dirty.begin(), dirty.end());
    dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
    for (int i : dirty) {
      Instance& inst = instances[i];
      if (inst.Busy()) continue;
      const SimTime end = inst.StartIteration(now);
      if (end >= 0) {
        metrics.OnIterationStart(i, now);
        events.push({end, EventKind::kIterationEnd, seq++, i});
      }
    }
    dirty.clear();
  }
  for (const Instance& inst : instances) metrics.AddPreemptions(inst.preemptions());
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  metrics.Finish(wall);
  return result;
}

}  // namespace tokenfab
