#include "readiness.h"

#include <algorithm>

#include "pilotage/readmodel/coverage.h"

namespace pilotage::query {

Coverage CompareCoverage(const std::map<std::string, projection::PartitionProgress>& progress,
                         const std::map<std::string, int64_t>& end_offsets, int64_t max_lag) {
  // The one comparison of a store with the log (decision 0028); readiness
  // adds the threshold.
  // Compared in place, the progress map not copied: every answer's
  // freshness block comes here.
  const readmodel::Coverage shared = readmodel::CompareWithLog(progress, end_offsets);
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
