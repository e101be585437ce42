#include "tokenfab/io/results.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

namespace tokenfab {
namespace {

nlohmann::json SummaryJson(const LatencySummary& s) {
  return {{"mean", s.mean}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}};
}

// classes.<name>: the top-level keys' shape, per request class.
nlohmann::json ClassesJson(const std::vector<ClassMetrics>& classes) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < classes.size(); ++i) {
    const ClassMetrics& c = classes[i];
    const std::string name = c.name.empty() ? fmt::format("class{}", i) : c.name;
    j[name] = {
        {"throughput",
         {{"requests_per_s", c.requests_per_s}, {"output_tokens_per_s", c.output_tokens_per_s}}},
        {"latency",
         {{"ttft_ms", SummaryJson(c.ttft_ms)},
          {"tpot_ms", SummaryJson(c.tpot_ms)},
          {"e2e_ms", SummaryJson(c.e2e_ms)}}},
        {"goodput", {{"requests_per_s", c.goodput_requests_per_s}}},
        {"requests", {{"completed", c.completed}, {"output_tokens", c.output_tokens}}}};
  }
  return j;
}

nlohmann::json WindowsJson(const std::vector<WindowMetrics>& windows) {
  nlohmann::json j = nlohmann::json::array();
  for (const WindowMetrics& w : windows) {
    j.push_back({{"start_s", w.start_s},
                 {"end_s", w.end_s},
                 {"arrivals", w.arrivals},
                 {"first_tokens", w.first_tokens},
                 {"completed", w.completed},
                 {"output_tokens", w.output_tokens},
                 {"output_tokens_per_s", w.output_tokens_per_s},
                 {"ttft_ms", {{"p50", w.ttft_p50_ms}, {"p99", w.ttft_p99_ms}}},
                 {"mean_in_system", w.mean_in_system}});
  }
  return j;
}

}  // namespace

nlohmann::json MetricsJson(const ServeMetrics& m, const nlohmann::json& config) {
  nlohmann::json j;
  j["config"] = config;
  j["throughput"] = {{"requests_per_s", m.requests_per_s},
                     {"input_tokens_per_s", m.input_tokens_per_s},
                     {"output_tokens_per_s", m.output_tokens_per_s},
                     {"output_tokens_per_s_per_gpu", m.output_tokens_per_s_per_gpu},
                     {"output_tokens_per_s_per_user", m.output_tokens_per_s_per_user}};
  j["latency"] = {{"ttft_ms", SummaryJson(m.ttft_ms)},
                  {"tpot_ms", SummaryJson(m.tpot_ms)},
                  {"itl_ms", SummaryJson(m.itl_ms)},
                  {"e2e_ms", SummaryJson(m.e2e_ms)}};
  j["goodput"] = {{"requests_per_s", m.goodput_requests_per_s}};
  j["kv_cache"] = {{"peak_utilization", m.kv_peak_utilization}, {"preemptions", m.preemptions}};
  j["batch"] = {{"mean_size", m.mean_batch_size}, {"iterations", m.iterations}};
  j["energy"] = {{"joules_per_output_token", m.joules_per_output_token},
                 {"mean_power_w", m.mean_power_w},
                 {"joules", m.energy_j}};
  j["requests"] = {{"completed", m.requests_completed},
                   {"input_tokens", m.input_tokens},
                   {"output_tokens", m.output_tokens},
                   {"mean_in_system", m.mean_in_system}};
  if (m.pools.size() > 1 || m.kv_transfers > 0) {
    for (const PoolMetrics& p : m.pools) {
      j["pools"][p.name] = {{"instances", p.instances},
                            {"gpus", p.gpus},
                            {"utilization", p.utilization},
                            {"iterations", p.iterations}};
    }
  }
  j["prefix_cache"] = {{"hit_rate", m.prefix_cache.hit_rate()},
                       {"hit_tokens", m.prefix_cache.hit_tokens},
                       {"prompt_tokens", m.prefix_cache.prompt_tokens},
                       {"evictions", m.prefix_cache.evictions}};
  if (m.kv_transfers > 0)
    j["kv_transfer"] = {{"mean_ms", m.kv_transfer_mean_ms}, {"count", m.kv_transfers}};
  j["sim"] = {{"events", m.events},
              {"simulated_s", m.simulated_s},
              {"span_s", m.span_s},
              {"wall_s", m.wall_s}};
  if (!m.classes.empty()) j["classes"] = ClassesJson(m.classes);
  if (!m.windows.empty()) j["windows"] = WindowsJson(m.windows);
  return j;
}

