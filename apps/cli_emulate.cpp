// `tokenfab emulate`: the scenario's deployment as a live OpenAI-compatible endpoint, pacing
// tokens as the twin predicts. Runs until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli_commands.h"
#include "cli_scenario.h"
#include "tokenfab/study/emulate_server.h"

namespace tokenfab::cli {
namespace {

struct EmulateArgs {
  std::string scenario;
  std::vector<std::string> overrides;
  EmulateServerOptions server;
  double grace_ms = 3.0;
  double time_scale = 1;
  bool quiet = false;
};

void RunEmulateCommand(EmulateArgs a) {
  auto resolved = LoadResolvedScenario(a.scenario, a.overrides);
  if (!resolved) return Fail(kExitInput, resolved.error().message);
  a.server.emulator.grace_s = a.grace_ms / 1e3;
  a.server.emulator.time_scale = a.time_scale;
  // Signals go to sigwait below, not to the server's threads (which inherit this mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  RaiseOpenFileLimit();  // one socket per stream
  auto server = EmulateServer::Start(*resolved, a.server);
  if (!server) return Fail(kExitInput, server.error().message);
  const nlohmann::json& c = resolved->config;
  if (!a.quiet) {
    std::printf(
        "tokenfab emulate: %s on %d x %s (%d instance(s), tp=%d), engine %s\n"
        "serving model '%s' at http://%s:%d/v1 (metrics at /metrics)%s; Ctrl-C stops\n",
        c["model"].get<std::string>().c_str(), c["num_gpus"].get<int>(),
        c["hardware"]["gpu"].get<std::string>().c_str(), c["parallelism"]["replicas"].get<int>(),
        c["parallelism"]["tp"].get<int>(), c["engine"]["profile"].get<std::string>().c_str(),
        (*server)->model_name().c_str(), a.server.host.c_str(), (*server)->port(),
        a.time_scale == 1 ? "" : fmt::format(", {}x slower than the twin", a.time_scale).c_str());
    std::fflush(stdout);
  }
  int signal = 0;
  sigwait(&signals, &signal);
  const EmulatorStats stats = (*server)->emulator().Stats();
  (*server)->Stop();
  if (!a.quiet) {
    std::printf(
        "tokenfab emulate: stopped after %.1f s: %lld requests received, %lld completed, "
        "%lld tokens generated\n",
        stats.uptime_s, static_cast<long long>(stats.requests_received),
        static_cast<long long>(stats.requests_completed),
        static_cast<long long>(stats.generation_tokens));
  }
}

}  // namespace

void AddEmulate(CLI::App& app) {
  auto a = std::make_shared<EmulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "emulate",
      "serve a scenario's deployment as an OpenAI-compatible endpoint paced by the twin");
  cmd->add_option("scenario", a->scenario, "scenario YAML file; omitted: the built-in default");
  cmd->add_option("--set", a->overrides, "override a scenario key: KEY=VALUE (dotted key)")
      ->allow_extra_args(false);
  cmd->add_option("--host", a->server.host, "address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", a->server.port, "port to listen on (default 8000; 0: any free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--served-model-name", a->server.served_model_names,
                  "model name clients send (repeatable; default: the scenario's model id)")
      ->allow_extra_args(false);
  cmd->add_option("--threads", a->server.threads,
                  "connections served at once, one thread each (default 1024)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--default-max-tokens", a->server.default_max_tokens,
                  "max_tokens of requests that give none (default: mean workload.output_tokens)");
  cmd->add_option("--grace-ms", a->grace_ms,
                  "client latency absorbed: a request this soon after its connection's previous "
                  "one finished counts from that finish (default 3; see docs/emulate.md)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--time-scale", a->time_scale,
                  "wall-clock seconds per simulated second (default 1; 10 runs the twin ten "
                  "times slower, so host jitter weighs ten times less)")
      ->check(CLI::Range(0.001, 1000.0));
  cmd->add_flag("--quiet,-q", a->quiet, "print nothing");
  cmd->callback([a] { RunEmulateCommand(*a); });
}

}  // namespace tokenfab::cli
