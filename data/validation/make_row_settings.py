"""Writes row_settings.csv: engine settings of measured rows that their sources document but
the table's columns do not carry (one setting per line: id,key,value,source; key is a
tokenfab scenario key, applied by `tokenfab validate|calibrate` as a --set override).

Run from this folder: python3 make_row_settings.py > row_settings.csv

Facts used (nothing is inferred from the measured values):
1. Runtime. raw_measured.csv's `framework` column quotes each source's engine: TensorRT-LLM
   v0.17 "TensorRT engine" (trtllm-bench build + throughput, or gptManagerBenchmark) and the
   v0.14 Triton tensorrtllm_backend run prebuilt TensorRT engines in the C++ executor; v1.0 and
   later tables say "PyTorch backend". The former get engine.profile = trtllm-engine.
2. GPT-OSS on Hopper. The post-1.0 performance overview's GPT-OSS configuration uses
   kv_cache_config.dtype fp8 except on Hopper, where it is "auto" (the checkpoint's BF16) and
   the MoE backend is TRITON (/work/shared/facts/engines.md section 1.5, [TL-PERF]
   docs/source/developer-guide/perf-overview.md@585c756579dc4d01f21fc13c2f604cdb461ac4f0).
   Those rows get precision.kv_cache = bf16.
"""
import csv
import sys

TL_PERF = ("github:NVIDIA/TensorRT-LLM@585c756579dc4d01f21fc13c2f604cdb461ac4f0:"
           "docs/source/developer-guide/perf-overview.md (GPT-OSS config: kv_cache_config.dtype "
           "fp8, Hopper auto; moe_config.backend CUTLASS, Hopper TRITON)")
HOPPER = {"h100-sxm", "h200-sxm", "gh200"}


def main():
    raw = {r["id"]: r for r in csv.DictReader(open("raw_measured.csv", newline=""))}
    rows = list(csv.DictReader(open("measured.csv", newline="")))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "key", "value", "source"])
    for r in rows:
        if r["framework"] != "trtllm":
            continue
        engine = raw[r["id"]]["framework"]
        if "TensorRT engine" in engine or "Triton tensorrtllm_backend" in engine:
            out.writerow([r["id"], "engine.profile", "trtllm-engine",
                          f"raw_measured.csv framework: {engine}"])
        if r["model"].startswith("gpt-oss") and r["gpu"] in HOPPER:
            out.writerow([r["id"], "precision.kv_cache", "bf16", TL_PERF])


if __name__ == "__main__":
    main()
