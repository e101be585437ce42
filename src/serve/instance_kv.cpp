// KV blocks of an instance and its prefix cache.
#include <cassert>

#include "tokenfab/serve/instance.h"

namespace tokenfab {

std::int64_t Instance::BlocksFor(std::int64_t tokens) const {
  return (tokens + config_.kv_block_size - 1) / config_.kv_block_size;
}

// Takes `blocks` private blocks, evicting least recently used cache entries when the free
// blocks alone do not cover them.
void Instance::Allocate(std::int64_t blocks) {
  used_blocks_ += blocks;
  assert(caching_ || used_blocks_ <= total_blocks_);
  if (!caching_) return;  // FreeBlocks() covered them
  const std::int64_t over =
      used_blocks_ + cache_.pinned_blocks() + cache_.evictable_blocks() - total_blocks_;
  if (over > 0) cache_.Evict(over);
  assert(used_blocks_ + cache_.pinned_blocks() + cache_.evictable_blocks() <= total_blocks_);
}

// Frees a request's private blocks and unpins its cached prefix; with prefix caching the
// whole entries of its KV that have an identity stay behind as evictable cache entries.
void Instance::ReleaseKv(Request& r, std::int64_t kv_tokens, std::int64_t private_blocks) {
  used_blocks_ -= private_blocks;
  if (!caching_) return;
  const int pinned = static_cast<int>(r.cached_tokens / cache_.entry_tokens());
  const std::int64_t moved = cache_.Release(r, pinned, cache_.Entries(r, kv_tokens));
  (void)moved;
  assert(moved <= private_blocks);
}

// At admission: the longest run of r's leading entries in the cache counts as prefilled, at
// most PrefillTarget() - 1 tokens so the last prompt token is computed (vLLM does the same).
void Instance::AttachCachedPrefix(Request& r) {
  if (!caching_) return;
  r.cached_tokens = 0;
  const int n = cache_.Match(r, cache_.Entries(r, r.PrefillTarget() - 1));
  if (n == 0) return;
  cache_.Pin(r, n);
  r.cached_tokens = n * cache_.entry_tokens();
  r.prefilled = r.cached_tokens;
}

// Undoes AttachCachedPrefix when the admission fails.
void Instance::DetachCachedPrefix(Request& r) {
  if (!caching_ || r.cached_tokens == 0) return;
  cache_.Release(r, static_cast<int>(r.cached_tokens / cache_.entry_tokens()), 0);
  r.cached_tokens = 0;
  r.prefilled = 0;
}

int Instance::CachedPrefixEntries(const Request& r) const {
  if (!caching_) return 0;
  return cache_.Match(r, cache_.Entries(r, r.PrefillTarget() - 1));
}

}  // namespace tokenfab
