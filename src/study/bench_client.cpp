#include "tokenfab/study/bench_client.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "sse_stream.h"
#include "tokenfab/io/results.h"

namespace tokenfab {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Endpoint {
  std::string origin;  // scheme://host:port
  std::string prefix;  // path before /v1, without a trailing slash
};

Result<Endpoint> ParseEndpoint(std::string url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)) {
    return Error{"--endpoint must be an http:// or https:// URL, got '" + url + "'"};
  }
  Endpoint e;
  const auto slash = url.find('/', scheme + 3);
  e.origin = url.substr(0, slash);
  e.prefix = slash == std::string::npos ? "" : url.substr(slash);
  while (!e.prefix.empty() && e.prefix.back() == '/') e.prefix.pop_back();
  if (e.prefix.size() >= 3 && e.prefix.compare(e.prefix.size() - 3, 3, "/v1") == 0) {
    e.prefix.resize(e.prefix.size() - 3);
  }
  return e;
}

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& e, const BenchOptions& o) {
  auto c = std::make_unique<httplib::Client>(e.origin);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(true);
  c->set_decompress(false);
  c->set_connection_timeout(10);
  const auto timeout = static_cast<time_t>(std::max(1.0, o.timeout_s));
  c->set_read_timeout(timeout);
  c->set_write_timeout(timeout);
  return c;
}

httplib::Headers RequestHeaders(const BenchOptions& o) {
  httplib::Headers h = {{"Accept", "text/event-stream"}, {"Accept-Encoding", "identity"}};
  if (!o.api_key.empty()) h.emplace("Authorization", "Bearer " + o.api_key);
  return h;
}

// What GET /v1/models tells: the first model listed, and the time scale `tokenfab emulate`
// advertises (1 when absent, as with every other server).
struct ServerInfo {
  std::string model;
  double time_scale = 1;
};

Result<ServerInfo> Discover(const Endpoint& e, const BenchOptions& o) {
  auto client = MakeClient(e, o);
  auto res = client->Get(e.prefix + "/v1/models", RequestHeaders(o));
  if (!res) {
    return Error{fmt::format("cannot reach {}{}/v1/models: {}", e.origin, e.prefix,
                             httplib::to_string(res.error()))};
  }
  if (res->status != 200) {
    return Error{fmt::format("{}{}/v1/models answered HTTP {}: {}", e.origin, e.prefix, res->status,
                             res->body.substr(0, 300))};
  }
  const json j = json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
      !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
    return Error{"/v1/models lists no model; give --model"};
  }
  ServerInfo info;
  info.model = j["data"][0]["id"].get<std::string>();
  const json scale = j["data"][0].value("time_scale", json(1.0));
  if (scale.is_number() && scale.get<double>() > 0) info.time_scale = scale.get<double>();
  return info;
}

// The request body: a prompt of exactly `input_tokens` token ids, distinct per request so a
// server's prefix cache does not shorten prefills the twin computes in full.
std::string RequestBody(const Draw& d, std::int64_t index, const std::string& model, bool chat) {
  json body = {{"model", model},     {"max_tokens", d.output_tokens},
               {"stream", true},     {"stream_options", {{"include_usage", true}}},
               {"ignore_eos", true}, {"temperature", 0}};
  if (chat) {
    std::string text;
    const auto words = static_cast<std::int64_t>(d.input_tokens / 1.3);
    for (std::int64_t w = 0; w < std::max<std::int64_t>(1, words); ++w)
      text += w ? " word" : "word";
    body["messages"] = json::array({{{"role", "user"}, {"content", text}}});
    body["prompt_tokens"] = d.input_tokens;  // tokenfab emulate extension; others ignore it
    return body.dump();
  }
  std::vector<std::int32_t> ids(static_cast<std::size_t>(d.input_tokens));
  for (std::size_t k = 0; k < ids.size(); ++k) {
    ids[k] = 1000 + static_cast<std::int32_t>(
                        (index * 7919 + static_cast<std::int64_t>(k) * 104729) % 30000);
  }
  body["prompt"] = ids;
  return body.dump();
}

