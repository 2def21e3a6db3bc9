// bench-freshness: how long after the gateway's 200 an event shows in the
// query API. Against a running pilotage-ingest, pilotage-projector and
// pilotage-query (bench/freshness/run starts them as the demo does):
//   - load: batches of appointments for --load-lot, posted at a steady
//     (open-loop) --rate for --seconds;
//   - markers: one event every --marker-interval-ms for --marker-lot, which
//     nothing else writes, sent one after the other (each after the previous
//     one's 200), all for one beneficiary: the lot key puts them in one
//     partition, so they are folded in the order they were acknowledged;
//   - a poller reads the marker lot's data-quality counter (`events` of
//     --period) every --poll-ms: when it reads base + n, markers 1..n not seen
//     before are seen now. Latency of a marker = seen time - its 200 time.
// After --seconds the senders stop; the poller waits at most --drain-s for the
// last markers. Prints `BENCH freshness p50_ms=… p99_ms=…` last.
// With --create-topics: creates --topic-prefix's topics and exits.
// Measures; asserts nothing.
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "pilotage/kafka/admin.h"
#include "pilotage/service/service.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr char kOccurredAt[] = "2024-05-31T09:15:00+02:00";  // in 2024-Q2

// An appointment held on 2024-05-31 in département `departement`.
std::string Appointment(const std::string& id, const std::string& lot,
                        const std::string& beneficiary, const std::string& appointment,
                        const std::string& departement) {
  return fmt::format(R"({{"event_id":"{}","lot_id":"{}","occurred_at":"{}",)"
                     R"("appointment_held":{{"beneficiary":"{}","appointment_id":"{}",)"
                     R"("level":"LEVEL_2_SUPPORT","modality":"VIDEO","kind":"LONG_TERM",)"
                     R"("duration_minutes":60,"departement":"{}"}}}})",
                     id, lot, kOccurredAt, beneficiary, appointment, departement);
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

struct Options {
  std::string gateway, load_token, load_lot = "LOT-11", load_departement = "93";
  std::string marker_token, marker_lot = "LOT-94", marker_departement = "2A";
  std::string query, query_token, period = "2024-Q2";
  double rate = 5000, seconds = 60, drain_s = 30;
  int batch = 100, clients = 2, marker_interval_ms = 100, poll_ms = 10;
};

// The marker lot's `events` counter for the period, or nullopt when the query
// API did not answer it (`why` says how it answered).
std::optional<int64_t> ReadCounter(httplib::Client& client, const Options& o,
                                   std::string* why = nullptr) {
  auto res = client.Get(fmt::format("/api/v1/lots/{}/quality?period={}", o.marker_lot, o.period),
                        {{"Authorization", "Bearer " + o.query_token}});
  if (!res || res->status != 200) {
    if (why != nullptr) {
      *why = res ? fmt::format("HTTP {} {}", res->status, res->body.substr(0, 300))
                 : httplib::to_string(res.error());
    }
    return std::nullopt;
  }
  const auto json = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("data_quality")) {
    if (why != nullptr) *why = "no data_quality in " + res->body.substr(0, 300);
    return std::nullopt;
  }
  return json["data_quality"].value("events", int64_t{-1});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bench-freshness: from the gateway's 200 to the query API showing the event in its lot's "
      "counters, under a steady load; prints `BENCH freshness p50_ms=… p99_ms=…`"};
  Options o;
  std::string bootstrap, topic_prefix;
  bool create_topics = false;
  app.add_option("--gateway", o.gateway, "pilotage-ingest base URL, http://127.0.0.1:PORT");
  app.add_option("--load-token", o.load_token, "an operator token allowed to send --load-lot");
  app.add_option("--load-lot", o.load_lot)->capture_default_str();
  app.add_option("--load-departement", o.load_departement, "a département of --load-lot")
      ->capture_default_str();
  app.add_option("--marker-token", o.marker_token,
                 "an operator token allowed to send --marker-lot");
  app.add_option("--marker-lot", o.marker_lot, "a lot that only the markers write")
      ->capture_default_str();
  app.add_option("--marker-departement", o.marker_departement, "a département of --marker-lot")
      ->capture_default_str();
  app.add_option("--query", o.query, "pilotage-query base URL, http://127.0.0.1:PORT");
  app.add_option("--query-token", o.query_token, "a pilot token");
  app.add_option("--period", o.period, "the markers' period (they occur on 2024-05-31)")
      ->capture_default_str();
  app.add_option("--rate", o.rate, "load, events per second (open loop)")->capture_default_str();
  app.add_option("--seconds", o.seconds, "how long to send")->capture_default_str();
  app.add_option("--batch", o.batch, "load events per request")->capture_default_str();
  app.add_option("--clients", o.clients, "load clients (keep-alive connection each)")
      ->capture_default_str();
  app.add_option("--marker-interval-ms", o.marker_interval_ms, "one marker every … ms")
      ->capture_default_str();
  app.add_option("--poll-ms", o.poll_ms, "the poller reads the counter every … ms")
      ->capture_default_str();
  app.add_option("--drain-s", o.drain_s, "how long to wait for the last markers after sending")
      ->capture_default_str();
  app.add_flag("--create-topics", create_topics,
               "create PREFIX.activity, .contract, .rejected and .dead-letters (4 partitions) "
               "on --bootstrap, then exit");
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap (--create-topics)");
  app.add_option("--topic-prefix", topic_prefix, "topics' prefix (--create-topics)");
  CLI11_PARSE(app, argc, argv);

  if (create_topics) {
    if (bootstrap.empty() || topic_prefix.empty()) {
      std::cerr << "bench-freshness: --create-topics needs --bootstrap and --topic-prefix\n";
      return 2;
    }
    auto admin = pilotage::kafka::Admin::Create(bootstrap);
    if (!admin.ok()) return pilotage::service::Fail("bench-freshness", admin.status());
    for (const char* suffix : {"activity", "contract", "rejected", "dead-letters"}) {
      const std::string topic = fmt::format("{}.{}", topic_prefix, suffix);
      if (auto s = (*admin)->CreateTopic(topic, 4); !s.ok()) {
        return pilotage::service::Fail("bench-freshness", s);
      }
    }
    return 0;
  }
  if (o.gateway.empty() || o.load_token.empty() || o.marker_token.empty() || o.query.empty() ||
      o.query_token.empty()) {
    std::cerr << "bench-freshness: --gateway, --load-token, --marker-token, --query and "
                 "--query-token are required (try --help)\n";
    return 2;
  }
  if (o.rate <= 0 || o.seconds <= 0 || o.batch < 1 || o.clients < 1 || o.marker_interval_ms < 1 ||
      o.poll_ms < 1 || o.drain_s < 0) {
    std::cerr << "bench-freshness: --rate, --seconds, --batch, --clients, --marker-interval-ms "
                 "and --poll-ms must be positive\n";
    return 2;
  }

  httplib::Client poll_client(o.query);
  poll_client.set_keep_alive(true);
  // The service answers once its view has opened the store and read the
  // contract: on a loaded machine, a few seconds after it listens.
  std::optional<int64_t> base;
  std::string why;
  for (const auto give_up = Clock::now() + std::chrono::seconds(60); !base;) {
    base = ReadCounter(poll_client, o, &why);
    if (base || Clock::now() >= give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!base || *base < 0) {
    std::cerr << fmt::format(
        "bench-freshness: cannot read {}'s data quality for {} at {} within 60 s: {}\n",
        o.marker_lot, o.period, o.query, why);
    return 1;
  }
  const std::string run = std::to_string(::getpid());
  const size_t max_markers = static_cast<size_t>(o.seconds * 1000 / o.marker_interval_ms) + 1;
  std::vector<Clock::time_point> acked(max_markers), seen(max_markers);
  std::atomic<size_t> markers_acked{0};  // acked[0..markers_acked) are written
  std::atomic<bool> sending_done{false}, stop{false};
  bool foreign_writes = false;
  std::atomic<int64_t> load_accepted{0}, load_failed{0}, marker_failed{0};

  const auto start = Clock::now() + std::chrono::milliseconds(100);
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  // Load: client c sends its k-th batch at start + (k * clients + c) * batch / rate.
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client(o.gateway);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      const httplib::Headers headers{{"Authorization", "Bearer " + o.load_token}};
      for (int64_t k = 0;; ++k) {
        const auto due =
            start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                        static_cast<double>(k * o.clients + c) * o.batch / o.rate));
        if (due >= end || stop) break;
        std::this_thread::sleep_until(due);
        std::string body = "[";
        for (int i = 0; i < o.batch; ++i) {
          if (i) body += ',';
          body += Appointment(fmt::format("fr{}-{}-{}-{}", run, c, k, i), o.load_lot,
                              fmt::format("ben-fr-{}-{}-{}", c, k, i), fmt::format("A-{}", i),
                              o.load_departement);
        }
        body += ']';
        auto res = client.Post("/v1/events", headers, body, "application/json");
        if (res && res->status == 200) {
          load_accepted += o.batch;
        } else if (load_failed++ == 0) {
          std::cerr << "bench-freshness: a load request failed: "
                    << (res ? fmt::format("{} {}", res->status, res->body.substr(0, 200))
                            : httplib::to_string(res.error()))
                    << "\n";
        }
      }
    });
  }
  // Markers, one after the other.
  threads.emplace_back([&] {
    httplib::Client client(o.gateway);
    client.set_keep_alive(true);
    client.set_read_timeout(60, 0);
    const httplib::Headers headers{{"Authorization", "Bearer " + o.marker_token}};
    for (size_t k = 0; k < max_markers; ++k) {
      const auto due = start + std::chrono::milliseconds(o.marker_interval_ms) * k;
      if (due >= end || stop) break;
      std::this_thread::sleep_until(due);
      const std::string body =
          "[" +
          Appointment(fmt::format("fm{}-{}", run, k), o.marker_lot, "ben-fresh-marker-" + run,
                      fmt::format("M-{}", k), o.marker_departement) +
          "]";
      auto res = client.Post("/v1/events", headers, body, "application/json");
      if (!res || res->status != 200) {
        // The counter could no longer tell which marker it shows: stop marking.
        ++marker_failed;
        std::cerr << "bench-freshness: a marker failed, markers stop: "
                  << (res ? fmt::format("{} {}", res->status, res->body.substr(0, 200))
                          : httplib::to_string(res.error()))
                  << "\n";
        break;
      }
      acked[k] = Clock::now();
      markers_acked = k + 1;
    }
    sending_done = true;
  });

  // The poller: until every acknowledged marker is seen after sending ended,
  // or --drain-s after the end.
  size_t seen_count = 0;
  int64_t polls = 0, poll_failures = 0;
  const auto drain_end =
      end + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.drain_s));
  for (auto next = start;; next += std::chrono::milliseconds(o.poll_ms)) {
    std::this_thread::sleep_until(next);
    const bool done = sending_done.load();
    const size_t acked_now = markers_acked.load();
    if (done && seen_count >= acked_now) break;
    if (Clock::now() >= drain_end) break;
    ++polls;
    const std::optional<int64_t> counter = ReadCounter(poll_client, o);
    const auto now = Clock::now();
    if (!counter) {
      ++poll_failures;
      continue;
    }
    const int64_t shown = *counter - *base;
    // At most one marker is in flight (sent, its 200 not read yet): more
    // means something else writes the marker lot, and the figures would lie.
    if (shown > static_cast<int64_t>(markers_acked.load()) + 1) {
      std::cerr << fmt::format(
          "bench-freshness: {}'s counter grew by {} with {} markers acknowledged: something else "
          "writes that lot for {}\n",
          o.marker_lot, shown, markers_acked.load(), o.period);
      foreign_writes = true;
      stop = true;
      break;
    }
    while (shown > 0 && seen_count < static_cast<size_t>(shown) && seen_count < max_markers) {
      seen[seen_count++] = now;
    }
  }
  for (auto& t : threads) t.join();
  if (foreign_writes) return 1;

  const size_t sent = markers_acked.load();
  std::vector<double> latencies_ms;
  for (size_t k = 0; k < std::min(sent, seen_count); ++k) {
    // The poll can read a marker between the broker's acknowledgement and
    // the client reading the 200: counted as 0, not negative.
    latencies_ms.push_back(
        std::max(0.0, std::chrono::duration<double, std::milli>(seen[k] - acked[k]).count()));
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const size_t unseen = sent > seen_count ? sent - seen_count : 0;
  const double elapsed = std::chrono::duration<double>(end - start).count();
  std::cerr << fmt::format(
      "freshness: load {} events accepted to {} in {:.1f} s ({:.0f}/s), {} failed requests; "
      "{} markers to {} ({} seen, {} unseen after {:.0f} s of drain); {} polls every {} ms "
      "({} failed)\n",
      load_accepted.load(), o.load_lot, elapsed, static_cast<double>(load_accepted) / elapsed,
      load_failed.load(), sent, o.marker_lot, latencies_ms.size(), unseen, o.drain_s, polls,
      o.poll_ms, poll_failures);
  std::cout << fmt::format(
      "BENCH freshness p50_ms={:.0f} p99_ms={:.0f} max_ms={:.0f} markers={} unseen={} "
      "load_events_per_s={:.0f} poll_ms={}\n",
      Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99),
      latencies_ms.empty() ? 0 : latencies_ms.back(), sent, unseen,
      static_cast<double>(load_accepted) / elapsed, o.poll_ms);
  return load_failed > 0 || marker_failed > 0 || unseen > 0 || latencies_ms.empty() ? 1 : 0;
}
