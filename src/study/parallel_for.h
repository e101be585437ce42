// Runs fn(i) for i in [0, n) over a few threads. Each index is handled exactly once; results
// written by index keep a deterministic order whatever the scheduling.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace tokenfab {

// threads <= 0: std::thread::hardware_concurrency(). fn must not throw.
template <typename Fn>
void ParallelFor(std::size_t n, int threads, Fn&& fn) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(threads), n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) fn(i);
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

}  // namespace tokenfab
