#include "tokenfab/study/emulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <queue>
#include <thread>

#include <fmt/format.h>

namespace tokenfab {

EmulatedStream::Progress EmulatedStream::Wait(std::int32_t seen,
                                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout,
               [&] { return progress_.tokens > seen || progress_.finished || progress_.aborted; });
  return progress_;
}

void EmulatedStream::Release(std::int32_t tokens, SimTime now) {
  {
    std::lock_guard lock(mu_);
    progress_.tokens = std::min(tokens, output_tokens_);
    progress_.finished = progress_.tokens >= output_tokens_;
    if (progress_.finished) progress_.finished_at = now;
  }
  cv_.notify_all();
}

void EmulatedStream::Abort() {
  {
    std::lock_guard lock(mu_);
    progress_.aborted = true;
  }
  cv_.notify_all();
}

namespace {

constexpr SimTime kLateNs = 1'000'000;  // an iteration end released later than this is "late"

// `time` is when the twin sees the request arrive: when it reached the emulator, or the
// finish it reacts to.
struct Arrival {
  SimTime time;
  std::uint64_t seq;
  std::shared_ptr<EmulatedStream> stream;
  bool operator>(const Arrival& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

// Where an instance is in its cycle: idle; between a boundary and the planning of the
// iteration that starts there; or running an iteration until `end`. Arrivals up to `horizon`
// join the planned iteration, which is planned at `plan`.
struct InstanceClock {
  enum class Phase { kIdle, kPlanning, kRunning };
  Phase phase = Phase::kIdle;
  SimTime boundary = 0;
  SimTime horizon = 0;
  SimTime plan = 0;
  SimTime end = 0;
};

}  // namespace

struct Emulator::Impl {
  Impl(const ResolvedScenario& s, const EmulatorOptions& o, InstanceCostModel c)
      : scenario(s),
        options(o),
        cost(std::move(c)),
        origin(std::chrono::steady_clock::now()),
        scale(o.time_scale) {}

  // Simulated time: wall-clock nanoseconds since `origin` over the time scale.
  SimTime Now() const {
    const auto wall = std::chrono::steady_clock::now() - origin;
    return static_cast<SimTime>(std::chrono::duration<double, std::nano>(wall).count() / scale);
  }
  // The wall-clock instant of simulated time `t` (rounded up, so a wake-up there finds t due).
  std::chrono::steady_clock::time_point WallTime(SimTime t) const {
    return origin + std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(t * scale)));
  }
  SimTime NextDeadline() const;
  void Loop();
  void ProcessDue(SimTime now);
  void OnArrival(const Arrival& a);
  void Plan(InstanceClock& c, SimTime boundary, bool idle);
  void OnPlan(int k);
  void OnIterationEnd(int k, SimTime now);
  void ReleaseTokens(RequestId id, std::int32_t generated, SimTime t);
  int Route();
  void Publish();

  const ResolvedScenario scenario;
  const EmulatorOptions options;
  const InstanceCostModel cost;
  const std::chrono::steady_clock::time_point origin;
  const double scale;  // options.time_scale
  std::int64_t max_request_tokens = 0;
  SimTime grace = 0;  // options.grace_s in simulated time, capped at 80% of the cheapest iteration
  RouterPolicy router = RouterPolicy::kRoundRobin;

  // Shared with submitting threads, under `mu`.
  std::mutex mu;
  std::condition_variable wake;
  std::vector<Arrival> incoming;
  std::uint64_t arrival_seq = 0;
  bool stop = false;

  mutable std::mutex stats_mu;
  EmulatorStats published;

  // Engine thread only. Request slots are recycled when a request finishes (keeping the
  // stamp, so the instances' stale decode-heap entries stay stale).
  EmulatorStats live;
  std::vector<Request> requests;
  std::vector<Instance> instances;
  std::vector<InstanceClock> clocks;
  std::vector<std::shared_ptr<EmulatedStream>> streams;  // by request id; null when free
  std::vector<std::int32_t> released;                    // tokens released, by request id
  std::vector<RequestId> free_ids;
  std::priority_queue<Arrival, std::vector<Arrival>, std::greater<>> arrivals;
  IterationOutcome outcome;
  // Tokens produced by the events being processed, handed to their streams after Publish().
  struct PendingRelease {
    std::shared_ptr<EmulatedStream> stream;
    std::int32_t tokens;
    SimTime time;
  };
  std::vector<PendingRelease> pending;
  std::uint64_t round_robin = 0;
  std::thread engine;
};

