// A timeline of a simulation in the Chrome trace-event JSON format, which ui.perfetto.dev (and
// chrome://tracing) open: one process per instance with a track of its iterations (complete
// events with the batch in their args) and a KV-cache counter; requests on "requests" lanes of
// the instance that produced their first token (TTFT and decode as nested slices), with a
// flow arrow from that iteration to the request; a "cluster" process with counters of the
// requests in the system and waiting for a first token.
//
// pid = instance index + 1 (pid 0 is special in Perfetto); the cluster is pid = instances + 1.
// Timestamps are microseconds with nanosecond precision.
#pragma once

#include <cstddef>
#include <string>

#include "tokenfab/serve/simulation.h"

namespace tokenfab {

struct TraceOptions {
  // Requests drawn: the first finished ones in arrival order. The rest are counted in the
  // trace's otherData so a reader knows; counters still cover every request.
  std::size_t max_requests = 5000;
  // Iterations drawn (in the order they ended), so very long runs stay openable.
  std::size_t max_iterations = 1'000'000;
};

// REQUIRES: the simulation ran with ServeConfig::keep_iterations for the iteration tracks.
std::string PerfettoTraceJson(const ServeResult& result, const TraceOptions& options = {});

}  // namespace tokenfab
