#include "tokenfab/serve/instance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

using test::InstanceDriver;

TEST(PriorityScheduling, AHighPriorityRequestIsAdmittedAtOnceIntoAFullInstance) {
  ToyDeployment toy;
  toy.config.scheduler.max_batch_size = 2;
  const InstanceCostModel cost = toy.Cost();
  InstanceDriver d(cost, toy.config.scheduler);
  for (int i = 0; i < 6; ++i) d.Add(100, 50, /*priority=*/0);
  ASSERT_TRUE(d.Step());  // requests 0 and 1 fill the batch
  const RequestId high = d.Add(100, 5, /*priority=*/1);
  ASSERT_TRUE(d.Start());
  const auto& chunks = d.instance().prefill_chunks();
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].first, high);
  EXPECT_EQ(d.request(1).preemptions, 1);  // the newest low-priority request made room
  EXPECT_EQ(d.request(0).preemptions, 0);
  d.Finish();
  d.RunToEnd();
  for (RequestId id = 2; id < high; ++id) {
    EXPECT_LT(d.request(high).finish, d.request(id).first_token) << id;
  }
  EXPECT_EQ(d.instance().used_blocks(), 0);
  EXPECT_EQ(d.instance().Outstanding(), 0);
}

TEST(PriorityScheduling, WithoutPreemptionAHighPriorityRequestTakesTheFirstFreeSlot) {
  ToyDeployment toy;
  toy.config.scheduler.max_batch_size = 2;
  toy.config.scheduler.kv_admission = KvAdmission::kReserveFull;
  const InstanceCostModel cost = toy.Cost();
  InstanceDriver d(cost, toy.config.scheduler);
  d.Add(100, 3);
  d.Add(100, 6);
  for (int i = 0; i < 4; ++i) d.Add(100, 6);
  ASSERT_TRUE(d.Step());
  const RequestId high = d.Add(100, 4, /*priority=*/5);
  d.RunToEnd();
  // Request 0 leaves after three tokens; its slot goes to the late high-priority request.
  EXPECT_EQ(d.request(high).first_token, d.request(0).finish + 10'000'000);
  for (RequestId id = 2; id < high; ++id) {
    EXPECT_GT(d.request(id).first_token, d.request(high).first_token) << id;
  }
  EXPECT_EQ(d.instance().preemptions(), 0);
}

TEST(PriorityScheduling, PreemptsTheNewestRequestOfTheLowestPriorityFirst) {
  ToyDeployment toy;
  toy.config.scheduler.max_batch_size = 3;
  const InstanceCostModel cost = toy.Cost();
  InstanceDriver d(cost, toy.config.scheduler);
  const RequestId old_low = d.Add(100, 50, 0);
  ASSERT_TRUE(d.Step());
  const RequestId high = d.Add(100, 50, 2);
  ASSERT_TRUE(d.Step());
  const RequestId new_low = d.Add(100, 50, 0);
  ASSERT_TRUE(d.Step());
  const RequestId mid = d.Add(100, 50, 1);
  ASSERT_TRUE(d.Step());
  EXPECT_EQ(d.request(new_low).preemptions, 1);
  EXPECT_EQ(d.request(old_low).preemptions, 0);
  EXPECT_EQ(d.request(high).preemptions, 0);
  EXPECT_GT(d.request(mid).first_token, 0);
  d.RunToEnd();
  EXPECT_EQ(d.instance().used_blocks(), 0);
}

