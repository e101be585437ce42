#include "tokenfab/study/validation_report.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "report_table.h"

namespace tokenfab {
namespace {

constexpr int kWorstRows = 10;

struct Section {
  const char* dimension;
  const char* title;
};
constexpr Section kSections[] = {
    {"split x class", "By split and metric class"},
    {"class", "By metric class"},
    {"metric", "By metric"},
    {"gpu", "By GPU"},
    {"model", "By model"},
    {"framework", "By framework"},
    {"profile", "By engine profile"},
    {"source", "By source family"},
};

std::string Deployment(const MeasuredRow& r) {
  std::string s;
  if (r.attention_dp) {
    s = fmt::format("DEP{}", r.ep.value_or(1));
  } else if (!r.tp && !r.pp && !r.ep) {
    s = fmt::format("TP{}", r.num_gpus.value_or(1));
  } else {
    s = fmt::format("TP{}", r.tp.value_or(1));
    if (r.pp.value_or(1) > 1) s += fmt::format("PP{}", *r.pp);
    if (r.ep.value_or(1) > 1) s += fmt::format("EP{}", *r.ep);
  }
  if (r.replicas.value_or(1) > 1) s += fmt::format(" x{}", *r.replicas);
  return s;
}

std::string Workload(const MeasuredRow& r) {
  const std::string lengths =
      fmt::format("{}/{}", r.input_tokens.value_or(0), r.output_tokens.value_or(0));
  std::string s;
  if (r.scenario == "closed") {
    s = fmt::format("closed c={} {}", r.concurrency.value_or(0), lengths);
  } else if (r.scenario == "poisson") {
    s = fmt::format("poisson {} req/s {}", FormatValue(r.rate.value_or(0)), lengths);
  } else {
    s = r.scenario + " " + lengths;
  }
  if (r.num_requests) s += fmt::format(", {} req", *r.num_requests);
  return s;
}

// What row_settings.csv adds to the row's columns (the engine profile and settings the source
// documents, and the marked inferences and fits), so that every simulated condition is in the
// table.
std::string Settings(const MeasuredRow& r) {
  return fmt::format("{}", fmt::join(r.settings, ", "));
}

ReportTable SummaryTable(const std::vector<GroupSummary>& summaries, const std::string& dimension) {
  ReportTable t{{dimension, "rows", "median APE %", "p90 APE %", "max APE %", "median pred/meas"},
                {false, true, true, true, true, true},
                {}};
  for (const GroupSummary& g : summaries) {
    if (g.dimension != dimension) continue;
    const ErrorSummary& e = g.errors;
    t.rows.push_back({g.value, std::to_string(e.count), fmt::format("{:.1f}", e.median_ape),
                      fmt::format("{:.1f}", e.p90_ape), fmt::format("{:.1f}", e.max_ape),
                      fmt::format("{:.3f}", e.median_ratio)});
  }
  return t;
}

ReportTable RowsTable(const std::vector<const RowOutcome*>& rows) {
  ReportTable t{
      {"id", "split", "gpu", "model", "framework", "precision", "deployment", "workload",
       "settings", "metric", "measured", "predicted", "APE %"},
      {false, false, false, false, false, false, false, false, false, false, true, true, true},
      {}};
  for (const RowOutcome* o : rows) {
    const MeasuredRow& r = o->row;
    t.rows.push_back({r.id, r.split, r.gpu, r.model, r.framework, r.precision, Deployment(r),
                      Workload(r), Settings(r), r.metric, FormatValue(r.value),
                      FormatValue(o->predicted), fmt::format("{:.1f}", o->ape)});
  }
  return t;
}

std::vector<const RowOutcome*> Simulated(const ValidationRun& run) {
  std::vector<const RowOutcome*> out;
  for (const RowOutcome& o : run.rows) {
    if (o.simulated) out.push_back(&o);
  }
  return out;
}

std::vector<const RowOutcome*> Worst(const ValidationRun& run) {
  std::vector<const RowOutcome*> out = Simulated(run);
  std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->ape > b->ape; });
  if (out.size() > kWorstRows) out.resize(kWorstRows);
  return out;
}

