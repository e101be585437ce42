// Error summaries of validation outcomes, overall and by group.
#include <cmath>
#include <functional>

#include "tokenfab/study/validate.h"

namespace tokenfab {
namespace {

std::string SourceFamily(const std::string& id) { return id.substr(0, id.find('-')); }

struct Dimension {
  const char* name;
  std::function<std::string(const MeasuredRow&)> key;
};

std::vector<Dimension> Dimensions() {
  return {
      {"split x class",
       [](const MeasuredRow& r) {
         return (r.split.empty() ? "unsplit" : r.split) + " / " + MetricClassOf(r.metric);
       }},
      {"class", [](const MeasuredRow& r) { return MetricClassOf(r.metric); }},
      {"metric", [](const MeasuredRow& r) { return r.metric; }},
      {"gpu", [](const MeasuredRow& r) { return r.gpu; }},
      {"model", [](const MeasuredRow& r) { return r.model; }},
      {"framework", [](const MeasuredRow& r) { return r.framework; }},
      // The runtime that simulates the row: one framework's rows can span releases (e.g.
      // TensorRT-LLM's trtllm-engine, trtllm-1.0 and trtllm).
      {"profile", [](const MeasuredRow& r) { return RowProfile(r); }},
      {"source", [](const MeasuredRow& r) { return SourceFamily(r.id); }},
      {"split", [](const MeasuredRow& r) { return r.split.empty() ? "unsplit" : r.split; }},
  };
}

}  // namespace

ErrorSummary SummarizeRows(const std::vector<RowOutcome>& rows) {
  std::vector<double> apes;
  std::vector<double> ratios;
  for (const RowOutcome& r : rows) {
    if (!r.simulated) continue;
    apes.push_back(r.ape);
    ratios.push_back(r.predicted / r.row.value);
  }
  return SummarizeErrors(apes, ratios);
}

std::vector<GroupSummary> Summaries(const std::vector<RowOutcome>& rows) {
  std::vector<GroupSummary> out{{"overall", "all", SummarizeRows(rows)}};
  for (const Dimension& d : Dimensions()) {
    std::map<std::string, std::vector<RowOutcome>> groups;
    for (const RowOutcome& r : rows) {
      if (r.simulated) groups[d.key(r.row)].push_back(r);
    }
    for (const auto& [value, members] : groups)
      out.push_back({d.name, value, SummarizeRows(members)});
  }
  return out;
}

ErrorSummary HoldoutThroughput(const std::vector<RowOutcome>& rows) {
  std::vector<RowOutcome> holdout;
  for (const RowOutcome& r : rows) {
    if (r.row.split == "holdout" && MetricClassOf(r.row.metric) == "throughput")
      holdout.push_back(r);
  }
  return SummarizeRows(holdout);
}

bool MeetsGoal(const ErrorSummary& s) {
  return s.count > 0 && s.median_ape <= kGoalMedianApe && s.p90_ape <= kGoalP90Ape;
}

}  // namespace tokenfab
