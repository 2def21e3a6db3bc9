#pragma once
// Decisions from the dashboard (issue 18 point 4, decision 0037): what a
// POST on a penalty, a review or a corrective action asks, checked by the
// same library as `pilotagectl` (libs/steering) on one generation of the
// store view, and the contract event that records it. Nothing is sent here:
// the server writes the event with its producer (server.cc).
//
// Who may do what (the principal comes from the token or the session):
//  - pilots: confirm, waive (a reason required for both), record a review
//    (bilan), close a corrective action, record observations (a letter
//    received on a given day, `received_on`);
//  - operators: only observations, on a lot they hold, received today (the
//    service's day), within the observation delay (decision 0019): late
//    observations are refused (kFailedPrecondition); anything else is
//    kPermissionDenied.
// Who decides is the principal's id (decided_by, closed_by): never a field
// of the body.
//
// Errors (French messages, the API's field names): kInvalidArgument (400)
// for a malformed body or field, kPermissionDenied (403), kNotFound (404)
// for an unknown lot, penalty or action, kFailedPrecondition and
// kAlreadyExists (409) for a step the procedure does not allow now.
// Thread-safety: pure functions of their arguments and the generation.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "pilotage/access/access.h"
#include "pilotage/steering/steering.h"
#include "store_view.h"

namespace pilotage::query {

enum class DecisionKind { kConfirm, kWaive, kObservations, kReview, kActionClose };

// One POST: its kind, the lot and the item (penalty or action id; empty for
// a review) of its path, and its body (JSON text, "" for none).
struct DecisionCall {
  DecisionKind kind = DecisionKind::kConfirm;
  std::string lot;
  std::string item;
  std::string body;
};

// The event to write, or (already_recorded) the event id a resend of this
// decision would carry, found in the store: the decision is already folded
// and nothing needs to be sent (a retry after a lost answer).
struct PreparedDecision {
  steering::Step step;
  bool already_recorded = false;
};

// Checks `call` for `who` on `view`, judged on `today` (the service's Paris
// day), the event occurring at `now`.
[[nodiscard]] absl::StatusOr<PreparedDecision> PrepareDecision(Generation& view,
                                                               const access::Principal& who,
                                                               const DecisionCall& call,
                                                               absl::CivilDay today,
                                                               absl::Time now);

// The HTTP status of a refused decision: 400, 403, 404, 409; 503 for
// kUnavailable; 500 otherwise.
int DecisionStatusToHttp(const absl::Status& status);

// The endpoint's name for metrics ("/api/v1/lots/{lot}/penalties/{id}/confirm").
std::string DecisionEndpoint(DecisionKind kind);

}  // namespace pilotage::query
