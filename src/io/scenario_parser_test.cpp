#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "tokenfab/io/scenario.h"
#include "tokenfab/io/settings.h"

namespace tokenfab {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

// The error of parsing `yaml` (named s.yaml) with `overrides`; "<ok>" when it parses.
std::string ParseError(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return ErrorOf(ParseScenario(yaml, "s.yaml", overrides));
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ScenarioParser, BuiltInDefaultIsExamplesDefaultYaml) {
  const std::string path = std::string(TOKENFAB_SOURCE_DIR) + "/examples/default.yaml";
  EXPECT_EQ(DefaultScenarioYaml(), ReadFile(path));
}

TEST(ScenarioParser, BuiltInDefaultParses) {
  auto s = ParseScenario(DefaultScenarioYaml(), "<built-in default>");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->model, "llama-3.1-70b");
  EXPECT_EQ(s->parallelism.tp, 8);
  EXPECT_EQ(s->num_gpus, 8);
}

TEST(ScenarioParser, EmptyScenarioTakesEveryDefault) {
  auto s = ParseScenario("", "empty.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->model, "llama-3.1-70b");
  EXPECT_EQ(s->workload_kind, "poisson");
  EXPECT_FALSE(s->num_gpus.has_value());
  EXPECT_FALSE(s->replicas.has_value());
  EXPECT_EQ(s->workload.input.kind, LengthDistribution::Kind::kLogNormal);
  EXPECT_EQ(s->seed, 1u);
}

TEST(ScenarioParser, EverySettingsDefaultParsesAsAnOverride) {
  for (const SettingInfo& info : ScenarioSettings()) {
    EXPECT_FALSE(info.help.empty()) << info.key;
    EXPECT_EQ(FindSetting(info.key), &info);
    if (info.default_text.empty()) continue;  // derived
    const std::string o = std::string(info.key) + "=" + std::string(info.default_text);
    EXPECT_EQ(ParseError("", {o}), "<ok>") << o;
  }
}

TEST(ScenarioParser, OverridesReplaceFileValues) {
  auto s = ParseScenario(
      "parallelism:\n  tp: 8\nworkload:\n  kind: offline\n", "s.yaml",
      {"parallelism.tp=4", "workload.input_tokens={dist: fixed, mean: 128}",
       "workload.output_tokens=64", "parallelism.attention_dp=true", "model=llama-3.1-8b"});
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->parallelism.tp, 4);
  EXPECT_TRUE(s->parallelism.attention_dp);
  EXPECT_EQ(s->model, "llama-3.1-8b");
  EXPECT_EQ(s->workload_kind, "offline");
  EXPECT_EQ(s->workload.input.kind, LengthDistribution::Kind::kFixed);
  EXPECT_EQ(s->workload.input.mean, 128);
  EXPECT_EQ(s->workload.output.kind, LengthDistribution::Kind::kFixed);
  EXPECT_EQ(s->workload.output.mean, 64);
  EXPECT_EQ(s->workload.output.max, 64);
}

TEST(ScenarioParser, LaterOverrideWins) {
  auto s = ParseScenario("", "s.yaml", {"seed=3", "seed=7"});
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->seed, 7u);
}

TEST(ScenarioParser, UnknownKeyInFileNamesLineAndSuggests) {
  const std::string e = ParseError("model: llama-3.1-8b\nparallelism:\n  tpp: 4\n");
  EXPECT_TRUE(Contains(e, "s.yaml:3")) << e;
  EXPECT_TRUE(Contains(e, "'parallelism.tpp'")) << e;
  EXPECT_TRUE(Contains(e, "did you mean: parallelism.tp")) << e;
  EXPECT_TRUE(Contains(e, "tokenfab keys")) << e;
}

TEST(ScenarioParser, UnknownTopLevelKeySuggests) {
  const std::string e = ParseError("# comment\nmodle: llama-3.1-8b\n");
  EXPECT_TRUE(Contains(e, "s.yaml:2")) << e;
  EXPECT_TRUE(Contains(e, "did you mean: model")) << e;
}

TEST(ScenarioParser, UnknownKeyViaSet) {
  const std::string e = ParseError("", {"parallelism.tpp=4"});
  EXPECT_TRUE(Contains(e, "--set parallelism.tpp=4")) << e;
  EXPECT_TRUE(Contains(e, "did you mean: parallelism.tp")) << e;
}

TEST(ScenarioParser, MalformedSetRejected) {
  for (const char* o : {"parallelism.tp", "=4", "parallelism.tp=[4", "parallelism=4"}) {
    const std::string e = ParseError("", {o});
    EXPECT_TRUE(Contains(e, "--set")) << o << " -> " << e;
  }
}

