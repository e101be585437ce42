#include "emulate_metrics.h"

#include <fmt/format.h>

namespace tokenfab {
namespace {

class Page {
 public:
  explicit Page(const std::string& model)
      : label_(fmt::format("model_name=\"{}\"", Escape(model))) {}

  void Header(const char* name, const char* type, const char* help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  // One sample with the model label (and `extra` labels, "key=\"v\"").
  void Sample(const std::string& name, double value, const std::string& extra = "") {
    text_ += fmt::format("{}{{{}{}{}}} {}\n", name, label_, extra.empty() ? "" : ",", extra, value);
  }
  void Metric(const char* name, const char* type, const char* help, double value) {
    Header(name, type, help);
    Sample(name, value);
  }
  std::string Take() { return std::move(text_); }

 private:
  static std::string Escape(const std::string& s) {
    std::string out;
    for (char c : s) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }

  std::string label_;
  std::string text_;
};

}  // namespace

std::string PrometheusText(const EmulatorStats& s, const HttpCounters& http,
                           const std::string& model_name) {
  Page p(model_name);
  std::int64_t running = 0, waiting = 0, used = 0, total = 0, iterations = 0;
  for (const EmulatorInstanceStats& i : s.instances) {
    running += i.running;
    waiting += i.waiting;
    used += i.kv_blocks_used;
    total += i.kv_blocks_total;
    iterations += i.iterations;
  }
  const double kv_usage = total > 0 ? static_cast<double>(used) / static_cast<double>(total) : 0;

  p.Metric("tokenfab_uptime_seconds", "gauge", "Seconds since the emulator started.", s.uptime_s);
  p.Metric("tokenfab_requests_received_total", "counter",
           "Completion requests accepted into the twin.", static_cast<double>(s.requests_received));
  p.Metric("tokenfab_requests_completed_total", "counter",
           "Completion requests whose last token was released.",
           static_cast<double>(s.requests_completed));
  p.Metric("tokenfab_http_requests_total", "counter", "HTTP requests answered, all endpoints.",
           static_cast<double>(http.requests));
  p.Header("tokenfab_http_errors_total", "counter", "HTTP error responses by class.");
  p.Sample("tokenfab_http_errors_total", static_cast<double>(http.errors_4xx), "code=\"4xx\"");
  p.Sample("tokenfab_http_errors_total", static_cast<double>(http.errors_5xx), "code=\"5xx\"");
  p.Metric("tokenfab_http_requests_in_flight", "gauge",
           "Completion requests being answered (waiting, prefilling, decoding or streaming).",
           static_cast<double>(http.in_flight));
  p.Metric("tokenfab_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.",
           static_cast<double>(s.prompt_tokens));
  p.Metric("tokenfab_generation_tokens_total", "counter", "Output tokens released to clients.",
           static_cast<double>(s.generation_tokens));
  p.Metric("tokenfab_preemptions_total", "counter", "Requests preempted (recompute) by the twin.",
           static_cast<double>(s.preemptions));
  p.Metric("tokenfab_late_iterations_total", "counter",
           "Iteration ends released more than 1 ms after their time (emulator host overloaded).",
           static_cast<double>(s.late_iterations));

  p.Header("tokenfab_requests_running", "gauge",
           "Sequences in the current iteration, per instance.");
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    p.Sample("tokenfab_requests_running", s.instances[i].running,
             fmt::format("instance=\"{}\"", i));
  }
  p.Header("tokenfab_requests_waiting", "gauge",
           "Requests queued and not in the current iteration.");
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    p.Sample("tokenfab_requests_waiting", s.instances[i].waiting,
             fmt::format("instance=\"{}\"", i));
  }
  p.Header("tokenfab_iterations_total", "counter", "Engine iterations, per instance.");
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    p.Sample("tokenfab_iterations_total", static_cast<double>(s.instances[i].iterations),
             fmt::format("instance=\"{}\"", i));
  }
  p.Header("tokenfab_kv_cache_blocks_used", "gauge", "KV-cache blocks in use, per instance.");
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    p.Sample("tokenfab_kv_cache_blocks_used", static_cast<double>(s.instances[i].kv_blocks_used),
             fmt::format("instance=\"{}\"", i));
  }
  p.Header("tokenfab_kv_cache_blocks_total", "gauge", "KV-cache blocks, per instance.");
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    p.Sample("tokenfab_kv_cache_blocks_total", static_cast<double>(s.instances[i].kv_blocks_total),
             fmt::format("instance=\"{}\"", i));
  }

  p.Header("tokenfab_time_to_first_token_seconds", "histogram",
           "Time to first token inside the twin (arrival to release), s.");
  std::int64_t cumulative = 0;
  for (std::size_t b = 0; b < kNumTtftBuckets; ++b) {
    cumulative += s.ttft_bucket_counts[b];
    p.Sample("tokenfab_time_to_first_token_seconds_bucket", static_cast<double>(cumulative),
             fmt::format("le=\"{}\"", kTtftBuckets[b]));
  }
  p.Sample("tokenfab_time_to_first_token_seconds_bucket", static_cast<double>(s.ttft_count),
           "le=\"+Inf\"");
  p.Sample("tokenfab_time_to_first_token_seconds_sum", s.ttft_sum_s);
  p.Sample("tokenfab_time_to_first_token_seconds_count", static_cast<double>(s.ttft_count));

  // The gauges gateways and routers read from vLLM (summed over instances).
  p.Metric("vllm:num_requests_running", "gauge", "vLLM-compatible: sequences running.",
           static_cast<double>(running));
  p.Metric("vllm:num_requests_waiting", "gauge", "vLLM-compatible: requests waiting.",
           static_cast<double>(waiting));
  p.Metric("vllm:kv_cache_usage_perc", "gauge", "vLLM-compatible: KV-cache usage, 1 = full.",
           kv_usage);
  p.Metric("vllm:gpu_cache_usage_perc", "gauge", "vLLM-compatible (older name): KV-cache usage.",
           kv_usage);
  return p.Take();
}

}  // namespace tokenfab
