#include "tokenfab/io/perfetto_trace.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "report_test_util.h"

namespace tokenfab {
namespace {

using testing::HandMadeResult;
using testing::SmallSimulation;

std::vector<nlohmann::json> Events(const nlohmann::json& trace, const std::string& ph,
                                   const std::string& cat = "") {
  std::vector<nlohmann::json> out;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == ph && (cat.empty() || e.value("cat", "") == cat)) out.push_back(e);
  }
  return out;
}

TEST(PerfettoTraceTest, HandMadeRunHasItsIterationsRequestsAndFlows) {
  const nlohmann::json t = nlohmann::json::parse(PerfettoTraceJson(HandMadeResult()));
  const auto iterations = Events(t, "X", "iteration");
  ASSERT_EQ(iterations.size(), 4u);
  EXPECT_EQ(iterations[0]["name"], "prefill");
  EXPECT_EQ(iterations[0]["pid"], 1);  // instance 0
  EXPECT_EQ(iterations[0]["ts"], 0.0);
  EXPECT_EQ(iterations[0]["dur"], 200000.0);  // microseconds
  EXPECT_EQ(iterations[0]["args"]["prefill_tokens"], 100);
  EXPECT_EQ(iterations[2]["name"], "decode");
  EXPECT_EQ(iterations[3]["name"], "prefill+decode");

  // Two finished requests, each with its slice, its TTFT slice and a flow from the iteration
  // that produced its first token; request 1 (one output token) has no decode slice.
  int requests = 0, ttft = 0, decode = 0;
  for (const auto& e : Events(t, "X", "request")) {
    const std::string name = e["name"];
    requests += name.rfind("request ", 0) == 0;
    ttft += name == "waiting+prefill (TTFT)";
    decode += name == "decode";
  }
  EXPECT_EQ(requests, 2);
  EXPECT_EQ(ttft, 2);
  EXPECT_EQ(decode, 1);
  const auto starts = Events(t, "s");
  const auto ends = Events(t, "f");
  ASSERT_EQ(starts.size(), 2u);
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(starts[1]["pid"], 2);  // request 1's first token came from instance 1
  EXPECT_EQ(starts[1]["id"], ends[1]["id"]);
  EXPECT_EQ(ends[1]["bp"], "e");
  EXPECT_EQ(t["otherData"]["requests_finished"], 2);
  EXPECT_FALSE(t["otherData"].contains("note"));
}

TEST(PerfettoTraceTest, NamesEveryInstanceAndTheCluster) {
  const nlohmann::json t = nlohmann::json::parse(PerfettoTraceJson(HandMadeResult()));
  std::map<int, std::string> processes;
  for (const auto& e : Events(t, "M")) {
    if (e["name"] == "process_name") processes[e["pid"]] = e["args"]["name"];
  }
  EXPECT_EQ(processes[1], "instance 0 (serving)");
  EXPECT_EQ(processes[2], "instance 1 (serving)");
  EXPECT_EQ(processes[3], "cluster");
  EXPECT_FALSE(Events(t, "C").empty());
}

TEST(PerfettoTraceTest, CapsTheRequestsDrawnAndSaysSo) {
  TraceOptions options;
  options.max_requests = 1;
  const nlohmann::json t = nlohmann::json::parse(PerfettoTraceJson(HandMadeResult(), options));
  EXPECT_EQ(t["otherData"]["requests_drawn"], 1);
  EXPECT_TRUE(t["otherData"].contains("note"));
  EXPECT_EQ(Events(t, "s").size(), 1u);
}

TEST(PerfettoTraceTest, SimulationTraceHasOneSlicePerIterationAndAFlowPerRequest) {
  const SimulateOutput out = SmallSimulation();
  const nlohmann::json t = nlohmann::json::parse(PerfettoTraceJson(out.result));
  EXPECT_EQ(Events(t, "X", "iteration").size(), out.result.iterations.size());
  EXPECT_EQ(Events(t, "s").size(), static_cast<std::size_t>(out.result.metrics.requests_completed));
  EXPECT_EQ(Events(t, "f").size(), static_cast<std::size_t>(out.result.metrics.requests_completed));
  // Request slices on one lane never overlap (so Perfetto nests them as drawn).
  std::map<std::pair<int, int>, double> lane_end;
  for (const auto& e : Events(t, "X", "request")) {
    const std::string name = e["name"];
    if (name.rfind("request ", 0) != 0) continue;
    auto& end = lane_end[{e["pid"].get<int>(), e["tid"].get<int>()}];
    EXPECT_GE(e["ts"].get<double>(), end);
    end = e["ts"].get<double>() + e["dur"].get<double>();
  }
}

}  // namespace
}  // namespace tokenfab
