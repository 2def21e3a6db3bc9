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
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "store_view.h"

namespace pilotage::query {

using Params = std::map<std::string, std::string>;

// The Paris day closings and deadlines are judged on: `fixed` when set (the
// service's --today), else the Europe/Paris day of absl::Now() at each
// answer. kFailedPrecondition when the Europe/Paris zone is missing.
struct Clock {
  std::optional<absl::CivilDay> fixed;
  [[nodiscard]] absl::StatusOr<absl::CivilDay> Today() const;
};

int StatusToHttp(const absl::Status& status);

// "2024-05-31T22:00:00.000Z" (UTC, milliseconds); "" for InfinitePast.
std::string Rfc3339(absl::Time t);

// The freshness block every answer carries; `complete` says whether the
// store holds every partition of the log (null: end offsets unknown) and
// `missing_partitions` which it lacks (readiness.h).
nlohmann::json FreshnessJson(const Freshness& freshness, absl::Time computed_at);

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
// GET /api/v1/lots/{lot}/penalties: the penalty ledger (procedure states
// judged on today's Paris day).
absl::StatusOr<nlohmann::json> LotPenalties(Generation& view, const access::Principal& who,
                                            const std::string& lot, const Clock& clock);
// GET /api/v1/lots/{lot}/actions: corrective actions with due dates.
absl::StatusOr<nlohmann::json> LotActions(Generation& view, const access::Principal& who,
                                          const std::string& lot, const Clock& clock);
// GET /api/v1/pending: the undecided penalties and the corrective actions
// not closed of every lot `who` may read, with their deadlines judged on
// today's Paris day (readmodel::PendingReportJson, plus each row's
// "operator_name", null for a lot without award).
absl::StatusOr<nlohmann::json> Pending(Generation& view, const access::Principal& who,
                                       const Clock& clock);
// GET /api/v1/lots/{lot}/statement?period=: the payment statement and fund
// usage (provisional while the period is open).
absl::StatusOr<nlohmann::json> LotStatement(Generation& view, const access::Principal& who,
                                            const std::string& lot, const Params& params,
                                            const Clock& clock);
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
absl::StatusOr<std::vector<KpiGauge>> KpiGauges(Generation& view, const Clock& clock);

// Penalty amounts per lot and procedure state, and fund usage per lot for
// the default quarter's statement, for the business gauges.
struct SteeringGauge {
  std::string lot;
  // state -> euro cents of the lot's penalties in that state.
  std::map<std::string, int64_t> penalties_cents;
  bool has_statement = false;
  std::string contract_year;
  int64_t cumulative_cents = 0;
  int64_t projected_cents = 0;
  int64_t envelope_cents = 0;
};
absl::StatusOr<std::vector<SteeringGauge>> SteeringGauges(Generation& view, const Clock& clock);

}  // namespace pilotage::query
