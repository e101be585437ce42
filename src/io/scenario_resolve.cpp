// Scenario -> ResolvedScenario: catalog lookups, derived counts and the resolved `config`.
#include <algorithm>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include <algorithm>
#include "tokenfab/core/names.h"
#include "tokenfab/core/units.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/perf/batch_limits.h"

namespace tokenfab {
namespace {

std::string ResolvePath(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const std::filesystem::path candidate = std::filesystem::path(base_dir) / path;
  if (std::filesystem::exists(candidate)) return candidate.string();
  return path;
}

// A catalog model id, or a config.json path relative to the scenario file.
Result<ModelSpec> LookUpModel(const Catalog& catalog, const std::string& base_dir,
                              const std::string& name) {
  const bool is_path = name.size() > 5 && name.substr(name.size() - 5) == ".json";
  return catalog.Model(is_path ? ResolvePath(base_dir, name) : name);
}

nlohmann::json LengthJson(const LengthDistribution& d) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      return {{"dist", "fixed"}, {"mean", d.mean}};
    case LengthDistribution::Kind::kUniform:
      return {{"dist", "uniform"}, {"min", d.min}, {"max", d.max}, {"mean", d.mean}};
    case LengthDistribution::Kind::kLogNormal:
      return {
          {"dist", "lognormal"}, {"mean", d.mean}, {"cv", d.cv}, {"min", d.min}, {"max", d.max}};
  }
  return {};
}

WorkloadSpec::Kind KindOf(const std::string& name) {
  if (name == "offline") return WorkloadSpec::Kind::kOffline;
  if (name == "closed") return WorkloadSpec::Kind::kClosed;
  if (name == "gamma") return WorkloadSpec::Kind::kGamma;
  if (name == "trace") return WorkloadSpec::Kind::kTrace;
  if (name == "sessions") return WorkloadSpec::Kind::kSessions;
  return WorkloadSpec::Kind::kPoisson;
}

// Far beyond any cluster; keeps the GPU arithmetic (and the simulator's pools) in range.
constexpr long long kMaxGpus = 1'000'000;

void ResolveCounts(const Scenario& s, ResolvedScenario& r) {
  const Parallelism& p = s.parallelism;
  const long long per_instance = static_cast<long long>(std::max(p.tp, p.ep)) * p.pp;
  const std::string layout = fmt::format("max(tp, ep) x pp = max({}, {}) x {}", p.tp, p.ep, p.pp);
  auto check_total = [&](long long replicas) {
    if (per_instance * replicas > kMaxGpus) {
      throw InputError(
          fmt::format("{}: {} instance(s) of {} GPUs ({}) make {} GPUs; at most {} are supported",
                      s.origin, replicas, per_instance, layout, per_instance * replicas, kMaxGpus));
    }
  };
  long long replicas = 1;
  if (s.replicas && s.num_gpus) {
    if (*s.replicas * per_instance != *s.num_gpus) {
      throw InputError(fmt::format(
          "{}: hardware.num_gpus = {} but parallelism.replicas = {} instances of {} GPUs "
          "({}) make {}; give one of the two or make them agree",
          s.origin, *s.num_gpus, *s.replicas, per_instance, layout, *s.replicas * per_instance));
    }
    replicas = *s.replicas;
  } else if (s.replicas) {
    replicas = *s.replicas;
  } else if (s.num_gpus) {
    if (*s.num_gpus % per_instance != 0) {
      throw InputError(fmt::format(
          "{}: hardware.num_gpus = {} is not a multiple of the {} GPUs of one instance ({})",
          s.origin, *s.num_gpus, per_instance, layout));
    }
    replicas = *s.num_gpus / per_instance;
  }
  check_total(replicas);
  r.serve.replicas = static_cast<int>(replicas);
  r.num_gpus = static_cast<int>(replicas * per_instance);
}

// A limit as the engine reads it (`per_rank` or the instance's) turned into the instance's.
int InstanceLimit(int limit, bool per_rank, const Parallelism& p) {
  const std::int64_t ranks = per_rank ? p.AttentionDataParallel() : 1;
  return static_cast<int>(std::min<std::int64_t>(limit * ranks, std::numeric_limits<int>::max()));
}

