// libFuzzer target: bytes as a request trace through ParseTrace. The first byte picks the
// format (even: CSV, odd: JSONL), the rest is the file's text.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tokenfab/serve/workload.h"

namespace {

// An accepted trace is sorted, starts at 0, has finite arrivals, at least one token each way,
// and prefix hashes inside its hash list.
void CheckTrace(const tokenfab::RequestTrace& trace) {
  const std::vector<tokenfab::TraceRecord>& records = trace.records;
  double previous = 0;
  for (const tokenfab::TraceRecord& r : records) {
    const bool hashes_ok =
        r.hash_begin >= 0 && r.hash_count >= 0 &&
        static_cast<std::size_t>(r.hash_begin) + r.hash_count <= trace.hashes.size();
    if (!std::isfinite(r.arrival_s) || r.arrival_s < previous || r.input_tokens < 1 ||
        r.output_tokens < 1 || !hashes_ok) {
      std::fprintf(stderr,
                   "trace_fuzz: bad record: arrival %g s, %d in, %d out, hashes %d+%d of %zu\n",
                   r.arrival_s, r.input_tokens, r.output_tokens, r.hash_begin, r.hash_count,
                   trace.hashes.size());
      std::abort();
    }
    previous = r.arrival_s;
  }
  if (records.empty() || records.front().arrival_s != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string origin = (data[0] & 1) != 0 ? "x.jsonl" : "x.csv";
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto trace = tokenfab::ParseTrace(text, origin);
  if (trace) CheckTrace(*trace);
  return 0;
}
