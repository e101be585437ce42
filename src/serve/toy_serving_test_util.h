// Test helpers for the serving twin: a toy deployment whose every iteration takes exactly 10 ms
// (compute is free, absurd peaks; the engine's per-iteration overhead is 10 ms), so latencies
// can be checked by hand, and a driver that runs one Instance by hand.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "tokenfab/perf/instance_cost_model.h"
#include "tokenfab/serve/instance.h"
#include "tokenfab/serve/simulation.h"

namespace tokenfab {

struct ToyDeployment {
  ToyDeployment() {
    model.id = "toy";
    model.hidden_size = 64;
    model.num_layers = 2;
    model.num_heads = 4;
    model.num_kv_heads = 4;
    model.head_dim = 16;
    model.vocab_size = 100;
    model.intermediate_size = 128;
    model.max_context = 1 << 20;
    gpu.id = "toy-gpu";
    gpu.peak_flops.fill(1e30);
    gpu.hbm_bandwidth = 1e30;
    gpu.scale_up_bandwidth = 1e30;
    gpu.hbm_bytes = 1e12;
    gpu.tdp_watts = 1000;
    engine.id = "toy-engine";
    engine.iteration_overhead_s = 0.010;
    engine.per_sequence_overhead_s = 0;
    engine.gpu_memory_fraction = 1.0;
    engine.collective_latency_s = 0;
    options.activation_reserve_bytes = 0;
    config.scheduler.max_batch_size = 256;
    config.scheduler.max_num_tokens = 8192;
    config.scheduler.kv_block_size = 16;
    config.workload.kind = WorkloadSpec::Kind::kOffline;
  }

  static LengthDistribution Fixed(int tokens) {
    return {LengthDistribution::Kind::kFixed, double(tokens), 0, double(tokens), double(tokens)};
  }
  void FixedRequests(int input, int output, std::int64_t n) {
    config.workload.num_requests = n;
    config.workload.input = Fixed(input);
    config.workload.output = Fixed(output);
  }

  InstanceCostModel Cost() const {
    PrecisionConfig p;
    p.weights = Precision::kBf16;
    p.kv_cache = Precision::kBf16;
    auto cost = InstanceCostModel::Build(model, gpu, Parallelism{}, p, engine,
                                         config.scheduler.max_num_tokens, options);
    EXPECT_TRUE(cost.ok()) << (cost.ok() ? "" : cost.error().message);
    return std::move(cost).value();
  }

  // Gives each instance room for about `tokens` KV tokens.
  void KvRoom(double tokens) {
    const MemoryPlan plan = Cost().memory();
    gpu.hbm_bytes = plan.weight_bytes + plan.activation_bytes + tokens * plan.kv_bytes_per_token;
  }

  ServeResult Run(const InstanceCostModel& cost) const {
    Simulation sim(cost, config);
    auto r = sim.Run();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return std::move(r).value();
  }
  ServeResult Run() const { return Run(Cost()); }

  ModelSpec model;
  GpuSpec gpu;
  EngineProfile engine;
  CostModelOptions options;
  ServeConfig config;
};

namespace test {

// Runs one instance by hand: requests are added between iterations, iterations run one at a
// time (each starts when the previous one ends).
class InstanceDriver {
 public:
  InstanceDriver(const InstanceCostModel& cost, const SchedulerConfig& config,
                 InstanceRole role = InstanceRole::kAggregated)
      : instance_(std::make_unique<Instance>(0, &cost, config, &requests_, role)) {}

  // A request, not yet enqueued (set its prefix fields, then Enqueue).
  Request& Make(int input, int output, int priority = 0) {
    Request r;
    r.id = static_cast<RequestId>(requests_.size());
    r.arrival = now_;
    r.input_tokens = input;
    r.output_tokens = output;
    r.priority = static_cast<std::int16_t>(priority);
    requests_.push_back(r);
    return requests_.back();
  }
  void Enqueue(RequestId id) { instance_->Enqueue(id); }
  RequestId Add(int input, int output, int priority = 0) {
    const RequestId id = Make(input, output, priority).id;
    Enqueue(id);
    return id;
  }

  // Plans an iteration; false when there is nothing to run.
  bool Start() {
    const SimTime end = instance_->StartIteration(now_);
    if (end < 0) return false;
    end_ = end;
    return true;
  }
  void Finish() {
    now_ = end_;
    outcome_.Clear();
    instance_->FinishIteration(outcome_);
    produced_ += instance_->last_iteration().output_tokens;
  }
  bool Step() {
    if (!Start()) return false;
    Finish();
    return true;
  }
  void RunToEnd() {
    while (Step()) {
    }
  }

  Instance& instance() { return *instance_; }
  std::vector<Request>& requests() { return requests_; }
  Request& request(RequestId id) { return requests_[id]; }
  const IterationOutcome& outcome() const { return outcome_; }
  SimTime now() const { return now_; }
  std::int64_t produced() const { return produced_; }  // output tokens over all iterations

 private:
  std::vector<Request> requests_;
  std::unique_ptr<Instance> instance_;
  SimTime now_ = 0;
  SimTime end_ = 0;
  std::int64_t produced_ = 0;
  IterationOutcome outcome_;
};

}  // namespace test
}  // namespace tokenfab