void ResolveScheduler(const Scenario& s, ResolvedScenario& r) {
  EngineBatchLimits& l = r.batch_limits;
  l.max_batch_size = s.max_batch_size.value_or(r.engine.max_batch_size);
  l.max_num_tokens = s.max_num_tokens.value_or(r.engine.max_num_tokens);
  const std::string& scope =
      s.batch_limits_scope.empty() ? r.engine.batch_limits_scope : s.batch_limits_scope;
  l.per_rank = scope == "rank";
  const WorkloadSpec& w = r.serve.workload;
  if (r.engine.batch_limits == "trtllm_bench" && w.kind == WorkloadSpec::Kind::kOffline &&
      !s.max_batch_size && !s.max_num_tokens) {
    const BatchLimits limits = TrtllmBenchLimits(
        r.model, r.gpu, s.parallelism, r.precision, r.engine.gpu_memory_fraction, w.input.mean,
        w.output.mean, static_cast<int>(std::min(w.input.max, 1e7)));
    // trtllm-bench sizes one rank's batch (each attention-DP rank schedules its own).
    l = {limits.max_batch_size, limits.max_num_tokens, true};
  }
  SchedulerConfig& c = r.serve.scheduler;
  c.max_batch_size = InstanceLimit(l.max_batch_size, l.per_rank, s.parallelism);
  c.max_num_tokens = InstanceLimit(l.max_num_tokens, l.per_rank, s.parallelism);
  c.attention_dp_balance_iters = s.attention_dp_balance_iters;
  c.kv_block_size = s.kv_block_size.value_or(r.engine.kv_block_size);
  c.chunked_prefill = s.chunked_prefill.value_or(r.engine.chunked_prefill);
  c.mixed_prefill = s.mixed_prefill.value_or(r.engine.mixed_prefill);
  c.prefix_caching = s.prefix_cache;
  c.spec_tokens = s.spec_tokens;
  c.spec_acceptance = s.spec_acceptance;
  const std::string admission = s.kv_admission.empty() ? r.engine.kv_admission : s.kv_admission;
  c.kv_admission = admission == "reserve_full" ? KvAdmission::kReserveFull : KvAdmission::kOnDemand;
  const std::string order =
      s.preemption_order.empty() ? r.engine.preemption_order : s.preemption_order;
  c.preempt_fewest_outputs = order == "fewest_outputs";
  if (c.kv_block_size > 4096) {
    throw InputError(fmt::format("{}: engine.kv_block_size = {} is too large (at most 4096 tokens)",
                                 s.origin, c.kv_block_size));
  }
}

void ResolveWorkload(const Scenario& s, ResolvedScenario& r) {
  WorkloadSpec& w = r.serve.workload;
  w = s.workload;
  w.kind = KindOf(s.workload_kind);
  // Lengths never exceed the model's context window.
  const double context = r.model.max_context > 0 ? r.model.max_context : 1e9;
  auto clamp_to_context = [&](LengthDistribution& d, const char* key) {
    const bool fixed = d.kind == LengthDistribution::Kind::kFixed;
    if (d.min > context || (fixed && d.mean > context)) {
      throw InputError(
          fmt::format("{}: key '{}': {} tokens exceed the {:.0f}-token context window "
                      "of {}; lower it (or set max: to clip a distribution)",
                      s.origin, key, fixed ? d.mean : d.min, context, r.model.id));
    }
    d.max = std::min(d.max, context);
  };
  clamp_to_context(w.input, "workload.input_tokens");
  clamp_to_context(w.output, "workload.output_tokens");
  if (w.kind == WorkloadSpec::Kind::kTrace) {
    auto trace = ReadTrace(ResolvePath(s.base_dir, s.trace_path));
    if (!trace) {
      throw InputError(
          fmt::format("{}: key 'workload.trace': {}", s.origin, trace.error().message));
    }
    w.trace = std::move(trace->records);
    w.trace_hashes = std::move(trace->hashes);
    if (trace->block_tokens > 0) w.prefix_block_tokens = trace->block_tokens;
    if (!s.trace_requests_given) w.num_requests = static_cast<std::int64_t>(w.trace.size());
  }
  // Sessions end before a turn would outgrow the context window.
  if (w.sessions.max_context_tokens <= 0 && r.model.max_context > 0) {
    w.sessions.max_context_tokens = static_cast<std::int32_t>(std::min<double>(context, 2e9));
  }
}

