// What every answer shares (api_common.h).
#include "api_common.h"

#include <algorithm>

#include "pilotage/domain/calendar.h"
#include "readiness.h"

namespace pilotage::query {

using nlohmann::json;

std::string Rfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<absl::CivilDay> Clock::Today() const {
  if (fixed) return *fixed;
  return domain::ParisDay(absl::Now());
}

int StatusToHttp(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

json FreshnessJson(const Freshness& f, absl::Time computed_at) {
  json partitions = json::array();
  int64_t folded = 0, dead = 0;
  for (const auto& [key, p] : f.progress) {
    json row = {{"partition", key},
                {"stored_offset", p.next_offset},
                {"folded", p.folded},
                {"dead_letters", p.dead_letters}};
    if (auto it = f.end_offsets.find(key); it != f.end_offsets.end()) {
      row["end_offset"] = it->second;
      row["lag"] = std::max<int64_t>(0, it->second - p.next_offset);
    }
    partitions.push_back(row);
    folded += p.folded;
    dead += p.dead_letters;
  }
  auto lag = f.LagEvents();
  // Whether the store holds every partition (the threshold plays no part).
  const Coverage coverage = CompareCoverage(f.progress, f.end_offsets, 0);
  return {
      {"computed_at", Rfc3339(computed_at)},
      {"caught_up_at", Rfc3339(f.caught_up_at)},
      {"store", f.store},
      {"folded_events", folded},
      {"dead_letters", dead},
      {"lag_events", lag ? json(*lag) : json(nullptr)},
      {"end_offsets_at", f.end_offsets.empty() ? json(nullptr) : json(Rfc3339(f.end_offsets_at))},
      {"lag_source", f.end_offsets.empty()
                         ? "unknown: no answer from Kafka (stored offsets only)"
                         : "Kafka end offsets minus the offsets stored with the view"},
      {"complete", coverage.known ? json(coverage.complete()) : json(nullptr)},
      {"missing_partitions", coverage.missing},
      {"partitions", partitions}};
}

}  // namespace pilotage::query