// A random stream of three priority classes into a small instance that runs out of slots and
// KV blocks: no admission ever passes over a waiting request of higher priority, and no
// preemption takes a request while one of lower priority keeps running.
TEST(PriorityScheduling, NeverAdmitsALowerPriorityWhileAHigherOneWaits) {
  ToyDeployment toy;
  toy.config.scheduler.max_batch_size = 8;
  toy.config.scheduler.max_num_tokens = 512;
  toy.KvRoom(3000);
  const InstanceCostModel cost = toy.Cost();
  InstanceDriver d(cost, toy.config.scheduler);
  std::mt19937 rng(7);
  std::int64_t requested = 0, admissions = 0, checked_preemptions = 0;
  for (int iteration = 0; iteration < 20000; ++iteration) {
    if (static_cast<int>(d.requests().size()) < 400) {
      for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
        const int output = 1 + static_cast<int>(rng() % 120);
        d.Add(20 + static_cast<int>(rng() % 700), output, static_cast<int>(rng() % 3));
        requested += output;
      }
    }
    std::vector<std::int32_t> before;
    for (const Request& r : d.requests()) before.push_back(r.preemptions);
    if (!d.Start()) {
      if (d.requests().size() >= 400) break;
      continue;
    }
    std::set<RequestId> chunked;
    int lowest_admitted = 1 << 20;
    for (const auto& [id, tokens] : d.instance().prefill_chunks()) {
      chunked.insert(id);
      if (d.request(id).prefilled == 0) {
        lowest_admitted = std::min<int>(lowest_admitted, d.request(id).priority);
        ++admissions;
      }
    }
    int highest_waiting = -1, lowest_running = 1 << 20;
    for (const Request& r : d.requests()) {
      if (r.Finished()) continue;
      if (r.prefilled == 0 && !chunked.count(r.id)) {
        highest_waiting = std::max<int>(highest_waiting, r.priority);
      } else if (r.prefilled > 0) {
        lowest_running = std::min<int>(lowest_running, r.priority);
      }
    }
    EXPECT_LE(highest_waiting, lowest_admitted) << "iteration " << iteration;
    for (const Request& r : d.requests()) {
      if (r.preemptions == before[r.id]) continue;
      ++checked_preemptions;
      EXPECT_LE(r.priority, lowest_running) << "iteration " << iteration;
    }
    d.Finish();
  }
  EXPECT_GT(admissions, 400);
  EXPECT_GT(checked_preemptions, 0);
  std::int64_t finished = 0;
  for (const Request& r : d.requests()) finished += r.Finished();
  EXPECT_EQ(finished, 400);
  EXPECT_EQ(d.produced(), requested);
  EXPECT_EQ(d.instance().used_blocks(), 0);
  EXPECT_EQ(d.instance().Outstanding(), 0);
}

}  // namespace
}  // namespace tokenfab

