// The serving twin in real time: requests submitted from other threads (the HTTP edge of
// `tokenfab emulate`) run through the scenario's instances, router, scheduler and cost model,
// and each request's tokens are released when the twin says they are produced.
//
// Simulated time is the wall clock since construction (integer nanoseconds). One engine thread
// owns the instances and processes, in time order, every event due by now: iteration ends
// (tokens released to their streams), arrivals (routed and queued) and iteration starts. It then
// sleeps until the next iteration end or a new arrival. An iteration starting at a boundary t
// (the previous one's end, or the arrival that woke an idle instance) is planned at t + grace
// and keeps its start t: requests arriving in [t, t + grace) join it, as they would in the
// twin, where a closed-loop client's next request arrives at the very instant the previous
// one finished. The grace absorbs client and network latency (~0.1-1 ms on localhost) and
// never delays a token, since it is kept below half the instance's last iteration.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"

namespace tokenfab {

struct EmulatorOptions {
  double grace_s = 0.002;  // see the top of this file; 0 plans iterations at their boundary
};

// One request's output as it is produced; shared by the engine thread and the thread serving
// the request.
class EmulatedStream {
 public:
  struct Progress {
    std::int32_t tokens = 0;  // output tokens released so far
    bool finished = false;    // all tokens released
    bool aborted = false;     // the emulator stopped first
  };

  EmulatedStream(std::int32_t input_tokens, std::int32_t output_tokens)
      : input_tokens_(input_tokens), output_tokens_(output_tokens) {}

  std::int32_t input_tokens() const { return input_tokens_; }
  std::int32_t output_tokens() const { return output_tokens_; }
  // Blocks until more than `seen` tokens were released or the request ended, or `timeout`.
  Progress Wait(std::int32_t seen, std::chrono::milliseconds timeout);

  // Engine side.
  void Release(std::int32_t tokens);
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
struct EmulatorStats {
  double uptime_s = 0;
  std::int64_t requests_received = 0;
  std::int64_t requests_completed = 0;
  std::int64_t prompt_tokens = 0;      // of received requests
  std::int64_t generation_tokens = 0;  // released
  std::int64_t preemptions = 0;
  std::int64_t ttft_bucket_counts[kNumTtftBuckets] = {};  // not cumulative
  std::int64_t ttft_count = 0;
  double ttft_sum_s = 0;
  std::int64_t late_iterations = 0;  // iteration ends released > 1 ms after their time
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

  // Submits a request now. Fails (with a message for the client) when it can never be served:
  // fewer than one token, beyond the model's context window or one instance's KV cache.
  Result<std::shared_ptr<EmulatedStream>> Submit(std::int32_t input_tokens,
                                                 std::int32_t output_tokens);
  EmulatorStats Stats() const;
  const ResolvedScenario& scenario() const;
  // Largest prompt + output one request may have.
  std::int64_t MaxRequestTokens() const;

 private:
  struct Impl;
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab
