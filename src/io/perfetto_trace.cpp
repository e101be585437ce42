#include "tokenfab/io/perfetto_trace.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokenfab/io/report.h"

namespace tokenfab {
namespace {

constexpr int kIterationTid = 1;
constexpr int kFirstLaneTid = 100;

// Microseconds with nanosecond precision, as the trace format wants.
std::string Us(SimTime ns) {
  ns = std::max<SimTime>(ns, 0);
  return fmt::format("{}.{:03}", ns / 1000, ns % 1000);
}

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const char* IterationName(const BatchShape& b) {
  if (b.prefill_tokens > 0 && b.decode_sequences > 0) return "prefill+decode";
  if (b.prefill_tokens > 0) return "prefill";
  return "decode";
}

class TraceWriter {
 public:
  TraceWriter() { out_ = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":["; }
  template <typename... Args>
  void Event(fmt::format_string<Args...> format, Args&&... args) {
    out_ += first_ ? "\n" : ",\n";
    first_ = false;
    fmt::format_to(std::back_inserter(out_), format, std::forward<Args>(args)...);
  }
  void Name(const char* what, int pid, int tid, const std::string& name, int sort_index) {
    Event(R"j({{"ph":"M","name":"{}_name","pid":{},"tid":{},"args":{{"name":{}}}}})j", what, pid,
          tid, Quoted(name));
    Event(R"j({{"ph":"M","name":"{}_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})j",
          what, pid, tid, sort_index);
  }
  std::string Finish(const nlohmann::json& other_data) {
    out_ += "\n],\"otherData\":" + other_data.dump() + "}\n";
    return std::move(out_);
  }

 private:
  std::string out_;
  bool first_ = true;
};

// Iterations of each instance in end order, to find the one that produced a first token.
class IterationIndex {
 public:
  IterationIndex(const std::vector<IterationRecord>& its, std::size_t drawn, int instances)
      : its_(its), ends_(instances) {
    for (std::size_t i = 0; i < drawn; ++i) ends_[its[i].instance].emplace_back(its[i].end, i);
    for (auto& e : ends_) std::sort(e.begin(), e.end());
  }
  // The iteration ending at `t` that completed a prefill, preferring `instance`; -1 if none.
  long long FirstTokenIteration(SimTime t, int instance) const {
    const int n = static_cast<int>(ends_.size());
    if (instance >= 0 && instance < n) {
      if (long long i = Find(t, instance); i >= 0) return i;
    }
    for (int k = 0; k < n; ++k) {
      if (k == instance) continue;
      if (long long i = Find(t, k); i >= 0) return i;
    }
    return -1;
  }

 private:
  long long Find(SimTime t, int instance) const {
    const auto& e = ends_[instance];
    for (auto it = std::lower_bound(e.begin(), e.end(), std::make_pair(t, std::size_t{0}));
         it != e.end() && it->first == t; ++it) {
      if (its_[it->second].batch.prefill_completions > 0) return static_cast<long long>(it->second);
    }
    return -1;
  }
  const std::vector<IterationRecord>& its_;
  std::vector<std::vector<std::pair<SimTime, std::size_t>>> ends_;
};

int InstanceCount(const ServeResult& result) {
  int n = static_cast<int>(result.instance_pool.size());
  for (const IterationRecord& it : result.iterations) n = std::max(n, it.instance + 1);
  for (const Request& r : result.requests) n = std::max(n, r.instance + 1);
  return n;
}

void WriteIterations(TraceWriter& w, const std::vector<IterationRecord>& its, std::size_t drawn) {
  for (std::size_t i = 0; i < drawn; ++i) {
    const IterationRecord& it = its[i];
    const BatchShape& b = it.batch;
    w.Event(R"j({{"ph":"X","name":"{}","cat":"iteration","pid":{},"tid":{},"ts":{},"dur":{},)j"
            R"j("args":{{"prefill_tokens":{},"prefill_sequences":{},"prefill_completions":{},)j"
            R"j("decode_sequences":{},"batch_tokens":{},"kv_blocks_used":{},"kv_blocks_total":{},)j"
            R"j("joules":{:.6g}}}}})j",
            IterationName(b), it.instance + 1, kIterationTid, Us(it.start), Us(it.end - it.start),
            b.prefill_tokens, b.prefill_sequences, b.prefill_completions, b.decode_sequences,
            b.Tokens(), it.kv_blocks_used, it.kv_blocks_total, it.joules);
    w.Event(R"j({{"ph":"C","name":"KV blocks used","pid":{},"ts":{},"args":{{"used":{}}}}})j",
            it.instance + 1, Us(it.start), it.kv_blocks_used);
  }
}

// Lanes of non-overlapping requests per instance; requests come in arrival order.
class Lanes {
 public:
  explicit Lanes(int instances) : ends_(instances) {}
  // The lane tid for [begin, end) on `instance`, and whether the lane is new.
  std::pair<int, bool> Take(int instance, SimTime begin, SimTime end) {
    auto& lanes = ends_[instance];
    for (std::size_t k = 0; k < lanes.size(); ++k) {
      if (lanes[k] <= begin) {
        lanes[k] = end;
        return {kFirstLaneTid + static_cast<int>(k), false};
      }
    }
    lanes.push_back(end);
    return {kFirstLaneTid + static_cast<int>(lanes.size()) - 1, true};
  }

 private:
  std::vector<std::vector<SimTime>> ends_;
};

