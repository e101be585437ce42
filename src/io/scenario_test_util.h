// Scenario tests' shared steps: the repository's catalog, and YAML text parsed as if it were
// the file <source dir>/s.yaml (so relative paths resolve against the source tree), resolved,
// and simulated.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab::testing {

inline const Catalog& SourceCatalog() {
  static const Catalog catalog = [] {
    auto c = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
    if (!c) ADD_FAILURE() << c.error().message;
    return c ? *c : Catalog{};
  }();
  return catalog;
}

inline Result<ResolvedScenario> ResolveYaml(const std::string& yaml,
                                            const std::vector<std::string>& overrides = {}) {
  auto s = ParseScenario(yaml, std::string(TOKENFAB_SOURCE_DIR) + "/s.yaml", overrides);
  if (!s) return s.error();
  return ResolveScenario(*s, SourceCatalog());
}

// The error of resolving and simulating `yaml` (layout and memory checks happen in the cost
// model); "<ok>" when it runs.
inline std::string SimulateError(const std::string& yaml,
                                 const std::vector<std::string>& overrides = {}) {
  auto r = ResolveYaml(yaml, overrides);
  if (!r) return r.error().message;
  auto sim = RunSimulate(*r);
  return sim ? std::string("<ok>") : sim.error().message;
}

inline bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace tokenfab::testing
