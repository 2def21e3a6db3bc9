#pragma once
// The pilots' steering commands (issue #5): award a lot, record a review,
// open and close corrective actions, record an operator's observations,
// confirm or waive a penalty, issue a payment statement; and the reports
// over the steering read model: a lot's penalty ledger, its actions, a
// period's payment statement.
//
// Every writing command works the same way:
//  1. it validates its input and, against the projector's store (opened
//     read-only, one snapshot, as `pilotagectl kpis` does), the state it
//     changes: unknown lot (no LotAwarded folded), unknown penalty or action,
//     a decision on a penalty already decided, confirming before the
//     observation deadline without observations, bad dates ("YYYY-MM-DD"),
//     bad periods, negative amounts. A refusal names the field (the flag) in
//     its message, sends nothing and maps to an exit code through
//     service::ExitCodeFor: kInvalidArgument (2) for bad input,
//     kFailedPrecondition (3) for a step the procedure does not allow,
//     kNotFound (5) for an unknown lot, penalty or action;
//  2. it builds one contract event with a deterministic event id derived
//     from its content (so a retry after a timeout is deduplicated by the
//     projector, never counted twice) and checks it with
//     readmodel::CheckSteeringEvent (libs/readmodel, the fold's own check);
//  3. it writes it to the contract topic, keyed by lot, with acks=all (the
//     idempotent libs/kafka Producer), and prints where it landed; with
//     `dry_run` it prints the event as JSON (protobuf's mapping, proto field
//     names) instead and sends nothing.
//
// The store reflects what the projector has folded so far: a step written
// a moment ago may not be visible yet; the projector folds it in any order.
//
// `on` (`--on`) is the day the step happened, Europe/Paris, default today;
// never in the future. Its event's occurred_at is noon (Paris) of that day,
// or now when it is today. Deadlines are checked against it.
//
// Text for pilots is French (labels, states "proposée", "observations
// reçues", "confirmée", "abandonnée"); `json` outputs have English keys.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "pilotage/topics/topics.h"

namespace pilotage::pilotagectl {

// Where and how a writing command sends its event.
struct EmitOptions {
  // Kafka bootstrap servers; required unless dry_run.
  std::string bootstrap;
  std::string topic = pilotage::topics::kContract;
  // Print the event as JSON instead of sending it.
  bool dry_run = false;
};

// What every steering command shares.
struct SteeringCommon {
  // The projector's data directory (its `current` link names the store).
  std::filesystem::path data_dir;
  std::string lot;
  // "YYYY-MM-DD"; empty: today in Europe/Paris.
  std::string on;
  EmitOptions emit;
};

struct AwardOptions {
  SteeringCommon common;
  // A JSON file holding a LotAwarded in protobuf's JSON mapping; the flags
  // below fill what it leaves empty.
  std::filesystem::path file;
  std::string region;
  std::string region_code;
  std::string operator_id;
  std::string operator_name;
  std::vector<std::string> departements;
  std::string start_date;
  std::string end_date;
  // The same envelope for each contract year of the lot (start to end).
  std::optional<int64_t> annual_budget_cents;
  // Per contract year, "N=CENTS" (e.g. "1=1200000000"); wins over the above.
  std::vector<std::string> budgets;
};

struct ReviewOptions {
  SteeringCommon common;
  std::string id;  // default "REV-<lot>-<period>-<held_on>"
  std::string period;
  std::string held_on;  // default: `on`
  std::vector<std::string> findings;
  std::vector<std::string> decisions;
};

struct ActionOpenOptions {
  SteeringCommon common;
  std::string id;  // default derived from the content: "ACT-<8 hex>"
  std::string kpi_id;
  std::string finding;
  std::string period;
  std::string due_date;
  std::string description;
  std::string by;
};

struct ActionCloseOptions {
  SteeringCommon common;
  std::string id;
  std::string closed_on;  // default: `on`
  std::string evidence;
  std::string by;
};

struct ObservationsOptions {
  SteeringCommon common;
  std::string penalty_id;
  std::string text;
  std::filesystem::path text_file;
  std::string received_on;  // default: `on`
};

struct DecisionOptions {
  SteeringCommon common;
  std::string penalty_id;
  std::string by;
  std::string reason;  // required to waive
};

struct ReportOptions {
  SteeringCommon common;
  bool json = false;
};

struct StatementOptions {
  SteeringCommon common;
  std::string period;
  bool json = false;
  // Emit PaymentStatementIssued (only for a closed period), once the store
  // has folded every partition of the activity and contract topics up to
  // their end offsets (readmodel::OpenTrusted, waiting up to catch_up_wait):
  // otherwise readmodel::IsStoreNotTrusted, exit code
  // service::kExitStoreNotTrusted. Needs Kafka even with --dry-run.
  bool issue = false;
  std::string by;
  std::string activity_topic = pilotage::topics::kActivity;
  absl::Duration catch_up_wait = absl::ZeroDuration();
};

[[nodiscard]] absl::Status AwardLot(const AwardOptions& options, std::ostream& out);
[[nodiscard]] absl::Status RecordReview(const ReviewOptions& options, std::ostream& out);
[[nodiscard]] absl::Status OpenAction(const ActionOpenOptions& options, std::ostream& out);
[[nodiscard]] absl::Status CloseAction(const ActionCloseOptions& options, std::ostream& out);
[[nodiscard]] absl::Status RecordObservations(const ObservationsOptions& options,
                                              std::ostream& out);
[[nodiscard]] absl::Status ConfirmPenalty(const DecisionOptions& options, std::ostream& out);
[[nodiscard]] absl::Status WaivePenalty(const DecisionOptions& options, std::ostream& out);

// The lot's penalties: id, period, rule, amount, state, observation
// deadline, decision; then those past their deadline still undecided.
[[nodiscard]] absl::StatusOr<nlohmann::json> LedgerJson(const ReportOptions& options);
[[nodiscard]] absl::Status PrintLedger(const ReportOptions& options, std::ostream& out);

// The lot's corrective actions: id, KPI or finding, period, due date, state
// (open, late by N days on `on`, closed on a day).
[[nodiscard]] absl::StatusOr<nlohmann::json> ActionsJson(const ReportOptions& options);
[[nodiscard]] absl::Status PrintActions(const ReportOptions& options, std::ostream& out);

// The statements issued for the lot (period, net, fund usage, who issued
// them) and its reviews (period, day, findings, decisions), by id.
[[nodiscard]] absl::StatusOr<nlohmann::json> StatementsJson(const ReportOptions& options);
[[nodiscard]] absl::Status PrintStatements(const ReportOptions& options, std::ostream& out);
[[nodiscard]] absl::StatusOr<nlohmann::json> ReviewsJson(const ReportOptions& options);
[[nodiscard]] absl::Status PrintReviews(const ReportOptions& options, std::ostream& out);

// The period's payment statement (domain::ComputeStatement); with `issue`,
// also emits it (kFailedPrecondition while the period is not closed on `on`).
[[nodiscard]] absl::StatusOr<nlohmann::json> StatementJson(const StatementOptions& options);
[[nodiscard]] absl::Status PrintStatement(const StatementOptions& options, std::ostream& out);

// A deterministic event id: "<prefix>-" and 16 hex digits of a 64-bit
// FNV-1a hash of `parts` (separated).
std::string ContentEventId(std::string_view prefix, const std::vector<std::string>& parts);

}  // namespace pilotage::pilotagectl
