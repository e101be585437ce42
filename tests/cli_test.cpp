// The tokenfab CLI run as a subprocess: outputs, exit codes and reproducibility.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "shell_run.h"
#include "tokenfab/io/settings.h"

namespace tokenfab {
namespace {

namespace fs = std::filesystem;

const std::string kSource = TOKENFAB_SOURCE_DIR;
const std::string kSmall = " --set workload.num_requests=200";

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    static int count = 0;
    path_ =
        fs::temp_directory_path() / ("tokenfab_cli_" + std::string(info->name()) + "_" +
                                     std::to_string(::getpid()) + "_" + std::to_string(++count));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Runs `tokenfab ARGS` from the source directory; stderr goes to a file so the two streams
// stay apart.
CliRun Cli(const std::string& args) {
  TempDir tmp;
  const std::string err_path = tmp / "stderr.txt";
  const std::string command = "cd '" + kSource + "' && '" + std::string(TOKENFAB_CLI) + "' " +
                              args + " 2>'" + err_path + "'";
  const test::ShellRun shell = test::RunShell(command);
  CliRun run;
  run.exit_code = shell.exit_code;
  run.out = shell.out;
  run.err = ReadFile(err_path);
  return run;
}

nlohmann::json JsonOf(const CliRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << run.out.substr(0, 500);
  return j;
}

TEST(Cli, SimulateWithoutScenarioPrintsSummary) {
  const CliRun r = Cli("simulate" + kSmall);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tokenfab simulate: llama-3.1-70b"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TTFT (ms)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("goodput"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(Cli, JsonHasEveryDocumentedKey) {
  const nlohmann::json j = JsonOf(Cli("simulate examples/default.yaml --json -" + kSmall));
  std::vector<std::string> keys = {
      "/config/num_gpus",
      "/config/model",
      "/throughput/requests_per_s",
      "/throughput/input_tokens_per_s",
      "/throughput/output_tokens_per_s",
      "/throughput/output_tokens_per_s_per_gpu",
      "/throughput/output_tokens_per_s_per_user",
      "/goodput/requests_per_s",
      "/kv_cache/peak_utilization",
      "/kv_cache/preemptions",
      "/batch/mean_size",
      "/energy/joules_per_output_token",
      "/energy/mean_power_w",
      "/sim/events",
      "/sim/simulated_s",
      "/sim/wall_s",
  };
  for (const char* metric : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"}) {
    for (const char* stat : {"mean", "p50", "p90", "p99"}) {
      keys.push_back(std::string("/latency/") + metric + "/" + stat);
    }
  }
  for (const std::string& key : keys) {
    const nlohmann::json::json_pointer p(key);
    ASSERT_TRUE(j.contains(p)) << key;
    if (key != "/config/model") EXPECT_TRUE(j.at(p).is_number()) << key << " = " << j.at(p);
  }
  EXPECT_EQ(j["config"]["num_gpus"], 8);
  EXPECT_EQ(j["config"]["workload"]["num_requests"], 200);
  EXPECT_GT(j["throughput"]["output_tokens_per_s"].get<double>(), 0);
  EXPECT_GT(j["sim"]["events"].get<double>(), 0);
}

TEST(Cli, SameScenarioAndSeedGiveIdenticalJson) {
  const std::string args = "simulate examples/default.yaml --json -" + kSmall;
  nlohmann::json a = JsonOf(Cli(args));
  nlohmann::json b = JsonOf(Cli(args));
  ASSERT_TRUE(a.contains("sim") && b.contains("sim"));
  a["sim"].erase("wall_s");
  b["sim"].erase("wall_s");
  EXPECT_EQ(a.dump(), b.dump());
}

TEST(Cli, SeedChangesResults) {
  const std::string args = "simulate examples/default.yaml --json -" + kSmall;
  const nlohmann::json a = JsonOf(Cli(args + " --seed 1"));
  const nlohmann::json b = JsonOf(Cli(args + " --seed 2"));
  EXPECT_EQ(a["config"]["seed"], 1);
  EXPECT_EQ(b["config"]["seed"], 2);
  EXPECT_NE(a["latency"].dump(), b["latency"].dump());
  EXPECT_NE(a["requests"].dump(), b["requests"].dump());
}

TEST(Cli, NegativeSeedRejected) {
  const CliRun r = Cli("simulate --seed -3" + kSmall);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("seed"), std::string::npos) << r.err;
}

TEST(Cli, CsvTablesHaveHeadersAndOneRowPerRequest) {
  TempDir tmp;
  const std::string dir = tmp / "out";
  const CliRun r = Cli("simulate --quiet --csv '" + dir + "'" + kSmall);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // --quiet
  std::istringstream requests(ReadFile(dir + "/requests.csv"));
  std::string line;
  ASSERT_TRUE(std::getline(requests, line));
  EXPECT_EQ(
      line,
      "id,instance,arrival_s,first_token_s,finish_s,input_tokens,output_tokens,ttft_ms,e2e_ms,"
      "preemptions");
  int rows = 0;
  while (std::getline(requests, line)) ++rows;
  EXPECT_EQ(rows, 200);
  std::istringstream iterations(ReadFile(dir + "/iterations.csv"));
  ASSERT_TRUE(std::getline(iterations, line));
  EXPECT_EQ(line,
            "instance,start_s,end_s,batch_tokens,prefill_tokens,prefill_sequences,decode_sequences,"
            "kv_blocks_used,kv_blocks_total,joules");
  rows = 0;
  while (std::getline(iterations, line)) ++rows;
  EXPECT_GT(rows, 0);
}

TEST(Cli, BadScenarioExits3WithMessageOnStderr) {
  TempDir tmp;
  const std::string path = tmp / "bad.yaml";
  std::ofstream(path) << "model: llama-3.1-8b\nparallelism:\n  tpp: 1\n";
  const CliRun r = Cli("simulate '" + path + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("tokenfab: error: " + path + ":3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean: parallelism.tp"), std::string::npos) << r.err;
}

TEST(Cli, ImpossibleConfigurationsExit3) {
  for (const char* args :
       {"--set parallelism.tp=3 --set hardware.num_gpus=3", "--set workload.num_requests=0",
        "--set model=llama-3.1-7b", "--set workload.kind=burst", "--set hardware.gpu=h100",
        "--set parallelism.ep=8 --set parallelism.tp=1",
        "--set parallelism.tp=1 --set hardware.num_gpus=1 "
        "--set model=llama-3.1-405b --set precision.weights=bf16",
        "--set workload.kind=trace --set workload.trace=/no/such.csv"}) {
    const CliRun r = Cli(std::string("simulate ") + args);
    EXPECT_EQ(r.exit_code, 3) << args << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.rfind("tokenfab: error: ", 0), 0u) << args << " -> " << r.err;
  }
  const CliRun missing = Cli("simulate no/such/scenario.yaml");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("no/such/scenario.yaml"), std::string::npos) << missing.err;
}

