// Calibrated engine constants: the free constants of an engine profile fitted to measured rows
// by `tokenfab calibrate`, stored in data/calibration/<profile>.yaml with the rows they came
// from, and applied on top of the catalog's profile by `validate --calibration` and
// `simulate --calibration`.
//
// File format:
//   profile: trtllm
//   constants: {iteration_overhead_s: 0.0004, gemm_efficiency: 0.62, ...}   # every GPU
//   gpus: {h100-sxm: {memory_efficiency: 0.83}}   # optional, per GPU, over `constants`
//   fit: {...}     # how the fit went (informative, not read back)
//   rows: [...]    # ids of the measured rows fitted
#pragma once

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/catalog/engine_profile.h"
#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"

namespace tokenfab {

// One fittable field of EngineProfile with the bounds a fit keeps it in.
struct CalibratedConstant {
  std::string_view name;
  double EngineProfile::*field;
  double min;
  double max;
  std::string_view help;
};

inline constexpr std::size_t kNumCalibratedConstants = 10;
std::span<const CalibratedConstant> CalibratedConstants();
// Index into CalibratedConstants(), or -1.
int CalibratedConstantIndex(std::string_view name);

// Values for some of the constants (nullopt: keep the profile's).
using ConstantOverrides = std::array<std::optional<double>, kNumCalibratedConstants>;

struct ProfileCalibration {
  std::string profile;  // engine profile id
  ConstantOverrides constants;
  std::map<std::string, ConstantOverrides> gpus;  // GPU id -> overrides over `constants`
  std::vector<std::string> rows;                  // measured row ids the fit used
  std::string origin;                             // file it was read from
};

// Calibrations by profile id.
struct Calibration {
  std::map<std::string, ProfileCalibration> profiles;
  bool empty() const { return profiles.empty(); }
};

Result<ProfileCalibration> ParseProfileCalibration(const std::string& yaml_text,
                                                   const std::string& origin);
// Reads the files into one Calibration; where two files calibrate the same profile, the
// later one's values win constant by constant.
Result<Calibration> LoadCalibration(const std::vector<std::string>& paths);

// Sets the engine's constants from the calibration of its profile (if any): first the
// all-GPU constants, then those of `gpu_id`.
void ApplyCalibration(const Calibration& calibration, const std::string& gpu_id,
                      EngineProfile& engine);
void ApplyOverrides(const ConstantOverrides& overrides, EngineProfile& engine);
// The same for every engine of a resolved scenario (each deployment with its own GPU).
void ApplyCalibration(const Calibration& calibration, ResolvedScenario& resolved);

}  // namespace tokenfab
