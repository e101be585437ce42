// The calibrate job: fits the free constants of one engine profile (CalibratedConstants()) to
// the `fit` rows of the measured table by least squares on log(predicted / measured), and
// reports the error on the fit rows and on the held-out rows before and after.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tokenfab/catalog/catalog.h"
#include "tokenfab/study/calibration.h"
#include "tokenfab/study/validate.h"

namespace tokenfab {

struct CalibrateOptions {
  std::string profile = "trtllm";  // engine profile whose constants are fitted
  std::string gpu;                 // fit only this GPU's rows, into `gpus:` ("" = all GPUs)
  bool per_gpu = false;            // after the all-GPU fit, refit each GPU over it
  // per_gpu: fit the GPUs of one catalog `architecture` together (same kernels on the same
  // silicon) and write the values under each of its GPUs; else each GPU on its own
  bool per_architecture = false;
  std::vector<std::string> constants;  // names to fit (empty = all CalibratedConstants())
  // per_gpu: the constants refitted per GPU (empty = the same as `constants`)
  std::vector<std::string> per_gpu_constants;
  std::string metric_class;  // rows of this class only ("" = every class)
  std::string filter;        // substring of id, model or gpu ("" = all)
  // Fitting simulates every fit row per evaluation, so it runs short simulations.
  std::int64_t max_requests = 200;
  int max_rows = 0;           // fit an evenly spaced subset of at most this many rows (0 = all)
  int max_evaluations = 200;  // objective evaluations per fit
  int min_rows_per_gpu = 6;   // per_gpu: GPUs with fewer fit rows keep the all-GPU constants
  std::int64_t report_max_requests = 30000;  // simulations of the before/after report
  int threads = 0;
};

struct ConstantsFit {
  std::string scope;         // "all GPUs", a GPU id or an architecture
  ConstantOverrides values;  // fitted constants (the others unset)
  int rows = 0;
  int evaluations = 0;
  bool converged = false;           // the fit stopped on its tolerance, not on --max-evaluations
  double rms_log_error_before = 0;  // sqrt(mean(log(pred / meas)^2)) over the fitted rows
  double rms_log_error_after = 0;
};

struct CalibrationResult {
  ProfileCalibration calibration;
  std::vector<ConstantsFit> fits;  // the all-GPU fit first (unless options.gpu), then per GPU
  ErrorSummary fit_before;         // APE over the fit rows, catalog constants
  ErrorSummary fit_after;          // ... with the fitted constants
  ErrorSummary holdout_before;     // APE over the held-out rows of the same selection
  ErrorSummary holdout_after;
};

Result<CalibrationResult> Calibrate(const std::vector<MeasuredRow>& table, const Catalog& catalog,
                                    const CalibrateOptions& options);

// The data/calibration/<profile>.yaml text: header comment, constants, the fit, the row ids.
std::string CalibrationYaml(const CalibrationResult& result, const CalibrateOptions& options,
                            const std::string& command);
std::string CalibrationText(const CalibrationResult& result);
// How a printed fit says whether it converged (table fits and `calibrate --from` alike).
const char* ConvergenceText(bool converged);

}  // namespace tokenfab
