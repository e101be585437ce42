// Trace files: CSV (Azure LLM inference trace, BurstGPT, or plain) and JSONL (Mooncake).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tokenfab/core/names.h"
#include "tokenfab/serve/workload.h"

namespace tokenfab {
namespace {

// Arrivals become integer nanoseconds; a longer span would be a unit mistake anyway.
constexpr double kMaxSpanSeconds = 1e8;
// Mooncake's hash_ids each cover 512 prompt tokens (FAST25-release/README.md of the trace).
constexpr int kMooncakeBlockTokens = 512;

std::vector<std::string_view> SplitCsvLine(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      std::string_view f = line.substr(start, i - start);
      while (!f.empty() && (f.front() == ' ' || f.front() == '"')) f.remove_prefix(1);
      while (!f.empty() && (f.back() == ' ' || f.back() == '"' || f.back() == '\r'))
        f.remove_suffix(1);
      fields.push_back(f);
      start = i + 1;
    }
  }
  return fields;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int FindColumn(const std::vector<std::string_view>& header, const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string h = Lower(header[i]);
    for (const auto& n : names) {
      if (h == n) return static_cast<int>(i);
    }
  }
  return -1;
}

// "2023-11-16 18:15:46.6805900" -> seconds since the day's start plus days since 1970 (the
// absolute value is irrelevant: arrivals are shifted to start at zero).
bool ParseTimestamp(std::string_view s, double& seconds) {
  double value = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(value)) {
    seconds = value;
    return true;
  }
  int y, mo, d, h, mi, used = 0;
  double sec;
  std::string text(s);
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
      used != static_cast<int>(text.size())) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      !(sec >= 0 && sec < 61) || y < 1970 || y > 9999) {
    return false;
  }
  // Days from civil (Howard Hinnant's algorithm), exact for the Gregorian calendar.
  y -= mo <= 2;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const double days = era * 146097.0 + doe - 719468.0;
  seconds = days * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
  return true;
}

bool ParseTokens(std::string_view s, std::int32_t& out) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 10'000'000) return false;
  out = static_cast<std::int32_t>(v);
  return true;
}

std::vector<TraceRecord> ParseCsv(const std::string& text, const std::string& origin) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw InputError(origin + ": empty trace file");
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // UTF-8 byte order mark
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = SplitCsvLine(line);
  const int t = FindColumn(header, {"timestamp", "time", "arrival", "arrival_s"});
  const int i = FindColumn(
      header, {"contexttokens", "input_tokens", "request tokens", "input_length", "input"});
  const int o = FindColumn(
      header, {"generatedtokens", "output_tokens", "response tokens", "output_length", "output"});
  if (t < 0 || i < 0 || o < 0) {
    throw InputError(origin + ":1: trace header '" + line +
                     "' lacks a timestamp, input-token or output-token column; expected e.g. "
                     "TIMESTAMP,ContextTokens,GeneratedTokens (Azure), "
                     "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type "
                     "(BurstGPT) or timestamp,input_tokens,output_tokens");
  }
  std::vector<TraceRecord> records;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto f = SplitCsvLine(line);
    TraceRecord r;
    const int need = std::max({t, i, o});
    if (static_cast<int>(f.size()) <= need || !ParseTimestamp(f[t], r.arrival_s) ||
        !ParseTokens(f[i], r.input_tokens) || !ParseTokens(f[o], r.output_tokens)) {
      throw InputError(origin + ":" + std::to_string(line_no) + ": cannot read trace row '" + line +
                       "': expected a timestamp and two non-negative token counts");
    }
    records.push_back(r);
  }
  return records;
}

// Appends a row's hash_ids to `hashes`; false if they are not a list of non-negative integers.
bool ReadHashes(const nlohmann::json& j, TraceRecord& r, std::vector<std::uint64_t>& hashes) {
  auto it = j.find("hash_ids");
  if (it == j.end()) return true;
  if (!it->is_array() || hashes.size() + it->size() > 0x7fffffffu) return false;
  r.hash_begin = static_cast<std::int32_t>(hashes.size());
  for (const nlohmann::json& h : *it) {
    if (!h.is_number_unsigned()) return false;
    hashes.push_back(h.get<std::uint64_t>());
  }
  r.hash_count = static_cast<std::int32_t>(it->size());
  return true;
}

std::vector<TraceRecord> ParseJsonl(const std::string& text, const std::string& origin,
                                    std::vector<std::uint64_t>& hashes) {
  std::istringstream in(text);
  std::string line;
  std::vector<TraceRecord> records;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = origin + ":" + std::to_string(line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw InputError(where + ": not a JSON object");
    const char* found = nullptr;  // the key `number` read last
    auto number = [&](std::initializer_list<const char*> keys, double& out) {
      for (const char* k : keys) {
        auto it = j.find(k);
        if (it != j.end() && it->is_number()) {
          out = it->get<double>();
          found = k;
          return std::isfinite(out) && out >= 0;
        }
      }
      return false;
    };
    double ts, in_len, out_len;
    const bool has_ts = number({"timestamp", "arrival_s"}, ts);
    const bool in_ms = has_ts && std::string_view(found) == "timestamp";
    if (!has_ts || !number({"input_length", "input_tokens"}, in_len) ||
        !number({"output_length", "output_tokens"}, out_len) || in_len > 1e7 || out_len > 1e7) {
      throw InputError(where +
                       ": expected non-negative numbers timestamp (ms), input_length and "
                       "output_length (Mooncake layout) or arrival_s, input_tokens, output_tokens");
    }
    TraceRecord r;
    r.arrival_s = in_ms ? ts / 1000.0 : ts;
    r.input_tokens = static_cast<std::int32_t>(in_len);
    r.output_tokens = static_cast<std::int32_t>(out_len);
    if (!ReadHashes(j, r, hashes)) {
      throw InputError(where +
                       ": hash_ids must be a list of non-negative integers "
                       "(Mooncake prefix block hashes, one per 512 prompt tokens)");
    }
    records.push_back(r);
  }
  return records;
}

}  // namespace

Result<RequestTrace> ParseTrace(const std::string& text, const std::string& origin) {
  return CatchInputErrors([&] {
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    const bool jsonl =
        origin.ends_with(".jsonl") || (first != std::string::npos && text[first] == '{');
    RequestTrace trace;
    std::vector<TraceRecord>& records = trace.records;
    records = jsonl ? ParseJsonl(text, origin, trace.hashes) : ParseCsv(text, origin);
    if (!trace.hashes.empty()) trace.block_tokens = kMooncakeBlockTokens;
    if (records.empty()) throw InputError(origin + ": the trace has no requests");
    std::stable_sort(
        records.begin(), records.end(),
        [](const TraceRecord& a, const TraceRecord& b) { return a.arrival_s < b.arrival_s; });
    const double t0 = records.front().arrival_s;
    if (records.back().arrival_s - t0 > kMaxSpanSeconds) {
      throw InputError(
          fmt::format("{}: the trace spans {:g} s from its first to its last arrival; "
                      "at most {:g} s (about 3 years) can be replayed",
                      origin, records.back().arrival_s - t0, kMaxSpanSeconds));
    }
    for (auto& r : records) {
      r.arrival_s -= t0;
      // A request always has at least one prompt token and produces at least one token.
      r.input_tokens = std::max(1, r.input_tokens);
      r.output_tokens = std::max(1, r.output_tokens);
    }
    return trace;
  });
}

Result<RequestTrace> ReadTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open trace file '" + path + "'"};
  std::ostringstream text;
  text << in.rdbuf();
  return ParseTrace(text.str(), path);
}

}  // namespace tokenfab
