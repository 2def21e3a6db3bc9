#pragma once
// The penalty job's run, as a Prometheus textfile for node_exporter's
// textfile collector (--collector.textfile.directory): written through
// prometheus-cpp (libs/metrics Serialize) to PATH.tmp, then renamed over PATH,
// so the collector never reads half a file.
//
// Series (gauges; amounts in euro cents, times in Unix seconds):
//   pilotage_penalty_job_last_run_timestamp_seconds      every run
//   pilotage_penalty_job_last_success_timestamp_seconds  last successful run
//                                                        (kept from the file
//                                                        when this run failed)
//   pilotage_penalty_job_last_run_success                1 or 0
//   pilotage_penalty_job_periods_evaluated               lots evaluated for the
//                                                        period by the last run
//   pilotage_penalty_job_events_sent                     events sent by it
//   pilotage_penalty_job_proposals{lot}                  proposals with an
//                                                        amount, last run
//   pilotage_penalty_job_amount_cents{lot}               their total
//   pilotage_penalty_job_next_period_closing_timestamp_seconds
//       when the period after the latest one evaluated successfully closes
//       (Paris midnight of its closing day); never moves back (the max of the
//       file's and this run's), so rerunning an old period cannot hide a
//       missed one. The alert PilotagePenaltyJobNotRun compares it to time().
// The lot label has at most one value per contract lot (16): bounded.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pilotage::penalty_job {

struct RunMetrics {
  absl::Time run_at;
  bool success = false;
  int64_t periods_evaluated = 0;
  int64_t events_sent = 0;
  std::map<std::string, int64_t> proposals_by_lot;
  std::map<std::string, int64_t> amount_cents_by_lot;
  std::optional<absl::Time> next_period_closing;
};

// The text for `run`, given the previous file's text ("" when none).
std::string MetricsText(const RunMetrics& run, const std::string& previous);

// Writes MetricsText to `path` (reading the previous file first).
// kUnavailable naming the path when it cannot be written.
[[nodiscard]] absl::Status WriteMetricsTextfile(const std::filesystem::path& path,
                                                const RunMetrics& run);

}  // namespace pilotage::penalty_job
