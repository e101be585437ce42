// Scenario -> ResolvedScenario: catalog lookups, derived counts and the resolved `config`.
#include <filesystem>

#include <fmt/format.h>

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

template <typename T>
T Unwrap(Result<T> r) {
  if (!r) throw InputError(r.error().message);
  return std::move(r).value();
}

nlohmann::json LengthJson(const LengthDistribution& d) {
  switch (d.kind) {
    case LengthDistribution::Kind::kFixed:
      return {{"dist", "fixed"}, {"mean", d.mean}};
    case LengthDistribution::Kind::kUniform:
      return {{"dist", "uniform"}, {"min", d.min}, {"max", d.max}, {"mean", d.mean}};
    case LengthDistribution::Kind::kLogNormal:
      return {{"dist", "lognormal"}, {"mean", d.mean}, {"cv", d.cv}, {"min", d.min}, {"max", d.max}};
  }
  return {};
}

WorkloadSpec::Kind KindOf(const std::string& name) {
  if (name == "offline") return WorkloadSpec::Kind::kOffline;
  if (name == "closed") return WorkloadSpec::Kind::kClosed;
  if (name == "gamma") return WorkloadSpec::Kind::kGamma;
  if (name == "trace") return WorkloadSpec::Kind::kTrace;
  return WorkloadSpec::Kind::kPoisson;
}

void ResolveCounts(const Scenario& s, ResolvedScenario& r) {
  const int per_instance = s.parallelism.GpusPerInstance();
  int replicas = 1;
  if (s.replicas && s.num_gpus) {
    if (*s.replicas * per_instance != *s.num_gpus) {
      throw InputError(fmt::format(
          "{}: hardware.num_gpus = {} but parallelism.replicas = {} instances of {} GPUs "
          "(max(tp, ep) x pp = max({}, {}) x {}) make {}; give one of the two or make them agree",
          s.origin, *s.num_gpus, *s.replicas, per_instance, s.parallelism.tp, s.parallelism.ep,
          s.parallelism.pp, *s.replicas * per_instance));
    }
    replicas = *s.replicas;
  } else if (s.replicas) {
    replicas = *s.replicas;
  } else if (s.num_gpus) {
    if (*s.num_gpus % per_instance != 0) {
      throw InputError(fmt::format(
          "{}: hardware.num_gpus = {} is not a multiple of the {} GPUs of one instance "
          "(max(tp, ep) x pp = max({}, {}) x {})", s.origin, *s.num_gpus, per_instance,
          s.parallelism.tp, s.parallelism.ep, s.parallelism.pp));
    }
    replicas = *s.num_gpus / per_instance;
  }
  r.serve.replicas = replicas;
  r.num_gpus = replicas * per_instance;
}

void ResolveScheduler(const Scenario& s, ResolvedScenario& r) {
  SchedulerConfig& c = r.serve.scheduler;
  c.max_batch_size = s.max_batch_size.value_or(r.engine.max_batch_size);
  c.max_num_tokens = s.max_num_tokens.value_or(r.engine.max_num_tokens);
  const WorkloadSpec& w = r.serve.workload;
  if (r.engine.batch_limits == "trtllm_bench" && w.kind == WorkloadSpec::Kind::kOffline &&
      !s.max_batch_size && !s.max_num_tokens) {
    const BatchLimits limits = TrtllmBenchLimits(
        r.model, r.gpu, s.parallelism, r.precision, r.engine.gpu_memory_fraction, w.input.mean,
        w.output.mean, static_cast<int>(std::min(w.input.max, 1e7)));
    c.max_batch_size = limits.max_batch_size;
    c.max_num_tokens = limits.max_num_tokens;
  }
  c.kv_block_size = s.kv_block_size.value_or(r.engine.kv_block_size);
  c.chunked_prefill = s.chunked_prefill.value_or(r.engine.chunked_prefill);
  const std::string admission = s.kv_admission.empty() ? r.engine.kv_admission : s.kv_admission;
  c.kv_admission = admission == "reserve_full" ? KvAdmission::kReserveFull : KvAdmission::kOnDemand;
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
  w.input.max = std::min(w.input.max, context);
  w.output.max = std::min(w.output.max, context);
  if (w.kind == WorkloadSpec::Kind::kTrace) {
    w.trace = Unwrap(ReadTrace(ResolvePath(s.base_dir, s.trace_path)));
    if (!s.trace_requests_given) w.num_requests = static_cast<std::int64_t>(w.trace.size());
  }
}

