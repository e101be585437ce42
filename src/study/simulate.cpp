#include "tokenfab/study/simulate.h"

#include <algorithm>
#include <memory>

#include "tokenfab/io/results.h"

namespace tokenfab {
namespace {

// Bandwidth of one request's KV transfer from a prefill to a decode instance: NVLink when
// both pools fit in one NVLink domain, else the network; each GPU of the smaller instance
// sends its share in parallel.
double DefaultTransferBandwidth(const DeploymentSpec& d) {
  const int prefill = d.pools[0].parallelism.GpusPerInstance();
  const int decode = d.pools[1].parallelism.GpusPerInstance();
  const bool one_domain = d.num_gpus <= d.gpu.scale_up_domain;
  const double link = one_domain ? d.gpu.scale_up_bandwidth : d.gpu.scale_out_bandwidth;
  return link * std::min(prefill, decode);
}

double KvBytesPerToken(const DeploymentSpec& d) {
  return d.model.num_layers * KvElementsPerTokenPerLayer(d.model) *
         BytesPerElement(d.precision.kv_cache);
}

// The draft model of speculative decoding on a decode pool's instance: the same GPUs with the
// same tensor parallelism (vLLM's default for the draft), no pipeline or expert parallelism.
Result<const InstanceCostModel*> BuildDraft(
    const DeploymentSpec& d, const PoolSpec& p,
    std::vector<std::unique_ptr<InstanceCostModel>>& models) {
  Parallelism par;
  par.tp = p.parallelism.tp;
  auto draft = InstanceCostModel::Build(*d.draft_model, d.gpu, par, d.precision, d.engine,
                                        p.scheduler.max_num_tokens, d.cost_options);
  if (!draft) {
    return Error{"speculative.draft_model " + d.draft_model->id + " on pool '" + p.name + "' (tp " +
                 std::to_string(par.tp) + "): " + draft.error().message};
  }
  models.push_back(std::make_unique<InstanceCostModel>(std::move(draft).value()));
  return models.back().get();
}

}  // namespace

Result<SimulateOutput> RunSimulate(const ResolvedScenario& resolved,
                                   const SimulateOptions& options) {
  SimulateOutput out;
  out.resolved = resolved;
  ServeConfig serve = resolved.serve;
  serve.keep_iterations = options.keep_iterations;
  serve.keep_requests = options.keep_requests;
  serve.pools.clear();
  serve.deployments.clear();
  nlohmann::json memory = nlohmann::json::array();
  for (const DeploymentSpec& d : resolved.deployments) {
    DeploymentConfig dep;
    dep.name = d.name;
    dep.difficulty_max = d.difficulty_max;
    for (std::size_t i = 0; i < d.pools.size(); ++i) {
      const PoolSpec& p = d.pools[i];
      const bool decodes = p.role != InstanceRole::kPrefill;
      CostModelOptions options = PoolCostOptions(d, p);
      const InstanceCostModel* draft = nullptr;
      if (decodes && d.draft_model) {
        auto built = BuildDraft(d, p, out.draft_models);
        if (!built) return Error{resolved.scenario.origin + ": " + built.error().message};
        draft = *built;
        options.extra_weight_bytes += draft->memory().weight_bytes;
        options.extra_kv_bytes_per_token += draft->memory().kv_bytes_per_token;
      }
      auto cost = InstanceCostModel::Build(d.model, d.gpu, p.parallelism, d.precision, d.engine,
                                           p.scheduler.max_num_tokens, options);
      if (!cost)
        return Error{resolved.scenario.origin + ": pool '" + p.name + "': " + cost.error().message};
      out.cost_models.push_back(std::make_unique<InstanceCostModel>(std::move(cost).value()));
      if (decodes && d.spec_method != SpeculativeMethod::kNone) {
        out.cost_models.back()->set_speculative(
            {d.spec_method, p.scheduler.spec_tokens, p.scheduler.spec_acceptance, draft});
      }
      const MemoryPlan& m = out.cost_models.back()->memory();
      memory.push_back({{"pool", p.name},
                        {"weights_gb_per_gpu", m.weight_bytes / 1e9},
                        {"kv_gb_per_gpu", m.kv_bytes / 1e9},
                        {"kv_capacity_tokens_per_instance", m.kv_capacity_tokens}});
      PoolConfig pool;
      pool.name = p.name;
      pool.cost = out.cost_models.back().get();
      pool.scheduler = p.scheduler;
      pool.instances = p.instances;
      pool.role = p.role;
      pool.router = p.router;
      (i == 0 ? dep.pool : dep.decode_pool) = static_cast<int>(serve.pools.size());
      serve.pools.push_back(pool);
    }
    if (d.disaggregated) {
      dep.kv_bytes_per_token = KvBytesPerToken(d);
      dep.kv_transfer_bandwidth =
          d.kv_transfer_bandwidth > 0 ? d.kv_transfer_bandwidth : DefaultTransferBandwidth(d);
      dep.kv_transfer_latency_s = d.kv_transfer_latency_s;
    }
    serve.deployments.push_back(dep);
  }
  Simulation sim(serve);
  auto result = sim.Run();
  if (!result) return Error{resolved.scenario.origin + ": " + result.error().message};
  out.memory = out.cost_models.front()->memory();
  out.result = std::move(result).value();
  out.json = MetricsJson(out.result.metrics, resolved.config);
  out.json["memory"] = memory.size() == 1 ? memory[0] : memory;
  return out;
}

}  // namespace tokenfab
