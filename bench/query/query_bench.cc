// bench-query: GETs the query API at a steady (open-loop) rate for a bounded
// time and measures latency from each request's scheduled start, so that a
// slow answer delays the next ones and shows in the percentiles (no
// coordinated omission). Requests cycle through --path (e.g. the lots list
// and a lot page). Prints `BENCH query rps=… p50_ms=… p99_ms=…` last.
// Measures; asserts nothing.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"

int main(int argc, char** argv) {
  CLI::App app{"bench-query: steady-rate GETs against pilotage-query, latency percentiles"};
  std::string host = "127.0.0.1", token;
  int port = 8090, threads = 8;
  double rate = 500, duration_s = 30;
  std::vector<std::string> paths;
  app.add_option("--host", host)->capture_default_str();
  app.add_option("--port", port)->required();
  app.add_option("--token", token, "bearer token")->required();
  app.add_option("--path", paths, "path with query string; repeat to cycle")->required();
  app.add_option("--rate", rate, "requests per second (open loop)")->capture_default_str();
  app.add_option("--duration-s", duration_s, "how long to send")->capture_default_str();
  app.add_option("--threads", threads, "sending threads (keep-alive connection each)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (rate <= 0 || duration_s <= 0 || threads < 1) {
    std::fprintf(stderr, "bench-query: --rate, --duration-s and --threads must be positive\n");
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const int64_t total = static_cast<int64_t>(rate * duration_s);
  const auto interval = std::chrono::duration<double>(1.0 / rate);
  std::atomic<int64_t> next{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(total);
  std::map<int, int64_t> statuses;
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
      std::vector<double> mine;
      std::map<int, int64_t> my_statuses;
      for (int64_t i = next++; i < total; i = next++) {
        const auto scheduled =
            start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
        std::this_thread::sleep_until(scheduled);
        auto res = client.Get(paths[i % paths.size()], headers);
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count();
        mine.push_back(ms);
        ++my_statuses[res ? res->status : -1];
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      for (auto [s, n] : my_statuses) statuses[s] += n;
    });
  }
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    size_t k = static_cast<size_t>(p * static_cast<double>(latencies_ms.size() - 1) + 0.5);
    return latencies_ms[std::min(k, latencies_ms.size() - 1)];
  };
  std::string status_text;
  for (auto [s, n] : statuses) status_text += fmt::format(" status_{}={}", s, n);
  std::fprintf(stderr, "query: %zu requests in %.1f s,%s, max %.2f ms\n", latencies_ms.size(),
               elapsed, status_text.c_str(), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  std::printf("BENCH query rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%zu ok=%lld\n",
              static_cast<double>(latencies_ms.size()) / elapsed, pct(0.50), pct(0.99),
              latencies_ms.size(), static_cast<long long>(statuses[200]));
  return 0;
}
