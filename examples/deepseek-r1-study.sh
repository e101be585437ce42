#!/usr/bin/env bash
# DeepSeek-R1 on 8x H200 (FP8) vs GB200 NVL72 (NVFP4): aggregated vs disaggregated, tensor vs
# expert parallelism, at maximum throughput (offline, as trtllm-bench) and at a fixed number of
# users per GPU (closed loop). Prints the Markdown table of docs/studies/deepseek-r1.md.
#   examples/deepseek-r1-study.sh [path/to/tokenfab]
#   ISL=32768 OSL=1024 examples/deepseek-r1-study.sh   # other prompt and answer lengths
set -euo pipefail
isl="${ISL:-1024}"
osl="${OSL:-1024}"
here="$(cd "$(dirname "$0")" && pwd)"
tokenfab="${1:-$here/../build/tokenfab}"
base="$here/deepseek-r1-disagg.yaml"

# name | gpu | weights | GPUs | layout overrides
configs=(
  "H200 agg TP8|h200-sxm|fp8|8|serving.mode=aggregated parallelism.tp=8 parallelism.ep=1 parallelism.attention_dp=false"
  "H200 agg TP8 EP8|h200-sxm|fp8|8|serving.mode=aggregated parallelism.tp=8 parallelism.ep=8 parallelism.attention_dp=false"
  "H200 agg DEP8|h200-sxm|fp8|8|serving.mode=aggregated parallelism.tp=1 parallelism.ep=8 parallelism.attention_dp=true"
  "H200 disagg 1xDEP8 + 1xDEP8|h200-sxm|fp8|16|serving.mode=disaggregated serving.prefill.instances=1 serving.prefill.ep=8 serving.decode.instances=1 serving.decode.ep=8"
  "GB200 agg 18xTP4|gb200|fp4|72|serving.mode=aggregated parallelism.tp=4 parallelism.ep=1 parallelism.attention_dp=false"
  "GB200 agg 18xDEP4|gb200|fp4|72|serving.mode=aggregated parallelism.tp=1 parallelism.ep=4 parallelism.attention_dp=true"
  "GB200 agg 9xDEP8|gb200|fp4|72|serving.mode=aggregated parallelism.tp=1 parallelism.ep=8 parallelism.attention_dp=true"
  "GB200 disagg 10xDEP4 + 1xDEP32|gb200|fp4|72|serving.mode=disaggregated"
)

run() {  # name gpu weights gpus overrides workload...
  local name="$1" gpu="$2" weights="$3" gpus="$4" layout="$5"
  shift 5
  local sets=()
  for kv in $layout "$@"; do sets+=(--set "$kv"); done
  "$tokenfab" simulate "$base" --set hardware.gpu="$gpu" --set precision.weights="$weights" \
    --set hardware.num_gpus="$gpus" --set workload.input_tokens="$isl" \
    --set workload.output_tokens="$osl" "${sets[@]}" --json - -q
}

echo "| configuration | GPUs | load ($isl/$osl) | output tok/s/GPU | tok/s/user | TTFT p50 ms | TPOT p50 ms | output tok/s per GPU-MW |"
echo "|---|---:|---|---:|---:|---:|---:|---:|"
for c in "${configs[@]}"; do
  IFS='|' read -r name gpu weights gpus layout <<<"$c"
  for w in offline 16 64; do
    if [ "$w" = offline ]; then
      extra=(workload.kind=offline workload.num_requests=$((gpus * 256)))
      label="offline"
    else
      extra=(workload.kind=closed workload.concurrency=$((gpus * w)) workload.num_requests=$((gpus * w * 8)))
      label="$w users/GPU"
    fi
    json=$(run "$name" "$gpu" "$weights" "$gpus" "$layout" "${extra[@]}" 2>&1) || {
      echo "| $name | $gpus | $label | does not run: $(echo "$json" | tail -1 | cut -c1-120) | | | | |"
      continue
    }
    python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
t = j["throughput"]; l = j["latency"]; e = j["energy"]
mw = e["mean_power_w"] / 1e6
print("| {} | {} | {} | {:,.0f} | {:.0f} | {:.0f} | {:.1f} | {:,.0f} |".format(
    sys.argv[1], j["config"]["num_gpus"], sys.argv[2], t["output_tokens_per_s_per_gpu"],
    t["output_tokens_per_s_per_user"], l["ttft_ms"]["p50"], l["tpot_ms"]["p50"],
    t["output_tokens_per_s"] / mw if mw > 0 else 0))' "$name" "$label" <<<"$json"
  done
done
