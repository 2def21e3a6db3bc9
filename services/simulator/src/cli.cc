#include "pilotage/simulator/cli.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/service/logging.h"
#include "pilotage/simulator/lots.h"
#include "pilotage/simulator/progress.h"
#include "pilotage/simulator/simulator.h"
#include "pilotage/simulator/sinks.h"

#ifndef PILOTAGE_SIMULATOR_DEFAULT_LOTS
#define PILOTAGE_SIMULATOR_DEFAULT_LOTS "deploy/lots/cep-2024-lots.json"
#endif

namespace pilotage::simulator {

namespace {

constexpr int kRunFailed = 1;
constexpr int kUsage = 2;

int Fail(int code, std::string_view message) {
  fmt::print(stderr, "pilotage-simulator: {}\n", message);
  return code;
}

}  // namespace

int RunCli(int argc, const char* const* argv) {
  CLI::App app{
      "pilotage-simulator: generates a realistic, deterministic national year (or more) of CEP "
      "activity events for the regional lots of a lot file, and sends them in recorded_at order "
      "to Kafka, to an NDJSON file, or nowhere (--dry-run). Prints what it sent, per lot and "
      "event type.\n\nExit codes: 0 done, 1 the run failed (broker, deliveries, writes), 2 bad "
      "usage or lot file."};
  app.set_help_flag("-h,--help", "Print this help and exit");

  std::string lots_path = PILOTAGE_SIMULATOR_DEFAULT_LOTS;
  SimulationOptions options;
  std::string bootstrap, ndjson_path, summary_path;
  KafkaSinkOptions kafka;
  bool dry_run = false, quiet = false;

  app.add_option("--lots", lots_path, "Lot file (JSON): lots, operators, départements, profiles")
      ->type_name("FILE")
      ->capture_default_str();
  int lots_multiplier = 1;
  app.add_option("--lots-multiplier", lots_multiplier,
                 "A contract N times larger (benchmarks): each lot and N-1 copies (LOT-11-2, …), "
                 "each with its lot's volume (--beneficiaries is multiplied by N); award them with "
                 "`pilotagectl contract publish --lots-multiplier N`")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--lot", options.only_lots,
                 "Generate only this lot (repeatable); a lot's events do not depend on the others")
      ->type_name("LOT-ID");
  app.add_option("--seed", options.seed, "Seed: same seed and options give identical output")
      ->capture_default_str();
  app.add_option("--years", options.years, "Years to simulate, from the contract start 2024-01-02")
      ->capture_default_str();
  app.add_option("--run-on", options.run_on_days,
                 "Days past the window's end during which started journeys run on (no new "
                 "request), e.g. 31 so that the last quarter's closing sees early January")
      ->type_name("DAYS")
      ->capture_default_str();
  app.add_option("--beneficiaries", options.beneficiaries_per_year,
                 "New beneficiaries per year nationally, split by working population")
      ->capture_default_str();
  app.add_option("--scale", options.scale,
                 "Multiplies the volume, in (0, 10] (e.g. 0.05 for tests)")
      ->capture_default_str();
  app.add_option("--late-rate", options.late_rate,
                 "Share of events reported days late (LATE_REPORTING lots: at least 0.25)")
      ->capture_default_str();
  app.add_option("--resend-rate", options.resend_rate,
                 "Share of events sent twice with the same event_id")
      ->capture_default_str();
  auto* to_kafka = app.add_option("--to-kafka", bootstrap,
                                  "Send to Kafka at BOOTSTRAP (host:port), key = lot id, value = "
                                  "protobuf Event; recorded_at set here, as the gateway would")
                       ->type_name("BOOTSTRAP");
  app.add_option("--topic", kafka.topic, "Topic for --to-kafka")
      ->type_name("NAME")
      ->capture_default_str();
  GatewaySinkOptions gateway;
  auto* to_gateway =
      app.add_option("--to-gateway", gateway.url,
                     "Send through the ingest gateway at URL (the operators' real path), as "
                     "protobuf EventBatch requests with each operator's token")
          ->type_name("URL");
  auto* token_template =
      app.add_option("--token-template", gateway.token_template,
                     "Bearer token of an operator for --to-gateway; {operator} is its id "
                     "(scripts/demo-tokens makes one for a local demonstration)")
          ->type_name("T");
  to_gateway->needs(token_template);
  auto* replay = app.add_flag("--replay-clock", gateway.replay_clock,
                              "With --to-gateway: send each request's recording time in "
                              "X-Pilotage-Replay-Time (the gateway must run with --replay-clock)");
  app.add_option("--batch-events", gateway.batch_events, "Events per request for --to-gateway")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  auto* ndjson = app.add_option("--ndjson", ndjson_path,
                                "Write events as JSON lines (v1 mapping) to FILE, '-' for stdout")
                     ->type_name("FILE");
  auto* dry = app.add_flag("--dry-run", dry_run, "Generate and summarise only");
  app.add_option("--summary-json", summary_path,
                 "Also write the summary (counts per lot and type, resends, late events, "
                 "beneficiaries) as JSON to FILE")
      ->type_name("FILE");
  app.add_flag("-q,--quiet", quiet, "No progress display");
  service::LoggingOptions logging;
  service::AddLoggingOptions(app, logging);
  std::string kafka_config;
  app.add_option("--kafka-config", kafka_config, kafka::kClientConfigHelp)
      ->envname("PILOTAGE_KAFKA_CONFIG");
  to_kafka->excludes(ndjson)->excludes(dry)->excludes(to_gateway);
  to_gateway->excludes(ndjson)->excludes(dry);
  replay->needs(to_gateway);
  ndjson->excludes(dry);
  app.footer(
      "Examples:\n"
      "  pilotage-simulator --dry-run\n"
      "  pilotage-simulator --scale 0.05 --seed 7 --ndjson events.ndjson --summary-json sum.json\n"
      "  pilotage-simulator --to-kafka 127.0.0.1:9092 --years 2 --summary-json sent.json\n"
      "  pilotage-simulator --to-gateway http://127.0.0.1:8080 --token-template \"$(cat "
      "build/demo/tokens/token-template)\" --replay-clock");

