// YAML scenario files and --set overrides into a typed Scenario. Every error names the file
// (or the --set argument), the line and key, and what would be valid.
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "tokenfab/core/names.h"
#include "tokenfab/core/units.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/io/settings.h"

namespace tokenfab {
namespace {

// Limits that keep simulated times in range (see CheckOpenLoop and ReadServing).
constexpr double kMaxArrivalSpanS = 1e8;  // as the trace reader's kMaxSpanSeconds
constexpr double kMaxGammaCv = 100;
constexpr double kMaxKvTransferLatencyS = 3600;
constexpr double kMinKvTransferBandwidth = 1e6;  // bytes/s
constexpr double kMinWindowS = 1e-3;             // a window shorter than an iteration is noise

// A setting's node and where it was written.
struct Located {
  YAML::Node node;
  std::string where;   // "file.yaml:12" or "--set key=value"
  std::string origin;  // the file, for nested structures' own line numbers
};

std::vector<std::string> AllKeys() {
  std::vector<std::string> keys;
  for (const SettingInfo& s : ScenarioSettings()) keys.emplace_back(s.key);
  return keys;
}

bool IsPrefixOfSetting(const std::string& prefix) {
  for (const SettingInfo& s : ScenarioSettings()) {
    if (s.key.size() > prefix.size() && s.key.substr(0, prefix.size()) == prefix &&
        s.key[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string At(const std::string& origin, const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return m.line >= 0 ? fmt::format("{}:{}", origin, m.line + 1) : origin;
}

[[noreturn]] void UnknownKey(const std::string& where, const std::string& key) {
  const auto near = NearestNames(key, AllKeys());
  throw InputError(
      fmt::format("{}: unknown scenario key '{}'{}; valid keys are listed by "
                  "'tokenfab keys' and in docs/scenario.md",
                  where, key, near.empty() ? "" : " (did you mean: " + JoinNames(near) + "?)"));
}

void Flatten(const YAML::Node& map, const std::string& prefix, const std::string& origin,
             std::map<std::string, Located>& out) {
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      throw InputError(
          fmt::format("{}: scenario keys are plain names such as model or parallelism, "
                      "got '{}'",
                      At(origin, kv.first), YAML::Dump(kv.first)));
    }
    const std::string name = kv.first.Scalar();
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    if (FindSetting(key)) {
      out[key] = {kv.second, At(origin, kv.first), origin};
    } else if (IsPrefixOfSetting(key)) {
      if (!kv.second.IsMap()) {
        throw InputError(
            fmt::format("{}: '{}' must be a mapping of its sub-keys", At(origin, kv.first), key));
      }
      Flatten(kv.second, key, origin, out);
    } else {
      UnknownKey(At(origin, kv.first), key);
    }
  }
}

YAML::Node LoadYaml(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
}

void ApplyOverride(const std::string& text, std::map<std::string, Located>& settings) {
  const std::size_t eq = text.find('=');
  const std::string where = "--set " + text;
  if (eq == std::string::npos || eq == 0) {
    throw InputError(where + ": expected KEY=VALUE with a dotted key, e.g. parallelism.tp=4");
  }
  const std::string key = text.substr(0, eq);
  if (!FindSetting(key)) UnknownKey(where, key);
  YAML::Node value = LoadYaml(text.substr(eq + 1), where);
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(std::string());
  settings[key] = {value, where, ""};
}

class Reader {
 public:
  explicit Reader(const std::map<std::string, Located>& s) : s_(s) {}

  // The node of `key`, or the parsed default.
  Located Get(const std::string& key) const {
    auto it = s_.find(key);
    if (it != s_.end()) return it->second;
    const SettingInfo* info = FindSetting(key);
    return {YAML::Load(std::string(info->default_text)), "default of " + key, ""};
  }
  bool Has(const std::string& key) const { return s_.count(key) > 0; }

  template <typename T>
  T As(const std::string& key) const {
    const Located l = Get(key);
    try {
      if (!l.node.IsScalar()) throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
      return l.node.as<T>();
    } catch (const YAML::Exception&) {
      throw InputError(fmt::format("{}: key '{}' must be a{} {}, got '{}'", l.where, key,
                                   FindSetting(key)->type == SettingType::kInt ? "n" : "",
                                   SettingTypeName(FindSetting(key)->type), Dump(l.node)));
    }
  }
  std::string Str(const std::string& key) const {
    const Located l = Get(key);
    if (l.node.IsNull() || !l.node.IsDefined()) return "";
    return As<std::string>(key);
  }
  int Int(const std::string& key, int min) const {
    const long long v = As<long long>(key);
    if (v < min || v > 100'000'000) {
      throw InputError(fmt::format("{}: key '{}' must be an integer from {} to 100000000, got {}",
                                   Get(key).where, key, min, v));
    }
    return static_cast<int>(v);
  }
  std::optional<int> OptInt(const std::string& key, int min) const {
    if (!Has(key)) return std::nullopt;
    return Int(key, min);
  }
  double Number(const std::string& key, double min, bool inclusive) const {
    const double v = As<double>(key);
    if (!std::isfinite(v) || v < min || (!inclusive && v == min)) {
      throw InputError(fmt::format("{}: key '{}' must be a number {} {}, got {}", Get(key).where,
                                   key, inclusive ? ">=" : ">", min, v));
    }
    return v;
  }
  std::string Choice(const std::string& key, const std::vector<std::string>& valid) const {
    const std::string v = Str(key);
    for (const auto& c : valid) {
      if (v == c) return v;
    }
    throw InputError(fmt::format("{}: key '{}': {}", Get(key).where, key,
                                 UnknownNameMessage("value", v, valid)));
  }
  LengthDistribution Length(const std::string& key) const;

  static std::string Dump(const YAML::Node& n) {
    YAML::Emitter e;
    e.SetMapFormat(YAML::Flow);
    e.SetSeqFormat(YAML::Flow);
    e << n;
    return e.c_str();
  }

 private:
  const std::map<std::string, Located>& s_;
};

LengthDistribution Reader::Length(const std::string& key) const {
  const Located l = Get(key);
  LengthDistribution d;
  auto fail = [&](const std::string& what) {
    throw InputError(
        fmt::format("{}: key '{}': {}; write a token count (e.g. 1024) or "
                    "{{dist: fixed|uniform|lognormal, mean:, cv:, min:, max:}}",
                    l.where, key, what));
  };
  auto number = [&](const YAML::Node& n, const std::string& sub) {
    try {
      const double v = n.as<double>();
      if (!std::isfinite(v) || v < 0 || v > 1e8) fail(sub + " must be between 0 and 1e8");
      return v;
    } catch (const YAML::Exception&) {
      fail(sub + " must be a number, got '" + Dump(n) + "'");
    }
    return 0.0;
  };
  if (l.node.IsScalar()) {
    d.mean = number(l.node, "the token count");
    if (d.mean < 1) fail("the token count must be at least 1");
    d.min = d.max = d.mean;
    return d;
  }
  if (!l.node.IsMap()) fail("expected a number or a mapping");
  std::string dist = "fixed";
  bool has_mean = false, has_min = false, has_max = false;
  for (const auto& kv : l.node) {
    const std::string sub = kv.first.IsScalar() ? kv.first.Scalar() : Dump(kv.first);
    if (sub == "dist") {
      if (!kv.second.IsScalar()) fail("dist must be one of fixed, uniform, lognormal");
      dist = kv.second.Scalar();
    } else if (sub == "mean") {
      d.mean = number(kv.second, "mean");
      has_mean = true;
    } else if (sub == "cv") {
      d.cv = number(kv.second, "cv");
    } else if (sub == "min") {
      d.min = number(kv.second, "min");
      has_min = true;
    } else if (sub == "max") {
      d.max = number(kv.second, "max");
      has_max = true;
    } else {
      fail(UnknownNameMessage("sub-key", sub, {"dist", "mean", "cv", "min", "max"}));
    }
  }
  if (dist == "fixed") {
    d.kind = LengthDistribution::Kind::kFixed;
    if (!has_mean) fail("dist fixed needs mean");
    d.min = std::min(d.min, d.mean);
    if (!has_max) d.max = d.mean;
  } else if (dist == "uniform") {
    d.kind = LengthDistribution::Kind::kUniform;
    if (!has_min || !has_max) fail("dist uniform needs min and max");
    d.mean = (d.min + d.max) / 2;
  } else if (dist == "lognormal") {
    d.kind = LengthDistribution::Kind::kLogNormal;
    if (!has_mean || d.cv <= 0) fail("dist lognormal needs mean and cv > 0");
  } else {
    fail(UnknownNameMessage("dist", dist, {"fixed", "uniform", "lognormal"}));
  }
  if (d.min < 1) d.min = 1;
  if (d.max < d.min) fail("max must be at least min");
  if (d.mean < 1) fail("mean must be at least 1");
  return d;
}

// Open-loop arrivals become integer nanoseconds (SimTime, about 292 years): the expected span
// num_requests / rate stays within the trace reader's limit, and gamma's CV where its shape
// 1 / cv^2 is still a normal double.
void CheckOpenLoop(const Reader& r, const Scenario& s) {
  const WorkloadSpec& w = s.workload;
  if (s.workload_kind != "poisson" && s.workload_kind != "gamma" && s.workload_kind != "sessions") {
    return;
  }
  if (static_cast<double>(w.num_requests) / w.rate > kMaxArrivalSpanS) {
    throw InputError(fmt::format(
        "{}: key 'workload.rate': {} requests at {} per second span {:g} s; at most {:g} s "
        "(about 3 years) can be simulated, raise the rate or lower workload.num_requests",
        r.Get("workload.rate").where, w.num_requests, w.rate, w.num_requests / w.rate,
        kMaxArrivalSpanS));
  }
  if (s.workload_kind == "gamma" && w.cv > kMaxGammaCv) {
    throw InputError(
        fmt::format("{}: key 'workload.cv' must be a number > 0 and at most {}, got {}",
                    r.Get("workload.cv").where, kMaxGammaCv, w.cv));
  }
}

// workload.rate_curve: [[t_s, rate], ...] (or {t_s:, rate:} items).
std::vector<RatePoint> ReadRateCurve(const Reader& r) {
  const Located l = r.Get("workload.rate_curve");
  const std::string shape =
      ": 'workload.rate_curve' must be a list of [t_s, rate] points, e.g. "
      "[[0, 2], [1800, 10], [3600, 2]]";
  if (!l.node.IsSequence() || l.node.size() == 0) throw InputError(l.where + shape);
  std::vector<RatePoint> points;
  for (const YAML::Node& item : l.node) {
    const std::string at = l.origin.empty() ? l.where : At(l.origin, item);
    RatePoint p;
    try {
      if (item.IsSequence() && item.size() == 2) {
        p = {item[0].as<double>(), item[1].as<double>()};
      } else if (item.IsMap() && item["t_s"] && item["rate"] && item.size() == 2) {
        p = {item["t_s"].as<double>(), item["rate"].as<double>()};
      } else {
        throw InputError(at + shape);
      }
    } catch (const YAML::Exception&) {
      throw InputError(at + shape + "; got '" + Reader::Dump(item) + "'");
    }
    points.push_back(p);
  }
  return points;
}

// The open-loop rate that sets how long num_requests arrivals take: the curve's mean over a
// period when it repeats, else its last rate (it stays there after the last point).
double SustainedRate(const std::vector<RatePoint>& c, double period_s) {
  if (period_s <= 0) return c.back().rate;
  double area = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const RatePoint& a = c[i];
    const RatePoint b = i + 1 < c.size() ? c[i + 1] : RatePoint{c[0].t_s + period_s, c[0].rate};
    area += (b.t_s - a.t_s) * (a.rate + b.rate) / 2;
  }
  return area / period_s;
}

void ReadRates(const Reader& r, Scenario& s) {
  WorkloadSpec& w = s.workload;
  const bool diurnal = r.Has("workload.diurnal.peak_rate");
  if (diurnal && r.Has("workload.rate_curve")) {
    throw InputError(r.Get("workload.diurnal.peak_rate").where +
                     ": give workload.diurnal or workload.rate_curve, not both");
  }
  if (!diurnal && (r.Has("workload.diurnal.trough_rate") || r.Has("workload.diurnal.period_s"))) {
    const std::string key = r.Has("workload.diurnal.trough_rate") ? "workload.diurnal.trough_rate"
                                                                  : "workload.diurnal.period_s";
    throw InputError(r.Get(key).where + ": key '" + key +
                     "' needs workload.diurnal.peak_rate, the rate at the peak of the cycle");
  }
  if (diurnal) {
    const double peak = r.Number("workload.diurnal.peak_rate", 0, false);
    const double trough = r.Has("workload.diurnal.trough_rate")
                              ? r.Number("workload.diurnal.trough_rate", 0, true)
                              : peak / 4;
    const double period = r.Has("workload.diurnal.period_s")
                              ? r.Number("workload.diurnal.period_s", 0, false)
                              : 86400;
    if (trough > peak) {
      throw InputError(r.Get("workload.diurnal.trough_rate").where +
                       ": key 'workload.diurnal.trough_rate' must not exceed the peak rate");
    }
    if (period > kMaxArrivalSpanS) {
      throw InputError(fmt::format("{}: key 'workload.diurnal.period_s' must be at most {:g} s",
                                   r.Get("workload.diurnal.period_s").where, kMaxArrivalSpanS));
    }
    // 96 points: a quarter-hour resolution over a day, far finer than the cycle's curvature.
    w.rate_curve = DiurnalCurve(trough, peak, period, 96);
    w.rate_period_s = period;
  } else if (r.Has("workload.rate_curve")) {
    w.rate_curve = ReadRateCurve(r);
    w.rate_period_s = r.Number("workload.rate_period_s", 0, true);
    std::string problem = CheckRateCurve(w.rate_curve, w.rate_period_s);
    if (problem.empty() && w.rate_curve.back().t_s > kMaxArrivalSpanS) {
      problem = fmt::format("times must be at most {:g} s", kMaxArrivalSpanS);
    }
    if (!problem.empty()) {
      throw InputError(r.Get("workload.rate_curve").where +
                       ": key 'workload.rate_curve': " + problem);
    }
  } else if (r.Number("workload.rate_period_s", 0, true) > 0) {
    throw InputError(r.Get("workload.rate_period_s").where +
                     ": key 'workload.rate_period_s' needs a workload.rate_curve to repeat");
  }
  if (w.rate_curve.empty()) return;
  const std::string& kind = s.workload_kind;
  if (kind != "poisson" && kind != "gamma" && kind != "sessions") {
    throw InputError(r.Get(diurnal ? "workload.diurnal.peak_rate" : "workload.rate_curve").where +
                     ": a time-varying rate needs workload.kind poisson, gamma or sessions, not " +
                     kind);
  }
  const double sustained = SustainedRate(w.rate_curve, w.rate_period_s);
  if (sustained > 0 && static_cast<double>(w.num_requests) / sustained > kMaxArrivalSpanS) {
    throw InputError(fmt::format(
        "{}: {} requests at the curve's sustained {:g} per second span more than {:g} s; "
        "raise the rates or lower workload.num_requests",
        r.Get(diurnal ? "workload.diurnal.peak_rate" : "workload.rate_curve").where, w.num_requests,
        sustained, kMaxArrivalSpanS));
  }
}

void ReadSessions(const Reader& r, Scenario& s) {
  SessionSpec& sessions = s.workload.sessions;
  sessions.enabled = s.workload_kind == "sessions" || r.As<bool>("workload.sessions.enabled");
  sessions.turns = r.Length("workload.sessions.turns");
  if (sessions.turns.max > 10000) sessions.turns.max = 10000;
  sessions.think_time_s = r.Number("workload.sessions.think_time_s", 0, true);
  if (sessions.think_time_s > 1e6) {
    throw InputError(r.Get("workload.sessions.think_time_s").where +
                     ": key 'workload.sessions.think_time_s' must be at most 1e6 s");
  }
  sessions.max_context_tokens = r.OptInt("workload.sessions.max_context_tokens", 2).value_or(0);
  if (sessions.enabled && s.workload_kind == "trace") {
    throw InputError(r.Get("workload.sessions.enabled").where +
                     ": a trace brings its own requests; workload.sessions does not apply to "
                     "workload.kind trace (Mooncake traces carry their prefixes in hash_ids)");
  }
}

void ReadSpeculative(const Reader& r, Scenario& s) {
  s.spec_tokens = static_cast<int>(r.As<long long>("speculative.num_tokens"));
  if (s.spec_tokens < 0 || s.spec_tokens > 16) {
    throw InputError(r.Get("speculative.num_tokens").where +
                     ": key 'speculative.num_tokens' must be an integer from 0 to 16");
  }
  s.spec_acceptance = r.Number("speculative.acceptance_rate", 0, true);
  if (s.spec_acceptance > 1) {
    throw InputError(r.Get("speculative.acceptance_rate").where +
                     ": key 'speculative.acceptance_rate' must be between 0 and 1");
  }
  s.spec_method = r.Choice("speculative.method", {"mtp", "draft_model"});
  s.spec_draft_model = r.Str("speculative.draft_model");
  if (s.spec_method == "draft_model" && s.spec_tokens > 0 && s.spec_draft_model.empty()) {
    throw InputError(r.Get("speculative.method").where +
                     ": speculative.method draft_model needs speculative.draft_model (a catalog "
                     "model id such as llama-3.1-8b, or a config.json path)");
  }
}

void ReadPool(const Reader& r, const std::string& prefix, PoolOverrides& p) {
  p.instances = r.OptInt(prefix + ".instances", 1);
  p.tp = r.OptInt(prefix + ".tp", 1);
  p.ep = r.OptInt(prefix + ".ep", 1);
  if (r.Has(prefix + ".attention_dp")) p.attention_dp = r.As<bool>(prefix + ".attention_dp");
  p.max_batch_size = r.OptInt(prefix + ".max_batch_size", 1);
}

void ReadServing(const Reader& r, Scenario& s) {
  s.serving_mode = r.Choice("serving.mode", {"aggregated", "disaggregated"});
  ReadPool(r, "serving.prefill", s.prefill);
  ReadPool(r, "serving.decode", s.decode);
  if (s.serving_mode == "disaggregated") {
    s.prefill.instances = s.prefill.instances.value_or(1);
    s.decode.instances = s.decode.instances.value_or(1);
  }
  s.kv_transfer_bandwidth = r.Str("serving.kv_transfer.bandwidth");
  s.kv_transfer_latency = r.Str("serving.kv_transfer.latency");
  if (!s.kv_transfer_bandwidth.empty()) {
    const std::string where = r.Get("serving.kv_transfer.bandwidth").where;
    const double bandwidth = ParseQuantity(s.kv_transfer_bandwidth, Dimension::kBytesPerSecond,
                                           where + " key serving.kv_transfer.bandwidth");
    if (!(bandwidth >= kMinKvTransferBandwidth)) {
      throw InputError(
          fmt::format("{}: key 'serving.kv_transfer.bandwidth' must be at least 1 MB/s, got '{}'",
                      where, s.kv_transfer_bandwidth));
    }
  }
  const double latency = ParseQuantity(
      s.kv_transfer_latency, Dimension::kSeconds,
      r.Get("serving.kv_transfer.latency").where + " key serving.kv_transfer.latency");
  // Bounds that keep a transfer's duration (KV bytes / bandwidth + latency) in simulated time.
  if (!(latency >= 0 && latency <= kMaxKvTransferLatencyS)) {
    throw InputError(fmt::format(
        "{}: key 'serving.kv_transfer.latency' must be from 0 to {} s, got '{}'",
        r.Get("serving.kv_transfer.latency").where, kMaxKvTransferLatencyS, s.kv_transfer_latency));
  }
}

// classes: {name: {share, priority, input_tokens, output_tokens, slo: {ttft_ms, tpot_ms},
// deployment}}
void ReadClasses(const Reader& r, Scenario& s) {
  if (!r.Has("classes")) return;
  const Located l = r.Get("classes");
  if (!l.node.IsMap() || l.node.size() == 0) {
    throw InputError(l.where +
                     ": 'classes' must map class names to {share, priority, "
                     "input_tokens, output_tokens, slo: {ttft_ms, tpot_ms}, deployment}");
  }
  const std::vector<std::string> valid = {"share",         "priority", "input_tokens",
                                          "output_tokens", "slo",      "deployment"};
  for (const auto& kv : l.node) {
    ClassScenario c;
    c.name = kv.first.as<std::string>();
    const std::string where = At(l.origin, kv.first) + ": class '" + c.name + "'";
    if (!kv.second.IsMap()) throw InputError(where + " must be a mapping");
    for (const auto& f : kv.second) {
      const std::string key = f.first.as<std::string>();
      const std::string at = At(l.origin, f.first) + ": classes." + c.name + "." + key;
      try {
        if (key == "share") {
          c.share = f.second.as<double>();
          if (!(c.share > 0)) throw InputError(at + " must be > 0");
        } else if (key == "priority") {
          c.priority = f.second.as<int>();
        } else if (key == "input_tokens" || key == "output_tokens") {
          std::map<std::string, Located> one = {{"workload." + key, {f.second, at, l.origin}}};
          const LengthDistribution d = Reader(one).Length("workload." + key);
          (key == "input_tokens" ? c.input : c.output) = d;
        } else if (key == "slo") {
          for (const auto& o : f.second) {
            const std::string k = o.first.as<std::string>();
            if (k == "ttft_ms")
              c.slo_ttft_ms = o.second.as<double>();
            else if (k == "tpot_ms")
              c.slo_tpot_ms = o.second.as<double>();
            else
              throw InputError(at + ": " + UnknownNameMessage("key", k, {"ttft_ms", "tpot_ms"}));
          }
        } else if (key == "deployment") {
          c.deployment = f.second.as<std::string>();
        } else {
          throw InputError(at + ": " + UnknownNameMessage("class key", key, valid));
        }
      } catch (const YAML::Exception&) {
        throw InputError(at + ": cannot read '" + Reader::Dump(f.second) + "'");
      }
    }
    s.classes.push_back(std::move(c));
  }
}

// engine.cuda_graph_batch_sizes: increasing positive integers, or [] for none.
std::vector<int> GraphBatchSizes(const Located& l) {
  const std::string key = "key 'engine.cuda_graph_batch_sizes'";
  if (!l.node.IsSequence()) {
    throw InputError(l.where + ": " + key +
                     " must be a list of increasing positive integers, e.g. [1, 2, 4, 8], or [] "
                     "for no padding, got '" +
                     YAML::Dump(l.node) + "'");
  }
  std::vector<std::string> items;
  for (const YAML::Node& item : l.node) {
    items.push_back(item.IsScalar() ? item.Scalar() : YAML::Dump(item));
  }
  return ParseIncreasingSizes(items, l.where + ": " + key);
}

// A precision key that may also say "auto" (its default); "" when absent.
std::string PrecisionOrAuto(const Reader& r, const std::string& key) {
  if (!r.Has(key)) return "";
  std::vector<std::string> valid = PrecisionNames();
  valid.insert(valid.begin(), "auto");
  return r.Choice(key, valid);
}

Scenario ReadScenario(const Reader& r, Scenario s) {
  s.model = r.Str("model");
  s.gpu = r.Str("hardware.gpu");
  s.num_gpus = r.OptInt("hardware.num_gpus", 1);
  s.idle_power_fraction = r.Number("hardware.idle_power_fraction", 0, true);
  if (s.idle_power_fraction > 1) {
    throw InputError(r.Get("hardware.idle_power_fraction").where +
                     ": key 'hardware.idle_power_fraction' must be between 0 and 1");
  }
  s.parallelism.tp = r.Int("parallelism.tp", 1);
  s.parallelism.pp = r.Int("parallelism.pp", 1);
  s.parallelism.ep = r.Int("parallelism.ep", 1);
  s.parallelism.attention_dp = r.As<bool>("parallelism.attention_dp");
  s.replicas = r.OptInt("parallelism.replicas", 1);
  s.weights_precision = r.Choice("precision.weights", PrecisionNames());
  if (r.Has("precision.kv_cache"))
    s.kv_precision = r.Choice("precision.kv_cache", PrecisionNames());
  s.attention_precision = PrecisionOrAuto(r, "precision.attention_weights");
  s.gemm_input_precision = PrecisionOrAuto(r, "precision.gemm_inputs");
  s.engine = r.Str("engine.profile");
  s.max_batch_size = r.OptInt("engine.max_batch_size", 1);
  s.max_num_tokens = r.OptInt("engine.max_num_tokens", 1);
  s.attention_dp_balance_iters = r.OptInt("engine.attention_dp_balance_iters", 0).value_or(0);
  if (r.Has("engine.batch_limits_scope")) {
    s.batch_limits_scope = r.Choice("engine.batch_limits_scope", {"instance", "rank"});
  }
  s.kv_block_size = r.OptInt("engine.kv_block_size", 1);
  if (r.Has("engine.chunked_prefill")) s.chunked_prefill = r.As<bool>("engine.chunked_prefill");
  if (r.Has("engine.mixed_prefill")) s.mixed_prefill = r.As<bool>("engine.mixed_prefill");
  if (r.Has("engine.preemption_order")) {
    s.preemption_order = r.Choice("engine.preemption_order", {"newest", "fewest_outputs"});
  }
  if (r.Has("engine.cuda_graph_batch_sizes")) {
    s.cuda_graph_batch_sizes = GraphBatchSizes(r.Get("engine.cuda_graph_batch_sizes"));
  }
  if (r.Has("engine.kv_admission")) {
    s.kv_admission = r.Choice("engine.kv_admission", {"on_demand", "reserve_full"});
  }
  s.schedule_conservativeness = r.Number("engine.schedule_conservativeness", 0, true);
  if (r.Has("engine.gpu_memory_fraction")) {
    s.gpu_memory_fraction = r.Number("engine.gpu_memory_fraction", 0, false);
    if (*s.gpu_memory_fraction > 1) {
      throw InputError(r.Get("engine.gpu_memory_fraction").where +
                       ": key 'engine.gpu_memory_fraction' must be in (0, 1]");
    }
  }
  if (r.Has("engine.iteration_overhead")) {
    const std::string where = r.Get("engine.iteration_overhead").where;
    const std::string text = r.Str("engine.iteration_overhead");
    s.iteration_overhead_s =
        ParseQuantity(text, Dimension::kSeconds, where + " key engine.iteration_overhead");
    // The bounds calibration fits it within (calibration.cpp).
    if (!(*s.iteration_overhead_s >= 0 && *s.iteration_overhead_s <= 0.05)) {
      throw InputError(fmt::format(
          "{}: key 'engine.iteration_overhead' must be from 0 to 50 ms, got '{}'", where, text));
    }
  }
  s.router = r.Choice("router.policy", {"round_robin", "least_outstanding", "prefix_aware"});
  s.workload_kind =
      r.Choice("workload.kind", {"offline", "closed", "poisson", "gamma", "trace", "sessions"});
  s.workload.num_requests = r.Int("workload.num_requests", 1);
  s.workload.concurrency = r.Int("workload.concurrency", 1);
  s.workload.rate = r.Number("workload.rate", 0, false);
  s.workload.cv = r.Number("workload.cv", 0, false);
  CheckOpenLoop(r, s);
  s.workload.input = r.Length("workload.input_tokens");
  s.workload.output = r.Length("workload.output_tokens");
  s.trace_path = r.Str("workload.trace");
  if (s.workload_kind == "trace" && s.trace_path.empty()) {
    throw InputError(r.Get("workload.kind").where +
                     ": workload.kind is trace but no workload.trace file is given");
  }
  s.trace_requests_given = r.Has("workload.num_requests");
  ReadSessions(r, s);
  ReadRates(r, s);
  s.prefix_cache = r.As<bool>("prefix_cache.enabled");
  s.slo_ttft_ms = r.Number("slo.ttft_ms", 0, true);
  s.slo_tpot_ms = r.Number("slo.tpot_ms", 0, true);
  const long long seed = r.As<long long>("seed");
  if (seed < 0)
    throw InputError(r.Get("seed").where + ": key 'seed' must be a non-negative integer");
  s.seed = static_cast<std::uint64_t>(seed);
  ReadServing(r, s);
  ReadClasses(r, s);
  s.model_routing = r.Choice("routing.policy", {"by_difficulty", "by_class"});
  s.window_s = r.Number("metrics.window_s", 0, true);
  s.percentile_mode = r.Choice("metrics.percentile_mode", {"auto", "exact", "histogram"});
  ReadSpeculative(r, s);
  if (s.window_s > 0 && s.window_s < kMinWindowS) {
    throw InputError(
        fmt::format("{}: key 'metrics.window_s' must be 0 (off) or at least {} s, got {}",
                    r.Get("metrics.window_s").where, kMinWindowS, s.window_s));
  }
  return s;
}

// deployments: each item is the base settings with the item's keys on top.
void ReadDeployments(const std::map<std::string, Located>& base, Scenario& s) {
  auto it = base.find("deployments");
  if (it == base.end()) return;
  const Located& l = it->second;
  if (!l.node.IsSequence() || l.node.size() == 0) {
    throw InputError(
        l.where +
        ": 'deployments' must be a non-empty list of mappings, each with "
        "name, difficulty_max and the keys it overrides (model, hardware, parallelism, ...)");
  }
  // Every deployment starts from the top-level scenario as it is before the list is read: a
  // copy of `s` itself would carry the deployments read so far, 2^n copies for n deployments.
  const Scenario top = s;
  double previous = 0;
  for (const YAML::Node& item : l.node) {
    const std::string where = At(l.origin.empty() ? s.origin : l.origin, item);
    if (!item.IsMap()) throw InputError(where + ": a deployment is a mapping of scenario keys");
    std::map<std::string, Located> settings = base;
    settings.erase("deployments");
    YAML::Node keys(YAML::NodeType::Map);
    std::string name;
    double difficulty_max = 1.0;
    for (const auto& kv : item) {
      const std::string key = kv.first.as<std::string>();
      if (key == "name") {
        name = kv.second.as<std::string>();
      } else if (key == "difficulty_max") {
        difficulty_max = kv.second.as<double>();
      } else if (key == "deployments" || key == "classes" || key == "workload" || key == "slo") {
        throw InputError(At(l.origin, kv.first) + ": '" + key +
                         "' is set once for the whole "
                         "factory, not per deployment");
      } else {
        keys[kv.first] = kv.second;
      }
    }
    Flatten(keys, "", l.origin.empty() ? s.origin : l.origin, settings);
    Scenario d = ReadScenario(Reader(settings), top);
    d.deployment_name = name.empty() ? d.model : name;
    if (!(difficulty_max > previous) || difficulty_max > 1.0) {
      throw InputError(where + ": difficulty_max must increase along the list, within (0, 1]");
    }
    d.difficulty_max = previous = difficulty_max;
    s.deployments.push_back(std::move(d));
  }
  s.deployments.back().difficulty_max = 1.0;
}

}  // namespace

Result<Scenario> ParseScenario(const std::string& yaml_text, const std::string& origin,
                               const std::vector<std::string>& overrides) {
  return CatchInputErrors([&] {
    const YAML::Node root = LoadYaml(yaml_text, origin);
    std::map<std::string, Located> settings;
    if (root.IsDefined() && !root.IsNull()) {
      if (!root.IsMap()) {
        throw InputError(
            fmt::format("{}: a scenario is a mapping of keys such as model, "
                        "hardware, parallelism, workload",
                        At(origin, root)));
      }
      Flatten(root, "", origin, settings);
    }
    for (const std::string& o : overrides) ApplyOverride(o, settings);
    Scenario s;
    s.origin = origin;
    const std::size_t slash = origin.find_last_of('/');
    s.base_dir = slash == std::string::npos ? "." : origin.substr(0, slash);
    try {
      Scenario out = ReadScenario(Reader(settings), s);
      ReadDeployments(settings, out);
      return out;
    } catch (const YAML::Exception& e) {  // a conversion no check above foresaw
      throw InputError(fmt::format("{}{}: {}", origin,
                                   e.mark.is_null() ? "" : ":" + std::to_string(e.mark.line + 1),
                                   e.msg));
    }
  });
}

Result<Scenario> LoadScenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open scenario file '" + path + "'"};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), path, overrides);
}

}  // namespace tokenfab
