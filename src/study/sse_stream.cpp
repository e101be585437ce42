#include "sse_stream.h"

#include <nlohmann/json.hpp>

namespace tokenfab {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The text a chunk carries: choices[0].text (completions) or choices[0].delta.content (chat).
bool HasContent(const nlohmann::json& j) {
  const auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()) return false;
  const nlohmann::json& c = (*choices)[0];
  if (const auto t = c.find("text"); t != c.end() && t->is_string())
    return !t->get_ref<const std::string&>().empty();
  const auto delta = c.find("delta");
  if (delta == c.end() || !delta->is_object()) return false;
  const auto content = delta->find("content");
  return content != delta->end() && content->is_string() &&
         !content->get_ref<const std::string&>().empty();
}

}  // namespace

void SseStream::Feed(std::string_view bytes, double t_s) {
  buffer_.append(bytes);
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = buffer_.find("\n\n", begin);
    const std::size_t crlf = buffer_.find("\r\n\r\n", begin);
    if (end == std::string::npos && crlf == std::string::npos) break;
    const bool use_crlf = crlf != std::string::npos && (end == std::string::npos || crlf < end);
    const std::size_t stop = use_crlf ? crlf : end;
    Event(std::string_view(buffer_).substr(begin, stop - begin), t_s);
    begin = stop + (use_crlf ? 4 : 2);
  }
  buffer_.erase(0, begin);
}

void SseStream::Event(std::string_view event, double t_s) {
  std::string data;
  while (!event.empty()) {
    const std::size_t nl = event.find('\n');
    const std::string_view line = event.substr(0, nl);
    event.remove_prefix(nl == std::string_view::npos ? event.size() : nl + 1);
    if (line.rfind("data:", 0) == 0) {
      if (!data.empty()) data += '\n';
      data += Trim(line.substr(5));
    }
  }
  if (data.empty()) return;
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  const nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (error_.empty()) error_ = "unparsable event: " + data.substr(0, 200);
    return;
  }
  if (const auto e = j.find("error"); e != j.end() && error_.empty()) {
    error_ = "server error event: " + e->dump().substr(0, 300);
  }
  if (const auto u = j.find("usage"); u != j.end() && u->is_object()) {
    if (const auto n = u->find("completion_tokens"); n != u->end() && n->is_number_integer()) {
      usage_completion_tokens_ = n->get<std::int32_t>();
    }
  }
  if (!HasContent(j)) return;
  if (chunks_ == 0)
    first_s_ = t_s;
  else
    gaps_.push_back(t_s - last_s_);
  last_s_ = t_s;
  ++chunks_;
}

}  // namespace tokenfab
