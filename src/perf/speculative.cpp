#include "tokenfab/perf/speculative.h"

#include <algorithm>
#include <cmath>

#include "tokenfab/perf/instance_cost_model.h"

namespace tokenfab {

double ExpectedTokensPerStep(int k, double a) {
  if (k <= 0) return 1.0;
  a = std::clamp(a, 0.0, 1.0);
  if (a >= 1.0) return k + 1.0;
  return (1.0 - std::pow(a, k + 1)) / (1.0 - a);
}

// k drafting passes over the decode sequences, one token each, at their current context:
// MTP runs one layer of the main model (the mean layer: the MTP module is a transformer block
// of the same shape) and the output head per pass; a draft model runs k decode steps of its
// own, without the engine's per-iteration CPU overhead (they live inside one iteration).
double InstanceCostModel::DraftSeconds(const BatchShape& b) const {
  const int k = b.tokens_per_decode - 1;
  if (b.decode_sequences == 0 || k <= 0) return 0;
  BatchShape step;
  step.decode_sequences = b.decode_sequences;
  step.decode_context_tokens = b.decode_context_tokens;
  switch (speculative_.method) {
    case SpeculativeMethod::kNone:
      return 0;
    case SpeculativeMethod::kDraftModel: {
      if (speculative_.draft == nullptr) return 0;
      const IterationCost c = speculative_.draft->Cost(step);
      return k * (c.seconds - c.overhead_s);
    }
    case SpeculativeMethod::kMtp: {
      IterationCost parts;
      const double head = HeadSeconds(step.decode_sequences);
      const double stack = LayerStackSeconds(step, step, parts) - head;
      const double layers = std::max(1, model_.num_layers);
      return k * ((stack + CommunicationSeconds(step)) / layers + head);
    }
  }
  return 0;
}

}  // namespace tokenfab
