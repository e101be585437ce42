// `tokenfab bench`: drives any OpenAI-compatible server with a scenario's workload and
// measures it as the twin reports it, so one JSON schema holds predictions and measurements.
//
// Requests come from the scenario's WorkloadSource with its seed, exactly as the twin draws
// them: a closed loop keeps `concurrency` requests in flight (a finish sends the next one),
// open loops (poisson, gamma, offline, trace) send each request at its arrival time. Each is a
// streaming POST to /v1/completions whose prompt is `input_tokens` token ids (so every server
// counts the same length) with max_tokens = output_tokens and ignore_eos.
//
// Metrics follow `vllm bench serve` (docs/metrics.md): TTFT = first content chunk - send; ITL
// = gaps between content chunks, pooled; E2E = last content chunk - send; TPOT = (E2E -
// TTFT) / (n - 1) for n > 1 output tokens (usage.completion_tokens, else chunks); throughput
// over first send to last completion; percentiles by the engine profile's method.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/serve/metrics.h"

namespace tokenfab {

struct BenchOptions {
  std::string endpoint;        // "http://HOST:PORT", optionally with a path prefix such as /v1
  std::string model;           // empty: the first model GET /v1/models lists
  bool chat = false;           // /v1/chat/completions (prompt as text, "prompt_tokens" extension)
  int max_connections = 1024;  // open loop: requests in flight at most, one thread each
  double timeout_s = 600;      // per request, wall-clock
  // Wall-clock seconds per simulated second of the server (`tokenfab emulate --time-scale`):
  // open-loop arrivals are sent this much later and measured times divided by it. <= 0: the
  // "time_scale" the server lists in /v1/models, else 1.
  double time_scale = 0;
  std::string api_key;  // sent as "Authorization: Bearer KEY" when set
  // Where the scenario came from, kept in the JSON so `calibrate --from` can rebuild it:
  // {"path": ..., "yaml": ..., "overrides": [...]}.
  nlohmann::json scenario_source;
};

// One request as the client saw it. Times are seconds since the run started, divided by the
// time scale.
struct BenchRecord {
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;      // requested (max_tokens)
  std::int32_t completion_tokens = 0;  // usage.completion_tokens, else content chunks
  double send_s = 0;
  double first_token_s = -1;
  double end_s = -1;          // last content chunk
  std::vector<double> itl_s;  // gaps between content chunks
  std::string error;          // non-empty: the request failed
  bool ok() const { return error.empty(); }
};

struct BenchOutput {
  ServeMetrics metrics;               // of the successful requests
  std::vector<BenchRecord> requests;  // in send order
  std::int64_t failed = 0;
  std::string model;
  double time_scale = 1;  // the one applied
  nlohmann::json json;    // MetricsJson(metrics, config + endpoint) plus "bench"
};

Result<BenchOutput> RunBench(const ResolvedScenario& scenario, const BenchOptions& options);

// The twin's metrics from client records (the successful ones), `wall_s` the run's length.
ServeMetrics BenchMetrics(const std::vector<BenchRecord>& records, const ResolvedScenario& scenario,
                          double wall_s);

}  // namespace tokenfab
