#include <gtest/gtest.h>

#include <string>

#include "tokenfab/serve/workload.h"

namespace tokenfab {
namespace {

std::string ErrorOf(const Result<RequestTrace>& r) {
  return r.ok() ? std::string("<ok>") : r.error().message;
}

std::string SourcePath(const std::string& relative) {
  return std::string(TOKENFAB_SOURCE_DIR) + "/" + relative;
}

TEST(TraceReader, AzureCsvShiftsToZeroWithSubSecondPrecision) {
  const std::string text =
      "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
      "2023-11-16 18:15:46.6805900,374,44\r\n"
      "2023-11-16 18:15:50.3030490,396,109\r\n"
      "2023-11-16 18:16:46.6805901,879,12";  // last row without a line break, as published
  auto r = ParseTrace(text, "azure.csv");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].arrival_s, 0.0);
  EXPECT_NEAR(r->records[1].arrival_s, 3.622459, 1e-6);
  EXPECT_NEAR(r->records[2].arrival_s, 60.0000001, 1e-6);
  EXPECT_EQ(r->records[0].input_tokens, 374);
  EXPECT_EQ(r->records[0].output_tokens, 44);
  EXPECT_EQ(r->records[2].input_tokens, 879);
  EXPECT_EQ(r->records[2].output_tokens, 12);
}

TEST(TraceReader, AzureTimestampsAcrossMidnightAndMonths) {
  const std::string text =
      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
      "2023-12-31 23:59:59.5,10,10\n"
      "2024-01-01 00:00:00.25,20,20\n";
  auto r = ParseTrace(text, "azure.csv");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_NEAR(r->records[1].arrival_s, 0.75, 1e-6);
}

TEST(TraceReader, MooncakeJsonlInMilliseconds) {
  const std::string text =
      "{\"timestamp\": 1000, \"input_length\": 6758, \"output_length\": 500, \"hash_ids\": [0, "
      "1]}\n"
      "{\"timestamp\": 1000, \"input_length\": 7322, \"output_length\": 490, \"hash_ids\": [0]}\n"
      "\n"
      "{\"timestamp\": 4500, \"input_length\": 1504, \"output_length\": 1, \"hash_ids\": []}\n";
  auto r = ParseTrace(text, "mooncake.jsonl");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].arrival_s, 0.0);
  EXPECT_EQ(r->records[1].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(r->records[2].arrival_s, 3.5);
  EXPECT_EQ(r->records[1].input_tokens, 7322);
  EXPECT_EQ(r->records[2].output_tokens, 1);
}

TEST(TraceReader, JsonlIsRecognisedByContentToo) {
  auto r =
      ParseTrace("{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 6}\n", "trace.json");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->records[0].output_tokens, 6);
}

TEST(TraceReader, PlainCsvInSecondsSortedAndClampedToOneToken) {
  const std::string text =
      "timestamp,input_tokens,output_tokens\n"
      "12.5,100,20\n"
      "10.25,0,0\n";
  auto r = ParseTrace(text, "plain.csv");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[0].arrival_s, 0.0);
  EXPECT_EQ(r->records[0].input_tokens, 1);  // a request has at least one token each way
  EXPECT_EQ(r->records[0].output_tokens, 1);
  EXPECT_DOUBLE_EQ(r->records[1].arrival_s, 2.25);
  EXPECT_EQ(r->records[1].input_tokens, 100);
}

TEST(TraceReader, ByteOrderMarkBeforeHeaderIsAccepted) {
  auto r = ParseTrace("\xEF\xBB\xBFtimestamp,input_tokens,output_tokens\n0,1,2\n", "bom.csv");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->records[0].output_tokens, 2);
}

