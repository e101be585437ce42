// What one engine iteration computes, in aggregate. Built by the scheduler in O(1) from its
// counters, so the cost of an iteration does not grow with the number of sequences.
#pragma once

#include <cstdint>

namespace tokenfab {

struct BatchShape {
  // Prefill (context) chunks.
  std::int64_t prefill_tokens = 0;
  int prefill_sequences = 0;
  // Causal query-key pairs of the chunks: a chunk of c tokens after p cached tokens has
  // c * p + c * (c + 1) / 2 pairs.
  double prefill_attention_pairs = 0;
  // Prefill chunks that complete their prompt this iteration (they sample a first token).
  int prefill_completions = 0;

  // Decode (generation) sequences, each computing `tokens_per_decode` tokens.
  int decode_sequences = 0;
  int tokens_per_decode = 1;
  double decode_context_tokens = 0;  // sum of the decode sequences' context lengths

  std::int64_t Tokens() const {
    return prefill_tokens + static_cast<std::int64_t>(decode_sequences) * tokens_per_decode;
  }
  int Sequences() const { return prefill_sequences + decode_sequences; }
  bool Empty() const { return Tokens() == 0; }
};

}  // namespace tokenfab
