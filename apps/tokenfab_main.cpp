// tokenfab: the command-line front end. Exit codes: 0 success, 2 bad command line,
// 3 bad input (scenario, catalog, trace) or impossible configuration, 4 cannot write output
// (1: an internal error, which is a bug).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tokenfab: a digital twin of an AI factory (LLM serving on GPU clusters)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokenfab 0.1.0");
  tokenfab::cli::AddSimulate(app);
  tokenfab::cli::AddCatalog(app);
  tokenfab::cli::AddKeys(app);
  tokenfab::cli::AddServe(app);
  tokenfab::cli::AddValidate(app);
  tokenfab::cli::AddCalibrate(app);
  tokenfab::cli::AddEmulate(app);
  tokenfab::cli::AddBench(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : tokenfab::cli::kExitUsage;
  } catch (const std::exception& e) {
    // A bug, not bad input (that is reported as a Result); still no abort and core dump.
    std::fprintf(stderr, "tokenfab: internal error: %s\n", e.what());
    return 1;
  }
  return tokenfab::cli::ExitCode();
}
