#include "tokenfab/study/validation_data.h"

#include <gtest/gtest.h>

#include <set>

namespace tokenfab {
namespace {

const std::string kSource = TOKENFAB_SOURCE_DIR;

TEST(ParseCsv, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const std::string text =
      "id,notes,value\r\n"
      "a,\"TP4, per replica\",1\r\n"
      "b,\"says \"\"hi\"\"\",2\n"
      "c,\"two\nlines\",3\n"
      "d,,\n";
  auto t = ParseCsv(text, "t.csv");
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(t->rows[0][1], "TP4, per replica");
  EXPECT_EQ(t->rows[1][1], "says \"hi\"");
  EXPECT_EQ(t->rows[2][1], "two\nlines");
  EXPECT_EQ(t->rows[3][1], "");
  EXPECT_EQ(t->rows[3][2], "");
  EXPECT_EQ(t->lines[0], 2);
  EXPECT_EQ(t->lines[3], 6);  // the quoted newline counts
}

TEST(ParseCsv, WrongFieldCountNamesTheLine) {
  auto t = ParseCsv("a,b\n1,2\n1,2,3\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("t.csv:3"), std::string::npos) << t.error().message;
}

TEST(ParseCsv, UnterminatedQuoteIsAnError) {
  auto t = ParseCsv("a,b\n1,\"open\n", "t.csv");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("unterminated"), std::string::npos) << t.error().message;
}

TEST(ParseMeasuredRows, BadNumberNamesLineAndColumn) {
  const std::string text =
      "id,simulatable,model,gpu,num_gpus,tp,pp,ep,attention_dp,replicas,precision,framework,"
      "scenario,concurrency,rate,num_requests,input_tokens,output_tokens,metric,value,source\n"
      "x-1,1,m,g,four,,,,0,,fp8,trtllm,offline,,,,128,128,throughput.output_tokens_per_s,1,\"s, "
      "t\"\n";
  auto rows = ParseMeasuredRows(text, "m.csv");
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("m.csv:2"), std::string::npos) << rows.error().message;
  EXPECT_NE(rows.error().message.find("num_gpus"), std::string::npos) << rows.error().message;
}

TEST(MeasuredTable, ShippedTableParses) {
  auto rows = LoadMeasuredTable(kSource + "/data/validation/measured.csv", "");
  ASSERT_TRUE(rows) << rows.error().message;
  EXPECT_EQ(rows->size(), 976u);
  int simulatable = 0;
  for (const MeasuredRow& r : *rows) simulatable += r.simulatable;
  EXPECT_EQ(simulatable, 604);
}

// The fixed split covers every simulatable row, and every (gpu, model) group with two or
// more rows has rows on both sides.
TEST(MeasuredTable, SplitCoversEverySimulatableRow) {
  auto rows = LoadMeasuredTable(kSource + "/data/validation/measured.csv", "");
  ASSERT_TRUE(rows) << rows.error().message;
  std::map<std::string, std::set<std::string>> sides;
  std::map<std::string, int> group_rows;
  int fit = 0;
  int holdout = 0;
  for (const MeasuredRow& r : *rows) {
    if (!r.simulatable) continue;
    ASSERT_TRUE(r.split == "fit" || r.split == "holdout") << r.id << " has no split";
    (r.split == "fit" ? fit : holdout) += 1;
    sides[r.gpu + "/" + r.model].insert(r.split);
    ++group_rows[r.gpu + "/" + r.model];
  }
  for (const auto& [group, n] : group_rows) {
    if (n >= 2) EXPECT_EQ(sides[group].size(), 2u) << group;
  }
  EXPECT_GT(fit, 250);
  EXPECT_GT(holdout, 250);
}

TEST(RowSettings, ParseKeepsOrderAndNeedsASource) {
  auto s = ParseRowSettings(
      "id,key,value,source\n"
      "a,engine.profile,trtllm-engine,raw framework\n"
      "a,precision.kv_cache,bf16,perf overview\n",
      "rs.csv");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->at("a").size(), 2u);
  EXPECT_EQ(s->at("a")[0], "engine.profile=trtllm-engine");
  EXPECT_EQ(s->at("a")[1], "precision.kv_cache=bf16");
  auto missing = ParseRowSettings("id,key,value,source\na,engine.profile,trtllm,\n", "rs.csv");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("rs.csv:2"), std::string::npos) << missing.error().message;
}

// Every documented setting names a row of the table, and the shipped table loads them.
TEST(RowSettings, ShippedSettingsNameRowsOfTheTable) {
  auto text = ReadTextFile(kSource + "/data/validation/row_settings.csv");
  ASSERT_TRUE(text) << text.error().message;
  auto settings = ParseRowSettings(*text, "row_settings.csv");
  ASSERT_TRUE(settings) << settings.error().message;
  auto rows = LoadMeasuredTable(kSource + "/data/validation/measured.csv", "");
  ASSERT_TRUE(rows) << rows.error().message;
  std::set<std::string> ids;
  int with_settings = 0;
  for (const MeasuredRow& r : *rows) {
    ids.insert(r.id);
    with_settings += !r.settings.empty();
  }
  for (const auto& [id, list] : *settings) EXPECT_TRUE(ids.count(id)) << id;
  EXPECT_EQ(with_settings, static_cast<int>(settings->size()));
}

}  // namespace
}  // namespace tokenfab
