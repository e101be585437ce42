// Simulated time: integer nanoseconds, so runs are reproducible bit for bit.
#pragma once

#include <cmath>
#include <cstdint>

namespace tokenfab {

using SimTime = std::int64_t;  // nanoseconds since the start of the simulation

inline constexpr SimTime kNanosPerSecond = 1'000'000'000;

// Rounds to the nearest nanosecond; durations below 1 ns become 1 ns so time always advances.
inline SimTime SecondsToSimTime(double seconds) {
  const double ns = std::llround(seconds * 1e9);
  return ns < 1 ? 1 : static_cast<SimTime>(ns);
}
inline double SimTimeToSeconds(SimTime t) { return static_cast<double>(t) * 1e-9; }
inline double SimTimeToMillis(SimTime t) { return static_cast<double>(t) * 1e-6; }

}  // namespace tokenfab
