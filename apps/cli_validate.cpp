// `tokenfab validate`: predictions against published measurements. It is a report: the exit
// code is 0 however large the errors; 3 when the table, split or calibration cannot be read.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "cli_commands.h"
#include "tokenfab/io/report.h"
#include "tokenfab/io/results.h"
#include "tokenfab/study/validation_report.h"

namespace tokenfab::cli {
namespace {

struct ValidateArgs {
  std::string data;
  std::string split_file;
  std::string split = "all";
  std::string report;
  std::string json;
  std::string filter;
  std::string metric_class;
  std::string profile;
  std::vector<std::string> calibration;
  std::string scenario;  // print this row's scenario instead of validating
  std::int64_t max_requests = 30000;
  int threads = 0;
  bool quiet = false;
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The command line that reproduces the run, for report headers.
std::string CommandLine(const ValidateArgs& a) {
  std::string c = "tokenfab validate";
  auto add = [&](const char* flag, const std::string& v) {
    if (!v.empty()) c += fmt::format(" {} {}", flag, v);
  };
  add("--data", a.data);
  add("--split-file", a.split_file);
  if (a.split != "all") add("--split", a.split);
  add("--filter", a.filter);
  add("--class", a.metric_class);
  add("--profile", a.profile);
  for (const std::string& f : a.calibration) add("--calibration", f);
  if (a.max_requests != 30000) add("--max-requests", std::to_string(a.max_requests));
  add("--report", a.report);
  return c;
}

bool AnySplit(const std::vector<MeasuredRow>& rows) {
  for (const MeasuredRow& r : rows) {
    if (!r.split.empty()) return true;
  }
  return false;
}

// `--scenario ID`: the YAML that `simulate` runs to reproduce that row as validate does.
void PrintRowScenario(const std::vector<MeasuredRow>& table, const std::string& data,
                      const ValidateArgs& a) {
  for (const MeasuredRow& row : table) {
    if (row.id != a.scenario) continue;
    auto text = RowScenarioFile(row, a.max_requests);
    if (!text) {
      return Fail(kExitInput, fmt::format("{}: row {} cannot be simulated: {}", DisplayPath(data),
                                          row.id, text.error().message));
    }
    std::fputs(text->c_str(), stdout);
    return;
  }
  Fail(kExitInput,
       fmt::format("--scenario {}: no row with that id in {} (ids are its first column)",
                   a.scenario, DisplayPath(data)));
}

void RunValidateCommand(const ValidateArgs& a) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return Fail(kExitInput, catalog.error().message);
  const std::string data = a.data.empty() ? DefaultMeasuredPath() : a.data;
  auto table = LoadMeasuredTable(data, a.split_file);
  if (!table) return Fail(kExitInput, table.error().message);
  if (!a.scenario.empty()) return PrintRowScenario(*table, data, a);
  if (a.split != "all" && !AnySplit(*table)) {
    return Fail(kExitInput, fmt::format("--split {}: no split file for '{}' (give --split-file)",
                                        a.split, data));
  }
  ValidateOptions options;
  options.split = a.split;
  options.filter = a.filter;
  options.metric_class = a.metric_class;
  options.profile = a.profile;
  options.max_requests = a.max_requests;
  options.threads = a.threads;
  auto calibration = LoadCalibration(a.calibration);
  if (!calibration) return Fail(kExitInput, calibration.error().message);
  options.calibration = std::move(calibration).value();
  ValidationRun run = RunValidation(*table, *catalog, options);
  run.data_path = DisplayPath(data);
  run.split_path = DisplayPath(a.split_file.empty() ? SplitPathFor(data) : a.split_file);
  for (const std::string& f : a.calibration)
    run.calibration += (run.calibration.empty() ? "" : ", ") + DisplayPath(f);
  if (!a.report.empty()) {
    const bool html = EndsWith(a.report, ".html") || EndsWith(a.report, ".htm");
    nlohmann::json data = ValidationJson(run);
    data["command"] = CommandLine(a);
    const std::string text =
        html ? ValidationReportHtml(data) : ValidationMarkdown(run, CommandLine(a));
    if (auto w = WriteText(a.report, text); !w) return Fail(kExitOutput, w.error().message);
  }
  if (!a.json.empty()) {
    if (auto w = WriteText(a.json, ValidationJson(run).dump(2) + "\n"); !w)
      return Fail(kExitOutput, w.error().message);
  }
  if (!a.quiet && a.json != "-") std::fputs(ValidationText(run).c_str(), stdout);
}

}  // namespace

std::string DisplayPath(const std::string& path) {
  std::error_code ec;
  const std::string rel = std::filesystem::proximate(path, ec).string();
  return ec || rel.rfind("..", 0) == 0 ? path : rel;
}

void AddValidate(CLI::App& app) {
  auto a = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "simulate every published measurement of a table and report predicted vs measured");
  cmd->add_option("--data", a->data, "measured table (CSV); default: data/validation/measured.csv");
  cmd->add_option("--split-file", a->split_file,
                  "fit/holdout split (CSV); default: split.csv beside the table");
  cmd->add_option("--split", a->split, "rows to run: fit, holdout or all")
      ->check(CLI::IsMember({"fit", "holdout", "all"}));
  cmd->add_option("--filter", a->filter, "only rows whose id, model or gpu contains TEXT");
  cmd->add_option("--class", a->metric_class, "only rows of this metric class")
      ->check(CLI::IsMember({"throughput", "ttft", "tpot", "other"}));
  cmd->add_option(
      "--profile", a->profile,
      "only rows served by this engine profile (trtllm, trtllm-1.0, trtllm-engine, vllm, sglang)");
  cmd->add_option("--calibration", a->calibration,
                  "calibrated engine constants (YAML; repeatable)");
  cmd->add_option("--max-requests", a->max_requests,
                  "requests per simulation at most (default 30000: every row runs its own count)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", a->threads, "worker threads (default: one per core)");
  cmd->add_option("--report", a->report, "write a report: PATH.md (Markdown) or PATH.html");
  cmd->add_option("--json", a->json, "write rows and summaries as JSON to PATH, or - for stdout");
  cmd->add_flag("--quiet,-q", a->quiet, "do not print the table");
  cmd->add_option("--scenario", a->scenario,
                  "print the scenario YAML row ID runs (its settings merged in) for `tokenfab "
                  "simulate`, instead of validating");
  cmd->callback([a] { RunValidateCommand(*a); });
}

}  // namespace tokenfab::cli
