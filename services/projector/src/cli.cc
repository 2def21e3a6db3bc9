// The pilotage-projector command line (include/pilotage/projector/cli.h).
#include "pilotage/projector/cli.h"

#include <chrono>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/projector/projector.h"
#include "pilotage/service/env.h"
#include "pilotage/service/service.h"

namespace pilotage::projector {

int RunCli(int argc, const char* const* argv) {
  service::StopSignal stop_signal;

  CLI::App app{
      "pilotage-projector: folds pilotage's Kafka event log exactly once into RocksDB "
      "read models"};
  app.set_config("--config", "", "read options from this TOML/INI file");
  app.footer(
      "Exit codes: 0 ok; 1 other errors; 2 bad usage or input; 3 a precondition is not met "
      "(e.g. a store to rebuild); 4 Kafka or the disk unavailable, retry later; 5 not found; "
      "6 already exists; 8 a source topic does not keep its whole log (compacted, or finite "
      "retention.ms / retention.bytes): set what the message says (docs/operations.md, "
      "\"Retention guard\"); 11 Kafka refused this program's principal (credentials or "
      "ACLs to fix).");
  app.require_subcommand(1);
  ProjectorOptions options;
  std::string data_dir = service::EnvOr("PILOTAGE_PROJECTOR_DATA", "data/projector");
  service::LoggingOptions logging;
  int batch_ms = static_cast<int>(options.batch_wait.count());
  app.add_option("--bootstrap", options.bootstrap, "Kafka bootstrap servers host:port")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  std::string kafka_config;
  app.add_option("--kafka-config", kafka_config, kafka::kClientConfigHelp)
      ->envname("PILOTAGE_KAFKA_CONFIG");
  app.add_option("--data", data_dir, "data directory (holds current -> store)")
      ->envname("PILOTAGE_PROJECTOR_DATA")
      ->capture_default_str();
  app.add_option("--projection", options.projection,
                 "read models folded: cep (CEP journeys, KPIs inputs, activity counts) or "
                 "activity_counts alone")
      ->check(CLI::IsMember({"cep", "activity_counts"}))
      ->capture_default_str();
  app.add_option("--group", options.group_id, "Kafka consumer group")->capture_default_str();
  app.add_option("--instance-id", options.instance_id,
                 "static group membership id, stable across restarts of this process")
      ->envname("PILOTAGE_PROJECTOR_INSTANCE");
  app.add_option("--topics", options.topics, "topics to fold")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--rejected-topic", options.rejected_topic,
                 "which of --topics holds the gateway's refusals, counted for the data-quality "
                 "page and not held to the retention guard (empty: none)")
      ->capture_default_str();
  app.add_option("--dead-letter-topic", options.dead_letter_topic)->capture_default_str();
  service::AddLoggingOptions(app, logging);
  int end_offsets_ms = static_cast<int>(options.end_offsets_interval.count());
  auto add_metrics_options = [&](CLI::App* command) {
    command
        ->add_option("--metrics-port", options.metrics_port,
                     "serve Prometheus metrics at /metrics on this port (0: a free one, "
                     "logged; -1: none)")
        ->envname("PILOTAGE_PROJECTOR_METRICS_PORT")
        ->check(CLI::Range(-1, 65535))
        ->capture_default_str();
    command
        ->add_option("--metrics-address", options.metrics_address,
                     "address the metrics server listens on")
        ->envname("PILOTAGE_PROJECTOR_METRICS_ADDRESS")
        ->capture_default_str();
  };

