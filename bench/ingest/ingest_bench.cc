// bench-ingest: several concurrent clients POST batches of events to the
// ingest gateway on loopback, with the local broker behind it. Two phases:
// as fast as possible (throughput of durably accepted events), then paced at
// half that rate (latency). Bounded in time; prints
// `BENCH ingest events_per_s=… p50_ms=… p99_ms=…` last.
// With --tls-compare: the throughput phase only, alternately against a
// plaintext gateway and a TLS one (certificate made here) in the same
// process, `--rounds` times each; prints
// `BENCH ingest_tls plain_events_per_s=… tls_events_per_s=… ratio=…` and the
// CPU per accepted event of the gateway and of the clients in each mode
// (`plain_gateway_cpu_us=…` …; getrusage), all medians.
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "pilotage/ingest/gateway.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/service/service.h"
#include "pilotage/testing/certificates.h"
#include "pilotage/testing/testing.h"

namespace {

using Clock = std::chrono::steady_clock;
using pilotage::ingest::TokenHash;

constexpr char kToken[] = "bench-token-0123456789";

std::string Batch(int client, int64_t seq, int size) {
  std::string body = "[";
  body.reserve(static_cast<size_t>(size) * 330);
  for (int i = 0; i < size; ++i) {
    if (i) body += ',';
    body += fmt::format(
        R"({{"event_id":"b{}-{}-{}","lot_id":"LOT-11","occurred_at":"2024-05-31T09:15:00+02:00",)"
        R"("appointment_held":{{"beneficiary":"ben-{:08x}","appointment_id":"A-{}-{}",)"
        R"("level":"LEVEL_2_SUPPORT","modality":"VIDEO","kind":"LONG_TERM",)"
        R"("duration_minutes":60,"departement":"93"}}}})",
        client, seq, i, (client * 7919 + seq * 31 + i) & 0xffffff, seq, i);
  }
  body += "]";
  return body;
}

struct PhaseResult {
  int64_t accepted = 0;
  int64_t failed_requests = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  // User + system CPU of the client threads, and of the whole process (the
  // gateway, its Kafka producer and the clients) over the phase.
  double client_cpu_s = 0;
  double process_cpu_s = 0;