ReportTable SkippedTable(const ValidationRun& run) {
  ReportTable t{{"id", "gpu", "model", "metric", "reason"}, {}, {}};
  for (const RowOutcome& o : run.rows) {
    if (!o.simulated)
      t.rows.push_back({o.row.id, o.row.gpu, o.row.model, o.row.metric, o.skip_reason});
  }
  return t;
}

std::string GoalLine(const ValidationRun& run) {
  const ErrorSummary s = HoldoutThroughput(run.rows);
  if (s.count == 0)
    return "Goal (held-out throughput rows): no held-out throughput rows in this run.";
  return fmt::format(
      "Goal (held-out throughput rows: median APE <= {:.0f} %, p90 <= {:.0f} %): "
      "median {:.1f} %, p90 {:.1f} % over {} rows: {}.",
      kGoalMedianApe, kGoalP90Ape, s.median_ape, s.p90_ape, s.count,
      MeetsGoal(s) ? "met" : "NOT met");
}

std::string Counts(const ValidationRun& run) {
  const auto simulated = Simulated(run).size();
  return fmt::format(
      "{} rows in the table, {} not simulatable; {} selected, {} simulated, {} skipped",
      run.table_rows, run.not_simulatable, run.rows.size(), simulated, run.rows.size() - simulated);
}

std::string Selection(const ValidationRun& run) {
  const ValidateOptions& o = run.options;
  std::string s = "split " + o.split;
  if (!o.metric_class.empty()) s += ", class " + o.metric_class;
  if (!o.profile.empty()) s += ", profile " + o.profile;
  if (!o.filter.empty()) s += ", filter '" + o.filter + "'";
  s += fmt::format(", at most {} requests per simulation", o.max_requests);
  s += ", calibration " +
       (run.calibration.empty() ? std::string("none (catalog profiles)") : run.calibration);
  return s;
}

constexpr const char* kMethod =
    "Each row of the table is one published measurement (vendor performance pages, MLPerf "
    "Inference, papers and engineering blogs; every row names its source). tokenfab simulates the "
    "deployment and workload the row's columns describe, with the `settings` that "
    "`row_settings.csv` adds to it (engine profile, settings its source documents, marked "
    "inferences and fits), and reads the same metric from the simulation. APE = 100 x |predicted - "
    "measured| / measured; median and p90 interpolate linearly between ranks; \"median "
    "pred/meas\" > 1 means the twin over-predicts. Rows in the `fit` split may be used by "
    "`tokenfab calibrate`; `holdout` rows never are. `tokenfab validate --scenario ID` prints the "
    "scenario a row runs, for `tokenfab simulate` with the same `--calibration` files.";

}  // namespace

std::string ValidationText(const ValidationRun& run) {
  std::string out = TextTable(RowsTable(Simulated(run)));
  const ReportTable skipped = SkippedTable(run);
  if (!skipped.rows.empty()) out += "\nskipped rows:\n" + TextTable(skipped);
  for (const Section& s : kSections)
    out += fmt::format("\n{}:\n{}", s.title,
                       TextTable(SummaryTable(Summaries(run.rows), s.dimension)));
  const ErrorSummary all = SummarizeRows(run.rows);
  out +=
      fmt::format("\n{}\noverall: median APE {:.1f} %, p90 {:.1f} %, max {:.1f} % over {} rows\n",
                  Counts(run), all.median_ape, all.p90_ape, all.max_ape, all.count);
  return out + GoalLine(run) + "\n";
}

std::string ValidationMarkdown(const ValidationRun& run, const std::string& command) {
  const auto summaries = Summaries(run.rows);
  const ErrorSummary all = SummarizeRows(run.rows);
  std::string out = "# Validation: tokenfab against published measurements\n\n";
  out += fmt::format("Generated by `{}`. Do not edit by hand: rerun the command.\n\n", command);
  out += std::string(kMethod) + "\n\n";
  out += fmt::format("- Data: `{}`, split `{}` (see `data/validation/README.md`).\n", run.data_path,
                     run.split_path);
  out += fmt::format("- Selection: {}.\n- Rows: {}.\n", Selection(run), Counts(run));
  out += fmt::format("- Overall: median APE {:.1f} %, p90 {:.1f} %, max {:.1f} %.\n",
                     all.median_ape, all.p90_ape, all.max_ape);
  out += "- " + GoalLine(run) + "\n\n## Summary\n";
  for (const Section& s : kSections)
    out +=
        fmt::format("\n### {}\n\n{}", s.title, MarkdownTable(SummaryTable(summaries, s.dimension)));
  out +=
      fmt::format("\n## The {} worst rows\n\n{}", kWorstRows, MarkdownTable(RowsTable(Worst(run))));
  out += "\n## Every row\n\n" + MarkdownTable(RowsTable(Simulated(run)));
  const ReportTable skipped = SkippedTable(run);
  if (!skipped.rows.empty()) out += "\n## Skipped rows\n\n" + MarkdownTable(skipped);
  return out;
}

