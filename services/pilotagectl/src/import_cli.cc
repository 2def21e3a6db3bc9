#include <cstdlib>

#include "CLI/CLI.hpp"
#include "pilotage/pilotagectl/import.h"

namespace pilotage::pilotagectl {

CLI::App* AddImportCommand(CLI::App& app, ImportOptions& o) {
  auto* cmd = app.add_subcommand(
      "import",
      "load an operator's file of activity events (NDJSON or CSV, docs/import.md) into the log; "
      "with --data (before `import`), also count the events the projector already folded");
  cmd->add_option("--operator", o.operator_id, "the operator whose events the file holds")
      ->required();
  cmd->add_option("--file", o.files,
                  "the file (streamed; .csv, .ndjson or .jsonl); repeat it to import several "
                  "files at once (all validated before anything is written)")
      ->required();
  cmd->add_option("--format", o.format, "ndjson or csv (default: from the file's extension)")
      ->check(CLI::IsMember({"ndjson", "csv"}));
  cmd->add_option("--type", o.type,
                  "CSV only: the event type of every line (request_received, appointment_held, "
                  "appointment_missed, deliverable_issued, journey_closed, survey_answered); "
                  "default: the type the file's name ends with (2024-appointment_held.csv)");
  cmd->add_flag("--skip-invalid", o.skip_invalid,
                "write the valid lines even if some are refused (default: nothing is written "
                "unless the whole file validates)");
  cmd->add_option("--report", o.report, "also write the report to this file, as JSON");
  cmd->add_flag("--dry-run", o.dry_run, "validate and report only, write nothing");
  cmd->add_option("--lots", o.lots_file,
                  "the lot file: which lots the operator holds, contract starts "
                  "(deploy/lots/cep-2024-lots.json)")
      ->envname("PILOTAGE_LOTS_FILE")
      ->required();
  cmd->add_option("--bootstrap", o.bootstrap, "Kafka bootstrap servers host:port")
      ->envname("PILOTAGE_KAFKA_BOOTSTRAP");
  cmd->add_option("--topic", o.activity_topic, "activity topic")->capture_default_str();
  cmd->add_option("--contract-topic", o.contract_topic,
                  "contract topic (the HistoryImported record)")
      ->capture_default_str();
  const char* user = std::getenv("USER");
  o.imported_by = user && *user ? user : "unknown";
  cmd->add_option("--by", o.imported_by, "who runs the import (recorded)")
      ->envname("PILOTAGE_USER")
      ->capture_default_str();
  return cmd;
}

}  // namespace pilotage::pilotagectl
