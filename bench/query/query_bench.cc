// bench-query: GETs the query API at a steady (open-loop) rate for a bounded
// time and measures latency from each request's scheduled start, so that a
// slow answer delays the next ones and shows in the percentiles (no
// coordinated omission). Requests cycle through --path (e.g. the lots list
// and a lot page). Answers carry the service's `view_generation`: for each
// path, the first answer received of each view after the run's first (the
// cold start) is a "first answer after a catch-up"; their latencies are
// printed apart as `BENCH query_after_catchup p50_ms=… p99_ms=… answers=…`.
// Prints `BENCH query rps=… p50_ms=… p99_ms=…` last.
// Measures; asserts nothing.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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
  struct Answer {
    size_t path;
    int64_t generation;
    double scheduled_ms, done_ms;  // since start
  };
  std::vector<Answer> answers;
  answers.reserve(total);
  const auto start = Clock::now() + std::chrono::milliseconds(100);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      httplib::Client client(host, port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
      std::vector<double> mine;
      std::vector<Answer> my_answers;
      std::map<int, int64_t> my_statuses;
      for (int64_t i = next++; i < total; i = next++) {
        const auto scheduled =
            start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
        std::this_thread::sleep_until(scheduled);
        auto res = client.Get(paths[i % paths.size()], headers);
        const auto done = Clock::now();
        const double ms = std::chrono::duration<double, std::milli>(done - scheduled).count();
        mine.push_back(ms);
        ++my_statuses[res ? res->status : -1];
        if (res && res->status == 200) {
          static constexpr char kKey[] = "\"view_generation\":";
          if (auto at = res->body.rfind(kKey); at != std::string::npos) {
            my_answers.push_back(
                {.path = static_cast<size_t>(i) % paths.size(),
                 .generation =
                     std::strtoll(res->body.c_str() + at + std::strlen(kKey), nullptr, 10),
                 .scheduled_ms =
                     std::chrono::duration<double, std::milli>(scheduled - start).count(),
                 .done_ms = std::chrono::duration<double, std::milli>(done - start).count()});
          }
        }
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      answers.insert(answers.end(), my_answers.begin(), my_answers.end());
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
  // Per (path, generation): its first answer received; the run's first
  // generation of each path is the cold start, not a catch-up.
  std::map<std::pair<size_t, int64_t>, const Answer*> first;
  std::map<size_t, int64_t> first_generation;
  for (const Answer& a : answers) {
    auto [it, fresh] = first.try_emplace({a.path, a.generation}, &a);
    if (!fresh && a.done_ms < it->second->done_ms) it->second = &a;
    auto [g, new_path] = first_generation.try_emplace(a.path, a.generation);
    if (!new_path) g->second = std::min(g->second, a.generation);
  }
  std::vector<double> after_ms;
  for (const auto& [key, a] : first) {
    if (key.second == first_generation[key.first]) continue;
    after_ms.push_back(a->done_ms - a->scheduled_ms);
  }
  std::sort(after_ms.begin(), after_ms.end());
  auto after_pct = [&](double p) {
    if (after_ms.empty()) return 0.0;
    size_t k = static_cast<size_t>(p * static_cast<double>(after_ms.size() - 1) + 0.5);
    return after_ms[std::min(k, after_ms.size() - 1)];
  };
  std::string status_text;
  for (auto [s, n] : statuses) status_text += fmt::format(" status_{}={}", s, n);
  std::fprintf(stderr, "query: %zu requests in %.1f s,%s, max %.2f ms\n", latencies_ms.size(),
               elapsed, status_text.c_str(), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  std::fprintf(stderr,
               "query: %zu views served (path, generation), %zu first answers after a "
               "catch-up, max %.2f ms\n",
               first.size(), after_ms.size(), after_ms.empty() ? 0.0 : after_ms.back());
  std::printf("BENCH query_after_catchup p50_ms=%.2f p99_ms=%.2f answers=%zu\n", after_pct(0.50),
              after_pct(0.99), after_ms.size());
  std::printf("BENCH query rps=%.0f p50_ms=%.2f p99_ms=%.2f requests=%zu ok=%lld\n",
              static_cast<double>(latencies_ms.size()) / elapsed, pct(0.50), pct(0.99),
              latencies_ms.size(), static_cast<long long>(statuses[200]));
  return 0;
}