// Sends the workload: a heap of requests by send time, a dispatcher thread releasing each at
// its time to a pool of workers (one connection each), and follow-ups (closed loop, session
// turns) drawn from the WorkloadSource as requests finish, as the twin draws them.
class Run {
 public:
  Run(const ResolvedScenario& s, const BenchOptions& o, Endpoint e, std::string model,
      double time_scale)
      : scenario_(s),
        options_(o),
        endpoint_(std::move(e)),
        model_(std::move(model)),
        scale_(time_scale),
        source_(s.serve.workload, s.serve.seed) {}

  std::vector<BenchRecord> Execute(double& wall_s);

 private:
  struct Pending {
    SimTime due;
    std::int64_t seq;
    Draw draw;
    bool operator>(const Pending& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  // The server's simulated time since the run started: the wall clock over the time scale.
  // Every recorded time is in it, so the metrics compare with the twin's.
  SimTime Now() const {
    const double wall_ns = std::chrono::duration<double, std::nano>(Clock::now() - start_).count();
    return static_cast<SimTime>(wall_ns / scale_);
  }
  Clock::time_point WallTime(SimTime t) const {
    return start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(t * scale_)));
  }
  void Push(const Draw& d) { heap_.push({d.arrival, seq_++, d}); }
  void Dispatch();
  void Work();
  BenchRecord Send(httplib::Client& client, const Draw& d, std::int64_t index);

  const ResolvedScenario& scenario_;
  const BenchOptions& options_;
  const Endpoint endpoint_;
  const std::string model_;
  const double scale_;  // wall-clock seconds per simulated second
  Clock::time_point start_;

  std::mutex mu_;
  std::condition_variable dispatcher_cv_, worker_cv_;
  WorkloadSource source_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> heap_;
  std::deque<std::pair<Draw, std::int64_t>> ready_;
  std::int64_t seq_ = 0, sent_ = 0;
  int in_flight_ = 0;
  int warm_workers_ = 0;
  bool done_ = false;
  std::vector<BenchRecord> records_;
};

void Run::Dispatch() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (heap_.empty()) {
      if (in_flight_ == 0 && ready_.empty()) break;
      dispatcher_cv_.wait(lock);
      continue;
    }
    const SimTime due = heap_.top().due;
    if (Now() < due) {
      dispatcher_cv_.wait_until(lock, WallTime(due));
      continue;
    }
    ready_.emplace_back(heap_.top().draw, sent_++);
    heap_.pop();
    ++in_flight_;
    worker_cv_.notify_one();
  }
  done_ = true;
  worker_cv_.notify_all();
}

void Run::Work() {
  auto client = MakeClient(endpoint_, options_);
  // Connect before the clock starts, so the first requests do not pay for it.
  client->Get(endpoint_.prefix + "/v1/models", RequestHeaders(options_));
  std::unique_lock lock(mu_);
  ++warm_workers_;
  dispatcher_cv_.notify_one();
  std::optional<std::pair<Draw, std::int64_t>> job;
  for (;;) {
    if (!job) {
      worker_cv_.wait(lock, [&] { return done_ || !ready_.empty(); });
      if (ready_.empty()) return;
      job = ready_.front();
      ready_.pop_front();
    }
    const auto [draw, index] = *job;
    job.reset();
    lock.unlock();
    BenchRecord rec = Send(*client, draw, index);
    lock.lock();
    Request finished;
    finished.input_tokens = draw.input_tokens;
    finished.output_tokens = draw.output_tokens;
    finished.cls = draw.cls;
    finished.session = draw.session;
    finished.turn = draw.turn;
    finished.arrival = draw.arrival;
    finished.finish = Now();
    records_.push_back(std::move(rec));
    Draw next;
    if (source_.OnFinish(finished, finished.finish, next)) {
      // A closed loop's next request is due now: send it at once, as the twin's arrives.
      if (next.arrival <= Now()) {
        job.emplace(next, sent_++);
        continue;
      }
      Push(next);
    }
    --in_flight_;
    dispatcher_cv_.notify_one();
  }
}