TEST(Cli, UsageErrorsExit2) {
  for (const char* args :
       {"simulate --no-such-flag", "", "frobnicate", "simulate --seed abc", "catalog cpus"}) {
    const CliRun r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << "'" << args << "'\n" << r.out << r.err;
  }
  EXPECT_EQ(Cli("--help").exit_code, 0);
  EXPECT_EQ(Cli("simulate --help").exit_code, 0);
}

TEST(Cli, UnwritableOutputExits4) {
  const CliRun json = Cli("simulate --quiet --json /no/such/dir/out.json" + kSmall);
  EXPECT_EQ(json.exit_code, 4) << json.err;
  EXPECT_NE(json.err.find("/no/such/dir/out.json"), std::string::npos) << json.err;
  TempDir tmp;
  const std::string file = tmp / "a_file";
  std::ofstream(file) << "x";
  const CliRun csv = Cli("simulate --quiet --csv '" + file + "/sub'" + kSmall);
  EXPECT_EQ(csv.exit_code, 4) << csv.err;
}

TEST(Cli, JsonToFile) {
  TempDir tmp;
  const std::string path = tmp / "m.json";
  const CliRun r = Cli("simulate --json '" + path + "'" + kSmall);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("throughput"), std::string::npos);  // the summary still prints
  const auto j = nlohmann::json::parse(ReadFile(path), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j.contains("latency"));
}

// calibrate --from: a measurement 1.5x slower in TPOT than the twin (a bench JSON made from
// simulate's, as `tokenfab bench` writes it) gives a calibration file that simulate applies.
// Regression: simulate --calibration used to change only the scenario's top engine, not the
// deployment's engine the run reads, so the file changed nothing.
TEST(Cli, CalibrateFromABenchJsonWritesAFileSimulateApplies) {
  TempDir tmp;
  const std::string scenario = "examples/emulate.yaml";
  nlohmann::json bench = JsonOf(Cli("simulate " + scenario + " --json -"));
  const double ttft = bench["latency"]["ttft_ms"]["mean"].get<double>();
  const double tpot = bench["latency"]["tpot_ms"]["mean"].get<double>();
  bench["latency"]["tpot_ms"]["mean"] = 1.5 * tpot;
  bench["bench"] = {{"endpoint", "http://127.0.0.1:8000"},
                    {"scenario",
                     {{"path", scenario},
                      {"yaml", ReadFile(kSource + "/" + scenario)},
                      {"overrides", nlohmann::json::array()}}}};
  std::ofstream(tmp / "bench.json") << bench.dump();
  const CliRun fit =
      Cli("calibrate --from '" + tmp / "bench.json" + "' --out '" + tmp / "c.yaml" + "'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  EXPECT_NE(fit.out.find("memory_efficiency"), std::string::npos) << fit.out;
  const nlohmann::json after =
      JsonOf(Cli("simulate " + scenario + " --calibration '" + tmp / "c.yaml" + "' --json -"));
  EXPECT_NEAR(after["latency"]["tpot_ms"]["mean"].get<double>(), 1.5 * tpot, 0.02 * tpot);
  EXPECT_NEAR(after["latency"]["ttft_ms"]["mean"].get<double>(), ttft, 0.02 * ttft);
  EXPECT_EQ(Cli("calibrate --from '" + tmp / "missing.json" + "'").exit_code, 3);
}

TEST(Cli, CatalogGpusListsSources) {
  const CliRun r = Cli("catalog gpus");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t h100 = r.out.find("h100-sxm");
  ASSERT_NE(h100, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("source: ", h100), std::string::npos) << r.out;
  for (const char* what : {"models", "engines", "systems", ""}) {
    const CliRun c = Cli(std::string("catalog ") + what);
    EXPECT_EQ(c.exit_code, 0) << what << c.err;
    EXPECT_NE(c.out.find("source"), std::string::npos) << what;
  }
}

TEST(Cli, KeysMarkdownHasARowPerKey) {
  const CliRun r = Cli("keys --markdown");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.starts_with("| `")) ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(ScenarioSettings().size()));
  for (const SettingInfo& s : ScenarioSettings()) {
    EXPECT_NE(r.out.find("| `" + std::string(s.key) + "` |"), std::string::npos) << s.key;
  }
  const CliRun plain = Cli("keys");
  EXPECT_EQ(plain.exit_code, 0);
  EXPECT_NE(plain.out.find("parallelism.tp"), std::string::npos);
}

}  // namespace
}  // namespace tokenfab
