// Calibration results out: the data/calibration/<profile>.yaml file and the terminal report.
#include <fmt/format.h>

#include "tokenfab/study/calibrate.h"

namespace tokenfab {
namespace {

std::string OverridesYaml(const ConstantOverrides& values, const std::string& indent) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i])
      out += fmt::format("{}{}: {:.6g}\n", indent, CalibratedConstants()[i].name, *values[i]);
  }
  return out;
}

std::string SummaryFlow(const ErrorSummary& s) {
  return fmt::format(
      "{{rows: {}, median_ape_pct: {:.2f}, p90_ape_pct: {:.2f}, max_ape_pct: {:.2f}}}", s.count,
      s.median_ape, s.p90_ape, s.max_ape);
}

std::string RowsYaml(const std::vector<std::string>& ids) {
  std::string out = "rows:\n";
  for (const std::string& id : ids) out += "  - " + id + "\n";
  return out;
}

std::string SummaryLine(const char* what, const ErrorSummary& before, const ErrorSummary& after) {
  return fmt::format(
      "  {:<13} {:>4} rows  median APE {:6.1f} % -> {:6.1f} %   p90 {:6.1f} % -> {:6.1f} %\n", what,
      after.count, before.median_ape, after.median_ape, before.p90_ape, after.p90_ape);
}

}  // namespace

std::string CalibrationYaml(const CalibrationResult& r, const CalibrateOptions& o,
                            const std::string& command) {
  const ProfileCalibration& c = r.calibration;
  std::string y = fmt::format(
      "# Constants of engine profile '{}' fitted to published measurements by\n"
      "#   {}\n"
      "# Least squares on log(predicted / measured) over the `fit` rows of\n"
      "# data/validation/measured.csv (data/validation/split.csv), Nelder-Mead within bounds.\n"
      "# Applied over data/catalog/engines.yaml by `tokenfab validate|simulate --calibration "
      "FILE`.\n"
      "# Regenerate with the command above; do not edit by hand.\n",
      c.profile, command);
  y += fmt::format("profile: {}\n", c.profile);
  if (const std::string s = OverridesYaml(c.constants, "  "); !s.empty()) y += "constants:\n" + s;
  if (!c.gpus.empty()) {
    y += "gpus:\n";
    for (const auto& [gpu, values] : c.gpus)
      y += fmt::format("  {}:\n{}", gpu, OverridesYaml(values, "    "));
  }
  y += "fit:\n";
  y += fmt::format("  metric_class: {}\n", o.metric_class.empty() ? "all" : o.metric_class);
  y += fmt::format("  max_requests: {}\n  max_rows: {}\n  scopes:\n", o.max_requests, o.max_rows);
  for (const ConstantsFit& f : r.fits) {
    y += fmt::format(
        "    - {{scope: {}, rows: {}, evaluations: {}, converged: {}, "
        "rms_log_error_before: {:.4f}, rms_log_error_after: {:.4f}}}\n",
        nlohmann::json(f.scope).dump(), f.rows, f.evaluations, f.converged, f.rms_log_error_before,
        f.rms_log_error_after);
  }
  y += fmt::format("  ape_at_max_requests: {}\n", o.report_max_requests);
  y += fmt::format("  fit_rows_before: {}\n  fit_rows_after: {}\n", SummaryFlow(r.fit_before),
                   SummaryFlow(r.fit_after));
  y += fmt::format("  holdout_rows_before: {}\n  holdout_rows_after: {}\n",
                   SummaryFlow(r.holdout_before), SummaryFlow(r.holdout_after));
  return y + RowsYaml(c.rows);
}

const char* ConvergenceText(bool converged) {
  return converged ? "converged" : "NOT converged: raise --max-evaluations";
}

std::string CalibrationText(const CalibrationResult& r) {
  std::string out = fmt::format("tokenfab calibrate: profile {}\n", r.calibration.profile);
  for (const ConstantsFit& f : r.fits) {
    // A fit cut short by --max-evaluations can move the held-out figures by points while its
    // error barely differs from the converged one's, so the report says which it is.
    out +=
        fmt::format("  fit over {} ({} rows, {} evaluations, {}): rms log error {:.4f} -> {:.4f}\n",
                    f.scope, f.rows, f.evaluations, ConvergenceText(f.converged),
                    f.rms_log_error_before, f.rms_log_error_after);
    for (std::size_t i = 0; i < f.values.size(); ++i) {
      if (f.values[i])
        out += fmt::format("    {:<22} {:.6g}\n", CalibratedConstants()[i].name, *f.values[i]);
    }
  }
  out += "APE before -> after calibration:\n";
  out += SummaryLine("fit rows", r.fit_before, r.fit_after);
  out += SummaryLine("holdout rows", r.holdout_before, r.holdout_after);
  return out;
}

}  // namespace tokenfab