Result<bool> WriteText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return true;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) return Error{"cannot write '" + path + "'"};
  out << text;
  if (!out) return Error{"error writing '" + path + "'"};
  return true;
}

Result<bool> WriteCsvTables(const ServeResult& result, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create directory '" + dir + "': " + ec.message()};
  std::string requests =
      "id,instance,arrival_s,first_token_s,finish_s,input_tokens,output_tokens,"
      "ttft_ms,e2e_ms,preemptions\n";
  for (const Request& r : result.requests) {
    if (!r.Finished()) continue;
    requests += fmt::format("{},{},{:.9f},{:.9f},{:.9f},{},{},{:.6f},{:.6f},{}\n", r.id, r.instance,
                            SimTimeToSeconds(r.arrival), SimTimeToSeconds(r.first_token),
                            SimTimeToSeconds(r.finish), r.input_tokens, r.output_tokens,
                            SimTimeToMillis(r.first_token - r.arrival),
                            SimTimeToMillis(r.finish - r.arrival), r.preemptions);
  }
  std::string iterations =
      "instance,start_s,end_s,batch_tokens,prefill_tokens,prefill_sequences,"
      "decode_sequences,kv_blocks_used,kv_blocks_total,joules\n";
  for (const IterationRecord& it : result.iterations) {
    iterations +=
        fmt::format("{},{:.9f},{:.9f},{},{},{},{},{},{},{:.6f}\n", it.instance,
                    SimTimeToSeconds(it.start), SimTimeToSeconds(it.end), it.batch.Tokens(),
                    it.batch.prefill_tokens, it.batch.prefill_sequences, it.batch.decode_sequences,
                    it.kv_blocks_used, it.kv_blocks_total, it.joules);
  }
  if (auto r = WriteText(dir + "/requests.csv", requests); !r) return r;
  return WriteText(dir + "/iterations.csv", iterations);
}

namespace {

// The pools of a disaggregated deployment, and each deployment of a multi-model factory: the
// first line of the summary names only the top-level layout.
std::string PoolLine(const nlohmann::json& p) {
  return fmt::format("{} x (tp={} ep={}{}) = {} GPUs", p["instances"].get<int>(),
                     p["tp"].get<int>(), p["ep"].get<int>(),
                     p["attention_dp"].get<bool>() ? " attention-DP" : "", p["gpus"].get<int>());
}

std::string DeploymentLines(const nlohmann::json& c) {
  std::string s;
  if (c.contains("deployments")) {
    for (const auto& d : c["deployments"]) {
      s += fmt::format("  deployment {}: {} on {} x {}, difficulty < {}\n",
                       d["name"].get<std::string>(), d["model"].get<std::string>(),
                       d["num_gpus"].get<int>(), d["gpu"].get<std::string>(),
                       d["difficulty_max"].get<double>());
      for (const auto& p : d["pools"]) {
        s += fmt::format("    pool {}: {}\n", p["name"].get<std::string>(), PoolLine(p));
      }
    }
  } else if (c.contains("serving") && c["serving"].contains("prefill")) {
    s += fmt::format("  disaggregated: prefill {}; decode {}\n", PoolLine(c["serving"]["prefill"]),
                     PoolLine(c["serving"]["decode"]));
  }
  return s;
}

}  // namespace

