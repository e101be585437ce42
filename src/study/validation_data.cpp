#include "tokenfab/study/validation_data.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "tokenfab/catalog/catalog.h"

namespace tokenfab {
namespace {

// Reads one field starting at text[i]; leaves i on the separator or end. Counts newlines.
std::string ReadField(const std::string& text, std::size_t& i, int& line,
                      const std::string& origin) {
  std::string field;
  if (i < text.size() && text[i] == '"') {
    const int start_line = line;
    ++i;
    while (true) {
      if (i >= text.size()) {
        throw InputError(fmt::format("{}:{}: unterminated quoted field", origin, start_line));
      }
      const char c = text[i++];
      if (c == '"') {
        if (i < text.size() && text[i] == '"') {
          field += '"';
          ++i;
          continue;
        }
        break;
      }
      if (c == '\n') ++line;
      field += c;
    }
  }
  while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
    field += text[i++];
  return field;
}

CsvTable ParseCsvOrThrow(const std::string& text, const std::string& origin) {
  CsvTable table;
  std::size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    const int row_line = line;
    std::vector<std::string> fields;
    while (true) {
      fields.push_back(ReadField(text, i, line, origin));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size() && text[i] == '\r') ++i;
      if (i < text.size() && text[i] == '\n') ++i, ++line;
      break;
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (table.header.empty()) {
      table.header = std::move(fields);
      continue;
    }
    if (fields.size() != table.header.size()) {
      throw InputError(fmt::format("{}:{}: {} fields, the header has {}", origin, row_line,
                                   fields.size(), table.header.size()));
    }
    table.rows.push_back(std::move(fields));
    table.lines.push_back(row_line);
  }
  if (table.header.empty()) throw InputError(origin + ": empty table (no header line)");
  return table;
}

// Cell access by column name with typed conversion; errors name origin:line and the column.
class RowReader {
 public:
  RowReader(const CsvTable& t, std::size_t row, const std::string& origin)
      : t_(t), row_(row), origin_(origin) {}

  std::string Text(const std::string& column) const {
    for (std::size_t c = 0; c < t_.header.size(); ++c) {
      if (t_.header[c] == column) return t_.rows[row_][c];
    }
    throw InputError(fmt::format("{}: no column '{}' in the header", origin_, column));
  }
  template <typename T>
  std::optional<T> Number(const std::string& column) const {
    const std::string s = Text(column);
    if (s.empty()) return std::nullopt;
    T v{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
      throw InputError(fmt::format("{}:{}: column '{}': '{}' is not a number", origin_,
                                   t_.lines[row_], column, s));
    }
    return v;
  }

 private:
  const CsvTable& t_;
  std::size_t row_;
  const std::string& origin_;
};

MeasuredRow ReadRow(const RowReader& r) {
  MeasuredRow m;
  m.id = r.Text("id");
  m.simulatable = r.Text("simulatable") == "1";
  m.model = r.Text("model");
  m.gpu = r.Text("gpu");
  m.num_gpus = r.Number<int>("num_gpus");
  m.tp = r.Number<int>("tp");
  m.pp = r.Number<int>("pp");
  m.ep = r.Number<int>("ep");
  m.attention_dp = r.Text("attention_dp") == "1";
  m.replicas = r.Number<int>("replicas");
  m.precision = r.Text("precision");
  m.framework = r.Text("framework");
  m.scenario = r.Text("scenario");
  m.concurrency = r.Number<int>("concurrency");
  m.rate = r.Number<double>("rate");
  m.num_requests = r.Number<std::int64_t>("num_requests");
  m.input_tokens = r.Number<int>("input_tokens");
  m.output_tokens = r.Number<int>("output_tokens");
  m.metric = r.Text("metric");
  m.value = r.Number<double>("value").value_or(0);
  m.source = r.Text("source");
  return m;
}

}  // namespace

Result<CsvTable> ParseCsv(const std::string& text, const std::string& origin) {
  return CatchInputErrors([&] { return ParseCsvOrThrow(text, origin); });
}

