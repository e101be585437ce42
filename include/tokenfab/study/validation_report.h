// Validation results out: plain text for the terminal, a Markdown report (docs/validation.md),
// a self-contained HTML page, and JSON for machines.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tokenfab/study/validate.h"

namespace tokenfab {

// `command` is the command line that produced the run, quoted in the reports' headers.
std::string ValidationText(const ValidationRun& run);
std::string ValidationMarkdown(const ValidationRun& run, const std::string& command);
std::string ValidationHtml(const ValidationRun& run, const std::string& command);
nlohmann::json ValidationJson(const ValidationRun& run);

nlohmann::json ErrorSummaryJson(const ErrorSummary& s);

}  // namespace tokenfab