namespace tokenfab {
namespace {

// SGLang's prefill-first loop (mixed_prefill off): a prefill batch runs without the decodes,
// which wait that iteration; with nothing to prefill the decode step runs.
TEST(InstanceTest, UnmixedPrefillRunsAloneAndDecodesWait) {
  for (const bool mixed : {true, false}) {
    ToyDeployment toy;
    toy.config.scheduler.mixed_prefill = mixed;
    const InstanceCostModel cost = toy.Cost();
    InstanceDriver d(cost, toy.config.scheduler);
    for (int i = 0; i < 3; ++i) d.Add(100, 10);
    ASSERT_TRUE(d.Step());
    ASSERT_TRUE(d.Step());  // decoding
    d.Add(200, 10);
    const SimTime prefill_start = d.now();
    ASSERT_TRUE(d.Start());
    EXPECT_EQ(d.instance().prefill_chunks().size(), 1u) << mixed;
    EXPECT_EQ(d.instance().last_iteration().batch.decode_sequences, mixed ? 3 : 0);
    d.Finish();
    ASSERT_TRUE(d.Start());
    EXPECT_TRUE(d.instance().prefill_chunks().empty()) << mixed;
    const IterationRecord& decode = d.instance().last_iteration();
    EXPECT_EQ(decode.batch.decode_sequences, 4);
    // The three that waited take their inter-token gap from before the prefill batch.
    EXPECT_EQ(decode.wait_start, mixed ? -1 : prefill_start);
    EXPECT_EQ(decode.waited, mixed ? 0 : 3);
    d.Finish();
    d.RunToEnd();
    EXPECT_EQ(d.instance().Outstanding(), 0);
    EXPECT_EQ(d.produced(), 40);
  }
}

// SGLang's admission: a prompt waits while its tokens and its (clipped) output would not fit
// beside 0.7 of the running request's remaining output; the share decays with every decode
// step (to 0.14 x 0.7 after 600), and the prompt is admitted once it fits.
TEST(InstanceTest, NewTokenReserveHoldsPromptsUntilTheRatioDecays) {
  auto admitted_after = [](double ratio) {
    ToyDeployment toy;
    toy.config.scheduler.new_token_ratio = ratio;
    toy.KvRoom(4000);
    const InstanceCostModel cost = toy.Cost();
    InstanceDriver d(cost, toy.config.scheduler);
    d.Add(100, 3000);
    EXPECT_TRUE(d.Step());
    const RequestId late = d.Add(500, 1500);
    int steps = 0;
    while (d.Start()) {
      const auto& chunks = d.instance().prefill_chunks();
      if (!chunks.empty() && chunks.front().first == late) break;
      d.Finish();
      ++steps;
    }
    d.Finish();
    d.RunToEnd();
    EXPECT_EQ(d.instance().Outstanding(), 0);
    EXPECT_EQ(d.produced(), 4500);
    return steps;
  };
  EXPECT_EQ(admitted_after(0), 0);  // no reserve: its prompt blocks fit at once
  // With the reserve: room = free - ratio x owed, with free ~ 3,888 - s and owed ~ 2,999 - s
  // after s steps; 2,000 tokens fit once ratio(s) = 0.7 - s x 0.602 / 600 is below ~0.61.
  const int steps = admitted_after(0.7);
  EXPECT_GT(steps, 50);
  EXPECT_LT(steps, 95);
}

// A prefill-role instance reserves nothing for outputs, which its requests generate on the
// decode pool: three 1,000-token prompts start together in 4,000 tokens of KV, where an
// aggregated instance admits one (1,000 + 3,000 output tokens) and holds the others back.
TEST(InstanceTest, NewTokenReserveOnAPrefillInstanceCountsPromptsOnly) {
  for (const InstanceRole role : {InstanceRole::kPrefill, InstanceRole::kAggregated}) {
    ToyDeployment toy;
    toy.config.scheduler.new_token_ratio = 0.7;
    toy.KvRoom(4100);
    const InstanceCostModel cost = toy.Cost();
    InstanceDriver d(cost, toy.config.scheduler, role);
    for (int i = 0; i < 3; ++i) d.Add(1000, 3000);
    ASSERT_TRUE(d.Start());
    EXPECT_EQ(d.instance().prefill_chunks().size(), role == InstanceRole::kPrefill ? 3u : 1u);
    d.Finish();
  }
}

// Out of blocks, vLLM preempts the newest running sequence; SGLang retracts the one with the
// fewest tokens generated, then the longest prompt: here all three generated as many, so the
// 300-token prompt goes, where vLLM frees the 50-token one admitted last.
TEST(InstanceTest, PreemptionOrderNewestOrFewestOutputs) {
  for (const bool fewest : {false, true}) {
    ToyDeployment toy;
    toy.config.scheduler.preempt_fewest_outputs = fewest;
    toy.KvRoom(700);
    const InstanceCostModel cost = toy.Cost();
    InstanceDriver d(cost, toy.config.scheduler);
    d.Add(100, 200);
    d.Add(300, 200);
    d.Add(50, 200);
    while (d.instance().preemptions() == 0 && d.Step()) {
    }
    ASSERT_EQ(d.instance().preemptions(), 1);
    EXPECT_EQ(d.request(1).preemptions, fewest ? 1 : 0);
    EXPECT_EQ(d.request(2).preemptions, fewest ? 0 : 1);
    d.RunToEnd();
    EXPECT_EQ(d.instance().Outstanding(), 0);
    EXPECT_EQ(d.produced(), 600);
  }
}

// One instance of `ranks` attention-DP ranks on the toy deployment.
struct AttentionDpInstance {
  AttentionDpInstance(int ranks, int max_num_tokens, bool chunked_prefill, int balance_iters = 0) {
    toy.config.scheduler.max_num_tokens = max_num_tokens;
    toy.config.scheduler.chunked_prefill = chunked_prefill;
    toy.config.scheduler.attention_dp_ranks = ranks;
    toy.config.scheduler.attention_dp_balance_iters = balance_iters;
    cost = std::make_unique<InstanceCostModel>(toy.Cost());
    driver = std::make_unique<InstanceDriver>(*cost, toy.config.scheduler);
  }
  std::size_t Chunks() { return driver->instance().prefill_chunks().size(); }
  void RunToEndAndCheck() {
    driver->RunToEnd();
    EXPECT_EQ(driver->instance().Outstanding(), 0);
  }