SimTime Emulator::Impl::NextDeadline() const {
  SimTime next = -1;
  for (const InstanceClock& c : clocks) {
    SimTime t = -1;
    if (c.phase == InstanceClock::Phase::kPlanning) t = c.plan;
    if (c.phase == InstanceClock::Phase::kRunning) t = c.end;
    if (t >= 0 && (next < 0 || t < next)) next = t;
  }
  return next;
}

void Emulator::Impl::Loop() {
  std::vector<Arrival> batch;
  SimTime now = 0;
  for (;;) {
    {
      std::unique_lock lock(mu);
      const SimTime next = NextDeadline();
      auto ready = [&] { return stop || !incoming.empty(); };
      if (next < 0) {
        wake.wait(lock, ready);
      } else {
        wake.wait_until(lock, WallTime(next), ready);
      }
      if (stop) break;
      batch.swap(incoming);
      // Read under the lock: a request submitted (and stamped) before `now` is in `batch`, so
      // a reaction on time is never planned past.
      now = Now();
    }
    for (Arrival& a : batch) arrivals.push(std::move(a));
    batch.clear();
    ProcessDue(now);
    // Counters first, streams second: a client that got its answer finds it in /metrics.
    Publish();
    for (PendingRelease& p : pending) p.stream->Release(p.tokens, p.time);
    pending.clear();
  }
  std::lock_guard lock(mu);
  for (auto& s : streams) {
    if (s) s->Abort();
  }
  for (; !arrivals.empty(); arrivals.pop()) arrivals.top().stream->Abort();
  for (Arrival& a : incoming) a.stream->Abort();
}

// Events in the twin's order: by time, and at equal times iteration ends, then arrivals, then
// iteration starts (requests arriving together are batched together). An iteration start is
// ordered at its horizon and runs once its plan time has come; until then, later arrivals wait
// (they belong to the next iteration), while iteration ends, which touch only their instance,
// go ahead.
void Emulator::Impl::ProcessDue(SimTime now) {
  for (;;) {
    SimTime best = std::numeric_limits<SimTime>::max(), best_end = best;
    int kind = -1, target = -1, end_target = -1;
    auto consider = [&](SimTime t, int k, int i) {
      if (t < best || (t == best && k < kind)) {
        best = t;
        kind = k;
        target = i;
      }
    };
    for (std::size_t i = 0; i < clocks.size(); ++i) {
      const InstanceClock& c = clocks[i];
      if (c.phase == InstanceClock::Phase::kRunning && c.end <= now) {
        consider(c.end, 0, static_cast<int>(i));
        if (c.end < best_end) {
          best_end = c.end;
          end_target = static_cast<int>(i);
        }
      }
      if (c.phase == InstanceClock::Phase::kPlanning) consider(c.horizon, 2, static_cast<int>(i));
    }
    if (!arrivals.empty()) consider(arrivals.top().time, 1, -1);
    if (kind == 2 && clocks[target].plan > now) {
      if (end_target < 0) return;
      kind = 0;
      target = end_target;
    }
    switch (kind) {
      case 0:
        OnIterationEnd(target, now);
        break;
      case 1:
        OnArrival(arrivals.top());
        arrivals.pop();
        break;
      case 2:
        OnPlan(target);
        break;
      default:
        return;
    }
  }
}

int Emulator::Impl::Route() {
  const int n = static_cast<int>(instances.size());
  if (router == RouterPolicy::kRoundRobin) return static_cast<int>(round_robin++ % n);
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (instances[i].Outstanding() < instances[best].Outstanding()) best = i;
  }
  return best;
}

