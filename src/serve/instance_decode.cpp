// The decode aggregate of an instance: running decode sequences as counters, never a list
// walked per step (see the invariant in instance.h).
#include <algorithm>
#include <cassert>

#include "tokenfab/serve/instance.h"

namespace tokenfab {
namespace {

std::int64_t Mod(std::int64_t a, std::int64_t b) { return ((a % b) + b) % b; }

}  // namespace

std::int64_t Instance::DecodeKv(const Request& r) const {
  return r.join_kv + Emitted(step_) - Emitted(r.join_step);
}

std::int64_t Instance::Group(const Request& r) const {
  return Mod(r.join_kv - Emitted(r.join_step), config_.kv_block_size);
}

// A step that adds m tokens to a sequence with x = KV mod B tokens in its last block needs
// ceil((x + m) / B) - ceil(x / B) new blocks: floor(m / B), plus one when m mod B = m' > 0 and
// x is 0 or above B - m'. x = (group + C(s)) mod B, so those are the m' groups
// -(C(s) + j) mod B, j < m'. O(m') per step.
std::int64_t Instance::DecodeBlocksNeeded() const {
  const std::int64_t b = config_.kv_block_size;
  const std::int64_t c = Emitted(step_);
  const std::int64_t m = Emitted(step_ + 1) - c;
  // One division per step (this runs every step): -(c + j) mod B from c mod B, as c >= 0.
  std::int64_t need = m < b ? 0 : (m / b) * decoding_;
  const std::int64_t rest = m < b ? m : m % b;
  const std::int64_t r = c % b;
  for (std::int64_t j = 0; j < rest; ++j) {
    const std::int64_t t = r + j < b ? r + j : r + j - b;  // (c + j) mod B
    need += phase_count_[t == 0 ? 0 : b - t];
  }
  return need;
}

void Instance::JoinDecode(RequestId id) {
  Request& r = (*requests_)[id];
  r.join_step = step_;
  // The KV holds every token but the newest generated one, which the next step writes.
  r.join_kv = r.PrefillTarget() - 1;
  ++r.stamp;
  // It finishes at the first step s with C(s + 1) >= C(join_step) + the tokens it still owes:
  // C(n) >= t  <=>  rate * n >= t * 2^shift.
  const std::int64_t owed = Emitted(step_) + r.output_tokens - r.generated;
  // Without speculation C(n) = n (and a 64-bit division is dear on this path).
  const std::int64_t n =
      step_rate_ == kOneTokenPerStep ? owed : ((owed << kRateShift) + step_rate_ - 1) / step_rate_;
  finish_heap_.push({n - 1, id, r.stamp});
  next_finish_ = finish_heap_.top().step;
  next_finish_id_ = finish_heap_.top().id;
  ++decoding_;
  kv_offset_sum_ += r.join_kv - Emitted(step_);
  owed_offset_sum_ += owed;  // OwedAtJoin(r) + C(join_step)
  long_owed_ += owed - Emitted(step_) > kReserveClipTokens;
  ++phase_count_[Group(r)];
  Level& level = LevelOf(r.priority);
  ++level.decoding;
  level.admitted.emplace_back(id, r.stamp);
  if (static_cast<std::int64_t>(level.admitted.size()) > 2 * level.decoding + 64) {
    std::erase_if(level.admitted, [&](const auto& e) { return !Admitted(e); });
  }
}

bool Instance::Admitted(const std::pair<RequestId, std::uint32_t>& entry) const {
  const Request& r = (*requests_)[entry.first];
  return r.stamp == entry.second && !r.Finished();
}

void Instance::LeaveDecode(RequestId id, std::int64_t kv_tokens) {
  Request& r = (*requests_)[id];
  --decoding_;
  kv_offset_sum_ -= r.join_kv - Emitted(r.join_step);
  const std::int64_t owed = OwedAtJoin(r);
  owed_offset_sum_ -= owed + Emitted(r.join_step);
  long_owed_ -= owed > kReserveClipTokens;
  --phase_count_[Group(r)];
  const std::int64_t held =
      config_.kv_admission == KvAdmission::kOnDemand ? PrivateBlocks(r, kv_tokens) : r.blocks;
  ReleaseKv(r, kv_tokens, held);
  r.blocks = 0;
  --LevelOf(r.priority).decoding;
}

void Instance::ScheduleDecode(BatchShape& batch) {
  decode_step_running_ = false;
  batch.tokens_per_decode = config_.spec_tokens + 1;
  if (decoding_ == 0) return;
  if (config_.kv_admission == KvAdmission::kOnDemand) {
    std::int64_t need = DecodeBlocksNeeded();
    if (FreeBlocks() < need) {
      // SGLang retracts and raises its ratio; by how much is not in ../shared (engines.md 3.3
      // says it "jumps up"): back to the start, and this step does not decay it.
      ResetNewTokenRatio(step_ + 1);
    }
    while (FreeBlocks() < need && PreemptOne()) need = DecodeBlocksNeeded();
    if (decoding_ == 0) return;
    Allocate(need);
  }
  batch.decode_sequences = static_cast<int>(decoding_);
  batch.decode_context_tokens =
      static_cast<double>(kv_offset_sum_ + decoding_ * (Emitted(step_) + 1));
  decode_step_running_ = true;
}

// Ends the decode step: sequences whose output is complete leave (the last step may overshoot:
// they keep only the tokens they owed). Returns the tokens the step produced.
std::int64_t Instance::FinishDecodeStep(SimTime now, IterationOutcome& outcome) {
  const std::int64_t c = Emitted(step_);
  const std::int64_t m = Emitted(step_ + 1) - c;
  std::int64_t produced = decoding_ * m;
  if (next_finish_ > step_) {
    ++step_;
    return produced;
  }
  // An entry after this step is left without reading its request: at factory scale that read
  // was a cache miss per finishing step.
  while (!finish_heap_.empty() && finish_heap_.top().step <= step_) {
    const FinishEntry top = finish_heap_.top();
    finish_heap_.pop();
    Request& r = (*requests_)[top.id];
    if (top.stamp != r.stamp || r.Finished()) continue;  // stale
    assert(top.step == step_);                           // valid entries are never before step_
    const std::int64_t had = r.generated + c - Emitted(r.join_step);
    produced -= m - (r.output_tokens - had);
    r.generated = r.output_tokens;
    LeaveDecode(top.id, DecodeKv(r) + m);
    r.finish = now;
    --outstanding_;
    outcome.finished.push_back(top.id);
  }
  next_finish_ = finish_heap_.empty() ? kNever : finish_heap_.top().step;
  next_finish_id_ = finish_heap_.empty() ? kNoRequest : finish_heap_.top().id;
  ++step_;
  return produced;
}

void Instance::VisitDecoding(const std::function<void(RequestId, std::int32_t)>& visit) const {
  for (const Level& level : levels_) {
    for (const auto& entry : level.admitted) {
      if (!Admitted(entry)) continue;
      const RequestId id = entry.first;
      const Request& r = (*requests_)[id];
      const std::int64_t generated = r.generated + Emitted(step_) - Emitted(r.join_step);
      visit(id, static_cast<std::int32_t>(std::min<std::int64_t>(generated, r.output_tokens)));
    }
  }
}

}  // namespace tokenfab