std::string SummaryText(const ServeMetrics& m, const nlohmann::json& c) {
  std::string s;
  if (c["serving"]["mode"] == "disaggregated" && !c.contains("deployments")) {
    s += fmt::format(
        "tokenfab simulate: {} on {} x {}, {} weights / {} KV, engine {}\n",
        c["model"].get<std::string>(), c["num_gpus"].get<int>(),
        c["hardware"]["gpu"].get<std::string>(), c["precision"]["weights"].get<std::string>(),
        c["precision"]["kv_cache"].get<std::string>(), c["engine"]["profile"].get<std::string>());
  } else if (c.contains("deployments")) {
    s += fmt::format("tokenfab simulate: {} model deployments on {} GPUs, routed {}\n",
                     c["deployments"].size(), c["num_gpus"].get<int>(),
                     c["routing"]["policy"].get<std::string>());
  } else {
    s += fmt::format(
        "tokenfab simulate: {} on {} x {} ({} instance(s) of tp={} pp={} ep={}{}), "
        "{} weights / {} KV, engine {}\n",
        c["model"].get<std::string>(), c["num_gpus"].get<int>(),
        c["hardware"]["gpu"].get<std::string>(), c["parallelism"]["replicas"].get<int>(),
        c["parallelism"]["tp"].get<int>(), c["parallelism"]["pp"].get<int>(),
        c["parallelism"]["ep"].get<int>(),
        c["parallelism"]["attention_dp"].get<bool>() ? ", attention-DP" : "",
        c["precision"]["weights"].get<std::string>(), c["precision"]["kv_cache"].get<std::string>(),
        c["engine"]["profile"].get<std::string>());
  }
  s += DeploymentLines(c);
  s += fmt::format("workload: {}, {} requests completed over {:.1f} s simulated\n",
                   c["workload"]["kind"].get<std::string>(), m.requests_completed, m.span_s);
  s += "\n";
  s += fmt::format(
      "  throughput      {:>10.2f} req/s   {:>10.0f} output tok/s   {:>8.1f} output tok/s/GPU\n",
      m.requests_per_s, m.output_tokens_per_s, m.output_tokens_per_s_per_gpu);
  s += fmt::format("                  {:>10.0f} input tok/s   {:>8.1f} output tok/s/user\n",
                   m.input_tokens_per_s, m.output_tokens_per_s_per_user);
  auto row = [&](const char* name, const LatencySummary& l) {
    return fmt::format("  {:<14}  mean {:>9.1f}  p50 {:>9.1f}  p90 {:>9.1f}  p99 {:>9.1f}\n", name,
                       l.mean, l.p50, l.p90, l.p99);
  };
  s += row("TTFT (ms)", m.ttft_ms);
  s += row("TPOT (ms)", m.tpot_ms);
  s += row("ITL (ms)", m.itl_ms);
  s += row("E2E (ms)", m.e2e_ms);
  s += fmt::format("  goodput         {:>10.2f} req/s meeting TTFT <= {} ms and TPOT <= {} ms\n",
                   m.goodput_requests_per_s, c["slo"]["ttft_ms"].get<double>(),
                   c["slo"]["tpot_ms"].get<double>());
  s += fmt::format(
      "  KV cache        peak {:.1f}% used, {} preemptions; mean batch {:.1f} sequences\n",
      100 * m.kv_peak_utilization, m.preemptions, m.mean_batch_size);
  if (c.contains("prefix_cache") && c["prefix_cache"]["enabled"].get<bool>()) {
    s += fmt::format("  prefix cache    {:.1f}% of prompt tokens served from cache, {} evictions\n",
                     100 * m.prefix_cache.hit_rate(), m.prefix_cache.evictions);
  }
  s += fmt::format("  energy          {:.3f} J/output token, mean power {:.1f} kW\n",
                   m.joules_per_output_token, m.mean_power_w / 1e3);
  s += fmt::format("  simulator       {} events in {:.3f} s wall\n", m.events, m.wall_s);
  return s;
}

}  // namespace tokenfab
