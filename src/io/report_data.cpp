// The data behind the simulation charts: latency CDFs and time series on a grid of buckets.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "tokenfab/io/report.h"

namespace tokenfab {
namespace {

// Five significant digits keep the JSON short; charts cannot show more.
double Round(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 4 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * scale) / scale;
}

nlohmann::json Cdf(std::vector<double> values) {
  nlohmann::json out = nlohmann::json::array();
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const std::size_t k = std::min<std::size_t>(n, kCdfPoints);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t idx =
        k == 1 ? n - 1 : static_cast<std::size_t>(std::llround(i * (n - 1.0) / (k - 1.0)));
    out.push_back({Round(values[idx]), Round((idx + 1.0) / static_cast<double>(n))});
  }
  return out;
}

// `n` buckets of `width` ns from `t0`.
struct Grid {
  double t0 = 0;
  double width = 1;
  int n = 1;
  int Bucket(double t) const {
    const double b = std::floor((t - t0) / width);
    return static_cast<int>(std::clamp(b, 0.0, static_cast<double>(n - 1)));
  }
  double End() const { return t0 + width * n; }
};

// Time average over each bucket of the step function that starts at 0 and jumps by `delta`
// at each (time, delta).
std::vector<double> StepAverages(std::vector<std::pair<SimTime, double>> deltas, const Grid& g) {
  std::sort(deltas.begin(), deltas.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<double> area(g.n, 0.0);
  auto integrate = [&](double from, double to, double value) {
    if (value == 0) return;
    for (int b = g.Bucket(from); from < to && b < g.n; ++b) {
      const double end = b == g.n - 1 ? to : std::min(to, g.t0 + g.width * (b + 1));
      area[b] += value * (end - from);
      from = end;
    }
  };
  double value = 0;
  double prev = g.t0;
  for (const auto& [t, delta] : deltas) {
    const double now = std::max(prev, static_cast<double>(t));
    integrate(prev, now, value);
    prev = now;
    value += delta;
  }
  integrate(prev, g.End(), value);
  for (double& a : area) a = std::max(0.0, a / g.width);
  return area;
}

nlohmann::json Rounded(const std::vector<double>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (double x : v) out.push_back(Round(x));
  return out;
}

// Per-bucket means of the iterations' values (null where no iteration ends in the bucket).
nlohmann::json Means(const std::vector<double>& sum, const std::vector<int>& count) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t b = 0; b < sum.size(); ++b) {
    out.push_back(count[b] > 0 ? nlohmann::json(Round(sum[b] / count[b])) : nlohmann::json());
  }
  return out;
}

void AddIterationSeries(const std::vector<IterationRecord>& iterations, const Grid& g,
                        nlohmann::json& series) {
  std::vector<double> kv(g.n, 0.0), kv_max(g.n, 0.0), seqs(g.n, 0.0), tokens(g.n, 0.0);
  std::vector<int> count(g.n, 0), kv_count(g.n, 0);
  for (const IterationRecord& it : iterations) {
    const int b = g.Bucket(static_cast<double>(it.end));
    ++count[b];
    seqs[b] += it.batch.Sequences();
    tokens[b] += static_cast<double>(it.batch.Tokens());
    if (it.kv_blocks_total > 0) {
      const double u = static_cast<double>(it.kv_blocks_used) / it.kv_blocks_total;
      kv[b] += u;
      kv_max[b] = std::max(kv_max[b], u);
      ++kv_count[b];
    }
  }
  series["kv_utilization"] = Means(kv, kv_count);
  nlohmann::json max = nlohmann::json::array();
  for (int b = 0; b < g.n; ++b) {
    max.push_back(kv_count[b] > 0 ? nlohmann::json(Round(kv_max[b])) : nlohmann::json());
  }
  series["kv_utilization_max"] = std::move(max);
  series["batch_sequences"] = Means(seqs, count);
  series["batch_tokens"] = Means(tokens, count);
}

Grid MakeGrid(const ServeResult& result, int max_points) {
  SimTime begin = result.requests.front().arrival;
  SimTime end = begin;
  for (const Request& r : result.requests) {
    begin = std::min(begin, r.arrival);
    end = std::max({end, r.arrival, r.finish});
  }
  for (const IterationRecord& it : result.iterations) end = std::max(end, it.end);
  Grid g;
  const SimTime span = std::max<SimTime>(1, end - begin);
  g.t0 = static_cast<double>(begin);
  g.n = static_cast<int>(std::clamp<SimTime>(span, 1, std::max(1, max_points)));
  g.width = static_cast<double>(span) / g.n;
  return g;
}

}  // namespace

nlohmann::json SimulationChartData(const ServeResult& result, int max_points) {
  nlohmann::json out;
  std::vector<double> ttft, tpot, e2e;
  for (const Request& r : result.requests) {
    if (!r.Finished()) continue;
    ttft.push_back(SimTimeToMillis(r.first_token - r.arrival));
    e2e.push_back(SimTimeToMillis(r.finish - r.arrival));
    if (r.output_tokens > 1) {
      tpot.push_back(SimTimeToMillis(r.finish - r.first_token) / (r.output_tokens - 1));
    }
  }
  out["cdf"] = {{"ttft_ms", Cdf(ttft)}, {"tpot_ms", Cdf(tpot)}, {"e2e_ms", Cdf(e2e)}};
  out["series"] = nlohmann::json::object();
  if (result.requests.empty()) return out;

  const Grid g = MakeGrid(result, max_points);
  std::vector<std::pair<SimTime, double>> in_system, waiting, decode_rate;
  std::vector<double> first_tokens(g.n, 0.0);
  for (const Request& r : result.requests) {
    in_system.emplace_back(r.arrival, 1.0);
    waiting.emplace_back(r.arrival, 1.0);
    if (r.finish >= 0) in_system.emplace_back(r.finish, -1.0);
    if (r.first_token < 0) continue;
    waiting.emplace_back(r.first_token, -1.0);
    first_tokens[g.Bucket(static_cast<double>(r.first_token))] += 1;
    if (r.finish < 0 || r.output_tokens <= 1) continue;
    if (r.finish == r.first_token) {
      first_tokens[g.Bucket(static_cast<double>(r.finish))] += r.output_tokens - 1;
      continue;
    }
    // Decode tokens spread evenly between the first token and the finish.
    const double rate = (r.output_tokens - 1) / SimTimeToSeconds(r.finish - r.first_token);
    decode_rate.emplace_back(r.first_token, rate);
    decode_rate.emplace_back(r.finish, -rate);
  }
  std::vector<double> throughput = StepAverages(std::move(decode_rate), g);
  const double width_s = g.width * 1e-9;
  for (int b = 0; b < g.n; ++b) {
    throughput[b] = (throughput[b] < 1e-6 ? 0.0 : throughput[b]) + first_tokens[b] / width_s;
  }
  std::vector<double> t_s(g.n);
  for (int b = 0; b < g.n; ++b) t_s[b] = (g.t0 + g.width * (b + 0.5)) * 1e-9;

  nlohmann::json& series = out["series"];
  series["t_s"] = Rounded(t_s);
  series["output_tokens_per_s"] = Rounded(throughput);
  series["in_system"] = Rounded(StepAverages(std::move(in_system), g));
  series["waiting"] = Rounded(StepAverages(std::move(waiting), g));
  if (!result.iterations.empty()) AddIterationSeries(result.iterations, g, series);
  out["bucket_s"] = Round(width_s);
  out["t0_s"] = Round(g.t0 * 1e-9);
  return out;
}

}  // namespace tokenfab