void Emulator::Impl::OnArrival(const Arrival& a) {
  RequestId id;
  if (!free_ids.empty()) {
    id = free_ids.back();
    free_ids.pop_back();
    // A new stamp, as the simulator gives a reused slot: the instance's entries for the old
    // occupant (finish heap, admission list) must stay stale, or the new request would be
    // taken for a running decode sequence before it is even prefilled.
    const std::uint32_t stamp = requests[id].stamp + 1;
    requests[id] = Request{};
    requests[id].stamp = stamp;
  } else {
    id = static_cast<RequestId>(requests.size());
    requests.emplace_back();
    streams.emplace_back();
    released.push_back(0);
  }
  Request& r = requests[id];
  r.id = id;
  r.arrival = a.time;
  r.input_tokens = a.stream->input_tokens();
  r.output_tokens = a.stream->output_tokens();
  streams[id] = a.stream;
  released[id] = 0;
  ++live.requests_received;
  live.prompt_tokens += r.input_tokens;
  const int k = Route();
  instances[k].Enqueue(id);
  // A reaction may be stamped before this instance's last iteration ended (it finished on
  // another instance); iterations of one instance never overlap.
  InstanceClock& c = clocks[k];
  if (c.phase == InstanceClock::Phase::kIdle) Plan(c, std::max(a.time, c.end), /*idle=*/true);
}

// The next iteration starts at `boundary`. After an idle spell, requests arriving within the
// grace join it too.
void Emulator::Impl::Plan(InstanceClock& c, SimTime boundary, bool idle) {
  c.phase = InstanceClock::Phase::kPlanning;
  c.boundary = boundary;
  c.horizon = idle ? boundary + grace : boundary;
  c.plan = boundary + grace;
}

void Emulator::Impl::OnPlan(int k) {
  InstanceClock& c = clocks[k];
  const SimTime end = instances[k].StartIteration(c.boundary);
  if (end < 0) {
    c.phase = InstanceClock::Phase::kIdle;
    return;
  }
  c.phase = InstanceClock::Phase::kRunning;
  c.end = end;
}

void Emulator::Impl::ReleaseTokens(RequestId id, std::int32_t generated, SimTime t) {
  if (generated <= released[id]) return;
  live.generation_tokens += generated - released[id];
  released[id] = generated;
  pending.push_back({streams[id], generated, t});
}

void Emulator::Impl::OnIterationEnd(int k, SimTime now) {
  InstanceClock& c = clocks[k];
  Instance& inst = instances[k];
  outcome.Clear();
  inst.FinishIteration(outcome);
  if (static_cast<double>(now - c.end) * scale > kLateNs) ++live.late_iterations;
  ++live.instances[k].iterations;
  for (RequestId id : outcome.first_tokens) {
    const Request& r = requests[id];
    const double ttft = std::max(0.0, SimTimeToSeconds(r.first_token - r.arrival));
    const auto bucket = std::lower_bound(std::begin(kTtftBuckets), std::end(kTtftBuckets), ttft);
    if (bucket != std::end(kTtftBuckets))
      ++live.ttft_bucket_counts[bucket - std::begin(kTtftBuckets)];
    ++live.ttft_count;
    live.ttft_sum_s += ttft;
    ReleaseTokens(id, r.generated, c.end);
  }
  inst.VisitDecoding(
      [&](RequestId id, std::int32_t generated) { ReleaseTokens(id, generated, c.end); });
  for (RequestId id : outcome.finished) {
    ReleaseTokens(id, requests[id].output_tokens, c.end);
    ++live.requests_completed;
    streams[id].reset();
    free_ids.push_back(id);
  }
  Plan(c, c.end, /*idle=*/false);
}

void Emulator::Impl::Publish() {
  std::int64_t preemptions = 0;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const Instance& inst = instances[i];
    EmulatorInstanceStats& s = live.instances[i];
    s.running = clocks[i].phase == InstanceClock::Phase::kRunning
                    ? inst.last_iteration().batch.Sequences()
                    : 0;
    s.waiting = std::max(0, inst.Outstanding() - s.running);
    s.kv_blocks_used = inst.used_blocks();
    s.kv_blocks_total = inst.total_blocks();
    preemptions += inst.preemptions();
  }
  live.preemptions = preemptions;
  std::lock_guard lock(stats_mu);
  published = live;
}

