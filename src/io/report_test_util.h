// Results for the report and trace tests: a hand-made one whose numbers follow from arithmetic,
// and a small simulation of the built-in default scenario.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tokenfab/io/scenario.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab::testing {

inline SimTime Ms(double ms) { return static_cast<SimTime>(ms * 1e6); }

// Two instances. Request 0: arrives at 0, first token at 200 ms (instance 0's first iteration),
// 9 output tokens, done at 1 s. Request 1: arrives at 100 ms, first token at 300 ms (instance 1),
// 1 output token, done then. Request 2 never finishes.
inline ServeResult HandMadeResult() {
  ServeResult r;
  r.pool_names = {"serving"};
  r.instance_pool = {0, 0};
  auto request = [&](int id, double arrival, double first, double finish, int in, int out,
                     int inst) {
    Request q;
    q.id = id;
    q.arrival = Ms(arrival);
    q.first_token = first < 0 ? -1 : Ms(first);
    q.finish = finish < 0 ? -1 : Ms(finish);
    q.input_tokens = in;
    q.output_tokens = out;
    q.instance = inst;
    r.requests.push_back(q);
  };
  request(0, 0, 200, 1000, 100, 9, 0);
  request(1, 100, 300, 300, 50, 1, 1);
  request(2, 500, -1, -1, 10, 10, 0);
  auto iteration = [&](int inst, double start, double end, int prefill, int completions,
                       int decode) {
    IterationRecord it;
    it.instance = inst;
    it.start = Ms(start);
    it.end = Ms(end);
    it.batch.prefill_tokens = prefill;
    it.batch.prefill_sequences = prefill > 0 ? 1 : 0;
    it.batch.prefill_completions = completions;
    it.batch.decode_sequences = decode;
    it.kv_blocks_used = 10 + decode;
    it.kv_blocks_total = 100;
    r.iterations.push_back(it);
  };
  iteration(0, 0, 200, 100, 1, 0);
  iteration(1, 100, 300, 50, 1, 0);
  iteration(0, 200, 600, 0, 0, 1);
  iteration(0, 600, 1000, 10, 0, 1);
  return r;
}

// The built-in default scenario cut to `requests` requests, with every iteration kept.
inline SimulateOutput SmallSimulation(int requests = 40) {
  auto catalog = Catalog::Load(std::string(TOKENFAB_SOURCE_DIR) + "/data");
  EXPECT_TRUE(catalog.ok());
  auto scenario = ParseScenario(DefaultScenarioYaml(), "<test>",
                                {"workload.num_requests=" + std::to_string(requests)});
  EXPECT_TRUE(scenario.ok());
  auto resolved = ResolveScenario(*scenario, *catalog);
  EXPECT_TRUE(resolved.ok()) << resolved.error().message;
  SimulateOptions options;
  options.keep_iterations = true;
  auto out = RunSimulate(*resolved, options);
  EXPECT_TRUE(out.ok());
  return std::move(out).value();
}

}  // namespace tokenfab::testing
