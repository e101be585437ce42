// tokenfab: the command-line front end. Exit codes: 0 success, 2 bad command line,
// 3 bad input (scenario, catalog, trace) or impossible configuration, 4 cannot write output.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tokenfab: a digital twin of an AI factory (LLM serving on GPU clusters)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tokenfab 0.1.0");
  tokenfab::cli::AddSimulate(app);
  tokenfab::cli::AddCatalog(app);
  tokenfab::cli::AddKeys(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : tokenfab::cli::kExitUsage;
  }
  return tokenfab::cli::ExitCode();
}
