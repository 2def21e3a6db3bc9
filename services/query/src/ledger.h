#pragma once
// The query API's steering answers for one lot or the lots a principal may
// read: the penalty ledger, the corrective actions, what is pending, and a
// period's payment statement (docs/api/query.openapi.yaml), as JSON from one
// Generation of the store view. Deadlines and procedure states are judged
// on `clock`'s Paris day. Errors follow api_common.h's StatusToHttp.
// Thread-safety: that of the Generation.

#include <string>

#include "absl/status/statusor.h"
#include "api_common.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "store_view.h"

namespace pilotage::query {

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
// usage (provisional while the period is open); kFailedPrecondition when the
// lot has no statement for the period (no award or terms).
absl::StatusOr<nlohmann::json> LotStatement(Generation& view, const access::Principal& who,
                                            const std::string& lot, const Params& params,
                                            const Clock& clock);

}  // namespace pilotage::query
