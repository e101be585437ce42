#include "tokenfab/study/emulate_server.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "emulate_metrics.h"
#include "openai_api.h"

namespace tokenfab {
namespace {

constexpr int kListenBacklog = 4096;  // cpp-httplib's compiled default is 5
constexpr auto kPoll = std::chrono::milliseconds(200);

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The last request answered on this thread's connection (one thread serves one connection at
// a time): the next request on the same connection may be the client's reaction to it.
struct ConnectionMemory {
  std::string addr;
  int port = -1;
  SimTime finished_at = -1;
};
thread_local ConnectionMemory t_connection;

void Remember(const httplib::Request& req, SimTime finished_at) {
  t_connection = {req.remote_addr, req.remote_port, finished_at};
}

}  // namespace

struct EmulateServer::Impl {
  void Route();
  void Reply(httplib::Response& res, const ApiError& e);
  void Complete(const httplib::Request& req, httplib::Response& res, bool chat);
  void Models(httplib::Response& res);
  bool KnownModel(const std::string& name) const;

  std::unique_ptr<Emulator> emulator;
  EmulateServerOptions options;
  std::vector<std::string> names;  // accepted `model` values; names[0] is listed
  std::int32_t default_max_tokens = 16;
  httplib::Server server;
  int port = 0;
  int listen_fd = -1;
  std::thread listener;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> next_id{0};
  std::atomic<std::int64_t> requests{0}, in_flight{0}, errors_4xx{0}, errors_5xx{0};
};

bool EmulateServer::Impl::KnownModel(const std::string& name) const {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

void EmulateServer::Impl::Reply(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(ErrorBody(e), "application/json");
}

void EmulateServer::Impl::Models(httplib::Response& res) {
  const ResolvedScenario& s = emulator->scenario();
  nlohmann::json data = nlohmann::json::array();
  data.push_back({{"id", names.front()},
                  {"object", "model"},
                  {"created", UnixNow()},
                  {"owned_by", "tokenfab"},
                  {"root", s.model.id},
                  {"max_model_len", emulator->MaxRequestTokens()}});
  // tokenfab extension: wall-clock seconds per simulated second, which `tokenfab bench` divides
  // measured times by. Absent at real time, as other servers have it.
  if (emulator->time_scale() != 1) data.back()["time_scale"] = emulator->time_scale();
  res.set_content(nlohmann::json{{"object", "list"}, {"data", data}}.dump(), "application/json");
}

// State of one streamed response, shared by the calls of its content provider.
struct StreamState {
  std::shared_ptr<EmulatedStream> stream;
  ResponseHeader header;
  bool include_usage = false;
  std::int32_t sent = 0;
};

void EmulateServer::Impl::Complete(const httplib::Request& req, httplib::Response& res, bool chat) {
  auto parsed = ParseCompletionRequest(req.body, chat);
  if (auto* e = std::get_if<ApiError>(&parsed)) return Reply(res, *e);
  const CompletionRequest& r = std::get<CompletionRequest>(parsed);
  if (!r.model.empty() && !KnownModel(r.model)) {
    return Reply(res,
                 ApiError{404,
                          fmt::format("The model `{}` does not exist. This endpoint serves `{}`.",
                                      r.model, names.front()),
                          "invalid_request_error", "model", "model_not_found"});
  }
  const std::int32_t max_tokens = r.max_tokens > 0 ? r.max_tokens : default_max_tokens;
  const bool same_connection =
      t_connection.port == req.remote_port && t_connection.addr == req.remote_addr;
  auto submitted = emulator->Submit(r.prompt_tokens, max_tokens,
                                    same_connection ? t_connection.finished_at : -1);
  if (!submitted) {
    return Reply(res,
                 ApiError{400, submitted.error().message, "invalid_request_error",
                          r.max_tokens > 0 ? "max_tokens" : (chat ? "messages" : "prompt"), ""});
  }
  auto state = std::make_shared<StreamState>();
  state->stream = std::move(submitted).value();
  state->header = {fmt::format("{}-{:016x}", chat ? "chatcmpl" : "cmpl", next_id++), UnixNow(),
                   r.model.empty() ? names.front() : r.model, chat};
  state->include_usage = r.include_usage;
  const std::int32_t n = state->stream->output_tokens();
  if (!r.stream) {
    EmulatedStream::Progress p;
    while (!p.finished && !p.aborted && !stopping) p = state->stream->Wait(p.tokens, kPoll);
    if (!p.finished) {
      return Reply(res, ApiError{503, "the emulator is shutting down", "server_error", "", ""});
    }
    Remember(req, p.finished_at);
    res.set_content(CompletionBody(state->header, r.prompt_tokens, n), "application/json");
    return;
  }
  ++in_flight;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, state, n, prompt = r.prompt_tokens, addr = req.remote_addr, port = req.remote_port](
          std::size_t, httplib::DataSink& sink) {
        const EmulatedStream::Progress p = state->stream->Wait(state->sent, kPoll);
        if (p.aborted || stopping) return false;
        if (state->sent == 0 && p.tokens > 0 && state->header.chat) {
          const std::string role = RoleEvent(state->header, state->include_usage);
          if (!sink.write(role.data(), role.size())) return false;
        }
        for (; state->sent < p.tokens; ++state->sent) {
          const std::string e =
              TokenEvent(state->header, state->sent, state->sent + 1 == n, state->include_usage);
          if (!sink.write(e.data(), e.size())) return false;
        }
        if (p.finished) {
          t_connection = {addr, port, p.finished_at};
          std::string tail;
          if (state->include_usage) tail = UsageEvent(state->header, prompt, n);
          tail += kDoneEvent;
          if (!sink.write(tail.data(), tail.size())) return false;
          sink.done();
          return true;
        }
        return sink.is_writable();
      },
      [this](bool) { --in_flight; });
}

