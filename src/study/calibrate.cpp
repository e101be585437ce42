#include "tokenfab/study/calibrate.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "nelder_mead.h"

namespace tokenfab {
namespace {

// log(pred / meas)^2 of a row that failed to simulate: as if it were off by 10x.
const double kFailedRowPenalty = std::pow(std::log(10.0), 2);

std::vector<int> FittedIndices(const std::vector<std::string>& names) {
  std::vector<int> out;
  if (names.empty()) {
    for (std::size_t i = 0; i < kNumCalibratedConstants; ++i) out.push_back(static_cast<int>(i));
    return out;
  }
  for (const std::string& name : names) {
    const int i = CalibratedConstantIndex(name);
    if (i < 0) throw InputError(fmt::format("calibrate: unknown constant '{}'", name));
    out.push_back(i);
  }
  return out;
}

// Keeps at most `max_rows` rows, evenly spaced in table order (all when max_rows <= 0).
std::vector<PreparedRow> Subsample(std::vector<PreparedRow> rows, int max_rows) {
  if (max_rows <= 0 || rows.size() <= static_cast<std::size_t>(max_rows)) return rows;
  std::vector<PreparedRow> out;
  for (int k = 0; k < max_rows; ++k) out.push_back(rows[k * rows.size() / max_rows]);
  return out;
}

double MeanSquaredLogError(const std::vector<RowOutcome>& outcomes) {
  double sum = 0;
  for (const RowOutcome& o : outcomes) {
    const bool ok = o.simulated && o.predicted > 0;
    sum += ok ? std::pow(std::log(o.predicted / o.row.value), 2) : kFailedRowPenalty;
  }
  return outcomes.empty() ? 0 : sum / outcomes.size();
}

// Fits the constants `indices` of `scope` ("" = all GPUs) over `rows`, starting from `base`;
// the values go under each GPU of `gpus` (default: the GPU `scope`).
ConstantsFit FitScope(const std::vector<PreparedRow>& rows, const Calibration& base,
                      const std::string& scope, const std::vector<int>& indices,
                      const CalibrateOptions& o, std::vector<std::string> gpus = {}) {
  if (gpus.empty() && !scope.empty()) gpus.push_back(scope);
  EngineProfile start_profile = rows.front().resolved->engine;  // the catalog's profile
  ApplyCalibration(base, gpus.empty() ? scope : gpus.front(), start_profile);
  std::vector<double> x0, step, lo, hi;
  for (int i : indices) {
    const CalibratedConstant& c = CalibratedConstants()[i];
    x0.push_back(std::clamp(start_profile.*(c.field), c.min, c.max));
    step.push_back(x0.back() > 0 ? 0.25 * x0.back() : 0.01 * (c.max - c.min));
    lo.push_back(c.min);
    hi.push_back(c.max);
  }
  auto with = [&](const std::vector<double>& x) {
    Calibration c = base;
    ProfileCalibration& p = c.profiles[o.profile];
    auto set = [&](ConstantOverrides& target) {
      for (std::size_t k = 0; k < indices.size(); ++k) target[indices[k]] = x[k];
    };
    if (gpus.empty()) set(p.constants);
    for (const std::string& gpu : gpus) set(p.gpus[gpu]);
    return c;
  };
  auto objective = [&](const std::vector<double>& x) {
    return MeanSquaredLogError(SimulateRows(rows, with(x), o.threads));
  };
  ConstantsFit fit;
  fit.scope = scope.empty() ? "all GPUs" : scope;
  fit.rows = static_cast<int>(rows.size());
  fit.rms_log_error_before = std::sqrt(objective(x0));
  const BoxMinimum m = MinimizeInBox(objective, x0, step, lo, hi, o.max_evaluations);
  fit.evaluations = m.evaluations + 1;
  fit.converged = m.converged;
  fit.rms_log_error_after = std::sqrt(m.value);
  for (std::size_t k = 0; k < indices.size(); ++k) fit.values[indices[k]] = m.x[k];
  return fit;
}

std::vector<MeasuredRow> Select(const std::vector<MeasuredRow>& table, const CalibrateOptions& o,
                                const std::string& split) {
  ValidateOptions v;
  v.split = split;
  v.filter = o.filter;
  v.metric_class = o.metric_class;
  v.profile = o.profile;
  std::vector<MeasuredRow> out;
  for (const MeasuredRow& r : table) {
    if (r.simulatable && RowSelected(r, v) && (o.gpu.empty() || r.gpu == o.gpu)) out.push_back(r);
  }
  return out;
}

std::vector<PreparedRow> Simulatable(std::vector<PreparedRow> rows) {
  std::erase_if(rows, [](const PreparedRow& p) { return !p.resolved || !(p.row.value > 0); });
  return rows;
}

// The scope a GPU's constants are refitted in: its catalog architecture or itself.
std::string RefitScope(const Catalog& catalog, const std::string& gpu, const CalibrateOptions& o) {
  if (!o.per_architecture) return gpu;
  const auto spec = catalog.Gpu(gpu);
  return spec && !spec->architecture.empty() ? spec->architecture : gpu;
}

void FitAll(const std::vector<PreparedRow>& rows, const std::vector<int>& indices,
            const std::vector<int>& per_gpu_indices, const CalibrateOptions& o,
            const Catalog& catalog, CalibrationResult& result) {
  Calibration base;
  base.profiles[o.profile].profile = o.profile;
  if (!o.gpu.empty()) {
    result.fits.push_back(FitScope(rows, base, o.gpu, indices, o));
    result.calibration.gpus[o.gpu] = result.fits.back().values;
    return;
  }
  result.fits.push_back(FitScope(Subsample(rows, o.max_rows), base, "", indices, o));
  result.calibration.constants = result.fits.back().values;
  if (!o.per_gpu) return;
  base.profiles[o.profile].constants = result.calibration.constants;
  std::set<std::string> scopes;
  for (const PreparedRow& p : rows) scopes.insert(RefitScope(catalog, p.row.gpu, o));
  for (const std::string& scope : scopes) {
    std::vector<PreparedRow> mine;
    for (const PreparedRow& p : rows) {
      if (RefitScope(catalog, p.row.gpu, o) == scope) mine.push_back(p);
    }
    if (static_cast<int>(mine.size()) < o.min_rows_per_gpu) continue;
    // An architecture's values hold for each of its catalogued GPUs, measured or not.
    std::vector<std::string> members;
    for (const auto& [id, spec] : catalog.gpus()) {
      if (RefitScope(catalog, id, o) == scope) members.push_back(id);
    }
    result.fits.push_back(
        FitScope(Subsample(mine, o.max_rows), base, scope, per_gpu_indices, o, members));
    for (const std::string& gpu : members) result.calibration.gpus[gpu] = result.fits.back().values;
  }
}

ErrorSummary Evaluate(const std::vector<MeasuredRow>& rows, const Catalog& catalog,
                      const Calibration& calibration, const CalibrateOptions& o) {
  return SummarizeRows(
      SimulateRows(PrepareRows(rows, catalog, o.report_max_requests), calibration, o.threads));
}

}  // namespace

Result<CalibrationResult> Calibrate(const std::vector<MeasuredRow>& table, const Catalog& catalog,
                                    const CalibrateOptions& o) {
  auto indices = CatchInputErrors([&] { return FittedIndices(o.constants); });
  if (!indices) return indices.error();
  auto per_gpu_indices = CatchInputErrors([&] {
    return o.per_gpu_constants.empty() ? FittedIndices(o.constants)
                                       : FittedIndices(o.per_gpu_constants);
  });
  if (!per_gpu_indices) return per_gpu_indices.error();
  if (!catalog.engines().count(o.profile))
    return Error{"calibrate: unknown engine profile '" + o.profile + "'"};
  const std::vector<MeasuredRow> fit_rows = Select(table, o, "fit");
  const std::vector<PreparedRow> prepared =
      Simulatable(PrepareRows(fit_rows, catalog, o.max_requests));
  if (prepared.empty()) {
    return Error{fmt::format("calibrate: no simulatable fit rows for profile '{}'{}", o.profile,
                             o.gpu.empty() ? "" : " on " + o.gpu)};
  }
  CalibrationResult result;
  result.calibration.profile = o.profile;
  for (const PreparedRow& p : prepared) result.calibration.rows.push_back(p.row.id);
  FitAll(prepared, *indices, *per_gpu_indices, o, catalog, result);
  Calibration none;
  Calibration fitted;
  fitted.profiles[o.profile] = result.calibration;
  const std::vector<MeasuredRow> holdout = Select(table, o, "holdout");
  result.fit_before = Evaluate(fit_rows, catalog, none, o);
  result.fit_after = Evaluate(fit_rows, catalog, fitted, o);
  result.holdout_before = Evaluate(holdout, catalog, none, o);
  result.holdout_after = Evaluate(holdout, catalog, fitted, o);
  return result;
}

}  // namespace tokenfab
