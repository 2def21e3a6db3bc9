#pragma once
// What the query service answers from a view's coverage of the log
// (readiness.h): the body of /readyz, and the refusal of answers that
// decide (penalties, statements) from a store that does not hold every
// partition (decision 0029). Pure functions: thread-safe.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "store_view.h"

namespace pilotage::query {

// The body of /readyz for a view of freshness `f`, checked at `now`:
// "ready" (every partition held, none lagging more than `max_lag` events),
// the reasons it is not (in English, for operators; `has_bootstrap` tells
// "no --bootstrap" from "no answer from Kafka yet" when end offsets are
// unknown), the missing and lagging partitions, and the times.
nlohmann::json ReadinessJson(const Freshness& f, absl::Time now, int64_t max_lag,
                             bool has_bootstrap);

// OK when `f` holds every partition of the log; kUnavailable, saying why,
// when end offsets are unknown or partitions are missing. The lag plays no
// part.
absl::Status RefuseIncompleteStore(const Freshness& f);

}  // namespace pilotage::query