TEST(ScenarioParser, BrokenYamlNamesLineAndColumn) {
  const std::string e = ParseError("model: llama-3.1-8b\nparallelism:\n  tp: [8\n  pp: 1\n");
  EXPECT_TRUE(std::regex_search(e, std::regex(R"(^s\.yaml:\d+:\d+: YAML syntax error)"))) << e;
  const std::string colon = ParseError("seed: 1\nmodel: a: b\n");
  EXPECT_TRUE(std::regex_search(colon, std::regex(R"(^s\.yaml:2:\d+: YAML)"))) << colon;
}

TEST(ScenarioParser, NonMappingDocumentRejected) {
  for (const char* yaml : {"- a\n- b\n", "just text\n", "42\n"}) {
    const std::string e = ParseError(yaml);
    EXPECT_TRUE(Contains(e, "s.yaml")) << e;
    EXPECT_TRUE(Contains(e, "mapping")) << e;
  }
  const std::string e = ParseError("hardware: h100-sxm\n");
  EXPECT_TRUE(Contains(e, "s.yaml:1")) << e;
  EXPECT_TRUE(Contains(e, "'hardware' must be a mapping")) << e;
}

TEST(ScenarioParser, ComplexKeysDoNotCrash) {
  EXPECT_NE(ParseError("? [a, b]\n: 1\n"), "<ok>");
  EXPECT_NE(ParseError("parallelism:\n  ? {x: 1}\n  : 2\n"), "<ok>");
  EXPECT_NE(ParseError("workload:\n  input_tokens: {[a]: 1}\n"), "<ok>");
  EXPECT_NE(ParseError("workload:\n  input_tokens: {dist: [a, b], mean: 3}\n"), "<ok>");
  EXPECT_NE(ParseError("workload:\n  input_tokens: {dist: {x: 1}, mean: 3}\n"), "<ok>");
}

TEST(ScenarioParser, WrongTypeNamesKeyAndType) {
  const std::string e = ParseError("parallelism:\n  tp: eight\n");
  EXPECT_TRUE(Contains(e, "s.yaml:2")) << e;
  EXPECT_TRUE(Contains(e, "'parallelism.tp' must be an integer, got 'eight'")) << e;
  EXPECT_TRUE(Contains(ParseError("parallelism:\n  tp: 2.5\n"), "integer"));
  EXPECT_TRUE(Contains(ParseError("parallelism:\n  attention_dp: maybe\n"), "boolean"));
  EXPECT_TRUE(Contains(ParseError("workload:\n  rate: fast\n"), "must be a number"));
  EXPECT_TRUE(Contains(ParseError("model: [a, b]\n"), "'model' must be a string"));
  EXPECT_TRUE(Contains(ParseError("", {"parallelism.tp=eight"}), "--set parallelism.tp=eight"));
}

TEST(ScenarioParser, OutOfRangeNumbersRejected) {
  EXPECT_TRUE(Contains(ParseError("parallelism:\n  tp: 0\n"), "from 1"));
  EXPECT_TRUE(Contains(ParseError("parallelism:\n  pp: -2\n"), "parallelism.pp"));
  EXPECT_TRUE(Contains(ParseError("workload:\n  rate: 0\n"), "workload.rate"));
  EXPECT_TRUE(Contains(ParseError("workload:\n  rate: .nan\n"), "workload.rate"));
  EXPECT_TRUE(Contains(ParseError("hardware:\n  idle_power_fraction: 2\n"), "between 0 and 1"));
  EXPECT_TRUE(Contains(ParseError("seed: -1\n"), "seed"));
  EXPECT_TRUE(Contains(ParseError("", {"hardware.num_gpus=0"}), "hardware.num_gpus"));
}

TEST(ScenarioParser, ZeroRequestsRejected) {
  const std::string e = ParseError("workload:\n  num_requests: 0\n");
  EXPECT_TRUE(Contains(e, "s.yaml:2")) << e;
  EXPECT_TRUE(Contains(e, "'workload.num_requests' must be an integer from 1")) << e;
}

TEST(ScenarioParser, UnknownEnumValueListsValidOnes) {
  const std::string e = ParseError("workload:\n  kind: burst\n");
  EXPECT_TRUE(Contains(e, "s.yaml:2")) << e;
  EXPECT_TRUE(Contains(e, "'burst'")) << e;
  EXPECT_TRUE(Contains(e, "offline, closed, poisson, gamma, trace")) << e;
  const std::string p = ParseError("precision:\n  weights: fp6\n");
  EXPECT_TRUE(Contains(p, "fp8")) << p;
  EXPECT_TRUE(Contains(ParseError("router:\n  policy: random\n"), "least_outstanding"));
  EXPECT_TRUE(Contains(ParseError("engine:\n  kv_admission: lazy\n"), "reserve_full"));
}

