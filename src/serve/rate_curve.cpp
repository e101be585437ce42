// Time-varying arrival rates: piecewise-linear curves, optionally periodic (diurnal traffic).
#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "tokenfab/serve/workload.h"

namespace tokenfab {
namespace {

double Lerp(double t0, double r0, double t1, double r1, double t) {
  return t1 > t0 ? r0 + (r1 - r0) * (t - t0) / (t1 - t0) : r1;
}

}  // namespace

RateCurve::RateCurve(std::vector<RatePoint> points, double period_s)
    : points_(std::move(points)), period_s_(period_s) {
  for (const RatePoint& p : points_) peak_ = std::max(peak_, p.rate);
}

double RateCurve::At(double t) {
  const std::size_t n = points_.size();
  if (n == 0) return 0;
  double u = t;
  if (period_s_ > 0) {
    u = std::fmod(t, period_s_);
    if (u < 0) u += period_s_;
  }
  if (u < points_[cursor_].t_s) cursor_ = 0;  // a new period (or time went back)
  while (cursor_ + 1 < n && points_[cursor_ + 1].t_s <= u) ++cursor_;
  const RatePoint& a = points_[cursor_];
  if (u < a.t_s) {  // before the first point
    if (period_s_ <= 0) return a.rate;
    const RatePoint& last = points_.back();
    return Lerp(last.t_s - period_s_, last.rate, a.t_s, a.rate, u);
  }
  if (cursor_ + 1 < n) {
    const RatePoint& b = points_[cursor_ + 1];
    return Lerp(a.t_s, a.rate, b.t_s, b.rate, u);
  }
  if (period_s_ <= 0) return a.rate;
  return Lerp(a.t_s, a.rate, points_.front().t_s + period_s_, points_.front().rate, u);
}

bool RateCurve::ZeroFrom(double t) const {
  if (peak_ <= 0) return true;
  return period_s_ <= 0 && t >= points_.back().t_s && points_.back().rate <= 0;
}

std::string CheckRateCurve(const std::vector<RatePoint>& points, double period_s) {
  if (points.empty()) return "";
  if (!std::isfinite(period_s) || period_s < 0) {
    return fmt::format("the period {:g} s must be a finite number >= 0", period_s);
  }
  double peak = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const RatePoint& p = points[i];
    if (!std::isfinite(p.t_s) || p.t_s < 0) {
      return fmt::format("point {}: time {:g} s must be finite and >= 0", i + 1, p.t_s);
    }
    if (i > 0 && p.t_s <= points[i - 1].t_s) {
      return fmt::format("point {}: time {:g} s must be after the previous point's {:g} s", i + 1,
                         p.t_s, points[i - 1].t_s);
    }
    if (period_s > 0 && p.t_s >= period_s) {
      return fmt::format("point {}: time {:g} s must be below the period {:g} s", i + 1, p.t_s,
                         period_s);
    }
    if (!std::isfinite(p.rate) || p.rate < 0) {
      return fmt::format("point {}: rate {:g}/s must be finite and >= 0", i + 1, p.rate);
    }
    peak = std::max(peak, p.rate);
  }
  if (peak <= 0) return "every rate is 0: no request would ever arrive";
  return "";
}

std::vector<RatePoint> DiurnalCurve(double trough, double peak, double period_s, int points) {
  std::vector<RatePoint> curve;
  curve.reserve(static_cast<std::size_t>(std::max(points, 0)));
  for (int i = 0; i < points; ++i) {
    const double t = period_s * i / points;
    const double phase = (1 - std::cos(2 * std::numbers::pi * t / period_s)) / 2;
    curve.push_back({t, trough + (peak - trough) * phase});
  }
  return curve;
}

}  // namespace tokenfab
