#pragma once
// The query API's answers as JSON (docs/api/query.openapi.yaml), computed
// from one Generation of the store view. Pure given the view: no HTTP here.
//
// Errors map to HTTP statuses (StatusToHttp): kInvalidArgument and
// kFailedPrecondition 400 (a malformed or missing parameter, with a message
// naming it), kPermissionDenied 403 (an operator asking for a lot it does
// not hold, or for a national view), kNotFound 404 (unknown lot),
// kUnavailable 503 (no store yet), anything else 500.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "store_view.h"

namespace pilotage::query {

using Params = std::map<std::string, std::string>;

int StatusToHttp(const absl::Status& status);

// The freshness block every answer carries.
nlohmann::json FreshnessJson(const Freshness& freshness, absl::Time computed_at);

// GET /api/v1/meta: who is asking, the lots it may read, the default period
// (the quarter of the latest fact stored).
absl::StatusOr<nlohmann::json> Meta(Generation& view, const access::Principal& who);
// GET /api/v1/national?period=
absl::StatusOr<nlohmann::json> National(Generation& view, const access::Principal& who,
                                        const Params& params);
// GET /api/v1/lots?period=
absl::StatusOr<nlohmann::json> LotsList(Generation& view, const access::Principal& who,
                                        const Params& params);
// GET /api/v1/lots/{lot}?period=
absl::StatusOr<nlohmann::json> LotDetail(Generation& view, const access::Principal& who,
                                         const std::string& lot, const Params& params);
// GET /api/v1/lots/{lot}/quality?period=
absl::StatusOr<nlohmann::json> LotQuality(Generation& view, const access::Principal& who,
                                          const std::string& lot, const Params& params);
// GET /api/v1/quality?period=: every readable lot, and the projector's dead
// letters (pilots only: they mix every lot).
absl::StatusOr<nlohmann::json> Quality(Generation& view, const Freshness& freshness,
                                       const access::Principal& who, const Params& params);

// KPI value/target per lot of the default quarter, for the business gauges.
struct KpiGauge {
  std::string lot;
  std::string kpi;
  std::string period;
  double value = 0;
  double target = 0;
  bool measured = false;
};
absl::StatusOr<std::vector<KpiGauge>> KpiGauges(Generation& view);

}  // namespace pilotage::query