void WriteRequest(TraceWriter& w, const Request& r, int pid, int tid) {
  const double ttft = SimTimeToMillis(r.first_token - r.arrival);
  w.Event(R"j({{"ph":"X","name":"request {}","cat":"request","pid":{},"tid":{},"ts":{},"dur":{},)j"
          R"j("args":{{"id":{},"input_tokens":{},"output_tokens":{},"cached_tokens":{},)j"
          R"j("ttft_ms":{:.6g},"e2e_ms":{:.6g},"preemptions":{}}}}})j",
          r.id, pid, tid, Us(r.arrival), Us(r.finish - r.arrival), r.id, r.input_tokens,
          r.output_tokens, r.cached_tokens, ttft, SimTimeToMillis(r.finish - r.arrival),
          r.preemptions);
  w.Event(R"j({{"ph":"X","name":"waiting+prefill (TTFT)","cat":"request","pid":{},"tid":{},)j"
          R"j("ts":{},"dur":{},"args":{{"ttft_ms":{:.6g}}}}})j",
          pid, tid, Us(r.arrival), Us(r.first_token - r.arrival), ttft);
  if (r.finish <= r.first_token) return;
  w.Event(R"j({{"ph":"X","name":"decode","cat":"request","pid":{},"tid":{},"ts":{},"dur":{}}})j",
          pid, tid, Us(r.first_token), Us(r.finish - r.first_token));
  if (r.prefill_done >= r.first_token && r.kv_ready > r.prefill_done && r.kv_ready <= r.finish) {
    w.Event(R"j({{"ph":"X","name":"KV transfer","cat":"request","pid":{},"tid":{},"ts":{},)j"
            R"j("dur":{}}})j",
            pid, tid, Us(r.prefill_done), Us(r.kv_ready - r.prefill_done));
  }
}

void WriteClusterCounters(TraceWriter& w, const ServeResult& result, int pid) {
  const nlohmann::json data = SimulationChartData(result, 2000);
  const nlohmann::json& s = data["series"];
  if (!s.contains("t_s")) return;
  const double half = data["bucket_s"].get<double>() / 2;
  for (std::size_t b = 0; b < s["t_s"].size(); ++b) {
    const SimTime ts = SecondsToSimTime(std::max(0.0, s["t_s"][b].get<double>() - half));
    w.Event(R"j({{"ph":"C","name":"requests","pid":{},"ts":{},"args":{{"in_system":{},)j"
            R"j("waiting_for_first_token":{}}}}})j",
            pid, Us(ts), s["in_system"][b].dump(), s["waiting"][b].dump());
    w.Event(R"j({{"ph":"C","name":"output tokens/s","pid":{},"ts":{},"args":{{"tok_s":{}}}}})j",
            pid, Us(ts), s["output_tokens_per_s"][b].dump());
  }
}

}  // namespace

std::string PerfettoTraceJson(const ServeResult& result, const TraceOptions& options) {
  TraceWriter w;
  const int instances = InstanceCount(result);
  const int cluster_pid = instances + 1;
  w.Name("process", cluster_pid, 0, "cluster", -1);
  for (int i = 0; i < instances; ++i) {
    const int pool =
        i < static_cast<int>(result.instance_pool.size()) ? result.instance_pool[i] : -1;
    const std::string pool_name = pool >= 0 && pool < static_cast<int>(result.pool_names.size())
                                      ? result.pool_names[pool]
                                      : "";
    w.Name("process", i + 1, 0,
           fmt::format("instance {}{}", i, pool_name.empty() ? "" : " (" + pool_name + ")"), i);
    w.Name("thread", i + 1, kIterationTid, "iterations", 0);
  }
  const std::size_t iterations = std::min(result.iterations.size(), options.max_iterations);
  WriteIterations(w, result.iterations, iterations);

  const IterationIndex index(result.iterations, iterations, instances);
  Lanes lanes(instances);
  std::size_t finished = 0, drawn = 0, flows = 0;
  for (const Request& r : result.requests) {
    if (!r.Finished()) continue;
    ++finished;
    if (drawn >= options.max_requests) continue;
    const long long it = index.FirstTokenIteration(r.first_token, r.instance);
    const int instance = it >= 0 ? result.iterations[it].instance : r.instance;
    if (instance < 0) continue;
    ++drawn;
    const auto [tid, fresh] = lanes.Take(instance, r.arrival, r.finish);
    if (fresh)
      w.Name("thread", instance + 1, tid, fmt::format("requests {}", tid - kFirstLaneTid), tid);
    WriteRequest(w, r, instance + 1, tid);
    if (it < 0) continue;
    const IterationRecord& rec = result.iterations[it];
    const SimTime to = r.finish > r.first_token ? r.first_token + (r.finish - r.first_token) / 2
                                                : r.arrival + (r.first_token - r.arrival) / 2;
    w.Event(
        R"j({{"ph":"s","name":"first token","cat":"request","id":{},"pid":{},"tid":{},"ts":{}}})j",
        r.id, rec.instance + 1, kIterationTid, Us(rec.start + (rec.end - rec.start) / 2));
    w.Event(
        R"j({{"ph":"f","bp":"e","name":"first token","cat":"request","id":{},"pid":{},"tid":{},)j"
        R"j("ts":{}}})j",
        r.id, instance + 1, tid, Us(to));
    ++flows;
  }
  WriteClusterCounters(w, result, cluster_pid);

  nlohmann::json other = {{"generator", "tokenfab simulate --trace"},
                          {"instances", instances},
                          {"iterations_total", result.iterations.size()},
                          {"iterations_drawn", iterations},
                          {"requests_finished", finished},
                          {"requests_drawn", drawn},
                          {"request_flows", flows}};
  if (drawn < finished || iterations < result.iterations.size()) {
    other["note"] = fmt::format(
        "only the first {} finished requests (in arrival order) and the first {} iterations are "
        "drawn, to keep the trace openable; the cluster counters cover the whole run",
        drawn, iterations);
  }
  return w.Finish(other);
}

}  // namespace tokenfab
