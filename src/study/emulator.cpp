#include "tokenfab/study/emulator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <optional>
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

void EmulatedStream::Release(std::int32_t tokens) {
  {
    std::lock_guard lock(mu_);
    progress_.tokens = std::min(tokens, output_tokens_);
    progress_.finished = progress_.tokens >= output_tokens_;
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

struct Arrival {
  SimTime time;
  std::shared_ptr<EmulatedStream> stream;
};

// Where an instance is in its cycle: idle; between a boundary and the planning of the
// iteration that starts there; or running an iteration until `end`.
struct InstanceClock {
  enum class Phase { kIdle, kPlanning, kRunning };
  Phase phase = Phase::kIdle;
  SimTime boundary = 0;
  SimTime plan = 0;
  SimTime end = 0;
  SimTime last_cost = 0;
};

}  // namespace

struct Emulator::Impl {
  Impl(const ResolvedScenario& s, const EmulatorOptions& o, InstanceCostModel c)
      : scenario(s), options(o), cost(std::move(c)), origin(std::chrono::steady_clock::now()) {}

  SimTime Now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                origin)
        .count();
  }
  SimTime Grace(const InstanceClock& c) const {
    const SimTime g = static_cast<SimTime>(options.grace_s * 1e9);
    return c.last_cost > 0 ? std::min(g, c.last_cost / 2) : g;
  }
  SimTime NextDeadline() const;
  void Loop();
  void ProcessDue(SimTime now);
  void OnArrival(const Arrival& a);
  void OnPlan(int k);
  void OnIterationEnd(int k, SimTime now);
  void ReleaseTokens(RequestId id, std::int32_t generated);
  int Route();
  void Publish();

  const ResolvedScenario scenario;
  const EmulatorOptions options;
  const InstanceCostModel cost;
  const std::chrono::steady_clock::time_point origin;
  std::int64_t max_request_tokens = 0;
  RouterPolicy router = RouterPolicy::kRoundRobin;

  // Shared with submitting threads, under `mu`.
  std::mutex mu;
  std::condition_variable wake;
  std::vector<Arrival> incoming;
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
  std::deque<Arrival> arrivals;
  IterationOutcome outcome;
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
  for (;;) {
    {
      std::unique_lock lock(mu);
      const SimTime next = NextDeadline();
      auto ready = [&] { return stop || !incoming.empty(); };
      if (next < 0) {
        wake.wait(lock, ready);
      } else {
        wake.wait_until(lock, origin + std::chrono::nanoseconds(next), ready);
      }
      if (stop) break;
      batch.swap(incoming);
    }
    for (Arrival& a : batch) arrivals.push_back(std::move(a));
    batch.clear();
    ProcessDue(Now());
    Publish();
  }
  std::lock_guard lock(mu);
  for (auto& s : streams) {
    if (s) s->Abort();
  }
  for (Arrival& a : arrivals) a.stream->Abort();
  for (Arrival& a : incoming) a.stream->Abort();
}

