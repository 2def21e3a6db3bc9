#pragma once
// Whether a store holds the whole event log and how far behind it is: the
// comparison behind the query service's /readyz and its refusal to serve
// decisions (penalties, statements) from an incomplete store (decision 0029).
// It is readmodel::CompareWithLog (libs/readmodel coverage.h, decision 0028,
// shared with the penalty job) plus the readiness threshold.
//
// A pure function of the offsets stored with a view and Kafka's end offsets:
// no I/O, no clock, no state; thread-safe.
//
// Definitions (per "topic/partition"):
//   - missing: Kafka holds records in it (end offset > 0) and the store has
//     no progress for it: the projector never folded any of it (another
//     member of its consumer group holds it, or its topic is not folded).
//   - lag: max(0, end offset - the next offset stored). The projector
//     records its position past a trailing transaction marker (decision
//     0028), so a marker alone does not show as lag once folded.
//   - lagging: lag > max_lag.
// A partition in the store but not in Kafka's answer is ignored (the answer
// names the topics folded).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pilotage/projection/projection_store.h"

namespace pilotage::query {

struct LaggingPartition {
  std::string partition;  // "topic/partition"
  int64_t lag = 0;
};

struct Coverage {
  // False when no end offsets are known (no broker address, or no answer
  // from Kafka yet): nothing can be said, and neither check passes.
  bool known = false;
  std::vector<std::string> missing;       // sorted
  std::vector<LaggingPartition> lagging;  // sorted by partition
  int64_t max_partition_lag = 0;          // over the partitions held

  // The store holds every partition of the topics folded.
  bool complete() const { return known && missing.empty(); }
  // Complete, and no partition lags more than the threshold.
  bool ready() const { return complete() && lagging.empty(); }
};

// Compares the progress stored with a view to Kafka's end offsets (both
// keyed "topic/partition"). `max_lag` >= 0.
Coverage CompareCoverage(const std::map<std::string, projection::PartitionProgress>& progress,
                         const std::map<std::string, int64_t>& end_offsets, int64_t max_lag);

}  // namespace pilotage::query
