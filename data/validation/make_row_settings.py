"""Writes row_settings.csv: engine settings of measured rows that their sources document but
the table's columns do not carry (one setting per line: id,key,value,source; key is a
tokenfab scenario key, applied by `tokenfab validate|calibrate` as a --set override).

Run from this folder: python3 make_row_settings.py > row_settings.csv

Facts used (1, 2, 4, 5 and 6 are copied; 3 and 8 are inferences, 7 a derivation and 9 a fit,
each named as such in its source column):
1. Runtime. raw_measured.csv's `framework` column quotes each source's engine: TensorRT-LLM
   v0.17 "TensorRT engine" (trtllm-bench build + throughput, or gptManagerBenchmark) and the
   v0.14 Triton tensorrtllm_backend run prebuilt TensorRT engines in the C++ executor; v1.0 and
   later tables say "PyTorch backend". The former get engine.profile = trtllm-engine. The
   v1.0 table's rows ("TensorRT-LLM v1.0 (PyTorch backend; trtllm-bench throughput)") get
   engine.profile = trtllm-1.0: the PyTorch backend of that release, whose Python executor's
   host work per iteration later releases cut several-fold (engines.md section 6: the Python
   scheduler's 17.4 -> 10.5 -> 2.89 ms per iteration, [TL-SCHED-DESIGN]); the later tables'
   rows keep the `trtllm` profile (the current PyTorch backend).
2. GPT-OSS on Hopper. The post-1.0 performance overview's GPT-OSS configuration uses
   kv_cache_config.dtype fp8 except on Hopper, where it is "auto" (the checkpoint's BF16) and
   the MoE backend is TRITON (/work/shared/facts/engines.md section 1.5, [TL-PERF]
   docs/source/developer-guide/perf-overview.md@585c756579dc4d01f21fc13c2f604cdb461ac4f0).
   Those rows get precision.kv_cache = bf16.
3. Request count of the post-1.0 1000/1000 rows. The post-1.0 overview lists its request
   counts per ISL/OSL (3000 for 1024/1024, 1500 for 8192/1024 and 1024/8192, 1000 for
   32768/1024 and 1024/32768; engines.md section 1.5, [TL-PERF]) but none for 1000/1000. This
   one is inferred, not copied: the v0.17 and v1.0 overviews ran 1000/1000 with 3000 requests
   (raw_measured.csv `concurrency_or_rate` of every trt17/trt10 1000/1000 row), and every
   configuration the post-1.0 table measured at both 1000/1000 and 1024/1024 has the same
   throughput within 3 % (nine pairs, median 1 %; DeepSeek-R1 DEP8 H200 1627 vs 1620 tps/gpu)
   although the twin predicts up to 18 % more for a 30000-request run than for a 3000-request
   one of these configurations (the last requests run in a thin batch). Those rows get
   workload.num_requests = 3000 instead of validate's cap (30000).
4. DeepSeek-R1 attention-DP balance. The post-1.0 overview's DeepSeek-R1 configuration adds
   attention_dp_config {enable_balance: true, timeout_iters: 60, batching_wait_iters: 0}
   (/work/shared/facts/engines.md section 1.5, [TL-PERF]). Those rows get
   engine.attention_dp_balance_iters = 60 (batching_wait_iters 0 needs nothing).
5. CUDA graph sizes of the post-1.0 runs. The post-1.0 overview's YAML sets
   cuda_graph_config.enable_padding true with batch_sizes [1, 2, 4, 8, 16, 32, 64, 128, 256,
   384, 512, 1024, 2048, 4096, 8192] (/work/shared/facts/engines.md section 1.5, [TL-PERF]),
   instead of trtllm-bench's default list (the `trtllm` profile's). Every trt12 row of the
   PyTorch runtime gets engine.cuda_graph_batch_sizes = that list.
6. KV-cache memory fraction of the performance overviews. "kv_cache_free_gpu_mem_fraction was
   0.95 in most cases" for the v0.17, v1.0 and post-1.0 tables (../shared/validation/README.md;
   /work/shared/facts/engines.md section 1.2: trtllm-bench's default is 0.90, "published runs
   commonly use 0.95, falling back to 0.90 or lower on OOM", [TB-THR] [TL-PERF]); which runs
   fell back is not stated. Every trt17, trt10 and trt12 row gets engine.gpu_memory_fraction =
   0.95.
7. GPT-OSS weights on Hopper. The table labels these runs FP8 (its general "FP8 on Hopper"),
   but the only published GPT-OSS checkpoint stores the experts in MXFP4 and the rest in 16 bits
   (its config.json, /work/shared/facts/models/gpt-oss-*.json: quantization_config quant_method
   mxfp4, modules_to_not_convert self_attn, router, embeddings, lm_head), and the Hopper recipe
   loads it with the TRITON MoE backend and the checkpoint's KV dtype ("auto", item 2). The
   checkpoint quantizes weights only (no activation scheme, unlike an FP8 or NVFP4 ModelOpt
   checkpoint) and Hopper has no FP4 tensor cores, so the derivation is a weight-only kernel:
   4-bit expert weights multiplied at BF16 (W4A16). Those rows get precision.weights = fp4 and
   precision.gemm_inputs = bf16. The Blackwell GPT-OSS rows are labelled FP4 already and keep
   the twin's default (W4A4).
8. Expert layout of the v1.0 MoE runs on several GPUs. The v1.0 table gives Llama-4 Maverick,
   Llama-4 Scout and Qwen3-235B-A22B as TP4/TP8, and its rows' notes say "MoE runs use
   EP/attention-DP options (ep size not stated in table)" (raw_measured.csv `notes`). The
   published configurations of the same flow that do state it run MoE models as DEPn: the
   post-1.0 table ("MoE models use DEPn", ../shared/validation/README.md; its YAML adds
   enable_attention_dp: true, engines.md section 1.5 [TL-PERF]) and the DeepSeek-R1 recipes
   (attention DP with TP8/EP8, engines.md section 1.5 [TL-DSR1]). Inferred, not copied: those
   rows get parallelism.ep = the row's GPUs and parallelism.attention_dp = true.
9. Output lengths of the Triton online-serving datasets. The v0.14 table gives each dataset as
   mean lengths (467/256, 467/16, 202/214) without saying whether they vary. Fitted, not
   copied: fit_output_lengths.py measures each dataset's spread (log-normal cv) from its `fit`
   rows, as `tokenfab calibrate` fits an engine constant, into output_length_fits.csv. A
   dataset whose fitted cv is above 0 gets workload.output_tokens = {dist: lognormal, mean:
   <its output length>, cv: <fitted>} on every row; the others keep fixed lengths.
"""
import csv
import sys