TEST(ScenarioParser, LengthDistributions) {
  auto s = ParseScenario(
      "workload:\n  input_tokens: {dist: uniform, min: 100, max: 300}\n"
      "  output_tokens: {dist: lognormal, mean: 200, cv: 0.3, max: 900}\n",
      "s.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->workload.input.kind, LengthDistribution::Kind::kUniform);
  EXPECT_EQ(s->workload.input.mean, 200);
  EXPECT_EQ(s->workload.output.kind, LengthDistribution::Kind::kLogNormal);
  EXPECT_EQ(s->workload.output.cv, 0.3);
  EXPECT_EQ(s->workload.output.max, 900);
  auto fixed = ParseScenario("workload:\n  input_tokens: 512\n", "s.yaml");
  ASSERT_TRUE(fixed.ok()) << ErrorOf(fixed);
  EXPECT_EQ(fixed->workload.input.kind, LengthDistribution::Kind::kFixed);
  EXPECT_EQ(fixed->workload.input.min, 512);
  EXPECT_EQ(fixed->workload.input.max, 512);
}

TEST(ScenarioParser, CudaGraphBatchSizes) {
  auto sizes = ParseScenario("engine:\n  cuda_graph_batch_sizes: [1, 2, 4, 256]\n", "s.yaml");
  ASSERT_TRUE(sizes.ok()) << sizes.error().message;
  EXPECT_EQ(sizes->cuda_graph_batch_sizes, (std::vector<int>{1, 2, 4, 256}));
  auto none =
      ParseScenario("model: llama-3.1-8b\n", "s.yaml", {"engine.cuda_graph_batch_sizes=[]"});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->cuda_graph_batch_sizes, std::vector<int>{});
  for (const char* bad : {"[4, 2]", "[0, 8]", "[1, two]", "128", "{a: 1}"}) {
    const std::string e =
        ParseError("engine:\n  cuda_graph_batch_sizes: " + std::string(bad) + "\n");
    EXPECT_TRUE(Contains(e, "s.yaml:2")) << bad << " -> " << e;
    EXPECT_TRUE(Contains(e, "increasing positive integers")) << bad << " -> " << e;
  }
}

TEST(ScenarioParser, LengthDistributionErrors) {
  struct Case {
    const char* value;
    const char* expect;
  } cases[] = {
      {"{dist: normal, mean: 5}", "fixed, uniform, lognormal"},
      {"{dist: uniform, min: 5}", "needs min and max"},
      {"{dist: uniform, min: 50, max: 10}", "max must be at least min"},
      {"{dist: lognormal, mean: 100, cv: 0}", "cv > 0"},
      {"{dist: lognormal, cv: 1}", "needs mean"},
      {"{dist: fixed}", "needs mean"},
      {"{mean: abc}", "mean must be a number"},
      {"{mean: -4}", "between 0 and 1e8"},
      {"{maen: 4}", "did you mean: mean"},
      {"[1, 2]", "a number or a mapping"},
      {"0", "at least 1"},
      {"lots", "must be a number"},
  };
  for (const Case& c : cases) {
    const std::string e = ParseError("workload:\n  input_tokens: " + std::string(c.value) + "\n");
    EXPECT_TRUE(Contains(e, "s.yaml:2")) << c.value << " -> " << e;
    EXPECT_TRUE(Contains(e, "workload.input_tokens")) << c.value << " -> " << e;
    EXPECT_TRUE(Contains(e, c.expect)) << c.value << " -> " << e;
    EXPECT_TRUE(Contains(e, "{dist: fixed|uniform|lognormal")) << c.value << " -> " << e;
  }
}

TEST(ScenarioParser, TraceKindNeedsTraceFile) {
  const std::string e = ParseError("workload:\n  kind: trace\n");
  EXPECT_TRUE(Contains(e, "s.yaml:2")) << e;
  EXPECT_TRUE(Contains(e, "workload.trace")) << e;
}

TEST(ScenarioParser, LoadScenarioNamesMissingFile) {
  const std::string e = ErrorOf(LoadScenario("/nonexistent/scenario.yaml"));
  EXPECT_TRUE(Contains(e, "/nonexistent/scenario.yaml")) << e;
}

TEST(ScenarioParser, BaseDirIsTheScenarioFolder) {
  auto s = ParseScenario("", "some/dir/s.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->base_dir, "some/dir");
  EXPECT_EQ(ParseScenario("", "s.yaml")->base_dir, ".");
}

}  // namespace
}  // namespace tokenfab
