#include "tokenfab/serve/prefix_cache.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace tokenfab {
namespace {

// SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection with good avalanche.
std::uint64_t Mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const std::vector<std::uint64_t>& NoHashes() {
  static const std::vector<std::uint64_t> none;
  return none;
}

}  // namespace

std::uint64_t PrefixBlockHash(const Request& r, int i, const std::vector<std::uint64_t>& pool) {
  if (r.prefix_hashes_begin >= 0) return pool[static_cast<std::size_t>(r.prefix_hashes_begin) + i];
  return Mix((static_cast<std::uint64_t>(static_cast<std::uint32_t>(r.session)) << 32) |
             static_cast<std::uint32_t>(i));
}

PrefixCache::PrefixCache(int hash_block_tokens, int kv_block_tokens,
                         const std::vector<std::uint64_t>* hashes)
    : hash_block_tokens_(hash_block_tokens), hashes_(hashes) {
  entry_tokens_ = std::lcm(hash_block_tokens, kv_block_tokens);
  hash_blocks_per_entry_ = entry_tokens_ / hash_block_tokens;
  entry_blocks_ = entry_tokens_ / kv_block_tokens;
}

int PrefixCache::Entries(const Request& r, std::int64_t tokens) const {
  std::int64_t blocks = 0;
  if (r.prefix_hashes_begin >= 0) {
    const bool known =
        hashes_ != nullptr &&
        static_cast<std::size_t>(r.prefix_hashes_begin) + r.prefix_blocks <= hashes_->size();
    if (known) blocks = std::min<std::int64_t>(r.prefix_blocks, tokens / hash_block_tokens_);
  } else if (r.session >= 0) {
    blocks = tokens / hash_block_tokens_;
  }
  return static_cast<int>(blocks / hash_blocks_per_entry_);
}

std::uint64_t PrefixCache::Key(const Request& r, int entry) const {
  return PrefixBlockHash(r, (entry + 1) * hash_blocks_per_entry_ - 1,
                         hashes_ != nullptr ? *hashes_ : NoHashes());
}

std::int32_t PrefixCache::Find(std::uint64_t key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? -1 : it->second;
}

int PrefixCache::Match(const Request& r, int max_entries) const {
  int n = 0;
  while (n < max_entries && Find(Key(r, n)) >= 0) ++n;
  return n;
}

void PrefixCache::PushNewest(std::int32_t e) {
  Entry& x = entries_[e];
  x.prev = lru_tail_;
  x.next = -1;
  if (lru_tail_ >= 0)
    entries_[lru_tail_].next = e;
  else
    lru_head_ = e;
  lru_tail_ = e;
}

void PrefixCache::Unlink(std::int32_t e) {
  Entry& x = entries_[e];
  if (x.prev >= 0)
    entries_[x.prev].next = x.next;
  else
    lru_head_ = x.next;
  if (x.next >= 0)
    entries_[x.next].prev = x.prev;
  else
    lru_tail_ = x.prev;
  x.prev = x.next = -1;
}

void PrefixCache::Pin(const Request& r, int n) {
  for (int i = 0; i < n; ++i) {
    const std::int32_t e = Find(Key(r, i));
    assert(e >= 0);
    if (entries_[e].refs++ == 0) {
      Unlink(e);
      evictable_blocks_ -= entry_blocks_;
      pinned_blocks_ += entry_blocks_;
    }
  }
}

std::int64_t PrefixCache::Release(const Request& r, int pinned, int upto) {
  std::int64_t moved = 0;
  for (int i = std::max(pinned, upto) - 1; i >= 0; --i) {
    const std::uint64_t key = Key(r, i);
    std::int32_t e = Find(key);
    if (i < pinned) {
      assert(e >= 0 && entries_[e].refs > 0);
      if (--entries_[e].refs == 0) {
        pinned_blocks_ -= entry_blocks_;
        evictable_blocks_ += entry_blocks_;
        PushNewest(e);
      }
      continue;
    }
    if (e >= 0) continue;  // already cached: r's copy is freed
    if (!free_.empty()) {
      e = free_.back();
      free_.pop_back();
      entries_[e] = Entry{};
    } else {
      e = static_cast<std::int32_t>(entries_.size());
      entries_.emplace_back();
    }
    entries_[e].key = key;
    index_.emplace(key, e);
    PushNewest(e);
    evictable_blocks_ += entry_blocks_;
    moved += entry_blocks_;
  }
  return moved;
}

std::int64_t PrefixCache::Evict(std::int64_t blocks) {
  std::int64_t freed = 0;
  while (freed < blocks && lru_head_ >= 0) {
    const std::int32_t e = lru_head_;
    Unlink(e);
    index_.erase(entries_[e].key);
    free_.push_back(e);
    evictable_blocks_ -= entry_blocks_;
    freed += entry_blocks_;
    ++evictions_;
  }
  return freed;
}

}  // namespace tokenfab
