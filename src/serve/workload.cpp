#include "tokenfab/serve/workload.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tokenfab {

std::int32_t LengthDistribution::Sample(RandomStream& rng) const {
  return LengthSampler(*this).Sample(rng);
}

LengthSampler::LengthSampler(const LengthDistribution& d) : d_(d) {
  if (d.kind != LengthDistribution::Kind::kLogNormal) return;
  const double sigma2 = std::log1p(d.cv * d.cv);
  mu_ = std::log(d.mean) - sigma2 / 2;
  sigma_ = std::sqrt(sigma2);
}

std::int32_t LengthSampler::Sample(RandomStream& rng) const {
  using Kind = LengthDistribution::Kind;
  double x = d_.mean;
  switch (d_.kind) {
    case Kind::kFixed:
      break;
    case Kind::kUniform:
      x = d_.min + rng.Uniform() * (d_.max - d_.min + 1);
      break;
    case Kind::kLogNormal:
      x = rng.LogNormal(mu_, sigma_);
      break;
  }
  x = std::clamp(std::floor(x + (d_.kind == Kind::kUniform ? 0.0 : 0.5)), std::max(1.0, d_.min),
                 d_.max);
  return static_cast<std::int32_t>(x);
}

int PrefixBlockTokens(const WorkloadSpec& spec) {
  return spec.prefix_block_tokens > 0 ? spec.prefix_block_tokens : kDefaultPrefixBlockTokens;
}

WorkloadSource::WorkloadSource(const WorkloadSpec& spec, std::uint64_t seed)
    : spec_(&spec),
      arrivals_(RandomStream::Derive(seed, "arrivals")),
      lengths_(RandomStream::Derive(seed, "lengths")),
      classes_(RandomStream::Derive(seed, "classes")),
      turns_(RandomStream::Derive(seed, "turns")),
      block_tokens_(PrefixBlockTokens(spec)),
      sessions_on_(spec.kind == WorkloadSpec::Kind::kSessions ||
                   (spec.sessions.enabled && spec.kind != WorkloadSpec::Kind::kTrace)),
      total_(spec.kind == WorkloadSpec::Kind::kTrace
                 ? std::min<std::int64_t>(spec.num_requests, spec.trace.size())
                 : spec.num_requests),
      input_(spec.input),
      output_(spec.output) {
  for (const RequestClass& c : spec.classes) {
    share_total_ += c.share;
    class_input_.emplace_back(c.input);
    class_output_.emplace_back(c.output);
  }
  const bool timed = spec.kind == WorkloadSpec::Kind::kPoisson ||
                     spec.kind == WorkloadSpec::Kind::kGamma ||
                     spec.kind == WorkloadSpec::Kind::kSessions;
  if (timed && !spec.rate_curve.empty()) curve_ = RateCurve(spec.rate_curve, spec.rate_period_s);
  AdvanceOpenClock();
}

bool WorkloadSource::OpenExhausted() const {
  if (IsClosedLoop() || open_done_) return true;
  return sessions_on_ ? reserved_ >= total_ : Exhausted();
}

Draw WorkloadSource::NextOpen() {
  Draw d = sessions_on_ ? StartSession(std::llround(clock_s_ * 1e9)) : Next();
  ++open_issued_;
  AdvanceOpenClock();
  return d;
}

std::vector<Draw> WorkloadSource::Initial() {
  std::vector<Draw> draws;
  if (!IsClosedLoop()) return draws;
  while (static_cast<int>(draws.size()) < spec_->concurrency) {
    if (sessions_on_ ? reserved_ >= total_ : Exhausted()) break;
    draws.push_back(sessions_on_ ? StartSession(0) : Next());
  }
  return draws;
}

bool WorkloadSource::OnFinish(const Request& finished, SimTime now, Draw& next) {
  if (sessions_on_ && NextTurn(finished, now, next)) return true;
  if (!IsClosedLoop()) return false;
  if (sessions_on_) {
    if (reserved_ >= total_) return false;
    next = StartSession(now);
    return true;
  }
  if (Exhausted()) return false;
  next = Next();
  next.arrival = now;
  return true;
}

// Moves clock_s_ to the next open-loop arrival (a session's first turn with sessions). With a
// rate curve: candidates at the peak rate, each kept with probability rate(t) / peak.
void WorkloadSource::AdvanceOpenClock() {
  const WorkloadSpec& s = *spec_;
  const bool gamma = s.kind == WorkloadSpec::Kind::kGamma;
  if (!gamma && s.kind != WorkloadSpec::Kind::kPoisson && s.kind != WorkloadSpec::Kind::kSessions) {
    return;
  }
  auto gap = [&](double rate) {
    if (!gamma) return arrivals_.Exponential(1.0 / rate);
    // Gamma inter-arrivals with mean 1/rate and the given CV: shape 1/cv^2.
    const double shape = 1.0 / (s.cv * s.cv);
    return arrivals_.Gamma(shape, 1.0 / (rate * shape));
  };
  if (curve_.empty()) {
    if (open_issued_ > 0) clock_s_ += gap(s.rate);
    return;
  }
  const double peak = curve_.peak();
  while (!curve_.ZeroFrom(clock_s_)) {
    clock_s_ += gap(peak);
    if (arrivals_.Uniform() * peak < curve_.At(clock_s_)) return;
  }
  open_done_ = true;
}

