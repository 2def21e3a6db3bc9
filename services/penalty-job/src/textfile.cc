#include "pilotage/penalty_job/textfile.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <system_error>

#include "fmt/format.h"
#include "pilotage/metrics/metrics.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace pilotage::penalty_job {
namespace {

constexpr char kLastSuccess[] = "pilotage_penalty_job_last_success_timestamp_seconds";
constexpr char kNextClosing[] = "pilotage_penalty_job_next_period_closing_timestamp_seconds";

// The value of an unlabelled series in a previous textfile.
std::optional<double> Previous(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) != 0) continue;
    try {
      return std::stod(line.substr(name.size() + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

prometheus::Gauge& Single(prometheus::Registry& registry, const std::string& name,
                          const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

std::string MetricsText(const RunMetrics& run, const std::string& previous) {
  prometheus::Registry registry;
  const double now = static_cast<double>(absl::ToUnixSeconds(run.run_at));
  Single(registry, "pilotage_penalty_job_last_run_timestamp_seconds",
         "When the penalty job last ran (Unix seconds).")
      .Set(std::floor(now));
  std::optional<double> success_at = Previous(previous, kLastSuccess);
  if (run.success) success_at = std::floor(now);
  if (success_at) {
    Single(registry, kLastSuccess, "When the penalty job last ran successfully (Unix seconds).")
        .Set(*success_at);
  }
  Single(registry, "pilotage_penalty_job_last_run_success",
         "1 when the last run of the penalty job succeeded, else 0.")
      .Set(run.success ? 1 : 0);
  Single(registry, "pilotage_penalty_job_periods_evaluated",
         "Lots evaluated for the period by the last run.")
      .Set(static_cast<double>(run.periods_evaluated));
  Single(registry, "pilotage_penalty_job_events_sent",
         "Contract events (PenaltyProposed, CorrectiveActionOpened) sent by the last run.")
      .Set(static_cast<double>(run.events_sent));
  auto& proposals = prometheus::BuildGauge()
                        .Name("pilotage_penalty_job_proposals")
                        .Help("Penalties proposed with an amount for the period, by lot.")
                        .Register(registry);
  for (const auto& [lot, n] : run.proposals_by_lot) {
    proposals.Add({{"lot", lot}}).Set(static_cast<double>(n));
  }
  auto& amounts = prometheus::BuildGauge()
                      .Name("pilotage_penalty_job_amount_cents")
                      .Help("Total of the penalties proposed for the period, by lot (euro cents).")
                      .Register(registry);
  for (const auto& [lot, cents] : run.amount_cents_by_lot) {
    amounts.Add({{"lot", lot}}).Set(static_cast<double>(cents));
  }
  std::optional<double> next = Previous(previous, kNextClosing);
  if (run.success && run.next_period_closing) {
    const double mine = static_cast<double>(absl::ToUnixSeconds(*run.next_period_closing));
    next = next ? std::max(*next, mine) : mine;
  }
  if (next) {
    Single(registry, kNextClosing,
           "When the period after the latest one the penalty job evaluated closes (Unix "
           "seconds): the job is due then.")
        .Set(*next);
  }
  return metrics::Serialize(registry);
}

absl::Status WriteMetricsTextfile(const std::filesystem::path& path, const RunMetrics& run) {
  std::string previous;
  {
    std::ifstream in(path);
    if (in) {
      std::ostringstream s;
      s << in.rdbuf();
      previous = s.str();
    }
  }
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << MetricsText(run, previous);
    if (!out.good()) {
      return absl::UnavailableError(
          fmt::format("--metrics-textfile: cannot write {}", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return absl::UnavailableError(fmt::format("--metrics-textfile: cannot rename {} to {}: {}",
                                              tmp.string(), path.string(), ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace pilotage::penalty_job