void EmulateServer::Impl::Route() {
  server.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, false);
  });
  server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, true);
  });
  server.Get("/v1/models",
             [this](const httplib::Request&, httplib::Response& res) { Models(res); });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    const HttpCounters http{requests, in_flight, errors_4xx, errors_5xx};
    res.set_content(PrometheusText(emulator->Stats(), http, names.front()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const std::string message = res.status == 404
                                        ? fmt::format("no route for {} {}", req.method, req.path)
                                        : fmt::format("HTTP {}", res.status);
        res.set_content(ErrorBody(ApiError{res.status, message, "invalid_request_error", "", ""}),
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(ErrorBody(ApiError{500, what, "server_error", "", ""}), "application/json");
      });
  server.set_logger([this](const httplib::Request&, const httplib::Response& res) {
    ++requests;
    if (res.status >= 500)
      ++errors_5xx;
    else if (res.status >= 400)
      ++errors_4xx;
  });
}

Result<std::unique_ptr<EmulateServer>> EmulateServer::Start(const ResolvedScenario& scenario,
                                                            const EmulateServerOptions& options) {
  auto emulator = Emulator::Create(scenario, options.emulator);
  if (!emulator) return Error{emulator.error().message};
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.emulator = std::move(emulator).value();
  m.options = options;
  m.names = options.served_model_names;
  if (m.names.empty()) m.names.push_back(scenario.model.id);
  m.names.push_back(scenario.model.id);
  if (!scenario.model.name.empty()) m.names.push_back(scenario.model.name);
  const double mean_output = scenario.serve.workload.output.mean;
  m.default_max_tokens =
      options.default_max_tokens > 0
          ? options.default_max_tokens
          : std::max<std::int32_t>(1, static_cast<std::int32_t>(std::lround(mean_output)));
  const int threads = std::max(1, options.threads);
  m.server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  m.server.set_tcp_nodelay(true);
  m.server.set_keep_alive_max_count(1u << 20);
  m.server.set_payload_max_length(64u << 20);
  m.server.set_socket_options([&m](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    m.listen_fd = fd;
  });
  m.Route();
  if (options.port == 0) {
    m.port = m.server.bind_to_any_port(options.host);
    if (m.port <= 0) return Error{fmt::format("cannot bind {}: no free port", options.host)};
  } else {
    if (!m.server.bind_to_port(options.host, options.port)) {
      return Error{fmt::format("cannot bind {}:{} (in use, or not a local address?)", options.host,
                               options.port)};
    }
    m.port = options.port;
  }
  // Linux takes a second listen() on a listening socket as a new backlog.
  if (m.listen_fd >= 0) ::listen(m.listen_fd, kListenBacklog);
  m.listener = std::thread([&m] { m.server.listen_after_bind(); });
  // stop() before the listener runs would be lost.
  for (int i = 0; i < 5000 && !m.server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<EmulateServer>(new EmulateServer(std::move(impl)));
}

long RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
}

EmulateServer::EmulateServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EmulateServer::~EmulateServer() { Stop(); }

void EmulateServer::Stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

int EmulateServer::port() const { return impl_->port; }
const std::string& EmulateServer::model_name() const { return impl_->names.front(); }
const Emulator& EmulateServer::emulator() const { return *impl_->emulator; }

}  // namespace tokenfab