  if (auto code = service::ParseCommandLine(app, argc, argv, logging, "pilotage-simulator")) {
    return *code;
  }
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return Fail(kUsage, std::string(s.message()));
  }
  if (!dry_run && ndjson_path.empty() && bootstrap.empty() && gateway.url.empty()) {
    return Fail(kUsage,
                "say where events go: --dry-run, --ndjson FILE, --to-kafka BOOTSTRAP or "
                "--to-gateway URL (try --help)");
  }

  auto lots = LoadLots(lots_path, lots_multiplier);
  if (!lots.ok()) return Fail(kUsage, lots.status().ToString());
  // Beneficiaries are split by working population: each copy keeps its lot's volume.
  options.beneficiaries_per_year *= lots_multiplier;
  if (absl::Status s = ValidateOptions(options, *lots); !s.ok()) return Fail(kUsage, s.ToString());

  std::ofstream summary_file;
  if (!summary_path.empty()) {
    summary_file.open(summary_path, std::ios::binary | std::ios::trunc);
    if (!summary_file)
      return Fail(kUsage, fmt::format("--summary-json {}: cannot write", summary_path));
  }

  std::unique_ptr<EventSink> sink;
  std::ofstream ndjson_file;
  KafkaSink* kafka_sink = nullptr;
  GatewaySink* gateway_sink = nullptr;
  const bool events_on_stdout = ndjson_path == "-";
  if (!gateway.url.empty()) {
    auto created = GatewaySink::Create(gateway);
    if (!created.ok()) return Fail(kRunFailed, created.status().ToString());
    gateway_sink = created->get();
    sink = std::move(*created);
  } else if (!bootstrap.empty()) {
    kafka.bootstrap = bootstrap;
    auto created = KafkaSink::Create(kafka);
    if (!created.ok()) return Fail(kRunFailed, created.status().ToString());
    kafka_sink = created->get();
    sink = std::move(*created);
  } else if (!ndjson_path.empty()) {
    std::ostream* out = &std::cout;
    if (!events_on_stdout) {
      ndjson_file.open(ndjson_path, std::ios::binary | std::ios::trunc);
      if (!ndjson_file) return Fail(kUsage, fmt::format("--ndjson {}: cannot write", ndjson_path));
      out = &ndjson_file;
    }
    sink = std::make_unique<NdjsonSink>(out);
  } else {
    sink = std::make_unique<DiscardSink>();
  }

  std::unique_ptr<ProgressPrinter> progress;
  if (!quiet) progress = std::make_unique<ProgressPrinter>(stderr, isatty(STDERR_FILENO) == 1);

  const auto start = std::chrono::steady_clock::now();
  auto summary = Simulate(*lots, options, *sink, progress.get());
  if (!summary.ok()) {
    if (kafka_sink != nullptr) {
      fmt::print(stderr, "kafka {}: {} acknowledged, {} failed before the run stopped\n",
                 kafka.topic, kafka_sink->acknowledged(), kafka_sink->failed());
    }
    return Fail(kRunFailed, summary.status().ToString());
  }
  const absl::Status finished = sink->Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::FILE* report = events_on_stdout ? stderr : stdout;
  fmt::print(report, "{}", summary->ToTable());
  const int64_t messages = summary->Total().Messages();
  fmt::print(report, "{:.1f} s, {:.0f} messages/s{}\n", seconds,
             seconds > 0 ? static_cast<double>(messages) / seconds : 0.0,
             kafka_sink == nullptr
                 ? ""
                 : fmt::format("; kafka {}: {} acknowledged, {} failed", kafka.topic,
                               kafka_sink->acknowledged(), kafka_sink->failed()));
  if (gateway_sink != nullptr) {
    fmt::print(report, "gateway {}: {} requests, {} events accepted, {} refused{}\n", gateway.url,
               gateway_sink->requests(), gateway_sink->accepted(), gateway_sink->refused(),
               gateway_sink->refused() > 0 ? " (" + gateway_sink->RefusalsByReason() + ")" : "");
  }
  std::fflush(report);
  if (summary_file.is_open()) {
    summary_file << summary->ToJson();
    summary_file.close();
    if (!summary_file) {
      return Fail(kRunFailed, fmt::format("--summary-json {}: write failed", summary_path));
    }
  }
  if (!finished.ok()) return Fail(kRunFailed, finished.ToString());
  return 0;
}

}  // namespace pilotage::simulator