Result<std::unique_ptr<Emulator>> Emulator::Create(const ResolvedScenario& s,
                                                   const EmulatorOptions& options) {
  if (s.deployments.size() != 1 || s.deployments.front().pools.size() != 1) {
    return Error{s.scenario.origin +
                 ": emulate serves one aggregated deployment (one model, one "
                 "pool); this scenario has " +
                 std::to_string(s.deployments.size()) + " deployment(s) or a disaggregated one"};
  }
  const DeploymentSpec& d = s.deployments.front();
  const PoolSpec& pool = d.pools.front();
  auto cost = InstanceCostModel::Build(d.model, d.gpu, pool.parallelism, d.precision, d.engine,
                                       pool.scheduler.max_num_tokens, PoolCostOptions(d, pool));
  if (!cost) return Error{s.scenario.origin + ": " + cost.error().message};
  if (!(options.time_scale > 0)) return Error{"the time scale must be positive"};
  auto impl = std::make_unique<Impl>(s, options, std::move(cost).value());
  Impl& m = *impl;
  const int replicas = std::max(1, pool.instances);
  m.router = pool.router;
  m.requests.reserve(1024);
  m.instances.reserve(static_cast<std::size_t>(replicas));
  for (int i = 0; i < replicas; ++i) {
    m.instances.emplace_back(i, &m.cost, pool.scheduler, &m.requests);
  }
  m.clocks.resize(static_cast<std::size_t>(replicas));
  m.live.instances.resize(static_cast<std::size_t>(replicas));
  m.max_request_tokens = m.instances.front().CapacityTokens();
  if (d.model.max_context > 0) {
    m.max_request_tokens = std::min<std::int64_t>(m.max_request_tokens, d.model.max_context);
  }
  if (m.max_request_tokens < 2) {
    return Error{s.scenario.origin + ": the KV cache of one instance holds no request"};
  }
  BatchShape cheapest;
  cheapest.decode_sequences = 1;
  cheapest.decode_context_tokens = 1;
  const double min_cost_s = m.cost.Cost(cheapest).seconds;
  const double grace_s = std::min(options.grace_s / options.time_scale, 0.8 * min_cost_s);
  m.grace = static_cast<SimTime>(std::max(0.0, grace_s) * 1e9);
  m.Publish();
  m.engine = std::thread([&m] { m.Loop(); });
  return std::unique_ptr<Emulator>(new Emulator(std::move(impl)));
}

Emulator::Emulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Emulator::~Emulator() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->engine.join();
}

Result<std::shared_ptr<EmulatedStream>> Emulator::Submit(std::int32_t input_tokens,
                                                         std::int32_t output_tokens,
                                                         SimTime reacts_to) {
  if (input_tokens < 1) return Error{"the prompt must have at least 1 token"};
  if (output_tokens < 1) return Error{"max_tokens must be at least 1"};
  const std::int64_t total = static_cast<std::int64_t>(input_tokens) + output_tokens;
  if (total > impl_->max_request_tokens) {
    return Error{fmt::format(
        "This model's maximum context length is {} tokens. However, you requested {} tokens ({} "
        "in the prompt, {} in the completion). Please reduce the prompt or the completion length.",
        impl_->max_request_tokens, total, input_tokens, output_tokens)};
  }
  auto stream = std::make_shared<EmulatedStream>(input_tokens, output_tokens);
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stop) return Error{"the emulator is stopping"};
    const SimTime now = impl_->Now();
    const bool reaction = reacts_to >= 0 && reacts_to <= now && now - reacts_to <= impl_->grace;
    impl_->incoming.push_back({reaction ? reacts_to : now, impl_->arrival_seq++, stream});
  }
  impl_->wake.notify_one();
  return stream;
}

EmulatorStats Emulator::Stats() const {
  std::lock_guard lock(impl_->stats_mu);
  EmulatorStats s = impl_->published;
  s.uptime_s = SimTimeToSeconds(impl_->Now()) * impl_->scale;
  return s;
}

double Emulator::time_scale() const { return impl_->scale; }

const ResolvedScenario& Emulator::scenario() const { return impl_->scenario; }

std::int64_t Emulator::MaxRequestTokens() const { return impl_->max_request_tokens; }

}  // namespace tokenfab
