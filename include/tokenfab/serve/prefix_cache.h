// The prefix cache of one instance: KV of earlier requests kept after they finish, keyed by
// prefix hash, reused by later requests whose prompts start the same way (vLLM automatic
// prefix caching, SGLang's radix cache, TensorRT-LLM block reuse).
//
// The unit is an entry of entry_tokens() = lcm(hash block, KV block) tokens, entry_blocks()
// KV blocks, keyed by the hash of its last hash block (hashes identify a whole prefix, as
// vLLM's chained block hashes and Mooncake's hash_ids do). So a match is always whole KV
// blocks. Entries a running request uses are pinned (reference count > 0); the others are
// evictable, in LRU order, and count as free KV for admission. A request matches only a run
// of leading entries, so a request's entries are released deepest first: LRU eviction then
// takes a chain from its end (as vLLM frees blocks in reverse order).
//
// Cost: O(entries of the request) at admission and release; O(1) per evicted entry.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "tokenfab/serve/request.h"

namespace tokenfab {

// Hash of prefix block i of r (blocks of the workload's hash block size): the trace's
// explicit hash pool[r.prefix_hashes_begin + i] when r.prefix_hashes_begin >= 0, else derived
// from (r.session, i) for a synthetic session turn. REQUIRES: r has block i (see
// PrefixCache::Entries).
std::uint64_t PrefixBlockHash(const Request& r, int i, const std::vector<std::uint64_t>& pool);

class PrefixCache {
 public:
  // `hashes` is the workload's hash pool (not owned; may be null when no request has
  // explicit hashes).
  PrefixCache(int hash_block_tokens, int kv_block_tokens, const std::vector<std::uint64_t>* hashes);

  int entry_tokens() const { return entry_tokens_; }
  std::int64_t entry_blocks() const { return entry_blocks_; }
  std::int64_t pinned_blocks() const { return pinned_blocks_; }
  std::int64_t evictable_blocks() const { return evictable_blocks_; }
  std::int64_t evictions() const { return evictions_; }

  // Entries with a known identity among r's first `tokens` tokens: explicit hashes cover the
  // prompt blocks the trace names; a session's derived hashes cover its whole conversation.
  int Entries(const Request& r, std::int64_t tokens) const;
  // The key of r's entry i: the hash of its last hash block.
  std::uint64_t Key(const Request& r, int entry) const;
  // Leading entries of r present in the cache, at most max_entries. No side effect.
  int Match(const Request& r, int max_entries) const;
  // Pins r's first n entries. REQUIRES: Match(r, n) == n.
  void Pin(const Request& r, int n);
  // Ends r's use of its first `pinned` entries and keeps entries [pinned, upto) of its KV as
  // evictable (those not cached yet). Returns the KV blocks that moved from r into the cache.
  std::int64_t Release(const Request& r, int pinned, int upto);
  // Drops least recently used evictable entries until `blocks` KV blocks are freed or none is
  // left. Returns the blocks freed.
  std::int64_t Evict(std::int64_t blocks);

 private:
  struct Entry {
    std::uint64_t key = 0;
    std::int32_t refs = 0;
    std::int32_t prev = -1;  // LRU list of evictable entries, oldest at lru_head_
    std::int32_t next = -1;
  };

  std::int32_t Find(std::uint64_t key) const;
  void PushNewest(std::int32_t e);
  void Unlink(std::int32_t e);

  int hash_block_tokens_;
  int hash_blocks_per_entry_;
  int entry_tokens_;
  std::int64_t entry_blocks_;
  const std::vector<std::uint64_t>* hashes_;
  std::unordered_map<std::uint64_t, std::int32_t> index_;
  std::vector<Entry> entries_;
  std::vector<std::int32_t> free_;
  std::int32_t lru_head_ = -1;
  std::int32_t lru_tail_ = -1;
  std::int64_t pinned_blocks_ = 0;
  std::int64_t evictable_blocks_ = 0;
  std::int64_t evictions_ = 0;
};

}  // namespace tokenfab
