#pragma once
// GET /api/v1/funds?period=: fund usage as earned by the appointments
// (readmodel::ComputeFundUsage, decision 0038), per lot the token may read
// and, for pilots, nationally per contract year index. Pure given the view:
// no HTTP here.
//
// Answer: {"period", "period_label", "today", "lots": [...], "national":
// [...] or null (operators)}. Each lot row: "lot", "operator_name",
// "contract_year" {index, label, first_day, last_day, days}, "as_of",
// "elapsed_days", "envelope_cents" (null: no budget for the year),
// "earned_cents", "earned_share" and "projected_share" (of the envelope,
// null without one), "projected_cents", "projection_exceeds_envelope",
// "appointments", "unpriced_appointments", "quarters" [{period,
// period_label, earned_cents, appointments, statement_issued,
// statement_net_cents (null when not issued)}], "issued" [{statement_id,
// period, period_label, net_amount_cents}], "issued_net_cents"; or, for a
// lot without award or not started, "lot", "operator_name" and
// "unavailable" (why, English). National rows sum the lots in the same
// contract year index: "contract_year", "lots", "envelope_cents" (of the
// lots with one), "lots_without_envelope", "earned_cents",
// "projected_cents", "issued_net_cents", "earned_share",
// "projected_share".
//
// Errors (StatusToHttp): kInvalidArgument for a missing or malformed period
// (400); kFailedPrecondition when the Europe/Paris zone is missing;
// kOutOfRange on an overflow.

#include "absl/status/statusor.h"
#include "api.h"
#include "nlohmann/json.hpp"
#include "pilotage/access/access.h"
#include "store_view.h"

namespace pilotage::query {

absl::StatusOr<nlohmann::json> Funds(Generation& view, const access::Principal& who,
                                     const Params& params, const Clock& clock);

}  // namespace pilotage::query