BenchRecord Run::Send(httplib::Client& client, const Draw& d, std::int64_t index) {
  BenchRecord rec;
  rec.input_tokens = d.input_tokens;
  rec.output_tokens = d.output_tokens;
  httplib::Request req;
  req.method = "POST";
  req.path = endpoint_.prefix + (options_.chat ? "/v1/chat/completions" : "/v1/completions");
  req.headers = RequestHeaders(options_);
  req.set_header("Content-Type", "application/json");
  req.body = RequestBody(d, index, model_, options_.chat);
  int status = 0;
  std::string error_body;
  SseStream stream;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (status != 200) {
      if (error_body.size() < 4096) error_body.append(data, n);
      return true;
    }
    stream.Feed(std::string_view(data, n), SimTimeToSeconds(Now()));
    return true;
  };
  rec.send_s = SimTimeToSeconds(Now());
  const httplib::Result res = client.send(req);
  if (!res) {
    rec.error = "transport: " + httplib::to_string(res.error());
  } else if (status != 200) {
    rec.error = fmt::format("HTTP {}: {}", status, error_body.substr(0, 300));
  } else if (!stream.error().empty()) {
    rec.error = stream.error();
  } else if (stream.chunks() == 0) {
    rec.error = "no content chunks in the response";
  }
  if (!rec.ok()) return rec;
  rec.first_token_s = stream.first_s();
  rec.end_s = stream.last_s();
  rec.itl_s = stream.gaps();
  rec.completion_tokens =
      stream.usage_completion_tokens() >= 0 ? stream.usage_completion_tokens() : stream.chunks();
  return rec;
}

std::vector<BenchRecord> Run::Execute(double& wall_s) {
  int workers = 1;
  {
    std::lock_guard lock(mu_);
    for (const Draw& d : source_.Initial()) Push(d);
    while (!source_.OpenExhausted()) Push(source_.NextOpen());
    const std::int64_t total = std::max<std::int64_t>(1, source_.total());
    workers = source_.IsClosedLoop() ? std::max(1, scenario_.serve.workload.concurrency)
                                     : static_cast<int>(std::min<std::int64_t>(
                                           std::max(1, options_.max_connections), total));
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(workers));
  for (int i = 0; i < workers; ++i) pool.emplace_back([this] { Work(); });
  {
    std::unique_lock lock(mu_);
    dispatcher_cv_.wait(lock, [&] { return warm_workers_ == workers; });
    start_ = Clock::now();
  }
  Dispatch();
  for (std::thread& t : pool) t.join();
  wall_s = std::chrono::duration<double>(Clock::now() - start_).count();
  std::sort(records_.begin(), records_.end(),
            [](const BenchRecord& a, const BenchRecord& b) { return a.send_s < b.send_s; });
  return std::move(records_);
}

}  // namespace

Result<BenchOutput> RunBench(const ResolvedScenario& scenario, const BenchOptions& options) {
  auto endpoint = ParseEndpoint(options.endpoint);
  if (!endpoint) return Error{endpoint.error().message};
  BenchOutput out;
  out.model = options.model;
  out.time_scale = options.time_scale;
  if (out.model.empty() || out.time_scale <= 0) {
    auto info = Discover(*endpoint, options);
    if (!info && out.model.empty()) return Error{info.error().message};
    if (out.model.empty()) out.model = info->model;
    if (out.time_scale <= 0) out.time_scale = info ? info->time_scale : 1;
  }
  Run run(scenario, options, *endpoint, out.model, out.time_scale);
  double wall_s = 0;
  out.requests = run.Execute(wall_s);
  out.metrics = BenchMetrics(out.requests, scenario, wall_s);
  json errors = json::array();
  for (const BenchRecord& r : out.requests) {
    if (r.ok()) continue;
    ++out.failed;
    if (errors.size() < 5) errors.push_back(r.error);
  }
  json config = scenario.config;
  config["endpoint"] = options.endpoint;
  out.json = MetricsJson(out.metrics, config);
  out.json["bench"] = {{"endpoint", options.endpoint},
                       {"model", out.model},
                       {"api", options.chat ? "chat/completions" : "completions"},
                       {"requests_sent", static_cast<std::int64_t>(out.requests.size())},
                       {"failed", out.failed},
                       {"errors", errors},
                       {"wall_s", wall_s},
                       {"time_scale", out.time_scale},
                       {"unmeasured", {"kv_cache", "batch", "energy", "sim.events"}},
                       {"scenario", options.scenario_source}};
  return out;
}

}  // namespace tokenfab
