#include "tokenfab/serve/prefix_cache.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>

#include "toy_serving_test_util.h"

namespace tokenfab {
namespace {

using test::InstanceDriver;

Request WithHashes(std::int32_t begin, std::int32_t blocks, std::int32_t input) {
  Request r;
  r.input_tokens = input;
  r.prefix_hashes_begin = begin;
  r.prefix_blocks = blocks;
  return r;
}

TEST(PrefixCacheUnit, EntriesAreWholeKvBlocksOfWholeHashBlocks) {
  EXPECT_EQ(PrefixCache(16, 16, nullptr).entry_tokens(), 16);
  EXPECT_EQ(PrefixCache(512, 16, nullptr).entry_blocks(), 32);
  const PrefixCache mla(16, 64, nullptr);  // four hash blocks per 64-token KV block
  EXPECT_EQ(mla.entry_tokens(), 64);
  EXPECT_EQ(mla.entry_blocks(), 1);
  Request turn;
  turn.session = 3;
  turn.prefix_hashes_begin = -1;  // derived from the session
  EXPECT_EQ(mla.Entries(turn, 200), 3);
  EXPECT_EQ(PrefixCache(16, 16, nullptr).Entries(Request{}, 1000), 0);  // no identity
}

TEST(PrefixCacheUnit, MatchesOnlyALeadingRunAndEvictsChainsFromTheirEnd) {
  const std::vector<std::uint64_t> pool = {1, 2, 3, 4, 1, 2, 9, 4};
  PrefixCache cache(16, 16, &pool);
  const Request a = WithHashes(0, 4, 64);
  const Request b = WithHashes(4, 4, 64);
  EXPECT_EQ(cache.Match(a, 4), 0);
  EXPECT_EQ(cache.Release(a, 0, 4), 4);
  EXPECT_EQ(cache.evictable_blocks(), 4);
  EXPECT_EQ(cache.Match(a, 4), 4);
  EXPECT_EQ(cache.Match(b, 4), 2);  // block 3 differs: block 4 is useless without it
  cache.Pin(b, 2);
  EXPECT_EQ(cache.pinned_blocks(), 2);
  EXPECT_EQ(cache.Evict(2), 2);  // the unpinned tail of a's chain: blocks 4, then 3
  EXPECT_EQ(cache.Match(a, 4), 2);
  EXPECT_EQ(cache.Evict(10), 0);         // the rest is pinned
  EXPECT_EQ(cache.Release(b, 2, 4), 2);  // b keeps its own blocks 3 and 4
  EXPECT_EQ(cache.pinned_blocks(), 0);
  EXPECT_EQ(cache.evictable_blocks(), 4);
  EXPECT_EQ(cache.Match(b, 4), 4);
  EXPECT_EQ(cache.evictions(), 2);
}

// Two identical 20,000-token prompts, the second after the first finished: 19,984 tokens (1,249
// blocks of 16; the last prompt token is always computed) come from the cache, so the second
// prompt takes one 10 ms prefill iteration instead of three.
class RepeatedPrompt : public ::testing::Test {
 protected:
  void SetUp() override {
    WorkloadSpec& w = toy_.config.workload;
    w.kind = WorkloadSpec::Kind::kTrace;
    w.num_requests = 2;
    w.trace_hashes.resize(1250);
    std::iota(w.trace_hashes.begin(), w.trace_hashes.end(), 100);
    w.trace = {{0.0, 20000, 2, 0, 1250}, {1.0, 20000, 2, 0, 1250}};
    toy_.config.scheduler.prefix_hashes = &w.trace_hashes;
  }
  ToyDeployment toy_;
};

TEST_F(RepeatedPrompt, TheSecondPromptSkipsTheCachedPrefillTokens) {
  toy_.config.scheduler.prefix_caching = true;
  const ServeResult r = toy_.Run();
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[0].cached_tokens, 0);
  EXPECT_EQ(r.requests[1].cached_tokens, 19984);
  EXPECT_EQ(r.requests[0].first_token - r.requests[0].arrival, 30'000'000);
  EXPECT_EQ(r.requests[1].first_token - r.requests[1].arrival, 10'000'000);
  EXPECT_EQ(r.requests[1].finish - r.requests[1].arrival, 20'000'000);
}

TEST_F(RepeatedPrompt, WithoutPrefixCachingNothingIsReused) {
  const ServeResult r = toy_.Run();
  for (const Request& q : r.requests) {
    EXPECT_EQ(q.cached_tokens, 0);
    EXPECT_EQ(q.first_token - q.arrival, 30'000'000);
  }
}

class PrefixCaching : public ::testing::Test {
 protected:
  void SetUp() override {
    toy_.config.scheduler.prefix_caching = true;
    toy_.config.scheduler.prefix_hashes = &pool_;
    pool_.resize(300);
    std::iota(pool_.begin(), pool_.end(), 1000);
  }
  // A 1,600-token prompt named by hashes [begin, begin + 100), one output token.
  RequestId Add(InstanceDriver& d, int begin) {
    Request& r = d.Make(1600, 1);
    r.prefix_hashes_begin = begin;
    r.prefix_blocks = 100;
    d.Enqueue(r.id);
    return r.id;
  }
  ToyDeployment toy_;
  std::vector<std::uint64_t> pool_;
};

TEST_F(PrefixCaching, HitRateCountsPromptTokensServedFromTheCache) {
  const InstanceCostModel cost = toy_.Cost();
  InstanceDriver d(cost, toy_.config.scheduler);
  Add(d, 0);
  d.RunToEnd();
  Add(d, 0);
  d.RunToEnd();
  EXPECT_EQ(d.instance().prompt_tokens(), 3200);
  EXPECT_EQ(d.instance().prefix_hit_tokens(), 99 * 16);
  EXPECT_EQ(d.instance().used_blocks(), 0);
  EXPECT_EQ(d.instance().cached_blocks(), 100);

  toy_.config.scheduler.prefix_caching = false;
  InstanceDriver off(cost, toy_.config.scheduler);
  Add(off, 0);
  off.RunToEnd();
  Add(off, 0);
  off.RunToEnd();
  EXPECT_EQ(off.instance().prompt_tokens(), 3200);
  EXPECT_EQ(off.instance().prefix_hit_tokens(), 0);
  EXPECT_EQ(off.instance().cached_blocks(), 0);
}

// Three 100-block prompts through a KV cache of about 256 blocks: the third evicts the least
// recently used entries, the end of the first prompt's chain.
TEST_F(PrefixCaching, EvictsTheLeastRecentlyUsedEntriesWhenKvRunsOut) {
  toy_.KvRoom(4096);
  const InstanceCostModel cost = toy_.Cost();
  InstanceDriver d(cost, toy_.config.scheduler);
  const std::int64_t total = d.instance().total_blocks();
  ASSERT_GE(total, 200);
  ASSERT_LT(total, 300);
  for (int begin : {0, 100, 200}) {
    Add(d, begin);
    d.RunToEnd();
    EXPECT_LE(d.instance().used_blocks() + d.instance().cached_blocks(), total);
  }
  EXPECT_EQ(d.instance().prefix_evictions(), 300 - total);
  EXPECT_EQ(d.instance().cached_blocks(), total);
  Request probe = WithHashes(0, 100, 1600);
  EXPECT_EQ(d.instance().CachedPrefixEntries(probe), total - 200);
  probe.prefix_hashes_begin = 100;
  EXPECT_EQ(d.instance().CachedPrefixEntries(probe), 99);
  probe.prefix_hashes_begin = 200;
  EXPECT_EQ(d.instance().CachedPrefixEntries(probe), 99);
  Add(d, 0);  // reuses what is left of the first prompt
  d.RunToEnd();
  EXPECT_EQ(d.instance().prefix_hit_tokens(), (total - 200) * 16);
  EXPECT_EQ(d.instance().used_blocks(), 0);
}

TEST(PrefixCachingSessions, EachTurnReusesTheConversationSoFar) {
  ToyDeployment toy;
  WorkloadSpec& w = toy.config.workload;
  w.kind = WorkloadSpec::Kind::kSessions;
  w.rate = 1;
  w.num_requests = 30;
  w.input = ToyDeployment::Fixed(100);
  w.output = ToyDeployment::Fixed(10);
  w.sessions.turns = ToyDeployment::Fixed(3);
  w.sessions.think_time_s = 2.5;
  toy.config.scheduler.prefix_caching = true;
  const ServeResult r = toy.Run();
  ASSERT_EQ(r.requests.size(), 30u);
  std::map<int, const Request*> last_turn;
  for (const Request& q : r.requests) {
    if (q.turn > 1) {
      ASSERT_TRUE(last_turn.count(q.session));
      const Request& p = *last_turn[q.session];
      // The previous turn left floor((prompt + output - 1) / 16) blocks: its KV.
      EXPECT_EQ(q.cached_tokens, (p.input_tokens + p.output_tokens - 1) / 16 * 16) << q.id;
    } else {
      EXPECT_EQ(q.cached_tokens, 0);
    }
    last_turn[q.session] = &q;
  }
}

// Prefix-aware routing keeps a session's turns on the instance that holds its conversation.
TEST(PrefixAwareRouting, ASessionsTurnsGoWhereItsPrefixIsCached) {
  ToyDeployment toy;
  WorkloadSpec& w = toy.config.workload;
  w.kind = WorkloadSpec::Kind::kSessions;
  w.rate = 4;
  w.num_requests = 120;
  w.input = {LengthDistribution::Kind::kLogNormal, 300, 0.5, 16, 2000};
  w.output = {LengthDistribution::Kind::kLogNormal, 40, 0.5, 1, 200};
  w.sessions.turns = ToyDeployment::Fixed(4);
  w.sessions.think_time_s = 1.0;
  toy.config.replicas = 4;
  toy.config.scheduler.prefix_caching = true;
  auto hit_tokens = [&](RouterPolicy policy, bool check_affinity) {
    toy.config.router = policy;
    const ServeResult r = toy.Run();
    std::map<int, int> where;
    std::int64_t hits = 0;
    for (const Request& q : r.requests) {
      hits += q.cached_tokens;
      if (check_affinity && q.turn > 1) EXPECT_EQ(q.instance, where[q.session]) << q.id;
      where[q.session] = q.instance;
    }
    return hits;
  };
  const std::int64_t aware = hit_tokens(RouterPolicy::kPrefixAware, true);
  const std::int64_t round_robin = hit_tokens(RouterPolicy::kRoundRobin, false);
  EXPECT_GT(aware, 2 * round_robin);
}

}  // namespace
}  // namespace tokenfab