nlohmann::json ConfigJson(const ResolvedScenario& r) {
  const Scenario& s = r.scenario;
  const SchedulerConfig& c = r.serve.scheduler;
  const WorkloadSpec& w = r.serve.workload;
  nlohmann::json j;
  j["model"] = s.model;
  j["num_gpus"] = r.num_gpus;
  j["hardware"] = {{"gpu", r.gpu.id}, {"num_gpus", r.num_gpus},
                   {"idle_power_fraction", s.idle_power_fraction}};
  j["parallelism"] = {{"tp", s.parallelism.tp}, {"pp", s.parallelism.pp}, {"ep", s.parallelism.ep},
                      {"attention_dp", s.parallelism.attention_dp}, {"replicas", r.serve.replicas}};
  j["precision"] = {{"weights", PrecisionName(r.precision.weights)},
                    {"kv_cache", PrecisionName(r.precision.kv_cache)}};
  j["engine"] = {{"profile", r.engine.id}, {"max_batch_size", c.max_batch_size},
                 {"max_num_tokens", c.max_num_tokens}, {"kv_block_size", c.kv_block_size},
                 {"chunked_prefill", c.chunked_prefill},
                 {"gpu_memory_fraction", r.engine.gpu_memory_fraction},
                 {"kv_admission", c.kv_admission == KvAdmission::kReserveFull ? "reserve_full" : "on_demand"}};
  j["router"] = {{"policy", s.router}};
  j["workload"] = {{"kind", s.workload_kind}, {"num_requests", w.num_requests},
                   {"concurrency", w.concurrency}, {"rate", w.rate}, {"cv", w.cv},
                   {"input_tokens", LengthJson(w.input)}, {"output_tokens", LengthJson(w.output)},
                   {"trace", s.trace_path}};
  j["slo"] = {{"ttft_ms", s.slo_ttft_ms}, {"tpot_ms", s.slo_tpot_ms}};
  j["seed"] = s.seed;
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
    const bool is_path = s.model.size() > 5 && s.model.substr(s.model.size() - 5) == ".json";
    r.model = where("model", catalog.Model(is_path ? ResolvePath(s.base_dir, s.model) : s.model));
    auto gpu = catalog.Gpu(s.gpu);
    if (!gpu) throw InputError(fmt::format("{}: key 'hardware.gpu': {}", s.origin, gpu.error().message));
    r.gpu = *gpu;
    auto engine = catalog.Engine(s.engine);
    if (!engine) throw InputError(fmt::format("{}: key 'engine.profile': {}", s.origin, engine.error().message));
    r.engine = *engine;
    r.precision.weights = *ParsePrecision(s.weights_precision);
    if (!s.kv_precision.empty()) {
      r.precision.kv_cache = *ParsePrecision(s.kv_precision);
    } else {
      r.precision.kv_cache = r.precision.weights == Precision::kFp4 ? Precision::kFp8 : r.precision.weights;
    }
    if (s.gpu_memory_fraction) r.engine.gpu_memory_fraction = *s.gpu_memory_fraction;
    ResolveCounts(s, r);
    ResolveWorkload(s, r);
    ResolveScheduler(s, r);
    r.serve.router = s.router == "least_outstanding" ? RouterPolicy::kLeastOutstanding
                                                     : RouterPolicy::kRoundRobin;
    r.serve.slo_ttft_ms = s.slo_ttft_ms;
    r.serve.slo_tpot_ms = s.slo_tpot_ms;
    r.serve.seed = s.seed;
    r.cost_options.idle_power_fraction = s.idle_power_fraction;
    r.config = ConfigJson(r);
    return r;
  });
}

}  // namespace tokenfab
