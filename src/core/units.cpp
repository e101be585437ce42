#include "tokenfab/core/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <map>

#include "tokenfab/core/status.h"

namespace tokenfab {
namespace {

const std::map<std::string, double, std::less<>>& Units(Dimension d) {
  static const std::map<std::string, double, std::less<>> kBytes = {{"B", 1},
                                                                    {"kB", 1e3},
                                                                    {"KB", 1e3},
                                                                    {"MB", 1e6},
                                                                    {"GB", 1e9},
                                                                    {"TB", 1e12},
                                                                    {"PB", 1e15},
                                                                    {"KiB", 1024.0},
                                                                    {"MiB", 1048576.0},
                                                                    {"GiB", 1073741824.0},
                                                                    {"TiB", 1099511627776.0}};
  static const std::map<std::string, double, std::less<>> kBytesPerSecond = {
      {"B/s", 1},        {"kB/s", 1e3},     {"KB/s", 1e3},     {"MB/s", 1e6},
      {"GB/s", 1e9},     {"TB/s", 1e12},    {"PB/s", 1e15},    {"b/s", 0.125},
      {"Gb/s", 0.125e9}, {"Gbps", 0.125e9}, {"Tb/s", 0.125e12}};
  static const std::map<std::string, double, std::less<>> kFlops = {
      {"FLOP/s", 1}, {"GFLOP/s", 1e9}, {"TFLOP/s", 1e12}, {"PFLOP/s", 1e15},
      {"FLOPS", 1},  {"GFLOPS", 1e9},  {"TFLOPS", 1e12},  {"PFLOPS", 1e15}};
  static const std::map<std::string, double, std::less<>> kSeconds = {
      {"s", 1}, {"ms", 1e-3}, {"us", 1e-6}, {"ns", 1e-9}, {"min", 60}, {"h", 3600}};
  static const std::map<std::string, double, std::less<>> kWatts = {
      {"W", 1}, {"kW", 1e3}, {"MW", 1e6}, {"GW", 1e9}};
  static const std::map<std::string, double, std::less<>> kNone = {{"", 1}};
  switch (d) {
    case Dimension::kBytes:
      return kBytes;
    case Dimension::kBytesPerSecond:
      return kBytesPerSecond;
    case Dimension::kFlopsPerSecond:
      return kFlops;
    case Dimension::kSeconds:
      return kSeconds;
    case Dimension::kWatts:
      return kWatts;
    case Dimension::kDimensionless:
      return kNone;
  }
  return kNone;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kBytes:
      return "bytes";
    case Dimension::kBytesPerSecond:
      return "bandwidth";
    case Dimension::kFlopsPerSecond:
      return "FLOP rate";
    case Dimension::kSeconds:
      return "time";
    case Dimension::kWatts:
      return "power";
    case Dimension::kDimensionless:
      return "number";
  }
  return "number";
}

double ParseQuantity(std::string_view text, Dimension dimension, const std::string& where) {
  std::string_view s = Trim(text);
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
                          s[i] == '-' || s[i] == '+' || s[i] == 'e' || s[i] == 'E')) {
    // 'e' only counts as an exponent when a digit or sign follows.
    if ((s[i] == 'e' || s[i] == 'E') &&
        !(i + 1 < s.size() && (std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
                               s[i + 1] == '-' || s[i + 1] == '+'))) {
      break;
    }
    ++i;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + i, value);
  if (i == 0 || ec != std::errc() || ptr != s.data() + i || !std::isfinite(value)) {
    throw InputError(where + ": expected a " + std::string(DimensionName(dimension)) +
                     " such as '3.35 TB/s' or '700 W', got '" + std::string(text) + "'");
  }
  const std::string_view unit = Trim(s.substr(i));
  if (unit.empty()) return value;
  const auto& units = Units(dimension);
  const auto it = units.find(unit);
  if (it == units.end()) {
    std::string valid;
    for (const auto& [name, factor] : units) {
      if (!valid.empty()) valid += ", ";
      valid += name;
    }
    throw InputError(where + ": unknown unit '" + std::string(unit) + "' for a " +
                     std::string(DimensionName(dimension)) + "; valid: " + valid);
  }
  return value * it->second;
}

std::vector<int> ParseIncreasingSizes(const std::vector<std::string>& items,
                                      const std::string& where) {
  const std::string expected = "; expected increasing positive integers, e.g. [1, 2, 4, 8]";
  std::vector<int> sizes;
  for (const std::string& text : items) {
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > 1'000'000) {
      throw InputError(where + ": '" + text + "' is not a positive integer up to 10^6" + expected);
    }
    if (!sizes.empty() && value <= sizes.back()) {
      throw InputError(where + ": sizes must increase, got " + std::to_string(value) + " after " +
                       std::to_string(sizes.back()) + expected);
    }
    sizes.push_back(value);
  }
  return sizes;
}

}  // namespace tokenfab
