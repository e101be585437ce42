// Sub-commands of the tokenfab CLI.
#pragma once

#include <CLI/CLI.hpp>

namespace tokenfab::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;
inline constexpr int kExitOutput = 4;

void AddSimulate(CLI::App& app);
void AddCatalog(CLI::App& app);
void AddKeys(CLI::App& app);

// The exit code the sub-command that ran decided on.
int ExitCode();
void SetExitCode(int code);

// Prints "tokenfab: error: <message>" to stderr and records the exit code.
void Fail(int code, const std::string& message);

}  // namespace tokenfab::cli
