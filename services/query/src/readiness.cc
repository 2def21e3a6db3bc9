#include "readiness.h"

#include <algorithm>

#include "pilotage/readmodel/coverage.h"

namespace pilotage::query {

Coverage CompareCoverage(const std::map<std::string, projection::PartitionProgress>& progress,
                         const std::map<std::string, int64_t>& end_offsets, int64_t max_lag) {
  // The one comparison of a store with the log (decision 0028); readiness
  // adds the threshold.
  readmodel::Freshness freshness;
  freshness.progress = progress;
  const readmodel::Coverage shared = readmodel::CompareWithLog(freshness, end_offsets);
  Coverage out;
  out.known = !end_offsets.empty();
  out.missing = shared.missing;
  for (const auto& behind : shared.behind) {
    out.max_partition_lag = std::max(out.max_partition_lag, behind.lag());
    if (behind.lag() > max_lag) out.lagging.push_back({behind.partition, behind.lag()});
  }
  return out;
}

}  // namespace pilotage::query