std::string ValidationHtml(const ValidationRun& run, const std::string& command) {
  const auto summaries = Summaries(run.rows);
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenfab validation</title>\n"
      "<style>body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse;"
      "margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:2px 8px;font-size:0.9em}"
      "th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}</style>\n"
      "</head><body>\n<h1>tokenfab against published measurements</h1>\n";
  out +=
      "<p>Generated by <code>" + HtmlEscape(command) + "</code>. " + HtmlEscape(kMethod) + "</p>\n";
  out += "<ul><li>Data: <code>" + HtmlEscape(run.data_path) +
         "</code></li><li>Selection: " + HtmlEscape(Selection(run)) +
         "</li><li>Rows: " + HtmlEscape(Counts(run)) + "</li><li>" + HtmlEscape(GoalLine(run)) +
         "</li></ul>\n";
  for (const Section& s : kSections)
    out += fmt::format("<h2>{}</h2>\n{}", s.title, HtmlTable(SummaryTable(summaries, s.dimension)));
  out +=
      fmt::format("<h2>The {} worst rows</h2>\n{}", kWorstRows, HtmlTable(RowsTable(Worst(run))));
  out += "<h2>Every row</h2>\n" + HtmlTable(RowsTable(Simulated(run)));
  const ReportTable skipped = SkippedTable(run);
  if (!skipped.rows.empty()) out += "<h2>Skipped rows</h2>\n" + HtmlTable(skipped);
  return out + "</body></html>\n";
}

nlohmann::json ErrorSummaryJson(const ErrorSummary& s) {
  return {{"count", s.count},
          {"median_ape_pct", s.median_ape},
          {"p90_ape_pct", s.p90_ape},
          {"max_ape_pct", s.max_ape},
          {"median_ratio", s.median_ratio}};
}

nlohmann::json ValidationJson(const ValidationRun& run) {
  const ValidateOptions& o = run.options;
  nlohmann::json j;
  j["data"] = run.data_path;
  j["split_file"] = run.split_path;
  j["calibration"] = run.calibration;
  j["options"] = {{"split", o.split},
                  {"filter", o.filter},
                  {"class", o.metric_class},
                  {"profile", o.profile},
                  {"max_requests", o.max_requests}};
  j["table_rows"] = run.table_rows;
  j["not_simulatable"] = run.not_simulatable;
  j["rows"] = nlohmann::json::array();
  j["skipped"] = nlohmann::json::array();
  for (const RowOutcome& r : run.rows) {
    if (!r.simulated) {
      j["skipped"].push_back({{"id", r.row.id}, {"reason", r.skip_reason}});
      continue;
    }
    j["rows"].push_back({{"id", r.row.id},
                         {"split", r.row.split},
                         {"gpu", r.row.gpu},
                         {"model", r.row.model},
                         {"framework", r.row.framework},
                         {"precision", r.row.precision},
                         {"metric", r.row.metric},
                         {"class", MetricClassOf(r.row.metric)},
                         {"measured", r.row.value},
                         {"predicted", r.predicted},
                         {"ape_pct", r.ape},
                         {"source", r.row.source}});
  }
  j["summaries"] = nlohmann::json::array();
  for (const GroupSummary& g : Summaries(run.rows)) {
    nlohmann::json s = ErrorSummaryJson(g.errors);
    s["dimension"] = g.dimension;
    s["value"] = g.value;
    j["summaries"].push_back(s);
  }
  const ErrorSummary goal = HoldoutThroughput(run.rows);
  j["goal"] = {{"median_ape_pct_max", kGoalMedianApe},
               {"p90_ape_pct_max", kGoalP90Ape},
               {"holdout_throughput", ErrorSummaryJson(goal)},
               {"met", MeetsGoal(goal)}};
  return j;
}

}  // namespace tokenfab