RouterPolicy RouterOf(const std::string& name) {
  if (name == "least_outstanding") return RouterPolicy::kLeastOutstanding;
  if (name == "prefix_aware") return RouterPolicy::kPrefixAware;
  return RouterPolicy::kRoundRobin;
}

// SGLang's initial new-token ratio: 0.7 x schedule_conservativeness, at most 1, and the
// conservativeness x 0.3 under DP attention (engines.md 3.1 and 3.3).
double InitialNewTokenRatio(const Scenario& s, const ResolvedScenario& r, int dp_ranks) {
  const double attention_dp = dp_ranks > 1 ? 0.3 : 1.0;
  return std::min(1.0, r.engine.new_token_ratio * s.schedule_conservativeness * attention_dp);
}

PoolSpec MakePool(const Scenario& s, const ResolvedScenario& r, const std::string& name,
                  const PoolOverrides& o, InstanceRole role) {
  PoolSpec p;
  p.name = name;
  p.role = role;
  p.parallelism = s.parallelism;
  p.parallelism.tp = o.tp.value_or(s.parallelism.tp);
  p.parallelism.ep = o.ep.value_or(s.parallelism.ep);
  p.parallelism.attention_dp = o.attention_dp.value_or(s.parallelism.attention_dp);
  p.instances = o.instances.value_or(r.serve.replicas);
  p.scheduler = r.serve.scheduler;
  const EngineBatchLimits& l = r.batch_limits;
  p.scheduler.max_batch_size =
      InstanceLimit(o.max_batch_size.value_or(l.max_batch_size), l.per_rank, p.parallelism);
  p.scheduler.max_num_tokens = InstanceLimit(l.max_num_tokens, l.per_rank, p.parallelism);
  p.scheduler.attention_dp_ranks = p.parallelism.AttentionDataParallel();
  p.scheduler.new_token_ratio = InitialNewTokenRatio(s, r, p.scheduler.attention_dp_ranks);
  p.router = RouterOf(s.router);
  return p;
}

DeploymentSpec MakeDeployment(const Scenario& s, const ResolvedScenario& r) {
  DeploymentSpec d;
  d.name = s.deployment_name.empty() ? r.model.id : s.deployment_name;
  d.model = r.model;
  d.gpu = r.gpu;
  d.engine = r.engine;
  d.precision = r.precision;
  d.cost_options = r.cost_options;
  d.difficulty_max = s.difficulty_max;
  d.batch_limits_per_rank = r.batch_limits.per_rank;
  if (s.serving_mode == "disaggregated") {
    d.disaggregated = true;
    d.pools.push_back(MakePool(s, r, d.name + "/prefill", s.prefill, InstanceRole::kPrefill));
    d.pools.push_back(MakePool(s, r, d.name + "/decode", s.decode, InstanceRole::kDecode));
    if (!s.kv_transfer_bandwidth.empty()) {
      d.kv_transfer_bandwidth = ParseQuantity(s.kv_transfer_bandwidth, Dimension::kBytesPerSecond,
                                              s.origin + " key serving.kv_transfer.bandwidth");
    }
    d.kv_transfer_latency_s = ParseQuantity(s.kv_transfer_latency, Dimension::kSeconds,
                                            s.origin + " key serving.kv_transfer.latency");
  } else {
    d.pools.push_back(MakePool(s, r, d.name, PoolOverrides{}, InstanceRole::kAggregated));
  }
  for (const PoolSpec& p : d.pools) d.num_gpus += p.instances * p.parallelism.GpusPerInstance();
  if (s.spec_tokens > 0) {
    d.spec_method =
        s.spec_method == "draft_model" ? SpeculativeMethod::kDraftModel : SpeculativeMethod::kMtp;
  }
  return d;
}

