#include "tokenfab/serve/simulation.h"

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <memory>
#include <queue>

#include "event_queue.h"
#include "metrics_collector.h"
#include "router.h"

namespace tokenfab {
namespace {

// Longest fast-forward stretch, in decode steps (bounds Instance's per-stretch buffer).
constexpr int kMaxStretchSteps = 512;
// How far a stretch is planned: its steps after the next request the instance receives are
// undone, and a least-outstanding router sends the next request to the least loaded
// instance, so an instance plans kStretchAtLeast steps at the least load and
// kStretchPerRequestAbove more for each request it holds above it. Results do not depend
// on these (a stretch is exact however long); planning to the next finish wasted 63% of
// the planned steps of the factory example, these 40% (see docs/performance.md).
constexpr int kStretchAtLeast = 2;
constexpr int kStretchPerRequestAbove = 8;

ServeConfig WithSinglePool(const InstanceCostModel& cost, ServeConfig config) {
  PoolConfig pool;
  pool.cost = &cost;
  pool.scheduler = config.scheduler;
  pool.instances = config.replicas;
  pool.router = config.router;
  config.pools = {pool};
  config.deployments = {DeploymentConfig{}};
  return config;
}

class Run {
 public:
  explicit Run(const ServeConfig& config)
      : config_(config), source_(config.workload, config.seed) {}

  Result<ServeResult> Execute();

 private:
  void Push(SimTime t, EventKind kind, std::int32_t target) {
    events_.push({t, kind, seq_++, target});
  }
  void PushIterationEnd(int index) {
    const Instance& inst = instances_[index];
    const IterationRecord& it = inst.last_iteration();
    ends_.Set({it.end, EventKind::kIterationEnd, static_cast<std::uint64_t>(it.start), index});
    first_read_[index] = inst.FirstRequestRead();
  }
  // The next event in Event order, from the iteration ends, the other events or the
  // open-loop arrival; false when there is none.
  bool Peek(Event& next, const Draw& lookahead, bool arriving) const;
  void QueueFollowUp(const Draw& d) {
    std::int32_t slot;
    if (free_follow_ups_.empty()) {
      slot = static_cast<std::int32_t>(follow_ups_.size());
      follow_ups_.push_back(d);
    } else {
      slot = free_follow_ups_.back();
      free_follow_ups_.pop_back();
      follow_ups_[slot] = d;
    }
    Push(d.arrival, EventKind::kFollowUp, slot);
  }
  int DeploymentOf(const Draw& d) const;
  std::string CheckFits(const Request& r) const;
  void Admit(const Draw& d, SimTime now);
  void OnIterationEnd(int instance, SimTime now);
  void OnKvReady(RequestId id, SimTime now);
  void Finished(RequestId id, SimTime now);
  void StartIdleInstances(SimTime now);
  int StretchSteps(int index) const;
  void Deliver(int index, SimTime now);
  void ReportSteps(const Instance& inst, std::size_t count);

