// An accelerator as the cost model sees it. All figures per GPU, dense (no 2:4 sparsity).
#pragma once

#include <array>
#include <string>

#include "tokenfab/catalog/precision.h"

namespace tokenfab {

struct GpuSpec {
  std::string id;    // catalog id, e.g. "h100-sxm"
  std::string name;  // "NVIDIA H100 SXM5 80GB"
  std::string vendor;
  // Chip generation ("hopper", "blackwell", ...): GPUs of one generation run the same kernels
  // (same SM and tensor cores), so calibrate --per-architecture fits their kernel efficiencies
  // together. Empty = its own id.
  std::string architecture;
  // Peak dense tensor FLOP/s indexed by Precision; 0 where the format is not supported in
  // hardware (then the cost model runs that format at the next wider supported one).
  std::array<double, 5> peak_flops{};
  // Measured maximum achievable dense matmul FLOP/s (MAMF benchmark), indexed by Precision;
  // 0 where not measured. Its ratio to peak_flops is a starting point for GEMM efficiency.
  std::array<double, 5> achievable_matmul_flops{};
  double hbm_bytes = 0;            // usable device memory, bytes
  double hbm_bandwidth = 0;        // bytes/s
  double scale_up_bandwidth = 0;   // NVLink / Infinity Fabric, bytes/s per direction per GPU
  int scale_up_domain = 8;         // GPUs in one NVLink domain (8 for HGX, 72 for NVL72)
  double scale_out_bandwidth = 0;  // network, bytes/s per direction per GPU
  double tdp_watts = 0;            // max board power
  std::string sources;             // where the numbers come from (see data/catalog/gpus.yaml)
  std::string notes;               // assumptions, conflicts and unverified values

  double PeakFlops(Precision p) const;  // falls back to the next wider supported precision
  // The format a matmul at `p` actually runs in: `p`, or the next wider one the GPU has.
  Precision MatmulFormat(Precision p) const;
  // The ceiling of a large dense GEMM at format `p` (run as PeakFlops does): the MAMF
  // measurement of that format when there is one, else the peak times the measured MAMF
  // fraction of the nearest measured format of this GPU, else the peak times
  // kDefaultMamfFraction.
  double AchievableMatmulFlops(Precision p) const;
  // Midpoint of the NVIDIA MAMF fractions measured by ml-engineering (BF16 73-80 %, FP8
  // 71-76 % of peak; docs/cost-model.md), for GPUs without a measurement.
  static constexpr double kDefaultMamfFraction = 0.75;
};

// A system: how GPUs are packaged (node or rack) and what the non-GPU parts draw.
struct SystemSpec {
  std::string id;  // "hgx-h100", "gb200-nvl72"
  std::string name;
  std::string gpu;  // GpuSpec id
  int gpus = 8;     // GPUs per system
  int nvlink_domain = 8;
  double power_watts = 0;  // whole system at max (node or rack), watts
  std::string sources;
  std::string notes;
};

}  // namespace tokenfab