// speculative.draft_model, looked up as `model` is.
void ResolveDraftModel(const Scenario& s, const Catalog& catalog, DeploymentSpec& d) {
  if (d.spec_method != SpeculativeMethod::kDraftModel) return;
  const std::string& name = s.spec_draft_model;
  auto draft = LookUpModel(catalog, s.base_dir, name);
  if (!draft) {
    throw InputError(
        fmt::format("{}: key 'speculative.draft_model': {}", s.origin, draft.error().message));
  }
  if (draft->vocab_size != d.model.vocab_size) {
    throw InputError(fmt::format(
        "{}: key 'speculative.draft_model': {} has a vocabulary of {} tokens but {} has {}; a "
        "draft model must share the target's tokenizer",
        s.origin, draft->id, draft->vocab_size, d.model.id, d.model.vocab_size));
  }
  d.draft_model = std::move(draft).value();
}

void ResolveClasses(const Scenario& s, ResolvedScenario& r) {
  WorkloadSpec& w = r.serve.workload;
  w.classes.clear();
  for (const ClassScenario& c : s.classes) {
    RequestClass rc;
    rc.name = c.name;
    rc.share = c.share;
    rc.priority = c.priority;
    rc.has_input = c.input.has_value();
    rc.has_output = c.output.has_value();
    if (c.input) rc.input = *c.input;
    if (c.output) rc.output = *c.output;
    rc.slo_ttft_ms = c.slo_ttft_ms;
    rc.slo_tpot_ms = c.slo_tpot_ms;
    w.classes.push_back(rc);
  }
}

void ResolveClassDeployments(const Scenario& s, ResolvedScenario& r) {
  std::vector<std::string> names;
  for (const DeploymentSpec& d : r.deployments) names.push_back(d.name);
  for (std::size_t i = 0; i < s.classes.size(); ++i) {
    const std::string& want = s.classes[i].deployment;
    if (want.empty()) continue;
    const auto it = std::find(names.begin(), names.end(), want);
    if (it == names.end()) {
      throw InputError(fmt::format("{}: classes.{}.deployment: {}", s.origin, s.classes[i].name,
                                   UnknownNameMessage("deployment", want, names)));
    }
    r.serve.workload.classes[i].deployment = static_cast<int>(it - names.begin());
  }
}

// The pool's keys as the scenario gives them (max_batch_size per rank under a per-rank scope).
nlohmann::json PoolJson(const PoolSpec& p, bool per_rank) {
  const int ranks = per_rank ? p.parallelism.AttentionDataParallel() : 1;
  return {{"name", p.name},
          {"instances", p.instances},
          {"tp", p.parallelism.tp},
          {"pp", p.parallelism.pp},
          {"ep", p.parallelism.ep},
          {"attention_dp", p.parallelism.attention_dp},
          {"max_batch_size", p.scheduler.max_batch_size / ranks},
          {"gpus", p.instances * p.parallelism.GpusPerInstance()}};
}

