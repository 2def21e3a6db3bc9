#pragma once
// `pilotagectl counters`: a lot's activity counters for a period, by month x
// metric x dimension (new beneficiaries by profile band and channel,
// appointments by level, modality and kind, closures by outcome and referral,
// surveys by wave), on every fact recorded so far (domain::CountActivity, read from the KPI
// cells: readmodel::ReadActivityCounters).
// Read from a read-only view of the projector's store, like `kpis`.

#include <filesystem>
#include <iosfwd>
#include <string>

#include "absl/status/status.h"

namespace pilotage::pilotagectl {

struct CountersOptions {
  std::filesystem::path data_dir;
  std::string lot;
  std::string period;
  bool json = false;
};

[[nodiscard]] absl::Status PrintCounters(const CountersOptions& options, std::ostream& out);

}  // namespace pilotage::pilotagectl
