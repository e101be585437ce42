// The built-in default scenario; examples/default.yaml holds the same text (a test checks).
#include "tokenfab/io/scenario.h"

namespace tokenfab {

const std::string& DefaultScenarioYaml() {
  static const std::string kYaml =
      R"yaml(# tokenfab built-in default scenario: Llama-3.1-70B in FP8 on one 8x H100 SXM server (TP8),
# served by a vLLM-like engine, under an open-loop chat workload.
# Copy this file to start your own; every key is documented in docs/scenario.md.
model: llama-3.1-70b
hardware:
  gpu: h100-sxm
  num_gpus: 8
parallelism:
  tp: 8
  pp: 1
  ep: 1
  attention_dp: false
precision:
  weights: fp8
  kv_cache: fp8
engine:
  profile: vllm
router:
  policy: round_robin
workload:
  kind: poisson
  rate: 6
  num_requests: 2000
  input_tokens: {dist: lognormal, mean: 1024, cv: 0.75, max: 8192}
  output_tokens: {dist: lognormal, mean: 256, cv: 0.75, max: 2048}
slo:
  ttft_ms: 1000
  tpot_ms: 100
seed: 1
)yaml";
  return kYaml;
}

}  // namespace tokenfab