// Every event due by `now`, in time order; at equal times iteration ends, then arrivals, then
// iteration starts (the twin's order: requests arriving together are batched together).
void Emulator::Impl::ProcessDue(SimTime now) {
  for (;;) {
    SimTime best = std::numeric_limits<SimTime>::max();
    int kind = -1, target = -1;
    auto consider = [&](SimTime t, int k, int i) {
      if (t <= now && (t < best || (t == best && k < kind))) {
        best = t;
        kind = k;
        target = i;
      }
    };
    for (std::size_t i = 0; i < clocks.size(); ++i) {
      const InstanceClock& c = clocks[i];
      if (c.phase == InstanceClock::Phase::kRunning) consider(c.end, 0, static_cast<int>(i));
      if (c.phase == InstanceClock::Phase::kPlanning) consider(c.plan, 2, static_cast<int>(i));
    }
    if (!arrivals.empty()) consider(arrivals.front().time, 1, -1);
    if (kind < 0) return;
    if (kind == 0) OnIterationEnd(target, now);
    if (kind == 1) {
      OnArrival(arrivals.front());
      arrivals.pop_front();
    }
    if (kind == 2) OnPlan(target);
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
    const std::uint32_t stamp = requests[id].stamp;
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
  if (getenv("TF_TRACE"))
    fprintf(stderr, "arrive %d at %.3f ms inst phase %d boundary %.3f\n", id, a.time / 1e6,
            (int)clocks[0].phase, clocks[0].boundary / 1e6);
  ++live.requests_received;
  live.prompt_tokens += r.input_tokens;
  const int k = Route();
  instances[k].Enqueue(id);
  InstanceClock& c = clocks[k];
  if (c.phase == InstanceClock::Phase::kIdle) {
    c.phase = InstanceClock::Phase::kPlanning;
    c.boundary = a.time;
    c.plan = a.time + Grace(c);
  }
}

void Emulator::Impl::OnPlan(int k) {
  InstanceClock& c = clocks[k];
  const SimTime end = instances[k].StartIteration(c.boundary);
  if (end < 0) {
    c.phase = InstanceClock::Phase::kIdle;
    return;
  }
  c.phase = InstanceClock::Phase::kRunning;
  if (getenv("TF_TRACE"))
    fprintf(stderr, "start at %.3f (now %.3f) end %.3f prefill %lld seqs %d decode %d\n",
            c.boundary / 1e6, Now() / 1e6, end / 1e6,
            (long long)instances[k].last_iteration().batch.prefill_tokens,
            instances[k].last_iteration().batch.prefill_sequences,
            instances[k].last_iteration().batch.decode_sequences);
  c.end = end;
  c.last_cost = end - c.boundary;
}

void Emulator::Impl::ReleaseTokens(RequestId id, std::int32_t generated) {
  if (generated <= released[id]) return;
  live.generation_tokens += generated - released[id];
  released[id] = generated;
  streams[id]->Release(generated);
}

void Emulator::Impl::OnIterationEnd(int k, SimTime now) {
  InstanceClock& c = clocks[k];
  Instance& inst = instances[k];
  outcome.Clear();
  inst.FinishIteration(outcome);
  if (now - c.end > kLateNs) ++live.late_iterations;
  ++live.instances[k].iterations;
  for (RequestId id : outcome.first_tokens) {
    const Request& r = requests[id];
    const double ttft = std::max(0.0, SimTimeToSeconds(r.first_token - r.arrival));
    const auto bucket = std::lower_bound(std::begin(kTtftBuckets), std::end(kTtftBuckets), ttft);
    if (bucket != std::end(kTtftBuckets))
      ++live.ttft_bucket_counts[bucket - std::begin(kTtftBuckets)];
    ++live.ttft_count;
    live.ttft_sum_s += ttft;
    ReleaseTokens(id, r.generated);
  }
  inst.VisitDecoding([&](RequestId id, std::int32_t generated) { ReleaseTokens(id, generated); });
  for (RequestId id : outcome.finished) {
    ReleaseTokens(id, requests[id].output_tokens);
    ++live.requests_completed;
    streams[id].reset();
    free_ids.push_back(id);
  }
  c.phase = InstanceClock::Phase::kPlanning;
  c.boundary = c.end;
  c.plan = c.end + Grace(c);
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
                                       pool.scheduler.max_num_tokens, d.cost_options);
  if (!cost) return Error{s.scenario.origin + ": " + cost.error().message};
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
                                                         std::int32_t output_tokens) {
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
    impl_->incoming.push_back({impl_->Now(), stream});
  }
  impl_->wake.notify_one();
  return stream;
}

EmulatorStats Emulator::Stats() const {
  std::lock_guard lock(impl_->stats_mu);
  EmulatorStats s = impl_->published;
  s.uptime_s = SimTimeToSeconds(impl_->Now());
  return s;
}

const ResolvedScenario& Emulator::scenario() const { return impl_->scenario; }

std::int64_t Emulator::MaxRequestTokens() const { return impl_->max_request_tokens; }

}  // namespace tokenfab
