// Where requests come from: offline batches, closed loops, open-loop arrival processes and
// replayed traces, with token lengths drawn from distributions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/core/random.h"
#include "tokenfab/core/sim_time.h"
#include "tokenfab/core/status.h"
#include "tokenfab/serve/request.h"

namespace tokenfab {

struct LengthDistribution {
  enum class Kind { kFixed, kUniform, kLogNormal };
  Kind kind = Kind::kFixed;
  double mean = 0;
  double cv = 0.5;  // lognormal: standard deviation / mean
  double min = 1;   // uniform lower bound; all kinds are clamped to [min, max]
  double max = 1e9;

  std::int32_t Sample(RandomStream& rng) const;
};

// A LengthDistribution with its lognormal parameters computed once: the log1p, log and sqrt
// of every draw were 2% of a factory run. Draws exactly what LengthDistribution::Sample does.
class LengthSampler {
 public:
  explicit LengthSampler(const LengthDistribution& d = {});
  std::int32_t Sample(RandomStream& rng) const;

 private:
  LengthDistribution d_;
  double mu_ = 0, sigma_ = 0;  // lognormal
};

struct TraceRecord {
  double arrival_s = 0;
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;
  // Prefix block hashes (Mooncake hash_ids) in WorkloadSpec::trace_hashes.
  std::int32_t hash_begin = 0;
  std::int32_t hash_count = 0;
};

// A class of requests (interactive, batch, ...) with its own share, priority, lengths and SLOs.
struct RequestClass {
  std::string name;
  double share = 1.0;                          // relative weight among classes
  int priority = 0;                            // higher is admitted first and preempted last
  bool has_input = false, has_output = false;  // else the workload's distributions
  LengthDistribution input;
  LengthDistribution output;
  double slo_ttft_ms = 0;  // 0: the scenario's slo.ttft_ms
  double slo_tpot_ms = 0;
  int deployment = -1;  // model routing by class; -1: by difficulty or the first deployment
};

// Multi-turn sessions (chat, agents): each session's turns share a growing prefix. Turn k's
// prompt is the whole conversation so far (every earlier turn's prompt and output) plus new
// user tokens drawn from the workload's (or the class's) `input`; its output is drawn from
// `output`. Turn 1 arrives from the open-loop process (kSessions: Poisson at `rate` or
// `rate_curve`; with `enabled`, the kind's own process: offline, poisson, gamma, or a closed
// loop of `concurrency` users who start a new session when theirs ends); turn k+1 arrives
// `think_time_s` after turn k finishes. A session keeps its first turn's class, priority and
// difficulty. docs/workloads.md has the details.
struct SessionSpec {
  bool enabled = false;      // implied by WorkloadSpec::Kind::kSessions; ignored by kTrace
  LengthDistribution turns;  // turns per session, at least 1
  double think_time_s = 0;   // between a turn's completion and the next turn's arrival
  // A session ends early, before a turn whose prompt plus output would exceed this many
  // tokens (0: no limit; the io layer sets the model's context window).
  std::int32_t max_context_tokens = 0;
};

struct RatePoint {
  double t_s = 0;
  double rate = 0;  // requests (or sessions) per second, linear between points
};

// Piecewise-linear arrival rate: linear between points, the first point's rate before it and
// the last point's rate after it; with period_s > 0 the curve repeats every period_s seconds,
// running linearly from the last point to the first point's rate at its time + period_s.
// REQUIRES: CheckRateCurve(points, period_s) is empty.
class RateCurve {
 public:
  RateCurve() = default;
  RateCurve(std::vector<RatePoint> points, double period_s);
  bool empty() const { return points_.empty(); }
  double peak() const { return peak_; }
  // The rate at t >= 0. O(1) amortized when successive calls do not go back in time.
  double At(double t);
  // Whether the rate is zero at every time from t on (no arrival can come any more).
  bool ZeroFrom(double t) const;

