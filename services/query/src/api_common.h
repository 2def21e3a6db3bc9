#pragma once
// What every answer of the query API shares: its parameters, the Paris day
// it is judged on, the HTTP status of its errors, its times, and the
// freshness block it carries. Pure functions (no HTTP, no store access):
// thread-safe.

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "store_view.h"

namespace pilotage::query {

// A request's query parameters.
using Params = std::map<std::string, std::string>;

// The Paris day closings and deadlines are judged on: `fixed` when set (the
// service's --today), else the Europe/Paris day of absl::Now() at each
// answer. kFailedPrecondition when the Europe/Paris zone is missing.
struct Clock {
  std::optional<absl::CivilDay> fixed;
  [[nodiscard]] absl::StatusOr<absl::CivilDay> Today() const;
};

// The HTTP status of an answer's error: kInvalidArgument,
// kFailedPrecondition and kOutOfRange 400 (a malformed or missing
// parameter, with a message naming it), kUnauthenticated 401,
// kPermissionDenied 403 (an operator asking for a lot it does not hold, or
// for a national view), kNotFound 404 (unknown lot), kUnavailable 503 (no
// store yet), anything else 500; 200 for OK.
int StatusToHttp(const absl::Status& status);

// "2024-05-31T22:00:00.000Z" (UTC, milliseconds); "" for InfinitePast.
std::string Rfc3339(absl::Time t);

// The freshness block every answer carries; `complete` says whether the
// store holds every partition of the log (null: end offsets unknown) and
// `missing_partitions` which it lacks (readiness.h).
nlohmann::json FreshnessJson(const Freshness& freshness, absl::Time computed_at);

}  // namespace pilotage::query
