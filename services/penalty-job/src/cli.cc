// The pilotage-penalty-job command line (include/pilotage/penalty_job/cli.h).
#include "pilotage/penalty_job/cli.h"

#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/kafka/kafka.h"
#include "pilotage/penalty_job/job.h"
#include "pilotage/service/env.h"
#include "pilotage/service/service.h"

namespace pilotage::penalty_job {

int RunCli(int argc, const char* const* argv) {
  CLI::App app{
      "pilotage-penalty-job: for a closed period, proposes the penalties the contract terms "
      "price and opens the corrective actions they require (PenaltyProposed, "
      "CorrectiveActionOpened on the contract topic), with a French report. A period priced once "
      "is never priced again: a second run, on any day, reports the ledger's amounts and "
      "actions and sends nothing new.\n"
      "The events of a run are sent in one Kafka transaction (transactional.id "
      "pilotage-penalty-job by default): readers see all of them or none, and a job started "
      "while another is sending fences the earlier one.\n"
      "Before pricing, the job reads the end offsets of every partition of the activity and "
      "contract topics and refuses a store that has not folded them all (a partition missing, "
      "e.g. two projectors in one consumer group, or behind after --catch-up-wait), or that "
      "knows an awarded lot without its terms.\n"
      "Exit codes: 0 ok; 2 bad usage or input; 3 a precondition (e.g. no store); 4 Kafka "
      "unavailable (nothing of the run visible: rerun); 5 not found (lot, store, terms file); "
      "7 the period is not closed yet; 9 fenced: another penalty job with the same "
      "transactional.id took over, this one sent nothing; 10 the store cannot be trusted "
      "(partitions missing or behind, named with by how much, or an awarded lot without "
      "terms): nothing priced or sent; 11 Kafka refused this program's principal "
      "(credentials or ACLs to fix)."};
  app.set_config("--config", "", "read options from this TOML/INI file");
  JobOptions options;
  std::string data_dir = service::EnvOr("PILOTAGE_PROJECTOR_DATA", "data/projector");
  std::string report, draft, textfile, today, catch_up_wait = "60s";
  service::LoggingOptions logging{.level = "warn"};
  app.add_option("--period", options.period,
                 "2024-Q2 (quarter), 2024-05 (month), 2024 (year), or previous-quarter / "
                 "previous-month (the last one ended before today)")
      ->required();
  app.add_option("--lot", options.lots, "only this lot (repeatable); default: every lot");
  app.add_option("--data", data_dir, "the projector's data directory (holds current -> store)")
      ->envname("PILOTAGE_PROJECTOR_DATA")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir, "same as --data");
  app.add_option("--bootstrap", options.bootstrap,
                 "Kafka bootstrap servers host:port (required: the store is checked against the "
                 "log's end offsets)")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  std::string kafka_config;
  app.add_option("--kafka-config", kafka_config, kafka::kClientConfigHelp)
      ->envname("PILOTAGE_KAFKA_CONFIG");
  app.add_option("--topic", options.topic, "the contract topic")->capture_default_str();
  app.add_option("--activity-topic", options.activity_topic,
                 "the activity topic (the store must have folded it too)")
      ->capture_default_str();
  app.add_option("--catch-up-wait", catch_up_wait,
                 "how long to wait for the projector to fold the log up to the end offsets read "
                 "at start (e.g. 60s, 5m, 0s), before refusing with exit code 10")
      ->envname("PILOTAGE_PENALTY_JOB_CATCH_UP_WAIT")
      ->capture_default_str();
  app.add_option("--transactional-id", options.transactional_id,
                 "the sender's Kafka transactional.id: one job at a time per id, the latest to "
                 "send fences the others")
      ->envname("PILOTAGE_PENALTY_JOB_TRANSACTIONAL_ID")
      ->capture_default_str();
  app.add_option("--report", report, "also write the report as JSON to this file");
  app.add_option("--terms", draft, "draft terms (text format) for --what-if");
  app.add_flag("--what-if", options.what_if,
               "evaluate --terms instead of the terms in force, print the difference, send "
               "nothing");
  app.add_flag("--dry-run", options.dry_run,
               "plan and print, send nothing (the events are printed on stderr as JSON)");
  app.add_option("--metrics-textfile", textfile,
                 "write the run's Prometheus metrics to this file (node_exporter textfile "
                 "collector); real runs only")
      ->envname("PILOTAGE_PENALTY_JOB_TEXTFILE");
  app.add_option("--today", today,
                 "the day the job considers it is, YYYY-MM-DD (default: today in Paris): the "
                 "operator is notified that day, the observation deadline runs from it; for "
                 "replays and tests");
  service::AddLoggingOptions(app, logging);
  constexpr const char* kProgram = "pilotage-penalty-job";
  if (auto code = service::ParseCommandLine(app, argc, argv, logging, kProgram)) {
    return *code;
  }
  if (auto s = kafka::InstallClientConfig(kafka_config); !s.ok()) {
    return service::Fail(kProgram, s);
  }
  options.data_dir = data_dir;
  options.report_file = report;
  options.draft_terms = draft;
  options.metrics_textfile = textfile;
  if (!absl::ParseDuration(catch_up_wait, &options.catch_up_wait) ||
      options.catch_up_wait < absl::ZeroDuration()) {
    return service::Fail(kProgram, absl::InvalidArgumentError(fmt::format(
                                       "--catch-up-wait: '{}' is not a duration (e.g. 60s, 5m, 0s)",
                                       catch_up_wait)));
  }
  if (!today.empty()) {
    auto day = domain::ParseDay(today);
    if (!day.ok()) {
      return service::Fail(kProgram, absl::InvalidArgumentError(fmt::format(
                                         "--today: {}", std::string(day.status().message()))));
    }
    options.today = *day;
  }
  absl::Status result = RunJob(options, std::cout, std::cerr);
  if (result.ok()) return 0;
  service::Fail(kProgram, result);
  return ExitCode(result);
}

}  // namespace pilotage::penalty_job