nlohmann::json ConfigJson(const ResolvedScenario& r) {
  const Scenario& s = r.scenario;
  const SchedulerConfig& c = r.serve.scheduler;
  const WorkloadSpec& w = r.serve.workload;
  nlohmann::json j;
  j["model"] = s.model;
  j["num_gpus"] = r.num_gpus;
  j["hardware"] = {
      {"gpu", r.gpu.id}, {"num_gpus", r.num_gpus}, {"idle_power_fraction", s.idle_power_fraction}};
  j["parallelism"] = {{"tp", s.parallelism.tp},
                      {"pp", s.parallelism.pp},
                      {"ep", s.parallelism.ep},
                      {"attention_dp", s.parallelism.attention_dp},
                      {"replicas", r.serve.replicas}};
  j["precision"] = {
      {"weights", PrecisionName(r.precision.weights)},
      {"kv_cache", PrecisionName(r.precision.kv_cache)},
      {"attention_weights", PrecisionName(AttentionWeightPrecision(r.model, r.precision))},
      {"gemm_inputs", r.precision.gemm_inputs ? PrecisionName(*r.precision.gemm_inputs) : "auto"},
      {"gemm_format",
       PrecisionName(r.gpu.MatmulFormat(GemmMathPrecision(r.precision.weights, r.precision)))}};
  j["engine"] = {
      {"profile", r.engine.id},
      {"max_batch_size", r.batch_limits.max_batch_size},
      {"max_num_tokens", r.batch_limits.max_num_tokens},
      {"batch_limits_scope", r.batch_limits.per_rank ? "rank" : "instance"},
      {"attention_dp_balance_iters", c.attention_dp_balance_iters},
      {"kv_block_size", c.kv_block_size},
      {"chunked_prefill", c.chunked_prefill},
      {"mixed_prefill", c.mixed_prefill},
      {"gpu_memory_fraction", r.engine.gpu_memory_fraction},
      {"iteration_overhead_ms", r.engine.iteration_overhead_s * 1e3},
      {"kv_admission", c.kv_admission == KvAdmission::kReserveFull ? "reserve_full" : "on_demand"},
      {"schedule_conservativeness", s.schedule_conservativeness},
      {"preemption_order", c.preempt_fewest_outputs ? "fewest_outputs" : "newest"},
      {"cuda_graph_batch_sizes", r.engine.cuda_graph_batch_sizes},
      {"new_token_ratio", InitialNewTokenRatio(s, r, s.parallelism.AttentionDataParallel())}};
  j["router"] = {{"policy", s.router}};
  j["workload"] = {{"kind", s.workload_kind},
                   {"num_requests", w.num_requests},
                   {"concurrency", w.concurrency},
                   {"rate", w.rate},
                   {"cv", w.cv},
                   {"input_tokens", LengthJson(w.input)},
                   {"output_tokens", LengthJson(w.output)},
                   {"trace", s.trace_path}};
  if (w.sessions.enabled || w.kind == WorkloadSpec::Kind::kSessions) {
    j["workload"]["sessions"] = {{"enabled", true},
                                 {"turns", LengthJson(w.sessions.turns)},
                                 {"think_time_s", w.sessions.think_time_s},
                                 {"max_context_tokens", w.sessions.max_context_tokens}};
  }
  if (!w.rate_curve.empty()) {
    nlohmann::json curve = nlohmann::json::array();
    for (const RatePoint& p : w.rate_curve) curve.push_back({p.t_s, p.rate});
    j["workload"]["rate_curve"] = curve;
    j["workload"]["rate_period_s"] = w.rate_period_s;
  }
  j["prefix_cache"] = {{"enabled", c.prefix_caching}};
  j["slo"] = {{"ttft_ms", s.slo_ttft_ms}, {"tpot_ms", s.slo_tpot_ms}};
  j["seed"] = s.seed;
  const DeploymentSpec& first = r.deployments.front();
  j["serving"] = {{"mode", s.serving_mode}};
  if (first.disaggregated) {
    j["serving"]["prefill"] = PoolJson(first.pools[0], first.batch_limits_per_rank);
    j["serving"]["decode"] = PoolJson(first.pools[1], first.batch_limits_per_rank);
    j["serving"]["kv_transfer"] = {{"bandwidth_bytes_per_s", first.kv_transfer_bandwidth},
                                   {"latency_s", first.kv_transfer_latency_s}};
  }
  if (r.deployments.size() > 1) {
    j["routing"] = {{"policy", s.model_routing}};
    for (const DeploymentSpec& d : r.deployments) {
      nlohmann::json dj = {{"name", d.name},
                           {"model", d.model.id},
                           {"gpu", d.gpu.id},
                           {"num_gpus", d.num_gpus},
                           {"difficulty_max", d.difficulty_max},
                           {"disaggregated", d.disaggregated}};
      for (const PoolSpec& p : d.pools) dj["pools"].push_back(PoolJson(p, d.batch_limits_per_rank));
      j["deployments"].push_back(dj);
    }
  }
  if (!s.classes.empty()) {
    for (const RequestClass& c : r.serve.workload.classes) {
      j["classes"][c.name] = {{"share", c.share},
                              {"priority", c.priority},
                              {"slo", {{"ttft_ms", c.slo_ttft_ms}, {"tpot_ms", c.slo_tpot_ms}}},
                              {"deployment", c.deployment}};
    }
  }
  j["metrics"] = {{"window_s", s.window_s}, {"percentile_mode", s.percentile_mode}};
  j["speculative"] = {{"num_tokens", s.spec_tokens},
                      {"acceptance_rate", s.spec_acceptance},
                      {"method", s.spec_method},
                      {"draft_model", first.draft_model ? first.draft_model->id : ""}};
  j["num_gpus"] = r.num_gpus;
  j["hardware"]["num_gpus"] = r.num_gpus;
  return j;
}

}  // namespace

