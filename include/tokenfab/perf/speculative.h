// Speculative decoding: each decode step drafts k tokens per sequence cheaply, then the main
// model verifies the k + 1 tokens (the last accepted token and the drafts) in one pass and
// keeps the drafts up to the first rejection plus one token of its own.
#pragma once

namespace tokenfab {

class InstanceCostModel;

enum class SpeculativeMethod {
  kNone,
  kMtp,         // multi-token prediction heads: k sequential passes of one main-model layer
                // plus the output head (DeepSeek-V3 MTP, TensorRT-LLM num_nextn_predict_layers)
  kDraftModel,  // a separate small model: k decode steps of its own
};

struct SpeculativeConfig {
  SpeculativeMethod method = SpeculativeMethod::kNone;
  int num_tokens = 0;     // k: draft tokens per sequence per step
  double acceptance = 0;  // a: probability a draft token is accepted, given the ones before were
  const InstanceCostModel* draft = nullptr;  // kDraftModel: the draft's cost model (not owned)
};

// Expected tokens a sequence gains per verification step with k chained drafts, each accepted
// with probability a (acceptance stops at the first rejection; the verifier adds one token):
// sum_{i=0..k} a^i = (1 - a^(k+1)) / (1 - a); 1 when k = 0 or a = 0, k + 1 when a = 1.
double ExpectedTokensPerStep(int k, double a);

}  // namespace tokenfab
