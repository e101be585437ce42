#include "tokenfab/study/calibration.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "tokenfab/study/validation_data.h"

namespace tokenfab {
namespace {

// Bounds: efficiencies are fractions of a peak, (0, 1]; the lower bound 0.02 keeps a fit away
// from the degenerate 0. Host overhead per iteration is between 0 and 50 ms (measured values
// are 0.1-1 ms, see data/catalog/engines.yaml); host time per sequence between 0 and 200 us
// (TensorRT-LLM PR 10273 measured ~29 us); a collective step between 0 and 100 us.
constexpr std::array<CalibratedConstant, kNumCalibratedConstants> kConstants = {{
    {"iteration_overhead_s", &EngineProfile::iteration_overhead_s, 0.0, 0.05,
     "host time per iteration not hidden behind GPU work, s"},
    {"gemm_efficiency", &EngineProfile::gemm_efficiency, 0.02, 1.0,
     "fraction of peak FLOP/s reached by large GEMMs"},
    {"memory_efficiency", &EngineProfile::memory_efficiency, 0.02, 1.0,
     "fraction of HBM bandwidth reached streaming weights and KV"},
    {"attention_efficiency", &EngineProfile::attention_efficiency, 0.02, 1.0,
     "fraction of peak FLOP/s reached by prefill attention"},
    {"network_efficiency", &EngineProfile::network_efficiency, 0.02, 1.0,
     "fraction of link bandwidth reached by collectives"},
    {"host_time_per_sequence_s", &EngineProfile::host_time_per_sequence_s, 0.0, 2e-4,
     "host time per sequence per iteration run beside the GPU (overlap scheduler), s"},
    {"grouped_gemm_efficiency", &EngineProfile::grouped_gemm_efficiency, 0.02, 1.0,
     "fraction of the dense GEMM's rate reached by MoE grouped GEMMs"},
    {"compute_memory_overlap", &EngineProfile::compute_memory_overlap, 0.02, 1.0,
     "share of the shorter of compute and memory time hidden under the longer"},
    {"collective_latency_s", &EngineProfile::collective_latency_s, 0.0, 1e-4,
     "latency per collective step (alpha), s"},
    {"kv_read_efficiency", &EngineProfile::kv_read_efficiency, 0.02, 1.0,
     "share of the weight-streaming bandwidth reached by decode attention reading the KV cache"},
}};

int Line(const YAML::Node& node) { return node.Mark().line + 1; }

ConstantOverrides ReadOverrides(const YAML::Node& map, const std::string& origin) {
  ConstantOverrides out;
  if (!map.IsMap()) {
    throw InputError(
        fmt::format("{}:{}: expected a mapping of constant names to numbers", origin, Line(map)));
  }
  for (const auto& kv : map) {
    const std::string name = kv.first.as<std::string>();
    const int index = CalibratedConstantIndex(name);
    if (index < 0) {
      std::vector<std::string_view> valid;
      for (const CalibratedConstant& c : kConstants) valid.push_back(c.name);
      throw InputError(fmt::format("{}:{}: unknown constant '{}' (valid: {})", origin,
                                   Line(kv.first), name, fmt::join(valid, ", ")));
    }
    const CalibratedConstant& c = kConstants[index];
    double v = 0;
    try {
      v = kv.second.as<double>();
    } catch (const YAML::Exception&) {
      throw InputError(fmt::format("{}:{}: {} must be a number", origin, Line(kv.second), name));
    }
    if (v < c.min || v > c.max) {
      throw InputError(fmt::format("{}:{}: {} = {} is outside [{}, {}]", origin, Line(kv.second),
                                   name, v, c.min, c.max));
    }
    out[index] = v;
  }
  return out;
}

ProfileCalibration ParseOrThrow(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}: {}", origin, e.mark.line + 1, e.msg));
  }
  if (!root.IsMap() || !root["profile"]) {
    throw InputError(origin + ": a calibration file is a mapping with at least 'profile:'");
  }
  ProfileCalibration c;
  c.origin = origin;
  c.profile = root["profile"].as<std::string>();
  if (root["constants"]) c.constants = ReadOverrides(root["constants"], origin);
  if (root["gpus"]) {
    for (const auto& kv : root["gpus"])
      c.gpus[kv.first.as<std::string>()] = ReadOverrides(kv.second, origin);
  }
  if (root["rows"]) {
    for (const auto& id : root["rows"]) c.rows.push_back(id.as<std::string>());
  }
  return c;
}

void Merge(const ConstantOverrides& from, ConstantOverrides& into) {
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i]) into[i] = from[i];
  }
}

}  // namespace

std::span<const CalibratedConstant> CalibratedConstants() { return kConstants; }

int CalibratedConstantIndex(std::string_view name) {
  for (std::size_t i = 0; i < kConstants.size(); ++i) {
    if (kConstants[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<ProfileCalibration> ParseProfileCalibration(const std::string& yaml_text,
                                                   const std::string& origin) {
  return CatchInputErrors([&] { return ParseOrThrow(yaml_text, origin); });
}

Result<Calibration> LoadCalibration(const std::vector<std::string>& paths) {
  Calibration out;
  for (const std::string& path : paths) {
    auto text = ReadTextFile(path);
    if (!text) return text.error();
    auto c = ParseProfileCalibration(*text, path);
    if (!c) return c.error();
    auto [it, added] = out.profiles.try_emplace(c->profile, *c);
    if (added) continue;
    ProfileCalibration& merged = it->second;  // a later file overrides an earlier one
    Merge(c->constants, merged.constants);
    for (const auto& [gpu, overrides] : c->gpus) Merge(overrides, merged.gpus[gpu]);
    merged.rows.insert(merged.rows.end(), c->rows.begin(), c->rows.end());
    merged.origin += ", " + path;
  }
  return out;
}

void ApplyOverrides(const ConstantOverrides& overrides, EngineProfile& engine) {
  for (std::size_t i = 0; i < kConstants.size(); ++i) {
    if (overrides[i]) engine.*(kConstants[i].field) = *overrides[i];
  }
}

void ApplyCalibration(const Calibration& calibration, const std::string& gpu_id,
                      EngineProfile& engine) {
  const auto it = calibration.profiles.find(engine.id);
  if (it == calibration.profiles.end()) return;
  ApplyOverrides(it->second.constants, engine);
  const auto gpu = it->second.gpus.find(gpu_id);
  if (gpu != it->second.gpus.end()) ApplyOverrides(gpu->second, engine);
}

void ApplyCalibration(const Calibration& calibration, ResolvedScenario& resolved) {
  if (calibration.empty()) return;
  ApplyCalibration(calibration, resolved.gpu.id, resolved.engine);
  for (DeploymentSpec& d : resolved.deployments) ApplyCalibration(calibration, d.gpu.id, d.engine);
}

}  // namespace tokenfab