  auto* run = app.add_subcommand("run", "consume and fold until SIGTERM/SIGINT");
  run->add_option("--batch-events", options.batch_events, "events per atomic batch")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  run->add_option("--batch-ms", batch_ms, "longest wait before a batch is written, ms")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  run->add_flag("--sync", options.sync, "fsync the WAL on every batch");
  run->add_flag("--until-caught-up", options.until_caught_up,
                "stop once every assigned partition is folded to its end");
  add_metrics_options(run);
  std::string backup_every = "1h";
  run->add_option("--backup-dir", options.backup_dir,
                  "take online backups (RocksDB checkpoints) into this directory, as "
                  "backup-<UTC time>; none when empty. Put it on another disk to survive the "
                  "loss of the store's")
      ->envname("PILOTAGE_PROJECTOR_BACKUP_DIR");
  run->add_option("--backup-every", backup_every,
                  "time between two backups, e.g. 30m, 6h (the first one after this long)")
      ->envname("PILOTAGE_PROJECTOR_BACKUP_EVERY")
      ->capture_default_str();
  run->add_option("--backup-keep", options.backup_keep, "how many newest backups are kept")
      ->envname("PILOTAGE_PROJECTOR_BACKUP_KEEP")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  run->add_option("--metrics-offsets-ms", end_offsets_ms,
                  "how often end offsets are asked of Kafka for the lag metrics, ms")
      ->check(CLI::Range(100, 3600000))
      ->capture_default_str();

  auto* status = app.add_subcommand("status", "per partition: offsets, lag, counters");
  bool json = false;
  status->add_flag("--json", json, "print JSON");

  auto* rebuild = app.add_subcommand(
      "rebuild", "replay the log from offset 0 into a new store, then switch to it");
  std::string into;
  rebuild->add_option("--into", into, "new store directory (must not exist)")->required();
  add_metrics_options(rebuild);

  auto* checkpoint = app.add_subcommand(
      "checkpoint",
      "copy the current store into a new directory, consistent (the projector stopped; "
      "hard links on the same filesystem)");
  std::string checkpoint_into;
  checkpoint->add_option("--into", checkpoint_into, "new directory (must not exist)")->required();
  auto* restore = app.add_subcommand(
      "restore",
      "lay a backup as the store of a new data directory (--data DIR): DIR/current then "
      "points to it, and `run` catches up from the offsets it holds");
  std::string restore_from;
  restore
      ->add_option("--from", restore_from,
                   "a backup (backup-<time> directory), or a backup directory: its newest")
      ->required();
  app.add_subcommand("digest", "print the state digest of the current store");
  app.add_subcommand("counts", "print the activity counts of the current store");

  if (auto code = service::ParseCommandLine(app, argc, argv, logging, "pilotage-projector")) {
    return *code;
  }
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return service::Fail("pilotage-projector", s);
  }
  options.data_dir = data_dir;
  options.batch_wait = std::chrono::milliseconds(batch_ms);
  options.end_offsets_interval = std::chrono::milliseconds(end_offsets_ms);
  if (absl::Duration every;
      !absl::ParseDuration(backup_every, &every) || every < absl::Seconds(1)) {
    return service::Fail(
        "pilotage-projector",
        absl::InvalidArgumentError(fmt::format(
            "--backup-every: '{}' is not a duration of at least 1s (e.g. 30m, 6h)", backup_every)));
  } else {
    options.backup_every = std::chrono::seconds(absl::ToInt64Seconds(every));
  }
  const bool needs_kafka = run->parsed() || status->parsed() || rebuild->parsed();
  if (needs_kafka && options.bootstrap.empty()) {
    return service::Fail(
        "pilotage-projector",
        absl::InvalidArgumentError("no Kafka: give --bootstrap or PILOTAGE_KAFKA_BOOTSTRAP"));
  }

  absl::Status result;
  if (run->parsed()) {
    result = Run(options, stop_signal.stopped());
  } else if (status->parsed()) {
    result = PrintStatus(options, json, std::cout);
  } else if (rebuild->parsed()) {
    result = Rebuild(options, into, std::cout);
  } else if (restore->parsed()) {
    result = Restore(options, restore_from, std::cout);
  } else if (checkpoint->parsed()) {
    result = Checkpoint(options, checkpoint_into, std::cout);
  } else if (app.got_subcommand("digest")) {
    auto digest = Digest(options);
    result = digest.status();
    if (digest.ok()) std::cout << *digest << "\n";
  } else {
    result = PrintCounts(options, std::cout);
  }
  if (IsRetentionRefusal(result)) {
    service::Fail("pilotage-projector", result);
    return kExitRetentionRefused;
  }
  return result.ok() ? 0 : service::Fail("pilotage-projector", result);
}

}  // namespace pilotage::projector
