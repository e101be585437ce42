#include "nelder_mead.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tokenfab {
namespace {

// Standard coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2.
class Simplex {
 public:
  Simplex(const std::function<double(const std::vector<double>&)>& f, std::vector<double> lower,
          std::vector<double> upper)
      : f_(f), lower_(std::move(lower)), upper_(std::move(upper)) {}

  double Eval(std::vector<double>& x) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::clamp(x[i], lower_[i], upper_[i]);
    ++evaluations_;
    return f_(x);
  }
  void Add(std::vector<double> x) {
    const double v = Eval(x);
    points_.push_back({std::move(x), v});
  }
  void Sort() {
    std::sort(points_.begin(), points_.end(), [](auto& a, auto& b) { return a.second < b.second; });
  }
  double Spread() const { return points_.back().second - points_.front().second; }
  // Largest distance of a vertex from the best one along any axis, in units of `scale`.
  double Extent(const std::vector<double>& scale) const {
    double extent = 0;
    for (const auto& p : points_) {
      for (std::size_t i = 0; i < scale.size(); ++i) {
        extent = std::max(extent, std::abs(p.first[i] - points_[0].first[i]) / scale[i]);
      }
    }
    return extent;
  }

  // One Nelder-Mead step on the sorted simplex.
  void Step() {
    const std::size_t n = points_.size() - 1;
    std::vector<double> centroid(n, 0.0);
    for (std::size_t p = 0; p < n; ++p) {
      for (std::size_t i = 0; i < n; ++i) centroid[i] += points_[p].first[i] / n;
    }
    auto toward = [&](double t) {  // centroid + t * (centroid - worst)
      std::vector<double> x(n);
      for (std::size_t i = 0; i < n; ++i)
        x[i] = centroid[i] + t * (centroid[i] - points_[n].first[i]);
      return x;
    };
    auto reflected = toward(1.0);
    const double fr = Eval(reflected);
    if (fr < points_[0].second) {
      auto expanded = toward(2.0);
      const double fe = Eval(expanded);
      points_[n] = fe < fr ? std::make_pair(expanded, fe) : std::make_pair(reflected, fr);
    } else if (fr < points_[n - 1].second) {
      points_[n] = {reflected, fr};
    } else {
      auto contracted = toward(fr < points_[n].second ? 0.5 : -0.5);
      const double fc = Eval(contracted);
      if (fc < std::min(fr, points_[n].second)) {
        points_[n] = {contracted, fc};
      } else {
        Shrink();
      }
    }
    Sort();
  }

  void Shrink() {
    for (std::size_t p = 1; p < points_.size(); ++p) {
      for (std::size_t i = 0; i < points_[p].first.size(); ++i) {
        points_[p].first[i] = 0.5 * (points_[0].first[i] + points_[p].first[i]);
      }
      points_[p].second = Eval(points_[p].first);
    }
  }

  const std::pair<std::vector<double>, double>& Best() const { return points_.front(); }
  int evaluations() const { return evaluations_; }

 private:
  const std::function<double(const std::vector<double>&)>& f_;
  std::vector<double> lower_;
  std::vector<double> upper_;
  std::vector<std::pair<std::vector<double>, double>> points_;
  int evaluations_ = 0;
};

}  // namespace

BoxMinimum MinimizeInBox(const std::function<double(const std::vector<double>&)>& f,
                         const std::vector<double>& x0, const std::vector<double>& step,
                         const std::vector<double>& lower, const std::vector<double>& upper,
                         int max_evaluations, double tolerance) {
  if (x0.empty()) return {x0, f(x0), 1, true};
  Simplex s(f, lower, upper);
  s.Add(x0);
  for (std::size_t i = 0; i < x0.size(); ++i) {
    std::vector<double> x = x0;
    // Step away from the nearer bound so the vertex is not clamped back onto x0.
    x[i] += x0[i] + step[i] <= upper[i] ? step[i] : -step[i];
    s.Add(x);
  }
  s.Sort();
  // Converged when the values agree and the simplex has shrunk to a thousandth of its start
  // (equal values alone can happen on a symmetric valley far from its bottom).
  auto converged = [&] { return s.Spread() <= tolerance && s.Extent(step) <= 1e-3; };
  while (s.evaluations() < max_evaluations && !converged()) s.Step();
  return {s.Best().first, s.Best().second, s.evaluations(), converged()};
}

}  // namespace tokenfab
