// The scenario argument shared by the commands that take one: a YAML path (or, when empty,
// the built-in default) with --set overrides, resolved against the installed catalog.
#pragma once

#include <string>
#include <vector>

#include "tokenfab/io/scenario.h"

namespace tokenfab::cli {

inline Result<ResolvedScenario> LoadResolvedScenario(const std::string& path,
                                                     const std::vector<std::string>& overrides) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return Error{catalog.error().message};
  auto scenario = path.empty()
                      ? ParseScenario(DefaultScenarioYaml(), "<built-in default>", overrides)
                      : LoadScenario(path, overrides);
  if (!scenario) return Error{scenario.error().message};
  return ResolveScenario(*scenario, *catalog);
}

}  // namespace tokenfab::cli