  // Per accepted event, in µs: the gateway's share (the process without the
  // clients) and the clients'.
  double GatewayCpuUs() const {
    return accepted > 0 ? (process_cpu_s - client_cpu_s) * 1e6 / static_cast<double>(accepted) : 0;
  }
  double ClientCpuUs() const {
    return accepted > 0 ? client_cpu_s * 1e6 / static_cast<double>(accepted) : 0;
  }
};

// User + system CPU of the calling thread (RUSAGE_THREAD) or of the process.
double CpuSeconds(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Each client posts batches until `seconds` elapsed; `rate` > 0 paces the
// whole set of clients to that many events per second.
// `url`: http://127.0.0.1:PORT, or https://… trusting only `ca`.
bool client_nodelay = false;  // --client-nodelay

PhaseResult RunPhase(const std::string& url, const std::string& ca, int clients, int batch,
                     double seconds, double rate) {
  PhaseResult result;
  std::mutex mu;
  std::vector<std::thread> threads;
  const double process_cpu_start = CpuSeconds(RUSAGE_SELF);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const double cpu_start = CpuSeconds(RUSAGE_THREAD);
      httplib::Client client(url);
      if (!ca.empty()) {
        client.set_ca_cert_path(ca.c_str());
        client.enable_server_certificate_verification(true);
      }
      client.set_keep_alive(true);
      client.set_tcp_nodelay(client_nodelay);
      client.set_read_timeout(60, 0);
      httplib::Headers headers{{"Authorization", fmt::format("Bearer {}", kToken)}};
      std::vector<double> lat;
      int64_t accepted = 0, failed = 0;
      // Paced: client c sends its k-th batch at start + (k*clients + c) * batch / rate.
      for (int64_t k = 0;; ++k) {
        if (rate > 0) {
          const auto due =
              start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                          static_cast<double>(k * clients + c) * batch / rate));
          if (due >= end) break;
          std::this_thread::sleep_until(due);
        } else if (Clock::now() >= end) {
          break;
        }
        const std::string body = Batch(c, k, batch);
        const auto t0 = Clock::now();
        auto res = client.Post("/v1/events", headers, body, "application/json");
        const auto t1 = Clock::now();
        if (res && res->status == 200) {
          accepted += batch;
          lat.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          ++failed;
          if (failed == 1) {
            std::cerr << "bench-ingest: request failed: "
                      << (res ? fmt::format("{} {}", res->status, res->body.substr(0, 200))
                              : httplib::to_string(res.error()))
                      << "\n";
          }
        }
      }
      const double cpu = CpuSeconds(RUSAGE_THREAD) - cpu_start;
      std::lock_guard lock(mu);
      result.client_cpu_s += cpu;
      result.accepted += accepted;
      result.failed_requests += failed;
      result.latencies_ms.insert(result.latencies_ms.end(), lat.begin(), lat.end());
    });
  }
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.process_cpu_s = CpuSeconds(RUSAGE_SELF) - process_cpu_start;
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  return result;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench-ingest: concurrent clients posting batches to pilotage-ingest on loopback"};
  std::string bootstrap;
  int clients = 4, batch = 500, threads = 16;
  double seconds = 10, paced_rate = 0;
  bool tls_compare = false;
  int rounds = 3;
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap (default: the local test broker)")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  app.add_option("--clients", clients, "concurrent clients")->capture_default_str();
  app.add_option("--batch", batch, "events per request")->capture_default_str();
  app.add_option("--seconds", seconds, "duration of each phase")->capture_default_str();
  app.add_option("--threads", threads, "gateway HTTP threads")->capture_default_str();
  app.add_option("--paced-rate", paced_rate,
                 "events/s of the latency phase (default: half the measured throughput)");
  app.add_flag("--tls-compare", tls_compare,
               "throughput over plaintext and over TLS, alternated, and their ratio");
  app.add_option("--rounds", rounds, "--tls-compare: runs of each")->capture_default_str();
  app.add_flag("--client-nodelay", client_nodelay,
               "clients set TCP_NODELAY (default off, as an operator's client may not)");
  CLI11_PARSE(app, argc, argv);
  if (bootstrap.empty()) {
    auto b = pilotage::kafka::BootstrapFromEnvironment();
    if (!b.ok()) return pilotage::service::Fail("bench-ingest", b.status());
    bootstrap = *b;
  }
  auto admin = pilotage::kafka::Admin::Create(bootstrap);
  if (!admin.ok()) return pilotage::service::Fail("bench-ingest", admin.status());
  const std::string suffix = std::to_string(::getpid());
  const std::string topic = "bench.ingest.activity." + suffix;
  const std::string rejected = "bench.ingest.rejected." + suffix;
  for (const auto& t : {topic, rejected}) {
    if (auto s = (*admin)->CreateTopic(t, 4); !s.ok()) {
      return pilotage::service::Fail("bench-ingest", s);
    }
  }
  auto config = pilotage::ingest::ParseConfig(
      fmt::format(R"({{"lots":[{{"lot_id":"LOT-11","start_date":"2024-01-02"}}],
                     "operators":[{{"operator_id":"op-bench","lots":["LOT-11"],
                     "rate_limit":{{"events_per_s":10000000,"burst":10000000}},
                     "token_sha256":["{}"]}}]}})",
                  TokenHash(kToken)),
      "bench", ".");
  if (!config.ok()) return pilotage::service::Fail("bench-ingest", config.status());
  pilotage::testing::TempDir dir;
  const auto certificate = pilotage::testing::MakeCertificate(dir.path(), "bench");
  pilotage::ingest::GatewayOptions options;
  options.bootstrap = bootstrap;
  options.port = 0;
  options.threads = threads;
  options.activity_topic = topic;
  options.rejected_topic = rejected;
  auto gateway = pilotage::ingest::Gateway::Create(options, *config);
  if (!gateway.ok()) return pilotage::service::Fail("bench-ingest", gateway.status());
  std::thread server([&] { (void)(*gateway)->Serve().ok(); });
  const std::string url = fmt::format("http://127.0.0.1:{}", (*gateway)->port());

  if (tls_compare) {
    options.tls = {.cert_file = certificate.cert.string(), .key_file = certificate.key.string()};
    auto secure = pilotage::ingest::Gateway::Create(options, std::move(*config));
    if (!secure.ok()) return pilotage::service::Fail("bench-ingest", secure.status());
    std::thread secure_server([&] { (void)(*secure)->Serve().ok(); });
    const std::string tls_url = fmt::format("https://127.0.0.1:{}", (*secure)->port());
    const std::string ca = certificate.cert.string();
    RunPhase(url, "", clients, batch, 1.0, 0);  // warm-up of both
    RunPhase(tls_url, ca, clients, batch, 1.0, 0);
    std::vector<double> plain_rates, tls_rates, plain_gateway_cpu, tls_gateway_cpu,
        plain_client_cpu, tls_client_cpu;
    int64_t failed = 0;
    for (int r = 0; r < rounds; ++r) {
      for (const bool tls : {false, true}) {
        PhaseResult run = RunPhase(tls ? tls_url : url, tls ? ca : "", clients, batch, seconds, 0);
        const double rate = static_cast<double>(run.accepted) / run.seconds;
        (tls ? tls_rates : plain_rates).push_back(rate);
        (tls ? tls_gateway_cpu : plain_gateway_cpu).push_back(run.GatewayCpuUs());
        (tls ? tls_client_cpu : plain_client_cpu).push_back(run.ClientCpuUs());
        failed += run.failed_requests;
        std::cout << fmt::format(
            "round {} {}: {} clients x {} events/batch, {:.1f} s: {:.0f} events/s, p50 {:.1f} "
            "ms, p99 {:.1f} ms, CPU per event: gateway {:.2f} us, clients {:.2f} us, {} failed "
            "requests\n",
            r + 1, tls ? "TLS" : "plaintext", clients, batch, run.seconds, rate,
            Percentile(run.latencies_ms, 0.5), Percentile(run.latencies_ms, 0.99),
            run.GatewayCpuUs(), run.ClientCpuUs(), run.failed_requests);
      }
    }
    (*secure)->Stop();
    secure_server.join();
    (*gateway)->Stop();
    server.join();
    const double plain = Median(plain_rates), secured = Median(tls_rates);
    std::cout << fmt::format(
        "BENCH ingest_tls plain_events_per_s={:.0f} tls_events_per_s={:.0f} ratio={:.3f} "
        "plain_gateway_cpu_us={:.2f} tls_gateway_cpu_us={:.2f} plain_client_cpu_us={:.2f} "
        "tls_client_cpu_us={:.2f}\n",
        plain, secured, plain > 0 ? secured / plain : 0, Median(plain_gateway_cpu),
        Median(tls_gateway_cpu), Median(plain_client_cpu), Median(tls_client_cpu));
    return failed > 0 ? 1 : 0;
  }

  RunPhase(url, "", clients, batch, 1.0, 0);  // warm-up: connections, metadata
  PhaseResult max = RunPhase(url, "", clients, batch, seconds, 0);
  const double throughput = static_cast<double>(max.accepted) / max.seconds;
  std::cout << fmt::format(
      "throughput phase: {} clients x {} events/batch, {:.1f} s: {} events accepted, {:.0f}/s, "
      "p50 {:.1f} ms p99 {:.1f} ms, {} failed requests\n",
      clients, batch, max.seconds, max.accepted, throughput, Percentile(max.latencies_ms, 0.5),
      Percentile(max.latencies_ms, 0.99), max.failed_requests);
  const double rate = paced_rate > 0 ? paced_rate : throughput / 2;
  PhaseResult paced = RunPhase(url, "", clients, batch, seconds, rate);
  std::cout << fmt::format(
      "latency phase: paced at {:.0f} events/s: {} events accepted, p50 {:.1f} ms p99 {:.1f} ms, "
      "{} failed requests\n",
      rate, paced.accepted, Percentile(paced.latencies_ms, 0.5),
      Percentile(paced.latencies_ms, 0.99), paced.failed_requests);
  (*gateway)->Stop();
  server.join();
  std::cout << fmt::format("BENCH ingest events_per_s={:.0f} p50_ms={:.1f} p99_ms={:.1f}\n",
                           throughput, Percentile(paced.latencies_ms, 0.5),
                           Percentile(paced.latencies_ms, 0.99));
  return max.failed_requests + paced.failed_requests > 0 ? 1 : 0;
}
