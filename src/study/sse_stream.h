// Reads an OpenAI-style server-sent event stream as it arrives and keeps what a benchmark
// measures: the arrival times of content chunks and the usage the server reports. Private to
// the study layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab {

class SseStream {
 public:
  // Bytes received at time `t_s`; events may be split across calls.
  void Feed(std::string_view bytes, double t_s);

  int chunks() const { return chunks_; }  // events with non-empty text or delta content
  double first_s() const { return first_s_; }
  double last_s() const { return last_s_; }
  const std::vector<double>& gaps() const { return gaps_; }
  std::int32_t usage_completion_tokens() const { return usage_completion_tokens_; }  // -1: none
  bool done() const { return done_; }  // "data: [DONE]" seen
  const std::string& error() const { return error_; }

 private:
  void Event(std::string_view event, double t_s);

  std::string buffer_;
  int chunks_ = 0;
  double first_s_ = -1;
  double last_s_ = -1;
  std::vector<double> gaps_;
  std::int32_t usage_completion_tokens_ = -1;
  bool done_ = false;
  std::string error_;
};

}  // namespace tokenfab
