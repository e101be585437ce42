// Helpers of the tests that run `tokenfab emulate` in process and drive it over 127.0.0.1.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "../io/scenario_test_util.h"
#include "tokenfab/study/bench_client.h"
#include "tokenfab/study/emulate_server.h"

namespace tokenfab::emulate_testing {

inline ResolvedScenario Resolve(const std::string& yaml,
                                const std::vector<std::string>& overrides = {}) {
  auto resolved = tokenfab::testing::ResolveYaml(yaml, overrides);
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  return *resolved;
}

// An emulator on a free port. The tests run it `time_scale` times slower than the twin with the
// largest grace the emulator allows (80% of the cheapest iteration: ~14 ms of the twin's time
// for Llama-3.1-70B on two H200, 56 ms of wall clock at time scale 4), so that a loaded host's
// scheduling delays (tens of ms) stay small against the iterations and inside the grace
// (docs/emulate.md, "Tests"). 40 ms was not enough: 1 run in 10 staggered a closed loop.
inline std::unique_ptr<EmulateServer> StartEmulator(const ResolvedScenario& s, int threads,
                                                    double time_scale = 1) {
  EmulateServerOptions options;
  options.port = 0;
  options.threads = threads;
  options.emulator.time_scale = time_scale;
  options.emulator.grace_s = 1;  // capped by the emulator
  auto server = EmulateServer::Start(s, options);
  EXPECT_TRUE(server.ok()) << server.error().message;
  return server.ok() ? std::move(server).value() : nullptr;
}

// Bench options for `server`; the time scale comes from its /v1/models.
inline BenchOptions BenchAt(const EmulateServer& server) {
  BenchOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1";
  o.timeout_s = 120;
  return o;
}

}  // namespace tokenfab::emulate_testing
