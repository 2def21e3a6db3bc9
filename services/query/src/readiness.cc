#include "readiness.h"

#include <algorithm>

namespace pilotage::query {

Coverage CompareCoverage(const std::map<std::string, projection::PartitionProgress>& progress,
                         const std::map<std::string, int64_t>& end_offsets, int64_t max_lag) {
  Coverage out;
  out.known = !end_offsets.empty();
  // std::map iterates in key order: both lists come out sorted.
  for (const auto& [partition, end] : end_offsets) {
    auto held = progress.find(partition);
    if (held == progress.end()) {
      // An empty partition has nothing to hold: a store without it is whole.
      if (end > 0) out.missing.push_back(partition);
      continue;
    }
    const int64_t lag = std::max<int64_t>(0, end - held->second.next_offset);
    out.max_partition_lag = std::max(out.max_partition_lag, lag);
    if (lag > max_lag) out.lagging.push_back({partition, lag});
  }
  return out;
}

}  // namespace pilotage::query
