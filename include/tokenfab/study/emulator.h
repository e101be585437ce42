// The serving twin in real time: requests submitted from other threads (the HTTP edge of
// `tokenfab emulate`) run through the scenario's instances, router, scheduler and cost model,
// and each request's tokens are released when the twin says they are produced.
//
// Simulated time is the wall clock since construction divided by the time scale K (integer
// nanoseconds; K = 1 is real time, K = 10 makes every iteration take ten times longer on the
// wall clock, so host jitter weighs ten times less). One engine thread owns the instances and
// processes, in time order, every event due by now: iteration ends (tokens released to their
// streams), arrivals (routed and queued) and iteration starts. It then sleeps until the next
// iteration end or a new arrival. Iterations start at the twin's instants (an iteration ending
// at t is followed by one starting at t), so the thread's wake-up latency never accumulates.
//
// The twin's clients have no latency; real ones do (~0.1-1 ms on localhost, tens of ms on a
// loaded host). Two rules keep the emulator's batching the twin's, and neither delays a token:
//  - the iteration starting at a boundary t is planned only at t + grace (grace capped below
//    the cheapest iteration, so the plan always precedes its end);
//  - a request that reacts to a completion (the client's previous request on the same
//    connection finished at t_prev, less than grace ago) arrives at t_prev, as a closed-loop
//    client's next request does in the twin; and requests arriving within grace of one that
//    woke an idle instance join its first iteration, as requests released together (offline,
//    the start of a closed loop) do in the twin. Other arrivals keep their own time: one
//    arriving after a boundary waits for the next iteration, as in the twin.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "tokenfab/core/sim_time.h"
#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"

namespace tokenfab {

struct EmulatorOptions {
  // Client latency absorbed, wall-clock seconds (see the top of this file); capped at 80% of
  // the cheapest iteration. 0: plan at the boundary, no reactions.
  double grace_s = 0.003;
  // Wall-clock seconds per simulated second, > 0.
  double time_scale = 1;
};

// One request's output as it is produced; shared by the engine thread and the thread serving
// the request.
class EmulatedStream {
 public:
  struct Progress {
    std::int32_t tokens = 0;   // output tokens released so far
    bool finished = false;     // all tokens released
    bool aborted = false;      // the emulator stopped first
    SimTime finished_at = -1;  // simulated time of the last token
  };

  EmulatedStream(std::int32_t input_tokens, std::int32_t output_tokens)
      : input_tokens_(input_tokens), output_tokens_(output_tokens) {}

  std::int32_t input_tokens() const { return input_tokens_; }
  std::int32_t output_tokens() const { return output_tokens_; }
  // Blocks until more than `seen` tokens were released or the request ended, or `timeout`.
  Progress Wait(std::int32_t seen, std::chrono::milliseconds timeout);

  // Engine side.
  void Release(std::int32_t tokens, SimTime now);
  void Abort();

 private:
  const std::int32_t input_tokens_;
  const std::int32_t output_tokens_;
  std::mutex mu_;
  std::condition_variable cv_;
  Progress progress_;
};

// Upper bounds of the TTFT histogram buckets, s (vLLM's vllm:time_to_first_token_seconds).
inline constexpr double kTtftBuckets[] = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
                                          0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
inline constexpr std::size_t kNumTtftBuckets = sizeof(kTtftBuckets) / sizeof(kTtftBuckets[0]);

struct EmulatorInstanceStats {
  int running = 0;  // sequences in the last iteration (0 when idle)
  int waiting = 0;  // outstanding requests not in it
  std::int64_t kv_blocks_used = 0;
  std::int64_t kv_blocks_total = 0;
  std::int64_t iterations = 0;
};

// A snapshot of the emulator's counters (the /metrics endpoint).
// Times are simulated (wall-clock / time scale) except `uptime_s`.
struct EmulatorStats {
  double uptime_s = 0;  // wall-clock
  std::int64_t requests_received = 0;
  std::int64_t requests_completed = 0;
  std::int64_t prompt_tokens = 0;      // of received requests
  std::int64_t generation_tokens = 0;  // released
  std::int64_t preemptions = 0;
  std::int64_t ttft_bucket_counts[kNumTtftBuckets] = {};  // not cumulative
  std::int64_t ttft_count = 0;
  double ttft_sum_s = 0;
  std::int64_t late_iterations = 0;  // iteration ends released > 1 ms (wall) after their time
  std::vector<EmulatorInstanceStats> instances;
};

class Emulator {
 public:
  // Builds the scenario's cost model and instances and starts the engine thread.
  static Result<std::unique_ptr<Emulator>> Create(const ResolvedScenario& scenario,
                                                  const EmulatorOptions& options = {});
  ~Emulator();  // stops the engine; streams still running are aborted
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Submits a request now; `reacts_to` is the finish time (Progress::finished_at) of the
  // client's previous request on the same connection, or -1. Fails (with a message for the
  // client) when the request can never be served: fewer than one token, beyond the model's
  // context window or one instance's KV cache.
  Result<std::shared_ptr<EmulatedStream>> Submit(std::int32_t input_tokens,
                                                 std::int32_t output_tokens,
                                                 SimTime reacts_to = -1);
  EmulatorStats Stats() const;
  const ResolvedScenario& scenario() const;
  double time_scale() const;
  // Largest prompt + output one request may have.
  std::int64_t MaxRequestTokens() const;

 private:
  struct Impl;
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab
