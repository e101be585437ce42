// Every scenario key, declared once: name, type, default and meaning. The parser, the --set
// overrides, `tokenfab keys` and docs/scenario.md are all derived from this table.
#pragma once

#include <span>
#include <string_view>

namespace tokenfab {

enum class SettingType {
  kString,
  kInt,
  kNumber,
  kBool,
  kLength,     // a token count: a number or {dist: fixed|uniform|lognormal, mean:, cv:, min:, max:}
  kStructure,  // a mapping or list with its own documented shape (classes, deployments, ...)
};

struct SettingInfo {
  std::string_view key;  // dotted path, e.g. "parallelism.tp"
  SettingType type;
  std::string_view default_text;  // as written in YAML; "" = none / derived
  std::string_view help;
};

std::span<const SettingInfo> ScenarioSettings();
const SettingInfo* FindSetting(std::string_view key);
std::string_view SettingTypeName(SettingType type);

}  // namespace tokenfab
