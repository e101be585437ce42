// Sub-commands of the tokenfab CLI.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace tokenfab::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInput = 3;
inline constexpr int kExitOutput = 4;

void AddSimulate(CLI::App& app);
void AddCatalog(CLI::App& app);
void AddKeys(CLI::App& app);
void AddServe(CLI::App& app);
void AddValidate(CLI::App& app);
void AddCalibrate(CLI::App& app);
void AddEmulate(CLI::App& app);
void AddBench(CLI::App& app);

// The exit code the sub-command that ran decided on.
int ExitCode();
void SetExitCode(int code);

// A path relative to the working directory when it lies below it, else as given.
std::string DisplayPath(const std::string& path);

// Prints "tokenfab: error: <message>" to stderr and records the exit code.
void Fail(int code, const std::string& message);

}  // namespace tokenfab::cli
