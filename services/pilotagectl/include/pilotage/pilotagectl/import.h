#pragma once
// `pilotagectl import`: loads an operator's file of activity events (NDJSON in
// the v1 JSON mapping, or CSV with one layout per event type, see
// libs/intake/csv.h and docs/import.md) into pilotage.activity.v1, with the
// gateway's validation and personal-data guard (libs/intake).
//
// Which lots the operator holds comes from the lot file (the contract's
// awards, the file `contract publish` reads; decision 0013): an event of a lot
// awarded to someone else is LOT_NOT_ALLOWED, of a lot not in the file
// UNKNOWN_LOT.
//
// Two passes, streamed (never loaded whole, bounded memory):
//   1. read the file once: decode and validate every line, list each refused
//      line (line number, column or field, code, reason), count per event
//      type, SHA-256 of the bytes; the valid events, serialised, go to an
//      anonymous temporary file (about the size of the input);
//   2. unless refused lines and no skip_invalid (kInvalidArgument, nothing
//      written), or dry_run: write the events of the temporary file (key =
//      lot, idempotent producer, acks=all), then, once Kafka acknowledged all
//      of them, one HistoryImported per lot to the contract topic.
// The file is read once, so what is written is exactly what was validated
// and digested, even if the file changes meanwhile.
// recorded_at: kept from the file when the line has one (not in the future),
// else the import's start time.
// Ids: NDJSON keeps the file's; CSV derives them from the operator, type and
// line content; HistoryImported's is "import-<digest prefix>-<lot>": importing
// the same file again adds nothing to the read models. Every event written is
// marked `imported` (data quality counts imported history apart).
// Within the file, a valid line with the event id of an earlier valid line is
// a duplicate: the same content (the event as it would be written) is
// counted once and written once; a different content is refused
// (CONFLICTING_EVENT_ID, naming the earlier line). Ids are remembered as 64-bit
// hashes with their content's hash and line (24 bytes per line: about 50 MB
// for 2,000,000 lines). Already known: with data_dir, each event is looked up
// in the projector's seen ids (projection::DedupCache): folded before the import read the
// file; events sent but not yet folded are not known.
//
// Errors: kInvalidArgument (exit 2) bad options, a bad file (header, no
// event), refused lines without skip_invalid; kNotFound (5) missing file or
// operator with no lot, or data_dir without a store; kUnavailable (4) Kafka did not acknowledge
// everything (re-run the same command: what was written is deduplicated); kInternal (1) the
// temporary file could not be written (disk full).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pilotage/intake/intake.h"
#include "pilotage/topics/topics.h"

namespace CLI {
class App;
}

namespace pilotage::pilotagectl {

struct ImportOptions {
  std::string bootstrap;
  std::string operator_id;
  std::filesystem::path file;
  // Several files in one command (e.g. a year's export, one CSV per event
  // type): every file is validated first, and nothing is written unless all
  // validate (or skip_invalid); then each is imported as `file` would be.
  // A CSV's type is `type`, else the one its name ends with
  // ("2024-appointment_held.csv"). With `report`, one JSON report per file:
  // "<report>.<file name>.json". When set, `file` is ignored.
  std::vector<std::filesystem::path> files;
  // "ndjson" or "csv"; empty: from the extension (.csv, .ndjson/.jsonl).
  std::string format;
  // CSV only: the event type of every line ("appointment_held", …).
  std::string type;
  bool skip_invalid = false;
  // When set, the report is also written there as JSON.
  std::filesystem::path report;
  bool dry_run = false;
  // The lot file (deploy/lots/cep-2024-lots.json): lots, operators, starts.
  std::filesystem::path lots_file;
  std::string activity_topic = pilotage::topics::kActivity;
  std::string contract_topic = pilotage::topics::kContract;
  // Who runs the import, recorded in HistoryImported.
  std::string imported_by;
  // Internal (set by the several-files import for its validation round):
  // the dry run is a validation before writing, not the user's --dry-run.
  bool validating_one_of_several = false;
  // Clock of the import (recorded_at of lines without one); default now.
  absl::Time now = absl::InfinitePast();
  // The projector's data directory (`--data`, when given): the events the
  // projector already folded are counted as already known. Empty: not checked.
  std::filesystem::path data_dir;
};

// What an import did, for callers and tests.
struct ImportSummary {
  int64_t lines = 0;    // data lines (header and blank lines excluded)
  int64_t valid = 0;    // lines that validate
  int64_t refused = 0;  // lines refused
  int64_t written = 0;  // events written (0 unless imported)
  // Valid lines repeating an earlier line of the file (same event id, same
  // content): counted once, not written again.
  int64_t duplicated_in_file = 0;
  // Of the distinct valid events, those the projector of data_dir had
  // already folded when the file was read; -1 when not checked (no data_dir).
  int64_t already_known = -1;
  std::string sha256;
};

// The lots of `operator_id` and every lot's contract start, from a lot file.
// kNotFound when the operator holds no lot of the file; kInvalidArgument for
// a malformed file (naming the lot and field).
[[nodiscard]] absl::StatusOr<std::pair<intake::Sender, intake::LotCalendar>> LoadOperatorLots(
    const std::filesystem::path& lots_file, const std::string& operator_id);

// Runs the import, printing the report (French) on `out` and a progress bar
// on stderr. Returns the summary, or the error that ended the import (the
// report is printed in both cases).
[[nodiscard]] absl::StatusOr<ImportSummary> RunImport(const ImportOptions& options,
                                                      std::ostream& out);

// Adds the `import` subcommand to `app`, its flags bound to `options`.
CLI::App* AddImportCommand(CLI::App& app, ImportOptions& options);

}  // namespace pilotage::pilotagectl
