#pragma once
// The query API's figure answers as JSON (docs/api/query.openapi.yaml):
// meta, national and per-lot KPIs, volumes and data quality, computed from
// one Generation of the store view. Pure given the view: no HTTP here. The
// steering answers (penalties, actions, statements) are in ledger.h, fund
// usage in funds.h, what they share in api_common.h.
//
// Errors map to HTTP statuses (StatusToHttp): kInvalidArgument and
// kFailedPrecondition 400 (a malformed or missing parameter, with a message
// naming it), kPermissionDenied 403 (an operator asking for a lot it does
// not hold, or for a national view), kNotFound 404 (unknown lot),
// kUnavailable 503 (no store yet), anything else 500.
// Thread-safety: that of the Generation.

#include <string>

#include "absl/status/statusor.h"
#include "api_common.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "store_view.h"

namespace pilotage::query {

// GET /api/v1/meta: who is asking, the lots it may read, today's Paris day,
// the quarters offered (readmodel::QuarterCalendarJson: from the first with
// activity to today's, none not started, each closed or provisional) and the
// default period: the last closed quarter with activity (else the latest
// quarter with activity, provisional).
absl::StatusOr<nlohmann::json> Meta(Generation& view, const access::Principal& who,
                                    const Clock& clock);
// GET /api/v1/national?period=
absl::StatusOr<nlohmann::json> National(Generation& view, const access::Principal& who,
                                        const Params& params, const Clock& clock);
// GET /api/v1/lots?period=
absl::StatusOr<nlohmann::json> LotsList(Generation& view, const access::Principal& who,
                                        const Params& params, const Clock& clock);
// GET /api/v1/lots/{lot}?period=
absl::StatusOr<nlohmann::json> LotDetail(Generation& view, const access::Principal& who,
                                         const std::string& lot, const Params& params,
                                         const Clock& clock);
// GET /api/v1/lots/{lot}/quality?period=
absl::StatusOr<nlohmann::json> LotQuality(Generation& view, const access::Principal& who,
                                          const std::string& lot, const Params& params);
// GET /api/v1/quality?period=: every readable lot, and the projector's dead
// letters (pilots only: they mix every lot).
absl::StatusOr<nlohmann::json> Quality(Generation& view, const Freshness& freshness,
                                       const access::Principal& who, const Params& params);

}  // namespace pilotage::query