Result<std::vector<MeasuredRow>> ParseMeasuredRows(const std::string& csv_text,
                                                   const std::string& origin) {
  return CatchInputErrors([&] {
    const CsvTable t = ParseCsvOrThrow(csv_text, origin);
    std::vector<MeasuredRow> rows;
    for (std::size_t i = 0; i < t.rows.size(); ++i)
      rows.push_back(ReadRow(RowReader(t, i, origin)));
    return rows;
  });
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open '" + path + "'"};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::vector<MeasuredRow>> LoadMeasuredRows(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseMeasuredRows(*text, path);
}

Result<std::map<std::string, std::string>> ParseSplit(const std::string& csv_text,
                                                      const std::string& origin) {
  return CatchInputErrors([&] {
    const CsvTable t = ParseCsvOrThrow(csv_text, origin);
    std::map<std::string, std::string> split;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const RowReader r(t, i, origin);
      const std::string side = r.Text("split");
      if (side != "fit" && side != "holdout") {
        throw InputError(
            fmt::format("{}:{}: split '{}' is neither fit nor holdout", origin, t.lines[i], side));
      }
      split[r.Text("id")] = side;
    }
    return split;
  });
}

Result<std::map<std::string, std::string>> LoadSplit(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseSplit(*text, path);
}

void AssignSplit(const std::map<std::string, std::string>& split, std::vector<MeasuredRow>& rows) {
  for (MeasuredRow& row : rows) {
    const auto it = split.find(row.id);
    row.split = it == split.end() ? "" : it->second;
  }
}

Result<std::map<std::string, std::vector<std::string>>> ParseRowSettings(
    const std::string& csv_text, const std::string& origin) {
  return CatchInputErrors([&] {
    const CsvTable t = ParseCsvOrThrow(csv_text, origin);
    std::map<std::string, std::vector<std::string>> settings;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const RowReader r(t, i, origin);
      const std::string key = r.Text("key");
      if (key.empty() || r.Text("value").empty() || r.Text("source").empty()) {
        throw InputError(fmt::format("{}:{}: every setting needs a key, a value and a source",
                                     origin, t.lines[i]));
      }
      settings[r.Text("id")].push_back(key + "=" + r.Text("value"));
    }
    return settings;
  });
}

void AssignRowSettings(const std::map<std::string, std::vector<std::string>>& settings,
                       std::vector<MeasuredRow>& rows) {
  for (MeasuredRow& row : rows) {
    const auto it = settings.find(row.id);
    if (it != settings.end()) row.settings = it->second;
  }
}

Result<std::vector<MeasuredRow>> LoadMeasuredTable(const std::string& measured_path,
                                                   const std::string& split_path) {
  auto rows = LoadMeasuredRows(measured_path);
  if (!rows) return rows;
  const std::string settings_path = RowSettingsPathFor(measured_path);
  if (std::filesystem::exists(settings_path)) {
    auto text = ReadTextFile(settings_path);
    if (!text) return text.error();
    auto settings = ParseRowSettings(*text, settings_path);
    if (!settings) return settings.error();
    AssignRowSettings(*settings, *rows);
  }
  std::string path = split_path;
  if (path.empty()) {
    path = SplitPathFor(measured_path);
    if (!std::filesystem::exists(path)) return rows;
  }
  auto split = LoadSplit(path);
  if (!split) return split.error();
  AssignSplit(*split, *rows);
  return rows;
}

std::string DefaultMeasuredPath() { return Catalog::DefaultDataDir() + "/validation/measured.csv"; }

std::string RowSettingsPathFor(const std::string& measured_path) {
  return (std::filesystem::path(measured_path).parent_path() / "row_settings.csv").string();
}

std::string SplitPathFor(const std::string& measured_path) {
  return (std::filesystem::path(measured_path).parent_path() / "split.csv").string();
}

}  // namespace tokenfab
