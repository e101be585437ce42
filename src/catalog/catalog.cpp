// Catalog lookups. Loading lives in catalog_loader.cpp.
#include "tokenfab/catalog/catalog.h"

#include <cstdlib>
#include <filesystem>

#include "tokenfab/catalog/hf_config.h"
#include "tokenfab/core/names.h"

namespace tokenfab {
namespace {

template <typename Spec>
std::vector<std::string> IdsOf(const std::map<std::string, Spec>& specs) {
  std::vector<std::string> ids;
  ids.reserve(specs.size());
  for (const auto& [id, spec] : specs) ids.push_back(id);
  return ids;
}

template <typename Spec>
Result<Spec> Find(const std::map<std::string, Spec>& specs, std::string_view what,
                  const std::string& id) {
  const auto it = specs.find(id);
  if (it == specs.end()) return Error{UnknownNameMessage(what, id, IdsOf(specs))};
  return it->second;
}

}  // namespace

std::string Catalog::DefaultDataDir() {
  if (const char* env = std::getenv("TOKENFAB_DATA"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef TOKENFAB_DATA_DIR
  // The source tree's data/ wins while it exists, so a build tree needs no install step.
  if (std::error_code ec; std::filesystem::is_directory(TOKENFAB_DATA_DIR, ec)) {
    return TOKENFAB_DATA_DIR;
  }
#endif
#ifdef TOKENFAB_INSTALL_DATA_DIR
  return TOKENFAB_INSTALL_DATA_DIR;
#else
  return "data";
#endif
}

Result<GpuSpec> Catalog::Gpu(const std::string& id) const { return Find(gpus_, "gpu", id); }

Result<SystemSpec> Catalog::System(const std::string& id) const {
  return Find(systems_, "system", id);
}

Result<EngineProfile> Catalog::Engine(const std::string& id) const {
  return Find(engines_, "engine", id);
}

Result<ModelSpec> Catalog::Model(const std::string& id_or_path) const {
  if (id_or_path.ends_with(".json")) return LoadHfConfig(id_or_path);
  Result<ModelSpec> model = Find(models_, "model", id_or_path);
  if (!model.ok()) {
    return Error{model.error().message + " (or give a path to a Hugging Face config.json)"};
  }
  return model;
}

std::vector<std::string> Catalog::GpuIds() const { return IdsOf(gpus_); }
std::vector<std::string> Catalog::SystemIds() const { return IdsOf(systems_); }
std::vector<std::string> Catalog::ModelIds() const { return IdsOf(models_); }
std::vector<std::string> Catalog::EngineIds() const { return IdsOf(engines_); }

}  // namespace tokenfab
