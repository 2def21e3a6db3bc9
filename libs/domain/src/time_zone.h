#pragma once
// Loading a named time zone with a status that says how to fix a failure.
// Private: ParisTimeZone() is the public face; tests reach this directly to
// check the message for a zone that cannot be loaded.

#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pilotage::domain::internal {

// kFailedPrecondition naming the zone, the tzdata package and $TZDIR when
// the zone is not in the system's time zone database.
[[nodiscard]] absl::StatusOr<absl::TimeZone> LoadNamedTimeZone(std::string_view name);

}  // namespace pilotage::domain::internal
