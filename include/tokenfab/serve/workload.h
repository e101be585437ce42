// Where requests come from: offline batches, closed loops, open-loop arrival processes and
// replayed traces, with token lengths drawn from distributions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/core/random.h"
#include "tokenfab/core/sim_time.h"
#include "tokenfab/core/status.h"

namespace tokenfab {

struct LengthDistribution {
  enum class Kind { kFixed, kUniform, kLogNormal };
  Kind kind = Kind::kFixed;
  double mean = 0;
  double cv = 0.5;   // lognormal: standard deviation / mean
  double min = 1;    // uniform lower bound; all kinds are clamped to [min, max]
  double max = 1e9;

  std::int32_t Sample(RandomStream& rng) const;
};

struct TraceRecord {
  double arrival_s = 0;
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;
};

struct WorkloadSpec {
  enum class Kind { kOffline, kClosed, kPoisson, kGamma, kTrace };
  Kind kind = Kind::kOffline;
  std::int64_t num_requests = 1000;
  int concurrency = 1;   // closed loop: requests in flight
  double rate = 1.0;     // open loop: requests per second
  double cv = 1.0;       // gamma: coefficient of variation of inter-arrival times
  LengthDistribution input;
  LengthDistribution output;
  std::vector<TraceRecord> trace;  // kTrace: sorted by arrival
};

// Reads a trace: CSV with a header naming timestamp, input and output columns (Azure LLM
// inference trace layout: TIMESTAMP,ContextTokens,GeneratedTokens; or
// timestamp,input_tokens,output_tokens), or JSONL with timestamp (ms, Mooncake) and
// input_length/output_length. Timestamps are shifted so the first arrival is at 0.
Result<std::vector<TraceRecord>> ReadTrace(const std::string& path);
Result<std::vector<TraceRecord>> ParseTrace(const std::string& text, const std::string& origin);

// Draws the arrival time and lengths of each request in order.
class WorkloadSource {
 public:
  WorkloadSource(const WorkloadSpec& spec, std::uint64_t seed);

  std::int64_t total() const { return total_; }
  std::int64_t issued() const { return issued_; }
  bool Exhausted() const { return issued_ >= total_; }
  // Lengths of the next request; for open loop and traces also its arrival time.
  struct Draw {
    SimTime arrival = 0;
    std::int32_t input_tokens = 0;
    std::int32_t output_tokens = 0;
  };
  Draw Next();

 private:
  const WorkloadSpec* spec_;
  RandomStream arrivals_;
  RandomStream lengths_;
  std::int64_t total_ = 0;
  std::int64_t issued_ = 0;
  double clock_s_ = 0;
};

}  // namespace tokenfab