Result<ResolvedScenario> ResolveScenario(const Scenario& scenario, const Catalog& catalog) {
  return CatchInputErrors([&] {
    ResolvedScenario r;
    r.scenario = scenario;
    const Scenario& s = scenario;
    auto where = [&](const char* key, Result<ModelSpec> m) {
      if (!m) throw InputError(fmt::format("{}: key '{}': {}", s.origin, key, m.error().message));
      return std::move(m).value();
    };
    r.model = where("model", LookUpModel(catalog, s.base_dir, s.model));
    auto gpu = catalog.Gpu(s.gpu);
    if (!gpu)
      throw InputError(fmt::format("{}: key 'hardware.gpu': {}", s.origin, gpu.error().message));
    r.gpu = *gpu;
    auto engine = catalog.Engine(s.engine);
    if (!engine)
      throw InputError(
          fmt::format("{}: key 'engine.profile': {}", s.origin, engine.error().message));
    r.engine = *engine;
    r.precision.weights = *ParsePrecision(s.weights_precision);
    if (!s.kv_precision.empty()) {
      r.precision.kv_cache = *ParsePrecision(s.kv_precision);
    } else {
      r.precision.kv_cache =
          r.precision.weights == Precision::kFp4 ? Precision::kFp8 : r.precision.weights;
    }
    r.precision.attention_weights = ParsePrecision(s.attention_precision);  // "auto": none
    r.precision.gemm_inputs = ParsePrecision(s.gemm_input_precision);
    if (s.gpu_memory_fraction) r.engine.gpu_memory_fraction = *s.gpu_memory_fraction;
    if (s.iteration_overhead_s) r.engine.iteration_overhead_s = *s.iteration_overhead_s;
    if (s.cuda_graph_batch_sizes) r.engine.cuda_graph_batch_sizes = *s.cuda_graph_batch_sizes;
    ResolveCounts(s, r);
    ResolveWorkload(s, r);
    ResolveScheduler(s, r);
    r.serve.router = RouterOf(s.router);
    r.serve.slo_ttft_ms = s.slo_ttft_ms;
    r.serve.slo_tpot_ms = s.slo_tpot_ms;
    r.serve.seed = s.seed;
    r.cost_options.idle_power_fraction = s.idle_power_fraction;
    r.serve.window_s = s.window_s;
    r.serve.percentile_mode = s.percentile_mode == "exact"       ? PercentileMode::kExact
                              : s.percentile_mode == "histogram" ? PercentileMode::kHistogram
                                                                 : PercentileMode::kAuto;
    ResolveClasses(s, r);
    if (s.deployments.empty()) {
      r.deployments.push_back(MakeDeployment(s, r));
      ResolveDraftModel(s, catalog, r.deployments.back());
    } else {
      for (const Scenario& d : s.deployments) {
        Scenario child = d;
        child.deployments.clear();
        auto resolved = ResolveScenario(child, catalog);
        if (!resolved) throw InputError(resolved.error().message);
        r.deployments.push_back(resolved->deployments.front());
      }
      r.serve.model_routing =
          s.model_routing == "by_class" ? ModelRouting::kByClass : ModelRouting::kByDifficulty;
      ResolveClassDeployments(s, r);
    }
    r.num_gpus = 0;
    for (const DeploymentSpec& d : r.deployments) r.num_gpus += d.num_gpus;
    if (s.num_gpus && *s.num_gpus != r.num_gpus &&
        (s.serving_mode == "disaggregated" || !s.deployments.empty())) {
      throw InputError(
          fmt::format("{}: hardware.num_gpus = {} but the pools add up to {} GPUs "
                      "(the sum over prefill and decode pools and deployments); give "
                      "the matching number or omit it",
                      s.origin, *s.num_gpus, r.num_gpus));
    }
    r.config = ConfigJson(r);
    return r;
  });
}

CostModelOptions PoolCostOptions(const DeploymentSpec& d, const PoolSpec& p) {
  CostModelOptions options = d.cost_options;
  const int ranks = p.parallelism.AttentionDataParallel();
  const int per_rank = (p.scheduler.max_batch_size + ranks - 1) / ranks;
  options.cuda_graph_sizes = CapturedGraphSizes(d.engine.cuda_graph_batch_sizes, per_rank);
  return options;
}

}  // namespace tokenfab
