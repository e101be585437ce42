// The generated files of data/validation/ are what their scripts write from the committed
// inputs: a hand edit of row_settings.csv or split.csv (or a script change without a rerun)
// would change what validate and calibrate run without a trace in the scripts.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "shell_run.h"

namespace tokenfab {
namespace {

const std::string kFolder = std::string(TOKENFAB_SOURCE_DIR) + "/data/validation";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(GeneratedValidationData, RowSettingsAreWhatTheScriptWrites) {
  const test::ShellRun r = test::RunShell("cd '" + kFolder + "' && python3 make_row_settings.py");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, ReadFile(kFolder + "/row_settings.csv"))
      << "rerun: cd data/validation && python3 make_row_settings.py > row_settings.csv";
}

TEST(GeneratedValidationData, SplitIsWhatTheScriptWrites) {
  const std::string out = ::testing::TempDir() + "tokenfab_split.csv";
  const test::ShellRun r =
      test::RunShell("cd '" + kFolder + "' && python3 make_split.py measured.csv '" + out + "'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(ReadFile(out), ReadFile(kFolder + "/split.csv"));
}

// The committed output-length fit is what fit_output_lengths.py finds with the shipped
// calibration, and a local optimum: a grid around it (0.55, 0.6, 0.65, and 0 = fixed lengths)
// picks the same values, to the digit of every RMS.
TEST(GeneratedValidationData, OutputLengthFitIsReproducedAroundItsOptimum) {
  const std::string out = ::testing::TempDir() + "tokenfab_output_length_fits.csv";
  const test::ShellRun r = test::RunShell(
      "cd '" + kFolder + "' && python3 fit_output_lengths.py '" + std::string(TOKENFAB_CLI) +
      "' --grid 0,0.55,0.6,0.65 --out '" + out + "' 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(ReadFile(out), ReadFile(kFolder + "/output_length_fits.csv"));
}

// The fitted output-length spreads are applied to their dataset's rows and to no others.
TEST(GeneratedValidationData, FittedOutputLengthsReachOnlyTheirDataset) {
  const std::string settings = ReadFile(kFolder + "/row_settings.csv");
  std::istringstream lines(settings);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.find(",workload.output_tokens,") == std::string::npos) continue;
    ++rows;
    EXPECT_EQ(line.rfind("trtol-", 0), 0u) << line;
    EXPECT_NE(line.find("mean: 214"), std::string::npos) << line;
    EXPECT_NE(line.find("fitted, not copied"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 51);
}

}  // namespace
}  // namespace tokenfab
