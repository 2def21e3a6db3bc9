// /readyz and the refusal of decisions from an incomplete store
// (readiness_answer.h).
#include "readiness_answer.h"

#include <string>

#include "api_common.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "readiness.h"

namespace pilotage::query {

using nlohmann::json;

json ReadinessJson(const Freshness& f, absl::Time now, int64_t max_lag, bool has_bootstrap) {
  const Coverage c = CompareCoverage(f.progress, f.end_offsets, max_lag);
  json reasons = json::array();
  if (!c.known) {
    reasons.push_back(
        has_bootstrap ? "Kafka's end offsets are not known yet (no answer from Kafka)"
                      : "Kafka's end offsets are unknown: the service runs without --bootstrap");
  }
  if (!c.missing.empty()) {
    reasons.push_back(fmt::format("the store does not hold {} partition(s) of the log: {}",
                                  c.missing.size(), fmt::join(c.missing, ", ")));
  }
  json lagging = json::array();
  for (const auto& l : c.lagging) {
    lagging.push_back({{"partition", l.partition}, {"lag", l.lag}});
    reasons.push_back(fmt::format("{} lags {} events (more than {})", l.partition, l.lag, max_lag));
  }
  return {{"ready", c.ready()},
          {"reasons", reasons},
          {"store", f.store},
          {"missing_partitions", c.missing},
          {"lagging_partitions", lagging},
          {"max_partition_lag", c.known ? json(c.max_partition_lag) : json(nullptr)},
          {"max_lag", max_lag},
          {"end_offsets_at", c.known ? json(Rfc3339(f.end_offsets_at)) : json(nullptr)},
          {"caught_up_at", Rfc3339(f.caught_up_at)},
          {"checked_at", Rfc3339(now)}};
}

absl::Status RefuseIncompleteStore(const Freshness& f) {
  // Missing partitions only: the threshold of readiness plays no part.
  const Coverage c = CompareCoverage(f.progress, f.end_offsets, 0);
  if (!c.known) {
    return absl::UnavailableError(
        "cannot check that this store holds every partition of the log: Kafka's end offsets "
        "are not known (no --bootstrap, or no answer from Kafka yet); penalties and "
        "statements are not served without that check");
  }
  if (!c.missing.empty()) {
    return absl::UnavailableError(fmt::format(
        "this store does not hold every partition of the log (missing: {}): penalties and "
        "statements computed from it would be wrong; use another replica, or give this "
        "host's projector a consumer group of its own (docs/operations.md, section 13)",
        fmt::join(c.missing, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace pilotage::query