  ToyDeployment toy;
  std::unique_ptr<InstanceCostModel> cost;
  std::unique_ptr<InstanceDriver> driver;
};

// Without chunked prefill a prompt longer than the budget runs alone, in a batch without
// decodes: one per iteration without attention DP, one per rank under it.
TEST(AttentionDpScheduling, LongPromptsWithoutChunkingTakeARankEach) {
  for (const int ranks : {1, 4}) {
    AttentionDpInstance adp(ranks, 4096, false);
    InstanceDriver& d = *adp.driver;
    for (int i = 0; i < 6; ++i) d.Add(5000, 2);
    ASSERT_TRUE(d.Start());
    ASSERT_EQ(adp.Chunks(), static_cast<std::size_t>(ranks)) << ranks;
    for (const auto& [id, tokens] : d.instance().prefill_chunks()) EXPECT_EQ(tokens, 5000);
    d.Finish();
    adp.RunToEndAndCheck();
  }
}

// Under attention DP a prompt that fits the instance's budget but not its rank's share (here
// 2,000 tokens against 4,096 / 4) runs alone on its rank too: never beside decodes.
TEST(AttentionDpScheduling, PromptsLongerThanARanksShareRunAlone) {
  AttentionDpInstance adp(4, 4096, false);
  InstanceDriver& d = *adp.driver;
  for (int i = 0; i < 6; ++i) d.Add(2000, 3);
  ASSERT_TRUE(d.Start());
  ASSERT_EQ(adp.Chunks(), 4u);
  d.Finish();
  ASSERT_TRUE(d.Start());  // the four decode; the last two prompts wait for an empty batch
  EXPECT_EQ(adp.Chunks(), 0u);
  d.Finish();
  adp.RunToEndAndCheck();
}

// With chunked prefill under attention DP a chunk is held to its rank's share of the budget
// (SGLang's chunked_prefill_size / dp_size), so short prompts admitted after a long one
// complete first.
TEST(AttentionDpScheduling, ChunksTakeAtMostTheirRanksShare) {
  AttentionDpInstance adp(4, 4096, true);
  InstanceDriver& d = *adp.driver;
  const RequestId longer = d.Add(3000, 4);
  const RequestId a = d.Add(500, 4);
  const RequestId b = d.Add(500, 4);
  ASSERT_TRUE(d.Start());
  const std::vector<std::pair<RequestId, std::int32_t>> want = {{longer, 1024}, {a, 500}, {b, 500}};
  EXPECT_EQ(d.instance().prefill_chunks(), want);
  d.Finish();
  EXPECT_GT(d.request(a).first_token, 0);
  EXPECT_GT(d.request(b).first_token, 0);
  EXPECT_EQ(d.request(longer).prefilled, 1024);
  adp.RunToEndAndCheck();
  EXPECT_EQ(d.request(longer).prefilled, 3000);
  EXPECT_EQ(d.produced(), 12);
}

// TensorRT-LLM's attention-DP balance: while decodes run, a lone prompt waits until every
// rank can take one or the timeout (in iterations) passes.
TEST(AttentionDpScheduling, BalanceHoldsLonePromptsUpToItsTimeout) {
  AttentionDpInstance adp(4, 8192, true, 3);
  InstanceDriver& d = *adp.driver;
  for (int i = 0; i < 4; ++i) d.Add(100, 50);
  ASSERT_TRUE(d.Step());  // nothing decodes yet: the prompts run at once
  ASSERT_TRUE(d.Step());
  d.Add(100, 5);
  for (int held = 0; held < 3; ++held) {
    ASSERT_TRUE(d.Start());
    EXPECT_EQ(adp.Chunks(), 0u) << held;
    d.Finish();
  }
  ASSERT_TRUE(d.Start());
  EXPECT_EQ(adp.Chunks(), 1u);
  d.Finish();
  for (int i = 0; i < 4; ++i) d.Add(100, 5);
  ASSERT_TRUE(d.Start());  // one prompt for every rank: no wait
  EXPECT_EQ(adp.Chunks(), 4u);
  d.Finish();
  adp.RunToEndAndCheck();
}

}  // namespace
}  // namespace tokenfab
