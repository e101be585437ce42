#include <string>
#include <string_view>

#include "tokenfab/io/report.h"
#include "tokenfab/io/web_assets.h"

namespace tokenfab {
namespace {

// JSON that is safe inside <script>: every '<' (only ever inside strings) as \u003c, so no
// "</script>" or "<!--" can end or bend the element.
std::string ScriptSafeJson(const nlohmann::json& data) {
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ReportHtml(const std::string& title, const nlohmann::json& data) {
  std::string html =
      "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  html += HtmlEscape(title);
  html +=
      "</title>\n<style>body{margin:0;font-family:system-ui,sans-serif;background:#f6f7f9}</"
      "style>\n"
      "</head>\n<body>\n<div id=\"report\"><noscript>This report draws its summary and charts "
      "with JavaScript; the data are in the page source (script tokenfab-data).</noscript></div>\n"
      "<script id=\"tokenfab-data\" type=\"application/json\">";
  html += ScriptSafeJson(data);
  html += "</script>\n<script>\n";
  html += ReportBundleJs();
  html += "\n</script>\n</body>\n</html>\n";
  return html;
}

std::string SimulationReportHtml(const nlohmann::json& metrics_json, const ServeResult& result) {
  nlohmann::json data = {
      {"kind", "simulation"},
      {"title", "tokenfab simulation report"},
      {"generator", "Written by tokenfab simulate --report; charts by Chart.js."},
      {"metrics", metrics_json},
      {"charts", SimulationChartData(result)}};
  return ReportHtml("tokenfab simulation report", data);
}

std::string ValidationReportHtml(const nlohmann::json& validation_json) {
  nlohmann::json data = {
      {"kind", "validation"},
      {"title", "tokenfab validation report"},
      {"generator", "Written by tokenfab validate --report; charts by Chart.js."},
      {"validation", validation_json}};
  return ReportHtml("tokenfab validation report", data);
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace tokenfab