 private:
  std::vector<RatePoint> points_;
  double period_s_ = 0;
  double peak_ = 0;
  std::size_t cursor_ = 0;  // the segment of the last At() call
};

// Empty if the curve is valid, else what is wrong ("point 3: ..."; points counted from 1):
// times finite, >= 0 and increasing, rates finite and >= 0, some rate > 0, and with a period
// every time below it.
std::string CheckRateCurve(const std::vector<RatePoint>& points, double period_s);

// A day-like cycle sampled at `points` evenly spaced times in [0, period_s): the rate is
// trough + (peak - trough) * (1 - cos(2 pi t / period_s)) / 2, so trough at t = 0 and peak at
// half the period. Use with WorkloadSpec::rate_period_s = period_s. REQUIRES: points >= 2.
std::vector<RatePoint> DiurnalCurve(double trough, double peak, double period_s, int points);

// Tokens per prefix hash block when WorkloadSpec::prefix_block_tokens is 0 (vLLM's default KV
// block size): the block size of the hashes derived for synthetic sessions.
inline constexpr int kDefaultPrefixBlockTokens = 16;

struct WorkloadSpec {
  // kSessions: multi-turn sessions whose first turns arrive as a Poisson process.
  enum class Kind { kOffline, kClosed, kPoisson, kGamma, kTrace, kSessions };
  Kind kind = Kind::kOffline;
  std::int64_t num_requests = 1000;
  int concurrency = 1;  // closed loop: requests in flight
  double rate = 1.0;    // open loop: requests per second
  double cv = 1.0;      // gamma: coefficient of variation of inter-arrival times
  LengthDistribution input;
  LengthDistribution output;
  std::vector<TraceRecord> trace;  // kTrace: sorted by arrival
  std::vector<std::uint64_t> trace_hashes;
  std::vector<RequestClass> classes;  // empty: one implicit class
  SessionSpec sessions;
  // Poisson, gamma and session arrivals: time-varying rate (overrides `rate`), realised by
  // thinning (Lewis and Shedler 1979) candidates drawn at the curve's peak rate.
  std::vector<RatePoint> rate_curve;
  double rate_period_s = 0;     // > 0: rate_curve repeats with this period (diurnal)
  int prefix_block_tokens = 0;  // tokens per prefix hash block (Mooncake: 512); 0: 16
};

// The prefix hash block size in tokens: spec.prefix_block_tokens, or kDefaultPrefixBlockTokens.
int PrefixBlockTokens(const WorkloadSpec& spec);

// A parsed trace file: records sorted by arrival, first arrival at 0, and the prefix block
// hashes the records point into (TraceRecord::hash_begin/hash_count).
struct RequestTrace {
  std::vector<TraceRecord> records;
  std::vector<std::uint64_t> hashes;
  int block_tokens = 0;  // tokens per hash block: 512 for Mooncake hash_ids, 0 without hashes
};

// Reads a trace: CSV with a header naming timestamp, input and output columns (Azure LLM
// inference trace: TIMESTAMP,ContextTokens,GeneratedTokens; BurstGPT: Timestamp,Model,Request
// tokens,Response tokens,Total tokens,Log Type; or timestamp,input_tokens,output_tokens), or
// JSONL with timestamp (ms), input_length, output_length and optional hash_ids (Mooncake).
// Timestamps are shifted so the first arrival is at 0. docs/workloads.md lists the layouts.
Result<RequestTrace> ReadTrace(const std::string& path);
Result<RequestTrace> ParseTrace(const std::string& text, const std::string& origin);

// Draw::hash_begin (and Request::prefix_hashes_begin) of a session turn whose prefix block
// hashes are derived from (session, block index) rather than read from hashes().
inline constexpr std::int32_t kDerivedHashes = -1;

// One request as the workload produces it.
struct Draw {
  SimTime arrival = 0;
  std::int32_t input_tokens = 0;
  std::int32_t output_tokens = 0;
  std::int16_t cls = 0;
  std::int16_t priority = 0;
  std::int32_t session = -1;  // unique per session, counted from 0; -1 outside sessions
  std::int32_t turn = 0;      // 1-based turn within the session; 0 outside sessions
  // Prefix blocks (see Request::prefix_hashes_begin): hash_count whole blocks of
  // PrefixBlockTokens() tokens at the prompt's start. hash_begin >= 0 indexes hashes();
  // kDerivedHashes: derived from (session, block index), the conversation so far.
  std::int32_t hash_begin = 0;
  std::int32_t hash_count = 0;
  double difficulty = 0;  // in [0, 1): routes across model deployments
};

// Draws requests in order. Open-loop requests (offline, poisson, gamma, traces, new sessions)
// come from NextOpen(); closed-loop requests and later turns of a session are set in motion
// by completions through OnFinish().
//
// Budget: num_requests counts requests, i.e. turns. Each new session draws its turn count and
// is cut to the turns not yet reserved by earlier sessions (num_requests minus their turns);
// no session starts once every turn is reserved. So exactly num_requests requests are issued,
// the last session possibly shorter than drawn, unless sessions end early at
// SessionSpec::max_context_tokens (their remaining turns are forfeited, not reassigned).
class WorkloadSource {
 public:
  WorkloadSource(const WorkloadSpec& spec, std::uint64_t seed);

  std::int64_t total() const { return total_; }
  std::int64_t issued() const { return issued_; }
  bool Exhausted() const { return issued_ >= total_; }
  bool IsClosedLoop() const { return spec_->kind == WorkloadSpec::Kind::kClosed; }
  bool HasSessions() const { return sessions_on_; }
  // Whether NextOpen() has more requests.
  bool OpenExhausted() const;
  Draw NextOpen();
  // Closed loop: the requests in flight at time zero.
  std::vector<Draw> Initial();
  // A request finished at `now`: the session's next turn (at now + think time) or, in a closed
  // loop, the replacement (a new session's first turn with sessions), arriving at `now`.
  bool OnFinish(const Request& finished, SimTime now, Draw& next);
  // Prefix block hashes referenced by Draw::hash_begin / hash_count.
  const std::vector<std::uint64_t>& hashes() const { return spec_->trace_hashes; }
  int block_tokens() const { return block_tokens_; }

 private:
  // What a session carries from turn to turn (indexed by session id): O(1) per turn.
  struct SessionState {
    std::int32_t turns = 0;  // planned, after the budget cut
    std::int16_t cls = 0;
    std::int16_t priority = 0;
    double difficulty = 0;
  };

  Draw Next();
  Draw FromTrace();
  Draw StartSession(SimTime at);
  bool NextTurn(const Request& finished, SimTime now, Draw& next);
  void PickClass(Draw& d);
  void SampleLengths(Draw& d);
  void AdvanceOpenClock();

  const WorkloadSpec* spec_;
  RandomStream arrivals_;
  RandomStream lengths_;
  RandomStream classes_;
  RandomStream turns_;
  RateCurve curve_;
  double share_total_ = 0;
  int block_tokens_ = kDefaultPrefixBlockTokens;
  bool sessions_on_ = false;
  bool open_done_ = false;  // the rate curve stays at zero: no more open-loop arrivals
  std::int64_t total_ = 0;
  std::int64_t issued_ = 0;
  std::int64_t reserved_ = 0;     // sessions: turns planned by the sessions started so far
  std::int64_t open_issued_ = 0;  // draws from the open-loop arrival process
  double clock_s_ = 0;            // time of the next open-loop arrival
  std::vector<SessionState> sessions_;
  LengthSampler input_, output_;  // the workload's lengths
  std::vector<LengthSampler> class_input_, class_output_;
};

}  // namespace tokenfab