import fit_output_lengths

TL_PERF = ("github:NVIDIA/TensorRT-LLM@585c756579dc4d01f21fc13c2f604cdb461ac4f0:"
           "docs/source/developer-guide/perf-overview.md (GPT-OSS config: kv_cache_config.dtype "
           "fp8, Hopper auto; moe_config.backend CUTLASS, Hopper TRITON)")
TL_PERF_DSR1 = ("github:NVIDIA/TensorRT-LLM@585c756579dc4d01f21fc13c2f604cdb461ac4f0:"
                "docs/source/developer-guide/perf-overview.md (DeepSeek-R1 config: "
                "attention_dp_config enable_balance true, timeout_iters 60, "
                "batching_wait_iters 0)")
TL_PERF_GRAPHS = ("github:NVIDIA/TensorRT-LLM@585c756579dc4d01f21fc13c2f604cdb461ac4f0:"
                  "docs/source/developer-guide/perf-overview.md (YAML: cuda_graph_config "
                  "enable_padding true, batch_sizes 1 ... 8192)")
POST_1_0_GRAPH_SIZES = "[1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192]"
KV_FRACTION = ("../shared/validation/README.md (TensorRT-LLM perf overviews: "
               "kv_cache_free_gpu_mem_fraction was 0.95 \"in most cases\") and engines.md 1.2 "
               "[TB-THR] [TL-PERF]")
GPT_OSS_MXFP4 = ("derived: ../shared/facts/models/gpt-oss-*.json (the published checkpoint's "
                 "quantization_config: quant_method mxfp4, weights only) and "
                 "github:NVIDIA/TensorRT-LLM@585c756579dc4d01f21fc13c2f604cdb461ac4f0:"
                 "docs/source/developer-guide/perf-overview.md (Hopper GPT-OSS: "
                 "moe_config.backend TRITON, kv_cache_config.dtype auto); Hopper has no FP4 "
                 "tensor cores, so a weight-only kernel: MXFP4 weights at BF16 math (W4A16)")
