#include "tokenfab/serve/workload.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

LengthDistribution Fixed(int tokens) { return ToyDeployment::Fixed(tokens); }

// What the simulation makes of a draw, finished.
Request Finished(const Draw& d) {
  Request r;
  r.arrival = d.arrival;
  r.input_tokens = d.input_tokens;
  r.output_tokens = d.output_tokens;
  r.session = d.session;
  r.turn = d.turn;
  return r;
}

WorkloadSpec ThreeTurnSessions(std::int64_t turns_in_total) {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::kSessions;
  w.rate = 1;
  w.num_requests = turns_in_total;
  w.input = Fixed(100);
  w.output = Fixed(50);
  w.sessions.turns = Fixed(3);
  w.sessions.think_time_s = 2.5;
  return w;
}

TEST(WorkloadSessions, PromptsGrowByTheConversationAndHashesCoverIt) {
  const WorkloadSpec w = ThreeTurnSessions(7);
  WorkloadSource source(w, 1);
  ASSERT_FALSE(source.OpenExhausted());
  const Draw t1 = source.NextOpen();
  EXPECT_EQ(t1.arrival, 0);
  EXPECT_EQ(t1.session, 0);
  EXPECT_EQ(t1.turn, 1);
  EXPECT_EQ(t1.input_tokens, 100);
  EXPECT_EQ(t1.hash_count, 0);
  Draw t2, t3, none;
  ASSERT_TRUE(source.OnFinish(Finished(t1), 4'000'000'000, t2));
  EXPECT_EQ(t2.arrival, 6'500'000'000);  // finish + think time
  EXPECT_EQ(t2.session, 0);
  EXPECT_EQ(t2.turn, 2);
  EXPECT_EQ(t2.input_tokens, 100 + 50 + 100);
  EXPECT_EQ(t2.output_tokens, 50);
  EXPECT_EQ(t2.hash_begin, kDerivedHashes);
  EXPECT_EQ(t2.hash_count, 150 / kDefaultPrefixBlockTokens);
  ASSERT_TRUE(source.OnFinish(Finished(t2), 7'000'000'000, t3));
  EXPECT_EQ(t3.input_tokens, 250 + 50 + 100);
  EXPECT_EQ(t3.hash_count, 300 / 16);
  EXPECT_FALSE(source.OnFinish(Finished(t3), 8'000'000'000, none));  // the last turn
  // Budget: 7 turns = sessions of 3 + 3 + 1 (cut), then no more sessions start.
  const Draw s1 = source.NextOpen();
  const Draw s2 = source.NextOpen();
  EXPECT_EQ(s1.session, 1);
  EXPECT_EQ(s2.session, 2);
  EXPECT_GT(s2.arrival, s1.arrival);
  EXPECT_TRUE(source.OpenExhausted());
  EXPECT_FALSE(source.OnFinish(Finished(s2), s2.arrival + 1, none));  // cut to one turn
}

TEST(WorkloadSessions, ExplicitBlockSizeAndContextLimitEndSessionsEarly) {
  WorkloadSpec w = ThreeTurnSessions(100);
  w.prefix_block_tokens = 64;
  w.sessions.max_context_tokens = 300;  // turn 2: 250 + 50 fits; turn 3: 400 + 50 does not
  WorkloadSource source(w, 1);
  const Draw t1 = source.NextOpen();
  Draw t2, t3;
  ASSERT_TRUE(source.OnFinish(Finished(t1), 1, t2));
  EXPECT_EQ(t2.hash_count, 150 / 64);
  EXPECT_FALSE(source.OnFinish(Finished(t2), 2, t3));
}

TEST(WorkloadSessions, NextTurnArrivesExactlyThinkTimeAfterThePreviousFinish) {
  ToyDeployment toy;
  toy.config.workload = ThreeTurnSessions(30);
  toy.config.workload.sessions.turns = {LengthDistribution::Kind::kUniform, 3, 0, 1, 5};
  toy.config.workload.output = {LengthDistribution::Kind::kUniform, 20, 0, 1, 40};
  const ServeResult r = toy.Run();
  ASSERT_EQ(r.requests.size(), 30u);  // exactly num_requests turns
  std::map<int, std::vector<const Request*>> sessions;
  for (const Request& q : r.requests) sessions[q.session].push_back(&q);
  EXPECT_GT(sessions.size(), 5u);
  for (const auto& [id, turns] : sessions) {
    ASSERT_GE(id, 0);
    for (std::size_t k = 0; k < turns.size(); ++k) {
      const Request& q = *turns[k];
      EXPECT_EQ(q.turn, static_cast<int>(k) + 1);
      EXPECT_TRUE(q.Finished());
      if (k == 0) continue;
      const Request& p = *turns[k - 1];
      EXPECT_EQ(q.arrival, p.finish + 2'500'000'000);
      EXPECT_EQ(q.input_tokens, p.input_tokens + p.output_tokens + 100);
      EXPECT_EQ(q.prefix_hashes_begin, kDerivedHashes);
      EXPECT_EQ(q.prefix_blocks, (p.input_tokens + p.output_tokens) / 16);
    }
  }
}

TEST(WorkloadSessions, ClosedLoopUsersStartANewSessionWhenTheirsEnds) {
  ToyDeployment toy;
  toy.config.workload = ThreeTurnSessions(12);
  toy.config.workload.kind = WorkloadSpec::Kind::kClosed;
  toy.config.workload.sessions.enabled = true;
  toy.config.workload.concurrency = 2;
  toy.config.workload.output = Fixed(10);  // 100 ms per turn
  const ServeResult r = toy.Run();
  ASSERT_EQ(r.requests.size(), 12u);
  // Two users, four sessions of three turns: a user's turns are 100 ms long and 2.5 s apart.
  std::vector<SimTime> first_turns;
  for (const Request& q : r.requests) {
    if (q.turn == 1) first_turns.push_back(q.arrival);
  }
  const std::vector<SimTime> expected = {0, 0, 5'300'000'000, 5'300'000'000};
  EXPECT_EQ(first_turns, expected);
}

TEST(WorkloadTrace, OnlyWholePromptBlocksOfTheHashesAreUsed) {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::kTrace;
  w.prefix_block_tokens = 512;
  w.trace_hashes = {0, 7, 8, 0, 9};
  w.trace = {{0.0, 1100, 5, 0, 3}, {1.0, 1024, 4, 3, 2}};
  w.num_requests = 2;
  WorkloadSource source(w, 1);
  const Draw a = source.NextOpen();
  const Draw b = source.NextOpen();
  EXPECT_EQ(a.hash_count, 2);  // 1100 tokens: two whole blocks, the third hash is partial
  EXPECT_EQ(b.hash_begin, 3);
  EXPECT_EQ(b.hash_count, 2);
  EXPECT_EQ(b.arrival, 1'000'000'000);
  EXPECT_TRUE(source.OpenExhausted());
}

TEST(WorkloadRateCurve, InterpolatesHoldsTheEndsAndRepeats) {
  RateCurve flat({{10, 4}, {20, 8}}, 0);
  EXPECT_DOUBLE_EQ(flat.At(0), 4);
  EXPECT_DOUBLE_EQ(flat.At(15), 6);
  EXPECT_DOUBLE_EQ(flat.At(100), 8);
  EXPECT_DOUBLE_EQ(flat.peak(), 8);
  EXPECT_FALSE(flat.ZeroFrom(1e9));
  RateCurve periodic({{0, 2}, {50, 10}}, 100);
  EXPECT_DOUBLE_EQ(periodic.At(25), 6);
  EXPECT_DOUBLE_EQ(periodic.At(75), 6);   // back down to the first point at t = 100
  EXPECT_DOUBLE_EQ(periodic.At(125), 6);  // the next period
  EXPECT_DOUBLE_EQ(periodic.At(150), 10);
  EXPECT_DOUBLE_EQ(periodic.At(10), 3.6);  // going back in time is allowed
  RateCurve ending({{0, 5}, {10, 0}}, 0);
  EXPECT_FALSE(ending.ZeroFrom(9.9));
  EXPECT_TRUE(ending.ZeroFrom(10));
}

TEST(WorkloadRateCurve, InvalidCurvesAreExplained) {
  EXPECT_EQ(CheckRateCurve({{0, 1}, {5, 2}}, 0), "");
  EXPECT_NE(CheckRateCurve({{0, 1}, {0, 2}}, 0).find("point 2"), std::string::npos);
  EXPECT_NE(CheckRateCurve({{0, -1}}, 0).find("rate"), std::string::npos);
  EXPECT_NE(CheckRateCurve({{0, 0}, {5, 0}}, 0).find("every rate is 0"), std::string::npos);
  EXPECT_NE(CheckRateCurve({{0, 1}, {100, 1}}, 100).find("period"), std::string::npos);
  EXPECT_NE(CheckRateCurve({{-1, 1}}, 0).find(">= 0"), std::string::npos);
}

TEST(WorkloadRateCurve, DiurnalCurveRunsFromTroughToPeakAndBack) {
  const auto c = DiurnalCurve(10, 90, 86400, 24);
  ASSERT_EQ(c.size(), 24u);
  EXPECT_DOUBLE_EQ(c[0].t_s, 0);
  EXPECT_DOUBLE_EQ(c[0].rate, 10);
  EXPECT_DOUBLE_EQ(c[12].t_s, 43200);
  EXPECT_NEAR(c[12].rate, 90, 1e-9);
  EXPECT_NEAR(c[6].rate, 50, 1e-9);
  EXPECT_NEAR(c[3].rate, c[21].rate, 1e-9);
  EXPECT_EQ(CheckRateCurve(c, 86400), "");
}

// Arrivals drawn until `end_s`, counted per `width_s`.
std::vector<int> CountArrivals(const WorkloadSpec& w, double end_s, double width_s) {
  WorkloadSource source(w, 42);
  std::vector<int> counts(static_cast<std::size_t>(std::ceil(end_s / width_s)), 0);
  while (!source.OpenExhausted()) {
    const double t = SimTimeToSeconds(source.NextOpen().arrival);
    if (t >= end_s) break;
    ++counts[static_cast<std::size_t>(t / width_s)];
  }
  return counts;
}

// The expected count in [a, b): the integral of the curve (trapezoids, fine steps).
double Expected(RateCurve curve, double a, double b) {
  double sum = 0;
  const int steps = 10000;
  for (int i = 0; i < steps; ++i) sum += curve.At(a + (b - a) * (i + 0.5) / steps);
  return sum * (b - a) / steps;
}

TEST(WorkloadRateCurve, PoissonAndGammaCountsFollowTheCurve) {
  WorkloadSpec w;
  w.num_requests = 10'000'000;
  w.rate_curve = {{0, 400}, {100, 2000}, {200, 400}};  // then 400/s
  w.cv = 1.5;
  for (auto kind : {WorkloadSpec::Kind::kPoisson, WorkloadSpec::Kind::kGamma}) {
    w.kind = kind;
    const std::vector<int> counts = CountArrivals(w, 300, 50);
    // A renewal process's count over a long interval has variance about cv^2 x its mean.
    const double cv = kind == WorkloadSpec::Kind::kGamma ? w.cv : 1.0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double expected = Expected(RateCurve(w.rate_curve, 0), 50.0 * i, 50.0 * (i + 1));
      const double tolerance = 4 * cv * std::sqrt(expected);
      ASSERT_LT(tolerance, 0.05 * expected);
      EXPECT_NEAR(counts[i], expected, tolerance) << "interval " << i << " cv " << cv;
    }
  }
}

TEST(WorkloadRateCurve, DiurnalSessionsRepeatEveryPeriod) {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::kSessions;
  w.num_requests = 10'000'000;
  w.rate_curve = DiurnalCurve(20, 300, 100, 12);
  w.rate_period_s = 100;
  const std::vector<int> counts = CountArrivals(w, 1000, 25);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double expected = Expected(RateCurve(w.rate_curve, 100), 25.0 * i, 25.0 * (i + 1));
    EXPECT_NEAR(counts[i], expected, 0.05 * expected) << "interval " << i;
  }
}

TEST(WorkloadRateCurve, ACurveThatEndsAtZeroEndsTheArrivals) {
  WorkloadSpec w;
  w.kind = WorkloadSpec::Kind::kPoisson;
  w.num_requests = 1'000'000;
  w.rate_curve = {{0, 100}, {10, 0}};
  WorkloadSource source(w, 3);
  int n = 0;
  while (!source.OpenExhausted()) {
    EXPECT_LT(source.NextOpen().arrival, 10'000'000'000);
    ++n;
  }
  EXPECT_NEAR(n, 500, 100);
}

}  // namespace
}  // namespace tokenfab
