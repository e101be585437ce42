#include "openai_api.h"

#include <gtest/gtest.h>

#include "sse_stream.h"

namespace tokenfab {
namespace {

CompletionRequest Parsed(const std::string& body, bool chat = false) {
  auto r = ParseCompletionRequest(body, chat);
  EXPECT_TRUE(std::holds_alternative<CompletionRequest>(r)) << body;
  return std::holds_alternative<CompletionRequest>(r) ? std::get<CompletionRequest>(r)
                                                      : CompletionRequest{};
}

ApiError Rejected(const std::string& body, bool chat = false) {
  auto r = ParseCompletionRequest(body, chat);
  EXPECT_TRUE(std::holds_alternative<ApiError>(r)) << body;
  return std::holds_alternative<ApiError>(r) ? std::get<ApiError>(r) : ApiError{};
}

TEST(OpenAiApi, TokenIdPromptsCountExactly) {
  const CompletionRequest r = Parsed(R"({"model": "m", "prompt": [1, 2, 3, 4], "max_tokens": 7})");
  EXPECT_EQ(r.prompt_tokens, 4);
  EXPECT_EQ(r.max_tokens, 7);
  EXPECT_FALSE(r.stream);
  EXPECT_EQ(Parsed(R"({"prompt": [[5, 6, 7]]})").prompt_tokens, 3);
}

TEST(OpenAiApi, TextPromptsCountWordsTimes1Point3) {
  EXPECT_EQ(
      Parsed(R"({"prompt": "one two three four five six seven eight nine ten"})").prompt_tokens,
      13);
  EXPECT_EQ(Parsed(R"({"prompt": ""})").prompt_tokens, 1);
  EXPECT_EQ(Parsed(R"({"prompt": "x", "prompt_tokens": 500})").prompt_tokens, 500);
}

TEST(OpenAiApi, ChatCountsFramingAndContent) {
  // 3 (reply) + 2 x 3 (messages) + ceil(1.3 x 2) + ceil(1.3 x 1).
  const CompletionRequest r = Parsed(
      R"({"messages": [{"role": "system", "content": "be brief"},
                       {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
          "stream": true, "stream_options": {"include_usage": true}, "max_completion_tokens": 9})",
      true);
  EXPECT_EQ(r.prompt_tokens, 3 + 6 + 3 + 2);
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.max_tokens, 9);
}

TEST(OpenAiApi, MalformedRequestsNameTheParameter) {
  EXPECT_EQ(Rejected("{not json").param, "");
  EXPECT_EQ(Rejected("[1, 2]").status, 400);
  EXPECT_EQ(Rejected(R"({"prompt": "x", "max_tokens": 0})").param, "max_tokens");
  EXPECT_EQ(Rejected(R"({"prompt": "x", "max_tokens": "ten"})").param, "max_tokens");
  EXPECT_EQ(Rejected(R"({"max_tokens": 3})").param, "prompt");
  EXPECT_EQ(Rejected(R"({"prompt": ["a", "b"]})").param, "prompt");
  EXPECT_EQ(Rejected(R"({"prompt": "x", "n": 2})").param, "n");
  EXPECT_EQ(Rejected(R"({"prompt": "x", "stream": "yes"})").param, "stream");
  EXPECT_EQ(Rejected(R"({"prompt": "x", "stream_options": {"include_usage": true}})").param,
            "stream_options");
  EXPECT_EQ(Rejected(R"({"messages": []})", true).param, "messages");
  EXPECT_EQ(Rejected(R"({"messages": [{"content": "no role"}]})", true).param, "messages[0]");
  const nlohmann::json e = nlohmann::json::parse(ErrorBody(Rejected(R"({"prompt": 5})")));
  EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  EXPECT_EQ(e["error"]["param"], "prompt");
  EXPECT_TRUE(e["error"]["code"].is_null());
  EXPECT_FALSE(e["error"]["message"].get<std::string>().empty());
}

TEST(OpenAiApi, EventsRoundTripThroughTheStreamReader) {
  const ResponseHeader h{"cmpl-1", 0, "m", false};
  std::string wire;
  for (int k = 0; k < 3; ++k) wire += TokenEvent(h, k, k == 2, true);
  wire += UsageEvent(h, 10, 3);
  wire += kDoneEvent;
  SseStream s;
  // Fed in awkward pieces, at times 1, 2, 3, ...
  for (std::size_t i = 0; i < wire.size(); i += 7)
    s.Feed(wire.substr(i, 7), static_cast<double>(i));
  EXPECT_EQ(s.chunks(), 3);
  EXPECT_EQ(s.usage_completion_tokens(), 3);
  EXPECT_TRUE(s.done());
  EXPECT_TRUE(s.error().empty());
  EXPECT_EQ(s.gaps().size(), 2u);
  const nlohmann::json body = nlohmann::json::parse(CompletionBody(h, 10, 3));
  EXPECT_EQ(body["choices"][0]["text"], TokensText(3));
  EXPECT_EQ(body["usage"]["total_tokens"], 13);
}

}  // namespace
}  // namespace tokenfab