// Picks the request's class by share, and its difficulty.
void WorkloadSource::PickClass(Draw& d) {
  d.difficulty = classes_.Uniform();
  if (spec_->classes.empty()) return;
  double x = classes_.Uniform() * share_total_;
  std::size_t i = 0;
  for (; i + 1 < spec_->classes.size(); ++i) {
    x -= spec_->classes[i].share;
    if (x < 0) break;
  }
  d.cls = static_cast<std::int16_t>(i);
  d.priority = static_cast<std::int16_t>(spec_->classes[i].priority);
}

// The workload's lengths, or the class's where it brings its own.
void WorkloadSource::SampleLengths(Draw& d) {
  d.input_tokens = input_.Sample(lengths_);
  d.output_tokens = output_.Sample(lengths_);
  if (spec_->classes.empty()) return;
  const RequestClass& c = spec_->classes[d.cls];
  if (c.has_input) d.input_tokens = class_input_[d.cls].Sample(lengths_);
  if (c.has_output) d.output_tokens = class_output_[d.cls].Sample(lengths_);
}

Draw WorkloadSource::Next() {
  if (spec_->kind == WorkloadSpec::Kind::kTrace) return FromTrace();
  Draw d;
  d.arrival = static_cast<SimTime>(std::llround(clock_s_ * 1e9));
  PickClass(d);
  SampleLengths(d);
  ++issued_;
  return d;
}

Draw WorkloadSource::FromTrace() {
  const TraceRecord& r = spec_->trace[issued_];
  Draw d;
  d.arrival = static_cast<SimTime>(std::llround(r.arrival_s * 1e9));
  d.input_tokens = r.input_tokens;
  d.output_tokens = r.output_tokens;
  // Only whole blocks of the prompt can be reused (Mooncake's last hash covers a partial one).
  d.hash_count = std::min(r.hash_count, r.input_tokens / block_tokens_);
  d.hash_begin = d.hash_count > 0 ? r.hash_begin : 0;
  PickClass(d);  // the class labels the request; the trace keeps its lengths
  ++issued_;
  return d;
}

// A session's first turn. REQUIRES: reserved_ < total_.
Draw WorkloadSource::StartSession(SimTime at) {
  Draw d;
  d.arrival = at;
  PickClass(d);
  SampleLengths(d);
  SessionState st;
  st.turns = static_cast<std::int32_t>(
      std::min<std::int64_t>(spec_->sessions.turns.Sample(turns_), total_ - reserved_));
  st.cls = d.cls;
  st.priority = d.priority;
  st.difficulty = d.difficulty;
  reserved_ += st.turns;
  d.session = static_cast<std::int32_t>(sessions_.size());
  d.turn = 1;
  d.hash_begin = kDerivedHashes;
  d.hash_count = 0;
  sessions_.push_back(st);
  ++issued_;
  return d;
}

// The turn after `finished`, think time after it: the conversation so far (its prompt and
// output) plus new user tokens. False when the session is over.
bool WorkloadSource::NextTurn(const Request& finished, SimTime now, Draw& next) {
  if (finished.session < 0 || finished.session >= static_cast<std::int64_t>(sessions_.size())) {
    return false;
  }
  const SessionState& st = sessions_[finished.session];
  if (finished.turn >= st.turns) return false;
  Draw d;
  d.arrival = now + static_cast<SimTime>(std::llround(spec_->sessions.think_time_s * 1e9));
  d.cls = st.cls;
  d.priority = st.priority;
  d.difficulty = st.difficulty;
  SampleLengths(d);
  const std::int64_t context =
      static_cast<std::int64_t>(finished.input_tokens) + finished.output_tokens;
  const std::int64_t prompt = context + d.input_tokens;
  const std::int64_t limit = spec_->sessions.max_context_tokens > 0
                                 ? spec_->sessions.max_context_tokens
                                 : std::numeric_limits<std::int32_t>::max();
  if (prompt + d.output_tokens > limit) return false;  // ends early; its turns are forfeited
  d.input_tokens = static_cast<std::int32_t>(prompt);
  d.session = finished.session;
  d.turn = finished.turn + 1;
  d.hash_begin = kDerivedHashes;
  d.hash_count = static_cast<std::int32_t>(context / block_tokens_);
  ++issued_;
  next = d;
  return true;
}

}  // namespace tokenfab
