#include "tokenfab/io/results.h"

#include <gtest/gtest.h>

namespace tokenfab {
namespace {

TEST(MetricsJson, ClassesAndWindowsHaveTheTopLevelShape) {
  ServeMetrics m;
  ClassMetrics chat;
  chat.name = "chat";
  chat.completed = 3;
  chat.ttft_ms.p99 = 12.5;
  chat.goodput_requests_per_s = 2;
  chat.requests_per_s = 3;
  m.classes = {chat, ClassMetrics{}};
  WindowMetrics w;
  w.end_s = 60;
  w.arrivals = 7;
  w.ttft_p50_ms = 4;
  m.windows = {w};
  const nlohmann::json j = MetricsJson(m, nlohmann::json::object());
  EXPECT_EQ(j["classes"]["chat"]["latency"]["ttft_ms"]["p99"], 12.5);
  EXPECT_EQ(j["classes"]["chat"]["goodput"]["requests_per_s"], 2);
  EXPECT_EQ(j["classes"]["chat"]["throughput"]["requests_per_s"], 3);
  EXPECT_EQ(j["classes"]["chat"]["requests"]["completed"], 3);
  EXPECT_TRUE(j["classes"].contains("class1"));  // unnamed: by index
  ASSERT_EQ(j["windows"].size(), 1u);
  EXPECT_EQ(j["windows"][0]["end_s"], 60);
  EXPECT_EQ(j["windows"][0]["arrivals"], 7);
  EXPECT_EQ(j["windows"][0]["ttft_ms"]["p50"], 4);
  const nlohmann::json plain = MetricsJson(ServeMetrics{}, nlohmann::json::object());
  EXPECT_FALSE(plain.contains("classes"));
  EXPECT_FALSE(plain.contains("windows"));
}

}  // namespace
}  // namespace tokenfab