HOPPER = {"h100-sxm", "h200-sxm", "gh200"}
V1_0_DEP = ("inferred: raw_measured.csv notes of the v1.0 rows (\"MoE runs use EP/attention-DP "
            "options (ep size not stated in table)\") and the DEPn layout of every published "
            "configuration of the same flow that states it (post-1.0 perf-overview: MoE models "
            "use DEPn, enable_attention_dp true; DeepSeek-R1 recipes: attention DP, TP8/EP8; "
            "../shared/facts/engines.md 1.5 [TL-PERF] [TL-DSR1])")
MOE_MODELS = {"llama-4-maverick", "llama-4-scout", "qwen3-235b-a22b", "qwen3-30b-a3b",
              "deepseek-r1", "gpt-oss-120b", "gpt-oss-20b", "mixtral-8x7b", "mixtral-8x22b"}
LENGTH_FIT = ("fitted, not copied: the v0.14 online-serving table does not say whether the "
              "dataset's lengths vary; fit_output_lengths.py fits the spread of its output "
              "lengths to the dataset's fit rows (output_length_fits.csv: {fit_rows} rows, RMS "
              "log error {fixed} with fixed lengths, {fitted} with cv {cv})")
COUNT_1000 = ("inferred: post-1.0 perf-overview lists no request count for 1000/1000; its "
              "v0.17 and v1.0 predecessors ran 1000/1000 with 3000 requests and this table's "
              "1000/1000 and 1024/1024 (3000 requests) results agree within 3 % per "
              "configuration")


def output_length_settings():
    """(input_tokens, output_tokens) -> (value, source) of each dataset with a fitted spread."""
    settings = {}
    for f in csv.DictReader(open("output_length_fits.csv", newline="")):
        if float(f["cv"]) > 0:
            value = fit_output_lengths.setting(f["output_tokens"], f["cv"])
            settings[(f["input_tokens"], f["output_tokens"])] = (value, LENGTH_FIT.format(
                fit_rows=f["fit_rows"], fixed=f["rms_log_error_fixed"],
                fitted=f["rms_log_error_fitted"], cv=f["cv"]))
    return settings


def main():
    raw = {r["id"]: r for r in csv.DictReader(open("raw_measured.csv", newline=""))}
    lengths = output_length_settings()
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
        elif r["id"].startswith("trt10"):
            out.writerow([r["id"], "engine.profile", "trtllm-1.0",
                          f"raw_measured.csv framework: {engine}"])
        elif r["id"].startswith("trt12"):
            out.writerow([r["id"], "engine.cuda_graph_batch_sizes", POST_1_0_GRAPH_SIZES,
                          TL_PERF_GRAPHS])
        if r["id"][:5] in ("trt17", "trt10", "trt12"):
            out.writerow([r["id"], "engine.gpu_memory_fraction", "0.95", KV_FRACTION])
        if r["model"].startswith("gpt-oss") and r["gpu"] in HOPPER:
            out.writerow([r["id"], "precision.kv_cache", "bf16", TL_PERF])
            out.writerow([r["id"], "precision.weights", "fp4", GPT_OSS_MXFP4])
            out.writerow([r["id"], "precision.gemm_inputs", "bf16", GPT_OSS_MXFP4])
        if (r["id"].startswith("trt12") and r["input_tokens"] == "1000"
                and r["output_tokens"] == "1000" and not r["num_requests"]):
            out.writerow([r["id"], "workload.num_requests", "3000", COUNT_1000])
        if (r["id"].startswith("trt12") and r["model"] == "deepseek-r1"
                and r["attention_dp"] == "1"):
            out.writerow([r["id"], "engine.attention_dp_balance_iters", "60", TL_PERF_DSR1])
        if (r["id"].startswith("trt10") and r["model"] in MOE_MODELS and r["tp"]
                and int(r["tp"]) > 1):
            out.writerow([r["id"], "parallelism.ep", r["tp"], V1_0_DEP])
            out.writerow([r["id"], "parallelism.attention_dp", "true", V1_0_DEP])
        length = lengths.get((r["input_tokens"], r["output_tokens"]))
        if r["id"].startswith("trtol") and length:
            out.writerow([r["id"], "workload.output_tokens", *length])


if __name__ == "__main__":
    main()
