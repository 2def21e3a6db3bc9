#pragma once
// pilotage-penalty-job: for a closed period, reads one consistent view of the
// projector's store (a read-only instance, libs/readmodel: decision 0006),
// plans every lot one at a time (plan.h; one lot's journeys in memory at
// once), prints the report (report.h), and sends to the contract topic the
// PenaltyProposed and CorrectiveActionOpened events that are not in the
// ledger yet (acks=all, key = lot), all in one Kafka transaction under a
// stable transactional.id (decision 0026): readers see all of them or none,
// and a second job started with the same id fences this one, which then
// sends nothing. Running it again sends nothing new: a period priced once is
// reported from the ledger, never re-priced (decision 0027). Each proposal
// records the store's folded positions it was computed from.
//
// Before planning, the job reads the end offsets of every partition of the
// activity and contract topics (Kafka is needed for every run) and opens the
// store only once it has folded them all (readmodel/coverage.h: OpenTrusted,
// waiting up to catch_up_wait for the projector); it also refuses a store in
// which a lot planned is awarded but has no terms. Decision 0028.
//
// Exit codes (ExitCode): those of libs/service (ExitCodeFor),
// kExitPeriodNotClosed when the period is still open for a lot evaluated,
// service::kExitFencedOut when another job took over the transactional.id,
// and service::kExitStoreNotTrusted when the store misses partitions, is
// behind, or lacks an awarded lot's terms (nothing planned or sent).

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "pilotage/topics/topics.h"

namespace pilotage::penalty_job {

// The period is not closed yet (see IsPeriodNotClosed): distinct from 3, the
// other failed preconditions, so that a timer can tell "too early" apart.
inline constexpr int kExitPeriodNotClosed = 7;

struct JobOptions {
  // The projector's data directory (its `current` link names the store).
  std::filesystem::path data_dir;
  // "2024-Q2", "2024-05", "2024", or "previous-quarter" / "previous-month"
  // (the last one that ended before today).
  std::string period;
  // Only these lots; empty: every lot of the store.
  std::vector<std::string> lots;
  // Kafka: the end offsets checked against the store, and the sending.
  std::string bootstrap;
  std::string topic = pilotage::topics::kContract;
  // The activity topic, which the store must have folded too.
  std::string activity_topic = pilotage::topics::kActivity;
  // How long to wait for the projector to fold both topics up to the end
  // offsets read when the job starts, reopening the store; then refuse.
  absl::Duration catch_up_wait = absl::Seconds(60);
  // The sender's identity (Kafka transactional.id): one job at a time per
  // id; the latest to start sending fences the others. Distinct ids only for
  // jobs that must never exclude each other (e.g. separate test runs).
  std::string transactional_id = "pilotage-penalty-job";
  // Also write the report as JSON to this file (replaced atomically).
  std::filesystem::path report_file;
  // With what_if: evaluate these draft terms (text format) instead of those
  // in force and print the difference; nothing is sent.
  std::filesystem::path draft_terms;
  bool what_if = false;
  // Plan and print, send nothing (the events are printed on stderr as JSON
  // lines).
  bool dry_run = false;
  // Prometheus textfile (node_exporter's textfile collector), written by real
  // runs only (not --dry-run or --what-if), success or failure.
  std::filesystem::path metrics_textfile;
  // The day the job runs, Europe/Paris; nullopt: today.
  std::optional<absl::CivilDay> today;
  // The instant stamped on events and metrics; nullopt: now.
  std::optional<absl::Time> now;
  // Tests only: called on the job's thread once every event is written in
  // the open transaction, just before it is committed.
  std::function<void()> before_commit;
};

// Runs the job: the report on `out`, what was sent (or why not) on `err`.
[[nodiscard]] absl::Status RunJob(const JobOptions& options, std::ostream& out, std::ostream& err);

// The process exit code for RunJob's result (see the top of this file).
int ExitCode(const absl::Status& status);

// Resolves --period: the canonical forms, or "previous-quarter" /
// "previous-month" relative to `today`. kInvalidArgument naming the flag.
[[nodiscard]] absl::StatusOr<std::string> ResolvePeriod(const std::string& text,
                                                        absl::CivilDay today);

}  // namespace pilotage::penalty_job
