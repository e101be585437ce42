// The built-in catalog: GPUs, systems, models and engine profiles, each with its sources,
// loaded from data/catalog/. Lookups by id fail with the nearest valid ids.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tokenfab/catalog/engine_profile.h"
#include "tokenfab/catalog/gpu.h"
#include "tokenfab/catalog/model.h"
#include "tokenfab/core/status.h"

namespace tokenfab {

class Catalog {
 public:
  // Loads data/catalog from `data_dir` (see DefaultDataDir()).
  static Result<Catalog> Load(const std::string& data_dir);
  // $TOKENFAB_DATA if set, else the source tree's data/ when it exists, else the installed one.
  static std::string DefaultDataDir();

  Result<GpuSpec> Gpu(const std::string& id) const;
  Result<SystemSpec> System(const std::string& id) const;
  Result<EngineProfile> Engine(const std::string& id) const;
  // A catalog id, or a path to a Hugging Face config.json (anything ending in .json).
  Result<ModelSpec> Model(const std::string& id_or_path) const;

  std::vector<std::string> GpuIds() const;
  std::vector<std::string> SystemIds() const;
  std::vector<std::string> ModelIds() const;
  std::vector<std::string> EngineIds() const;

  const std::map<std::string, GpuSpec>& gpus() const { return gpus_; }
  const std::map<std::string, SystemSpec>& systems() const { return systems_; }
  const std::map<std::string, ModelSpec>& models() const { return models_; }
  const std::map<std::string, EngineProfile>& engines() const { return engines_; }

  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  std::map<std::string, GpuSpec> gpus_;
  std::map<std::string, SystemSpec> systems_;
  std::map<std::string, ModelSpec> models_;
  std::map<std::string, EngineProfile> engines_;
  friend class CatalogLoader;
};

}  // namespace tokenfab
