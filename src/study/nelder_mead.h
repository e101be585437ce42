// Derivative-free minimization in a box: Nelder-Mead with every trial point clamped into the
// bounds. Enough for the few smooth-ish constants `calibrate` fits, whose objective is a
// simulation (no gradients, a few hundred evaluations at most).
#pragma once

#include <functional>
#include <vector>

namespace tokenfab {

struct BoxMinimum {
  std::vector<double> x;
  double value = 0;
  int evaluations = 0;
  bool converged = false;  // stopped on the tolerance; false: max_evaluations ran out first
};

// REQUIRES: x0, step, lower, upper have the same size; lower <= x0 <= upper.
// REQUIRES: step[i] > 0. Stops after max_evaluations, or when the simplex's values span less
// than `tolerance` and its vertices lie within step / 1000 of the best one.
BoxMinimum MinimizeInBox(const std::function<double(const std::vector<double>&)>& f,
                         const std::vector<double>& x0, const std::vector<double>& step,
                         const std::vector<double>& lower, const std::vector<double>& upper,
                         int max_evaluations, double tolerance = 1e-7);

}  // namespace tokenfab
