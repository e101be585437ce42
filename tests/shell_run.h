// Runs a shell command for the CLI tests and collects its standard output and exit code.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace tokenfab::test {

struct ShellRun {
  int exit_code = -1;  // 128 + signal when the command was killed
  std::string out;     // standard output
};

inline ShellRun RunShell(const std::string& command) {
  ShellRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace tokenfab::test
