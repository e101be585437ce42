// libFuzzer target: bytes as a scenario through ParseScenario and ResolveScenario, and through
// the simulation when the scenario is small enough to run in milliseconds.
//
// Input layout: YAML text, optionally followed by a line "%%" and one --set override per line.
// A scenario may name files (workload.trace, a config.json model); only the fixtures in
// fuzz/data/ are resolved, so the fuzzer never reads arbitrary files such as /dev/zero.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace {

constexpr char kOrigin[] = TOKENFAB_SOURCE_DIR "/fuzz/data/scenario.yaml";
constexpr char kOverrideSeparator[] = "\n%%\n";

const tokenfab::Catalog& FuzzCatalog() {
  static const tokenfab::Catalog catalog = [] {
    auto loaded = tokenfab::Catalog::Load(TOKENFAB_SOURCE_DIR "/data");
    if (!loaded) {
      std::fprintf(stderr, "scenario_fuzz: cannot load the catalog: %s\n",
                   loaded.error().message.c_str());
      std::abort();
    }
    return std::move(loaded).value();
  }();
  return catalog;
}

bool IsFixture(const std::string& path) {
  return path == "trace.csv" || path == "trace.jsonl" || path == "config.json";
}

// Resolution reads files only when the scenario (and each of its deployments) names fixtures.
bool ReadsOnlyFixtures(const tokenfab::Scenario& s) {
  if (s.workload_kind == "trace" && !IsFixture(s.trace_path)) return false;
  if (s.model.ends_with(".json") && !IsFixture(s.model)) return false;
  for (const tokenfab::Scenario& d : s.deployments) {
    if (!ReadsOnlyFixtures(d)) return false;
  }
  return true;
}

// A few decode steps of a few requests on a few instances: runs in milliseconds under ASan.
bool IsSmall(const tokenfab::ResolvedScenario& r) {
  const tokenfab::WorkloadSpec& w = r.serve.workload;
  if (w.num_requests > 50 || w.input.max > 8192 || w.output.max > 256) return false;
  int instances = 0;
  int gpus = 0;
  for (const tokenfab::DeploymentSpec& d : r.deployments) {
    for (const tokenfab::PoolSpec& p : d.pools) instances += p.instances;
    gpus += d.num_gpus;
  }
  return instances <= 8 && gpus <= 64 && r.serve.replicas <= 8 && r.num_gpus <= 64;
}

// TOKENFAB_FUZZ_VERBOSE=1 prints how far each input got, to check that seeds get through.
void Report(const char* stage, const std::string& message) {
  static const bool verbose = std::getenv("TOKENFAB_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "scenario_fuzz: %s: %s\n", stage, message.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string yaml = input;
  std::vector<std::string> overrides;
  if (const std::size_t sep = input.find(kOverrideSeparator); sep != std::string::npos) {
    yaml = input.substr(0, sep);
    std::istringstream lines(input.substr(sep + sizeof(kOverrideSeparator) - 1));
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  const auto scenario = tokenfab::ParseScenario(yaml, kOrigin, overrides);
  if (!scenario) {
    Report("parse", scenario.error().message);
  } else if (!ReadsOnlyFixtures(*scenario)) {
    Report("parse", "names a file outside fuzz/data");
  } else if (const auto resolved = tokenfab::ResolveScenario(*scenario, FuzzCatalog()); !resolved) {
    Report("resolve", resolved.error().message);
  } else if (!IsSmall(*resolved)) {
    Report("resolve", "too large to simulate");
  } else {
    const auto output = tokenfab::RunSimulate(*resolved);
    Report("simulate", output ? "ok" : output.error().message);
  }
  return 0;
}
