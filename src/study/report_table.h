// A table of text cells rendered as aligned plain text, Markdown or HTML (validate reports).
#pragma once

#include <string>
#include <vector>

#include "tokenfab/io/report.h"  // HtmlEscape

namespace tokenfab {

struct ReportTable {
  std::vector<std::string> header;
  std::vector<bool> right_aligned;  // per column; numbers are right-aligned
  std::vector<std::vector<std::string>> rows;
};

std::string TextTable(const ReportTable& t);
std::string MarkdownTable(const ReportTable& t);
std::string HtmlTable(const ReportTable& t);

// A number with as many digits as a reader needs: 23406, 546.7, 18.91, 0.0123.
std::string FormatValue(double v);

}  // namespace tokenfab
