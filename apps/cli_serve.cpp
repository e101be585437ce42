// `tokenfab serve`: the local web app (docs/webapp.md). GET / and /app.js are the page and its
// script (embedded at build time), GET /api/catalog the catalog, GET /api/default the default
// scenario YAML, POST /api/simulate runs the scenario YAML in the body and answers the metrics
// and chart data, or {"error": message} with status 400 and the message the CLI would print.
#include <httplib.h>

#include <cstdint>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli_commands.h"
#include "tokenfab/io/catalog_json.h"
#include "tokenfab/io/report.h"
#include "tokenfab/io/results.h"
#include "tokenfab/io/web_assets.h"
#include "tokenfab/study/simulate.h"

namespace tokenfab::cli {
namespace {

// Bigger runs belong to the CLI: a browser waits for the answer and draws it.
constexpr std::int64_t kMaxWebRequests = 200'000;
constexpr std::size_t kMaxScenarioBytes = 1 << 20;

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;
};

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<nlohmann::json> SimulateForWeb(const std::string& yaml, const Catalog& catalog) {
  auto scenario = ParseScenario(yaml, "<web scenario>");
  if (!scenario) return Error{scenario.error().message};
  auto resolved = ResolveScenario(*scenario, catalog);
  if (!resolved) return Error{resolved.error().message};
  const std::int64_t n = resolved->serve.workload.num_requests;
  if (n > kMaxWebRequests) {
    return Error{
        fmt::format("the web app simulates at most {} requests and this scenario asks for {} "
                    "(workload.num_requests): lower it, or run `tokenfab simulate` for "
                    "big runs",
                    kMaxWebRequests, n)};
  }
  SimulateOptions options;
  options.keep_iterations = true;
  auto out = RunSimulate(*resolved, options);
  if (!out) return Error{out.error().message};
  return nlohmann::json{{"metrics", out->json},
                        {"charts", SimulationChartData(out->result)},
                        {"summary_text", SummaryText(out->result.metrics, out->resolved.config)}};
}

void Route(httplib::Server& server, const Catalog& catalog) {
  const std::string catalog_json = Dump(CatalogJson(catalog));
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(AppPageHtml()), "text/html; charset=utf-8");
  });
  server.Get("/app.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(AppBundleJs()), "text/javascript; charset=utf-8");
  });
  server.Get("/api/catalog", [catalog_json](const httplib::Request&, httplib::Response& res) {
    res.set_content(catalog_json, "application/json");
  });
  server.Get("/api/default", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(DefaultScenarioYaml(), "text/yaml; charset=utf-8");
  });
  server.Post("/api/simulate", [&catalog](const httplib::Request& req, httplib::Response& res) {
    auto answer = SimulateForWeb(req.body, catalog);
    if (!answer) {
      res.status = 400;
      res.set_content(Dump({{"error", answer.error().message}}), "application/json");
      return;
    }
    res.set_content(Dump(*answer), "application/json");
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
        std::string message = "internal error";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          message += std::string(": ") + ex.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(Dump({{"error", message}}), "application/json");
      });
  server.set_payload_max_length(kMaxScenarioBytes);
}

void RunServe(const ServeArgs& a) {
  auto catalog = Catalog::Load(Catalog::DefaultDataDir());
  if (!catalog) return Fail(kExitInput, catalog.error().message);
  httplib::Server server;
  Route(server, *catalog);
  int port = a.port;
  if (port == 0) {
    port = server.bind_to_any_port(a.host);
  } else if (!server.bind_to_port(a.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Fail(kExitInput,
                fmt::format("cannot listen on {}:{} (in use? try another --port)", a.host, a.port));
  }
  std::printf("tokenfab serve: open http://%s:%d/ in a browser (Ctrl-C to stop)\n", a.host.c_str(),
              port);
  std::fflush(stdout);
  if (!server.listen_after_bind()) Fail(kExitOutput, "the web server stopped on an error");
}

}  // namespace

void AddServe(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "serve the local web app: edit and run scenarios, see the summary and charts");
  cmd->add_option("--port", args->port, "TCP port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--host", args->host,
                  "address to listen on; the default serves this machine only")
      ->capture_default_str();
  cmd->callback([args] { RunServe(*args); });
}

}  // namespace tokenfab::cli
