// The OpenAI-compatible wire format of `tokenfab emulate`: request bodies parsed into what the
// emulator needs, and responses, stream chunks and errors shaped as vLLM's OpenAI server
// shapes them. Private to the study layer.
//
// Token counts (no tokenizer): a prompt given as token ids counts them; text counts
// ceil(1.3 x words), at least 1; a chat counts 3 per message plus its content, plus 3 that
// prime the reply (OpenAI's cookbook rule for chat framing). The extension field
// "prompt_tokens": N overrides the count. Output tokens are filler words, one token each.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace tokenfab {

// An OpenAI-style error: {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty: null
  std::string code;   // empty: null
};

struct CompletionRequest {
  bool chat = false;
  std::string model;  // empty when absent
  std::int32_t prompt_tokens = 0;
  std::int32_t max_tokens = -1;  // -1 when absent
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

std::int32_t TextTokens(std::string_view text);

std::variant<CompletionRequest, ApiError> ParseCompletionRequest(std::string_view body, bool chat);
std::string ErrorBody(const ApiError& error);

// Output token k as text (k from 0); the text of tokens [0, n).
std::string TokenText(std::int32_t k);
std::string TokensText(std::int32_t n);

// What every response and chunk of one request shares.
struct ResponseHeader {
  std::string id;  // "cmpl-..." or "chatcmpl-..."
  std::int64_t created = 0;
  std::string model;
  bool chat = false;
};

std::string CompletionBody(const ResponseHeader& h, std::int32_t prompt_tokens,
                           std::int32_t completion_tokens);
// Server-sent events, each "data: {...}\n\n": output token k (the last one carries
// finish_reason "length"); the chat role chunk sent before the first token; the usage chunk
// (stream_options.include_usage).
std::string TokenEvent(const ResponseHeader& h, std::int32_t k, bool last, bool include_usage);
std::string RoleEvent(const ResponseHeader& h, bool include_usage);
std::string UsageEvent(const ResponseHeader& h, std::int32_t prompt_tokens,
                       std::int32_t completion_tokens);
inline constexpr std::string_view kDoneEvent = "data: [DONE]\n\n";

}  // namespace tokenfab