  const ServeConfig& config_;
  WorkloadSource source_;
  ServeResult result_;
  std::vector<Instance> instances_;
  std::vector<std::unique_ptr<DecodeCostCache>> decode_caches_;  // one per pool
  std::vector<Router> routers_;                                  // one per pool
  IterationEnds ends_;
  std::vector<RequestId> first_read_;  // by instance: FirstRequestRead() when its end was set
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;  // other kinds
  std::uint64_t seq_ = 0;
  std::vector<Draw> follow_ups_;  // closed-loop and session requests waiting to arrive
  std::vector<std::int32_t> free_follow_ups_;
  std::vector<RequestId> free_requests_;  // reusable slots when !keep_requests
  std::vector<int> dirty_;
  IterationOutcome outcome_;
  bool fast_forward_ = false;
  std::unique_ptr<MetricsCollector> metrics_;
  std::string error_;
};

int Run::DeploymentOf(const Draw& d) const {
  const auto& deps = config_.deployments;
  if (deps.size() <= 1) return 0;
  if (config_.model_routing == ModelRouting::kByClass && !config_.workload.classes.empty()) {
    const int dep = config_.workload.classes[d.cls].deployment;
    if (dep >= 0) return dep;
  }
  for (std::size_t i = 0; i < deps.size(); ++i) {
    if (d.difficulty < deps[i].difficulty_max) return static_cast<int>(i);
  }
  return static_cast<int>(deps.size()) - 1;
}

std::string Run::CheckFits(const Request& r) const {
  const DeploymentConfig& dep = config_.deployments[r.deployment];
  const std::int64_t total = static_cast<std::int64_t>(r.input_tokens) + r.output_tokens;
  auto check = [&](int pool, std::int64_t tokens) -> std::string {
    const std::int64_t capacity = instances_[routers_[pool].first()].CapacityTokens();
    if (tokens <= capacity) return "";
    return fmt::format(
        "request {} needs {} KV tokens ({} input + {} output) but the KV cache of one instance of "
        "pool '{}' holds "
        "{} tokens; shorten workload.input_tokens/output_tokens (set max:) or give each instance "
        "more memory (tp, pp, precision.kv_cache)",
        r.id, tokens, r.input_tokens, r.output_tokens, config_.pools[pool].name, capacity);
  };
  if (dep.decode_pool < 0) return check(dep.pool, total);
  if (auto e = check(dep.pool, r.input_tokens); !e.empty()) return e;
  return check(dep.decode_pool, total);
}

void Run::Admit(const Draw& d, SimTime now) {
  std::vector<Request>& requests = result_.requests;
  Request r;
  r.id = static_cast<RequestId>(requests.size());
  if (!free_requests_.empty()) {
    r.id = free_requests_.back();
    r.stamp = requests[r.id].stamp + 1;  // stale heap entries of the old occupant stay stale
  }
  r.arrival = now;
  r.input_tokens = d.input_tokens;
  r.output_tokens = d.output_tokens;
  r.cls = d.cls;
  r.priority = d.priority;
  r.session = d.session;
  r.turn = d.turn;
  r.prefix_hashes_begin = d.hash_begin;
  r.prefix_blocks = d.hash_count;
  r.deployment = DeploymentOf(d);
  if (std::string e = CheckFits(r); !e.empty()) {
    error_ = e;
    return;
  }
  if (r.id == static_cast<RequestId>(requests.size())) {
    requests.push_back(r);
  } else {
    free_requests_.pop_back();
    requests[r.id] = r;
  }
  metrics_->OnArrival(requests[r.id]);
  const int pool = config_.deployments[r.deployment].pool;
  const int target = routers_[pool].Pick(requests[r.id], instances_);
  Deliver(target, now);
  instances_[target].Enqueue(r.id);
  dirty_.push_back(target);
}

void Run::Finished(RequestId id, SimTime now) {
  metrics_->OnFinish(result_.requests[id]);
  Draw next;
  if (source_.OnFinish(result_.requests[id], now, next)) QueueFollowUp(next);
  if (!config_.keep_requests) free_requests_.push_back(id);
}

// A request reaches an instance at `now`: a stretch it planned past now is cut there, and
// an iteration planned at an earlier cut that has not started yet is planned again.
void Run::Deliver(int index, SimTime now) {
  Instance& inst = instances_[index];
  if (!inst.Stretched()) return;
  if (inst.Planned() && now <= inst.last_iteration().start) inst.Unplan();
  ReportSteps(inst, inst.StepsEndedBy(now));
  if (!inst.CutStretch(now)) return;
  if (inst.Busy()) {
    PushIterationEnd(index);
  } else {
    ends_.Remove(index);
  }
}

void Run::ReportSteps(const Instance& inst, std::size_t count) {
  if (config_.keep_iterations) {
    for (std::size_t i = 0; i < count; ++i) metrics_->OnIteration(inst.StretchRecord(i));
    return;
  }
  inst.VisitStretchSteps(
      count, [this](const IterationRecord& base, SimTime start, SimTime end, std::int64_t kv_used,
                    std::int64_t output_tokens, double joules) {
        metrics_->OnStep(base, start, end, kv_used, output_tokens, joules);
      });
}

void Run::OnIterationEnd(int index, SimTime now) {
  Instance& inst = instances_[index];
  ReportSteps(inst, inst.StretchSteps());
  inst.DropStretch();
  outcome_.Clear();
  inst.FinishIteration(outcome_);
  metrics_->OnIteration(inst.last_iteration());
  for (RequestId id : outcome_.first_tokens) metrics_->OnFirstToken(result_.requests[id]);
  for (RequestId id : outcome_.finished) Finished(id, now);
  for (RequestId id : outcome_.handoffs) {
    const Request& r = result_.requests[id];
    const DeploymentConfig& dep = config_.deployments[r.deployment];
    const double bytes = dep.kv_bytes_per_token * r.input_tokens;
    const double seconds = dep.kv_transfer_latency_s +
                           (dep.kv_transfer_bandwidth > 0 ? bytes / dep.kv_transfer_bandwidth : 0);
    Push(now + static_cast<SimTime>(std::llround(seconds * 1e9)), EventKind::kKvReady, id);
  }
  dirty_.push_back(index);
}

// The KV reached the decode pool: the client sees the first token now.
void Run::OnKvReady(RequestId id, SimTime now) {
  Request& r = result_.requests[id];
  r.kv_ready = now;
  r.first_token = now;
  metrics_->OnFirstToken(r);
  metrics_->OnKvTransfer(r);
  const int pool = config_.deployments[r.deployment].decode_pool;
  const int target = routers_[pool].Pick(r, instances_);
  Deliver(target, now);
  instances_[target].EnqueuePrefilled(id);
  dirty_.push_back(target);
}

bool Run::Peek(Event& next, const Draw& lookahead, bool arriving) const {
  bool any = false;
  if (!ends_.empty()) {
    next = ends_.top();
    any = true;
  }
  if (!events_.empty() && (!any || next > events_.top())) {
    next = events_.top();
    any = true;
  }
  const Event arrival{lookahead.arrival, EventKind::kArrival, 0, -1};
  if (arriving && (!any || next > arrival)) {
    next = arrival;
    any = true;
  }
  return any;
}

int Run::StretchSteps(int index) const {
  const Router& router = routers_[result_.instance_pool[index]];
  const std::int64_t above = instances_[index].Outstanding() - router.LeastLoad();
  if (above <= 0) return kStretchAtLeast;
  return static_cast<int>(
      std::min<std::int64_t>(kMaxStretchSteps, kStretchAtLeast + kStretchPerRequestAbove * above));
}

void Run::StartIdleInstances(SimTime now) {
  if (dirty_.size() > 1) {  // most events dirty one instance
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  }
  for (int i : dirty_) {
    Instance& inst = instances_[i];
    if (inst.Pending()) {
      inst.PlanCut(metrics_->WindowEnd());
      PushIterationEnd(i);
    } else if (!inst.Busy() && inst.StartIteration(now) >= 0) {
      if (fast_forward_) inst.FastForward(metrics_->WindowEnd(), StretchSteps(i));
      PushIterationEnd(i);
    }
    routers_[result_.instance_pool[i]].Update(inst);
  }
  dirty_.clear();
}

Result<ServeResult> Run::Execute() {
  const auto wall_start = std::chrono::steady_clock::now();
  if (config_.keep_requests) {
    result_.requests.reserve(
        static_cast<std::size_t>(std::min<std::int64_t>(source_.total(), 50'000'000)));
  }
  std::size_t total_instances = 0;
  for (const PoolConfig& p : config_.pools) total_instances += p.instances;
  instances_.reserve(total_instances);
  for (std::size_t p = 0; p < config_.pools.size(); ++p) {
    const PoolConfig& pool = config_.pools[p];
    const int first = static_cast<int>(instances_.size());
    // Prefix-cache entries are the workload's hash blocks (Mooncake's 512 tokens, sessions'
    // derived 16), named by the workload's hash pool unless the pool brings its own.
    SchedulerConfig scheduler = pool.scheduler;
    if (scheduler.prefix_block_tokens == 0) {
      scheduler.prefix_block_tokens = PrefixBlockTokens(config_.workload);
    }
    if (scheduler.prefix_hashes == nullptr)
      scheduler.prefix_hashes = &config_.workload.trace_hashes;
    decode_caches_.push_back(std::make_unique<DecodeCostCache>());
    for (int i = 0; i < pool.instances; ++i) {
      instances_.emplace_back(static_cast<int>(instances_.size()), pool.cost, scheduler,
                              &result_.requests, pool.role, decode_caches_.back().get());
      result_.instance_pool.push_back(static_cast<int>(p));
    }
    routers_.emplace_back(pool.router, first, pool.instances);
    result_.pool_names.push_back(pool.name);
  }
  ends_ = IterationEnds(static_cast<int>(instances_.size()));
  first_read_.assign(instances_.size(), kNoRequest);
  metrics_ = std::make_unique<MetricsCollector>(config_, &result_);
  fast_forward_ = config_.fast_forward && !config_.keep_iterations;

  for (const Draw& d : source_.Initial()) QueueFollowUp(d);
  // The open-loop stream's next arrival waits outside the heap: arrivals come in time order,
  // so it only has to be compared with the heap's top (it precedes follow-ups at its instant
  // and follows iteration ends and KV transfers, as kArrival orders it).
  Draw lookahead{};
  bool arriving = !source_.OpenExhausted();
  if (arriving) lookahead = source_.NextOpen();
  Event ev;
  bool have = Peek(ev, lookahead, arriving);
  while (have) {
    if (ev.kind == EventKind::kIterationEnd) {
      // The instances of the next iteration ends have left the cache since their last event:
      // prefetch the data of the next one (its object was prefetched one event ago) and the
      // object of the one after.
      const auto [second, third] = ends_.NextTwo();
      if (second >= 0) instances_[second].PrefetchData();
      if (third >= 0) {
        instances_[third].PrefetchObject();
        if (first_read_[third] >= 0) __builtin_prefetch(&result_.requests[first_read_[third]]);
      }
      ends_.pop();
    } else if (ev.kind != EventKind::kArrival) {
      events_.pop();
    }
    metrics_->AdvanceTo(ev.time);
    const SimTime now = ev.time;
    switch (ev.kind) {
      case EventKind::kArrival:
        Admit(lookahead, now);
        arriving = !source_.OpenExhausted();
        if (arriving) lookahead = source_.NextOpen();
        break;
      case EventKind::kFollowUp:
        Admit(follow_ups_[ev.target], now);
        free_follow_ups_.push_back(ev.target);
        break;
      case EventKind::kIterationEnd:
        OnIterationEnd(ev.target, now);
        break;
      case EventKind::kKvReady:
        OnKvReady(ev.target, now);
        break;
    }
    if (!error_.empty()) return Error{error_};
    metrics_->CountEvent();
    // Start iterations only once every event at this instant is in, so requests that arrive
    // together are batched together.
    have = Peek(ev, lookahead, arriving);
    if (have && ev.time == now) continue;
    StartIdleInstances(now);
    // That only added iteration ends (of instances that had none): the next event is the
    // one peeked or the first end.
    if (!ends_.empty() && (!have || ev > ends_.top())) {
      ev = ends_.top();
      have = true;
    }
    // An arrival is next: its instance is most likely the least loaded one now (finishes
    // before it may change that), whose lines left the cache since its last event.
    if (have && ev.kind == EventKind::kArrival && routers_.size() == 1) {
      const int likely = routers_.front().LikelyPick();
      if (likely >= 0) instances_[likely].PrefetchObject();
    }
  }
  PrefixCacheMetrics& cache = result_.metrics.prefix_cache;
  for (const Instance& inst : instances_) {
    metrics_->AddPreemptions(inst.preemptions());
    cache.prompt_tokens += inst.prompt_tokens();
    cache.hit_tokens += inst.prefix_hit_tokens();
    cache.evictions += inst.prefix_evictions();
    if (inst.used_blocks() != 0 || inst.Outstanding() != 0) {
      return Error{
          fmt::format("internal error: instance {} ended with {} KV blocks and {} "
                      "requests outstanding",
                      inst.index(), inst.used_blocks(), inst.Outstanding())};
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  metrics_->Finish(wall);
  return std::move(result_);
}

}  // namespace

Simulation::Simulation(const InstanceCostModel& cost, ServeConfig config)
    : config_(WithSinglePool(cost, std::move(config))) {}

Simulation::Simulation(ServeConfig config) : config_(std::move(config)) {
  if (config_.deployments.empty()) config_.deployments = {DeploymentConfig{}};
}

Result<ServeResult> Simulation::Run() {
  if (config_.pools.empty()) return Error{"no serving pools configured"};
  for (const PoolConfig& p : config_.pools) {
    if (p.cost == nullptr || p.instances < 1)
      return Error{"pool '" + p.name + "' has no instances"};
  }
  class Run run(config_);
  return run.Execute();
}

}  // namespace tokenfab
