// `tokenfab emulate`: an OpenAI-compatible HTTP endpoint in front of the real-time serving
// twin (Emulator). Endpoints: POST /v1/completions and /v1/chat/completions (streaming as
// server-sent events, one event per token, or not), GET /v1/models, /metrics (Prometheus
// text), /health. One thread per connection (cpp-httplib), so `threads` bounds the streams
// served at once; further connections wait for a free thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenfab/core/status.h"
#include "tokenfab/io/scenario.h"
#include "tokenfab/study/emulator.h"

namespace tokenfab {

struct EmulateServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port
  // Names clients may send as `model`; the first is the one listed and echoed. Empty: the
  // scenario's model id. The catalog id and display name are always accepted.
  std::vector<std::string> served_model_names;
  int threads = 1024;  // connections served at once
  // `max_tokens` when a request gives none; <= 0: the mean of the scenario's
  // workload.output_tokens.
  int default_max_tokens = 0;
  EmulatorOptions emulator;
};

// Raises this process's soft limit of open files to its hard limit (each stream holds a socket,
// and both ends when client and server share a process; Debian's soft default is 1024).
// Returns the limit now in force.
long RaiseOpenFileLimit();

class EmulateServer {
 public:
  // Binds and starts serving in background threads.
  static Result<std::unique_ptr<EmulateServer>> Start(const ResolvedScenario& scenario,
                                                      const EmulateServerOptions& options);
  ~EmulateServer();  // Stop()
  EmulateServer(const EmulateServer&) = delete;
  EmulateServer& operator=(const EmulateServer&) = delete;

  int port() const;
  const std::string& model_name() const;
  const Emulator& emulator() const;
  // Stops accepting, ends the streams in progress and waits for the connection threads.
  void Stop();

 private:
  struct Impl;
  explicit EmulateServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab
