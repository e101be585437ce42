#include "openai_api.h"

#include <array>
#include <cctype>
#include <cmath>
#include <optional>

namespace tokenfab {
namespace {

constexpr double kTokensPerWord = 1.3;
constexpr std::int32_t kChatTokensPerMessage = 3;
constexpr std::int32_t kChatReplyTokens = 3;
constexpr std::int32_t kMaxTokens = 1 << 30;

using json = nlohmann::json;

ApiError Invalid(const std::string& param, const std::string& message) {
  return ApiError{400, message, "invalid_request_error", param, ""};
}

// A positive integer field, or nullopt when absent or null.
std::variant<std::optional<std::int32_t>, ApiError> PositiveInt(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::int32_t>{};
  double v = 0;
  if (it->is_number_integer())
    v = static_cast<double>(it->get<std::int64_t>());
  else if (it->is_number_float() && std::floor(it->get<double>()) == it->get<double>())
    v = it->get<double>();
  else
    return Invalid(key, std::string("'") + key + "' must be an integer");
  if (v < 1 || v > kMaxTokens) {
    return Invalid(
        key, std::string("'") + key + "' must be at least 1 and at most 2^30, got " + it->dump());
  }
  return std::optional<std::int32_t>{static_cast<std::int32_t>(v)};
}

bool IsTokenIds(const json& v) {
  if (!v.is_array() || v.empty()) return false;
  for (const json& t : v) {
    if (!t.is_number_integer()) return false;
  }
  return true;
}

// Completions `prompt`: text, token ids, or a batch of one of either.
std::variant<std::int32_t, ApiError> PromptTokens(const json& prompt) {
  if (prompt.is_string()) return TextTokens(prompt.get<std::string>());
  if (IsTokenIds(prompt)) return static_cast<std::int32_t>(prompt.size());
  if (prompt.is_array() && prompt.size() == 1 && (prompt[0].is_string() || IsTokenIds(prompt[0]))) {
    return PromptTokens(prompt[0]);
  }
  if (prompt.is_array() && prompt.size() > 1 && (prompt[0].is_string() || prompt[0].is_array())) {
    return Invalid("prompt",
                   "batched prompts are not supported by tokenfab emulate; send one "
                   "prompt per request");
  }
  return Invalid("prompt",
                 "'prompt' must be a string, an array of token ids, or a one-element "
                 "array of either");
}

std::variant<std::int32_t, ApiError> MessageTokens(const json& messages) {
  if (!messages.is_array() || messages.empty()) {
    return Invalid("messages", "'messages' must be a non-empty array");
  }
  std::int64_t tokens = kChatReplyTokens;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      return Invalid(where, where + " must be an object with a string 'role'");
    }
    tokens += kChatTokensPerMessage;
    const json content = m.value("content", json());
    if (content.is_string()) {
      tokens += TextTokens(content.get<std::string>());
    } else if (content.is_array()) {
      for (const json& part : content) {
        if (!part.is_object() || !part.contains("type")) {
          return Invalid(where + ".content", "content parts must be objects with a 'type'");
        }
        if (part["type"] == "text") {
          if (!part.contains("text") || !part["text"].is_string()) {
            return Invalid(where + ".content", "a text part needs a string 'text'");
          }
          tokens += TextTokens(part["text"].get<std::string>());
        }
      }
    } else if (!content.is_null()) {
      return Invalid(where + ".content",
                     where + ".content must be a string, an array of parts or null");
    }
  }
  return static_cast<std::int32_t>(std::min<std::int64_t>(tokens, kMaxTokens));
}

json Usage(std::int32_t prompt, std::int32_t completion) {
  return {{"prompt_tokens", prompt},
          {"total_tokens", static_cast<std::int64_t>(prompt) + completion},
          {"completion_tokens", completion}};
}

json Envelope(const ResponseHeader& h, bool chunk) {
  return {{"id", h.id},
          {"object",
           h.chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion"},
          {"created", h.created},
          {"model", h.model}};
}

std::string Event(const json& j) { return "data: " + j.dump() + "\n\n"; }

}  // namespace

std::int32_t TextTokens(std::string_view text) {
  std::int64_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  const double tokens = std::ceil(kTokensPerWord * static_cast<double>(words));
  return static_cast<std::int32_t>(std::clamp(tokens, 1.0, static_cast<double>(kMaxTokens)));
}

std::variant<CompletionRequest, ApiError> ParseCompletionRequest(std::string_view body, bool chat) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Invalid("", "the request body is not valid JSON");
  }
  if (!j.is_object()) return Invalid("", "the request body must be a JSON object");
  CompletionRequest r;
  r.chat = chat;
  if (const auto it = j.find("model"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return Invalid("model", "'model' must be a string");
    r.model = it->get<std::string>();
  }
  if (const auto it = j.find("stream"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return Invalid("stream", "'stream' must be a boolean");
    r.stream = it->get<bool>();
  }
  if (const auto it = j.find("stream_options"); it != j.end() && !it->is_null()) {
    if (!r.stream)
      return Invalid("stream_options", "'stream_options' is only allowed with stream: true");
    if (!it->is_object()) return Invalid("stream_options", "'stream_options' must be an object");
    const json usage = it->value("include_usage", json(false));
    if (!usage.is_boolean()) {
      return Invalid("stream_options.include_usage", "'include_usage' must be a boolean");
    }
    r.include_usage = usage.get<bool>();
  }
  if (const auto it = j.find("n"); it != j.end() && !it->is_null() && *it != 1) {
    return Invalid("n", "only n = 1 is supported by tokenfab emulate");
  }
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (!chat && std::string_view(key) == "max_completion_tokens") continue;
    auto v = PositiveInt(j, key);
    if (auto* e = std::get_if<ApiError>(&v)) return *e;
    if (auto n = std::get<std::optional<std::int32_t>>(v)) r.max_tokens = *n;
  }
  auto explicit_prompt = PositiveInt(j, "prompt_tokens");
  if (auto* e = std::get_if<ApiError>(&explicit_prompt)) return *e;
  const char* source = chat ? "messages" : "prompt";
  const auto it = j.find(source);
  if (it == j.end() || it->is_null()) {
    if (auto n = std::get<std::optional<std::int32_t>>(explicit_prompt)) {
      r.prompt_tokens = *n;
      return r;
    }
    return Invalid(source, std::string("'") + source + "' is required");
  }
  auto counted = chat ? MessageTokens(*it) : PromptTokens(*it);
  if (auto* e = std::get_if<ApiError>(&counted)) return *e;
  r.prompt_tokens = std::get<std::int32_t>(counted);
  if (auto n = std::get<std::optional<std::int32_t>>(explicit_prompt)) r.prompt_tokens = *n;
  return r;
}

std::string ErrorBody(const ApiError& e) {
  const json param = e.param.empty() ? json() : json(e.param);
  const json code = e.code.empty() ? json() : json(e.code);
  return json{
      {"error", {{"message", e.message}, {"type", e.type}, {"param", param}, {"code", code}}}}
      .dump();
}

std::string TokenText(std::int32_t k) {
  // Common English words that most tokenizers keep as one token with their leading space.
  static constexpr std::array<std::string_view, 16> kWords = {
      " the", " of", " and", " to",  " in",   " a",  " is", " that",
      " for", " it", " as",  " was", " with", " be", " on", " not"};
  return std::string(kWords[static_cast<std::size_t>(k) % kWords.size()]);
}

std::string TokensText(std::int32_t n) {
  std::string s;
  for (std::int32_t k = 0; k < n; ++k) s += TokenText(k);
  return s;
}

std::string CompletionBody(const ResponseHeader& h, std::int32_t prompt_tokens,
                           std::int32_t completion_tokens) {
  json j = Envelope(h, false);
  json choice = {{"index", 0}, {"logprobs", nullptr}, {"finish_reason", "length"}};
  if (h.chat) {
    choice["message"] = {{"role", "assistant"}, {"content", TokensText(completion_tokens)}};
  } else {
    choice["text"] = TokensText(completion_tokens);
    choice["stop_reason"] = nullptr;
  }
  j["choices"] = json::array({choice});
  j["usage"] = Usage(prompt_tokens, completion_tokens);
  return j.dump();
}

std::string TokenEvent(const ResponseHeader& h, std::int32_t k, bool last, bool include_usage) {
  json j = Envelope(h, true);
  json choice = {
      {"index", 0}, {"logprobs", nullptr}, {"finish_reason", last ? json("length") : json()}};
  if (h.chat) {
    choice["delta"] = {{"content", TokenText(k)}};
  } else {
    choice["text"] = TokenText(k);
    choice["stop_reason"] = nullptr;
  }
  j["choices"] = json::array({choice});
  if (include_usage) j["usage"] = nullptr;
  return Event(j);
}

std::string RoleEvent(const ResponseHeader& h, bool include_usage) {
  json j = Envelope(h, true);
  j["choices"] = json::array({{{"index", 0},
                               {"delta", {{"role", "assistant"}, {"content", ""}}},
                               {"logprobs", nullptr},
                               {"finish_reason", nullptr}}});
  if (include_usage) j["usage"] = nullptr;
  return Event(j);
}

std::string UsageEvent(const ResponseHeader& h, std::int32_t prompt_tokens,
                       std::int32_t completion_tokens) {
  json j = Envelope(h, true);
  j["choices"] = json::array();
  j["usage"] = Usage(prompt_tokens, completion_tokens);
  return Event(j);
}

}  // namespace tokenfab