TEST(TraceReader, BadCsvRowNamesFileAndLine) {
  const std::string text =
      "timestamp,input_tokens,output_tokens\n"
      "0,10,10\n"
      "\n"
      "1,ten,10\n";
  const std::string e = ErrorOf(ParseTrace(text, "t.csv"));
  EXPECT_NE(e.find("t.csv:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("1,ten,10"), std::string::npos) << e;
  EXPECT_NE(e.find("non-negative token counts"), std::string::npos) << e;
}

TEST(TraceReader, BadCsvRowsRejected) {
  for (const char* row :
       {"1,10", "1,-5,10", "1,10,2.5", "nan,1,1", "2023-13-01 00:00:00,1,1",
        "2023-11-16 18:15:nan,1,1", "2023-11-16 18:15:46.6xyz,1,1", "1,99999999999,1"}) {
    const std::string text = std::string("timestamp,input_tokens,output_tokens\n0,1,1\n") + row;
    const std::string e = ErrorOf(ParseTrace(text, "t.csv"));
    EXPECT_NE(e.find("t.csv:3:"), std::string::npos) << row << " -> " << e;
  }
}

TEST(TraceReader, BadJsonlRowNamesFileAndLine) {
  const std::string good = "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 6}\n";
  for (const char* row : {"{\"timestamp\": 0, \"input_length\": 5}", "not json", "[1, 2, 3]",
                          "{\"timestamp\": -1, \"input_length\": 5, \"output_length\": 6}",
                          "{\"timestamp\": 0, \"input_length\": \"5\", \"output_length\": 6}"}) {
    const std::string e = ErrorOf(ParseTrace(good + row + "\n", "m.jsonl"));
    EXPECT_NE(e.find("m.jsonl:2:"), std::string::npos) << row << " -> " << e;
    if (e.find("not a JSON object") == std::string::npos) {
      EXPECT_NE(e.find("input_length"), std::string::npos) << e;
    }
  }
}

TEST(TraceReader, MissingColumnsNameTheExpectedHeader) {
  const std::string e = ErrorOf(ParseTrace("time,prompt,completion\n0,1,1\n", "t.csv"));
  EXPECT_NE(e.find("t.csv:1:"), std::string::npos) << e;
  EXPECT_NE(e.find("TIMESTAMP,ContextTokens,GeneratedTokens"), std::string::npos) << e;
  EXPECT_NE(e.find("timestamp,input_tokens,output_tokens"), std::string::npos) << e;
}

TEST(TraceReader, EmptyFileAndHeaderOnlyRejected) {
  for (const char* text : {"", "timestamp,input_tokens,output_tokens\n", "\n\n"}) {
    const std::string e = ErrorOf(ParseTrace(text, "empty.csv"));
    EXPECT_NE(e.find("empty.csv"), std::string::npos) << e;
  }
  const std::string e = ErrorOf(ParseTrace("", "empty.jsonl"));
  EXPECT_NE(e.find("no requests"), std::string::npos) << e;
}

TEST(TraceReader, AbsurdSpanRejected) {
  const std::string e =
      ErrorOf(ParseTrace("timestamp,input_tokens,output_tokens\n0,1,1\n1e300,1,1\n", "t.csv"));
  EXPECT_NE(e.find("t.csv"), std::string::npos) << e;
}

TEST(TraceReader, MissingFileNamed) {
  const std::string e = ErrorOf(ReadTrace("/nonexistent/trace.csv"));
  EXPECT_NE(e.find("/nonexistent/trace.csv"), std::string::npos) << e;
}

// The first 2000 rows of each real trace (data/traces/README.md).
struct RealTrace {
  const char* file;
  double span_s;
  std::int32_t first_input;
  std::int32_t first_output;
};

TEST(TraceReader, RealTraceSlicesParse) {
  const RealTrace traces[] = {
      {"data/traces/azure_conv_first2000.csv", 424.259457, 374, 44},
      {"data/traces/azure_code_first2000.csv", 853.079347, 4808, 10},
      {"data/traces/mooncake_conversation_first2000.jsonl", 669.0, 6758, 500},
  };
  for (const RealTrace& t : traces) {
    auto r = ReadTrace(SourcePath(t.file));
    ASSERT_TRUE(r.ok()) << ErrorOf(r);
    ASSERT_EQ(r->records.size(), 2000u) << t.file;
    EXPECT_EQ(r->records.front().arrival_s, 0.0) << t.file;
    EXPECT_NEAR(r->records.back().arrival_s, t.span_s, 1e-5) << t.file;
    EXPECT_EQ(r->records.front().input_tokens, t.first_input) << t.file;
    EXPECT_EQ(r->records.front().output_tokens, t.first_output) << t.file;
    for (std::size_t i = 1; i < r->records.size(); ++i) {
      ASSERT_GE(r->records[i].arrival_s, r->records[i - 1].arrival_s) << t.file << " row " << i;
      ASSERT_GE(r->records[i].input_tokens, 1);
      ASSERT_GE(r->records[i].output_tokens, 1);
    }
  }
}

TEST(TraceReader, BurstGptColumnsInSecondsIgnoringModelAndLogType) {
  // BurstGPT (github.com/HPMLL/BurstGPT) layout; a failed request logs 0 response tokens.
  const std::string text =
      "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
      "5,ChatGPT,472,18,490,Conversation log\n"
      "45,ChatGPT,1087,0,1087,Conversation log\n"
      "118,GPT-4,417,276,693,API log\n";
  auto r = ParseTrace(text, "BurstGPT_1.csv");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  ASSERT_EQ(r->records.size(), 3u);
  EXPECT_EQ(r->records[0].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(r->records[1].arrival_s, 40.0);
  EXPECT_DOUBLE_EQ(r->records[2].arrival_s, 113.0);
  EXPECT_EQ(r->records[0].input_tokens, 472);
  EXPECT_EQ(r->records[0].output_tokens, 18);
  EXPECT_EQ(r->records[1].output_tokens, 1);  // clamped: every request produces a token
  EXPECT_EQ(r->records[2].input_tokens, 417);
  EXPECT_TRUE(r->hashes.empty());
  EXPECT_EQ(r->block_tokens, 0);
}

TEST(TraceReader, MooncakeHashIdsBecomeRangesIntoOneHashVector) {
  const std::string text =
      "{\"timestamp\": 2000, \"input_length\": 1100, \"output_length\": 5, \"hash_ids\": [0, 7, "
      "8]}\n"
      "{\"timestamp\": 1000, \"input_length\": 600, \"output_length\": 4, \"hash_ids\": [0, 9]}\n"
      "{\"timestamp\": 3000, \"input_length\": 5, \"output_length\": 6}\n";
  auto r = ParseTrace(text, "m.jsonl");
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->block_tokens, 512);
  EXPECT_EQ(r->hashes, (std::vector<std::uint64_t>{0, 7, 8, 0, 9}));
  // Sorted by arrival; each record keeps its own range.
  EXPECT_EQ(r->records[0].input_tokens, 600);
  EXPECT_EQ(r->records[0].hash_begin, 3);
  EXPECT_EQ(r->records[0].hash_count, 2);
  EXPECT_EQ(r->records[1].hash_begin, 0);
  EXPECT_EQ(r->records[1].hash_count, 3);
  EXPECT_EQ(r->records[2].hash_count, 0);
}

TEST(TraceReader, BadHashIdsNameFileAndLine) {
  const std::string good = "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 6}\n";
  for (const char* ids : {"[1, -2]", "[1.5]", "\"0,1\"", "[[1]]", "{\"a\": 1}"}) {
    const std::string row = std::string("{\"timestamp\": 0, \"input_length\": 5, ") +
                            "\"output_length\": 6, \"hash_ids\": " + ids + "}\n";
    const std::string e = ErrorOf(ParseTrace(good + row, "m.jsonl"));
    EXPECT_NE(e.find("m.jsonl:2:"), std::string::npos) << ids << " -> " << e;
    EXPECT_NE(e.find("hash_ids"), std::string::npos) << e;
  }
}

TEST(TraceReader, RealMooncakeSliceHasOneHashPer512PromptTokens) {
  auto r = ReadTrace(SourcePath("data/traces/mooncake_conversation_first2000.jsonl"));
  ASSERT_TRUE(r.ok()) << ErrorOf(r);
  EXPECT_EQ(r->block_tokens, 512);
  EXPECT_EQ(r->hashes.size(), 54559u);  // counted with a script over the slice
  std::size_t next = 0;
  for (const TraceRecord& t : r->records) {
    ASSERT_EQ(t.hash_count, (t.input_tokens + 511) / 512);    // the README's invariant
    ASSERT_EQ(static_cast<std::size_t>(t.hash_begin), next);  // the file is already sorted
    next += t.hash_count;
  }
  // The first rows share their first block (a common system prompt): hash id 0.
  EXPECT_EQ(r->hashes[r->records[0].hash_begin], 0u);
  EXPECT_EQ(r->hashes[r->records[1].hash_begin], 0u);
  EXPECT_EQ(r->hashes[r->records[1].hash_begin + 1], 14u);
  auto azure = ReadTrace(SourcePath("data/traces/azure_conv_first2000.csv"));
  ASSERT_TRUE(azure.ok()) << ErrorOf(azure);
  EXPECT_TRUE(azure->hashes.empty());
  EXPECT_EQ(azure->block_tokens, 0);
}

}  // namespace
}  // namespace tokenfab
