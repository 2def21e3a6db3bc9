#pragma once
// The steering read model of a lot (issue #5): reviews, corrective actions,
// penalties with their adversarial procedure, payment statements; what a
// steering record means and how two merge. Folded by the `cep` projection
// (services/projector) from contract events into cep_contract (layout.h):
//
//   "<lot>\0review\0<review_id>"        -> store.v1.ReviewRecord
//   "<lot>\0action\0<action_id>"        -> store.v1.ActionRecord
//   "<lot>\0penalty\0<penalty_id>"      -> store.v1.PenaltyRecord
//   "<lot>\0statement\0<statement_id>"  -> store.v1.StatementRecord
//
// Order independence. Each record is a set of slots, one per step of what it
// describes (an action: opened, closed; a penalty: proposed, observations,
// decision; a review or statement: itself). A slot holds the event that
// filled it with its (occurred_at seconds, event_id); an event replaces the
// slot's content only when its (occurred_at, event_id) is later. Merging is
// therefore commutative, associative and idempotent: the record is the same
// whatever the arrival order and batching. A later step may be folded before
// the earlier one (a confirmation before its proposal): its slot is kept and
// the missing slot stays empty (empty ids) until its event arrives. Confirmed
// and waived share the decision slot: the later decision wins.
//
// The fold checks only the event itself (CheckSteeringEvent); whether a
// decision is allowed (known penalty, deadline passed or observations
// received) is checked by whoever emits it (pilotagectl), never here, since
// the events may arrive in any order.
//
// Readers (pilotagectl, the penalty job, the query service) read it through
// ReadSteering only, from one store snapshot, never by key. Pilotagectl checks
// the events it emits with CheckSteeringEvent, the same check as the fold's.
// Thread-safety: pure functions; safe from any thread.
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/store/store.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::readmodel {

struct SteeringReadModel {
  // Each list sorted by id.
  std::vector<store::v1::ReviewRecord> reviews;
  std::vector<store::v1::ActionRecord> actions;
  std::vector<store::v1::PenaltyRecord> penalties;
  std::vector<store::v1::StatementRecord> statements;
};

// Everything steering stored for `lot_id` (empty lists when none).
// kDataLoss when a stored record does not parse.
[[nodiscard]] absl::StatusOr<SteeringReadModel> ReadSteering(const store::Store& store,
                                                             std::string_view lot_id);

// `model` as it was known on `day` (Europe/Paris), for "--on DAY" reports
// (issue 18 point 9): every step whose event occurred after `day` is left
// out. A proposal is known from its notification day (domain::
// NotificationDay: the day the operator was told, whatever the event's
// occurred_at); a penalty whose proposal was not known yet is left out
// whole, as is any record left without a step. kInvalidArgument for a
// stored day that does not parse; kFailedPrecondition without the
// Europe/Paris zone.
[[nodiscard]] absl::StatusOr<SteeringReadModel> AsKnownOn(const SteeringReadModel& model,
                                                          absl::CivilDay day);

// Whether `event` is one of the steering events folded here: ReviewHeld,
// CorrectiveActionOpened/Closed, PenaltyProposed, ObservationsReceived,
// PenaltyConfirmed/Waived, PaymentStatementIssued.
bool IsSteeringEvent(const v1::Event& event);

// What the fold requires of a steering event, checked before anything is
// folded. kInvalidArgument naming the field ("penalty_confirmed.penalty_id:
// missing", "review_held.held_on: ...") when:
//  - event_id, lot_id or occurred_at is missing;
//  - the body's id is missing (review_id, action_id, penalty_id,
//    statement_id);
//  - a date is not a real day "YYYY-MM-DD": review_held.held_on,
//    corrective_action_opened.due_date, corrective_action_closed.closed_on,
//    observations_received.received_on (all required),
//    penalty_proposed.observation_deadline and notified_on (optional);
//  - a period does not parse (period.h): review_held.period,
//    penalty_proposed.period, payment_statement_issued.period (required),
//    corrective_action_opened.period (optional);
//  - penalty_proposed.rule_id is missing, or an amount is negative
//    (penalty_proposed.amount_cents, computed_cents; every amount of a
//    payment statement except net_amount_cents, which penalties may make
//    negative).
// kInvalidArgument "not a steering event" for any other body.
[[nodiscard]] absl::Status CheckSteeringEvent(const v1::Event& event);

// The record merges described above, exposed for the fold and its tests:
// folds `from` into `into`, slot by slot, the later slot winning.
void MergeInto(store::v1::ReviewRecord& into, const store::v1::ReviewRecord& from);
void MergeInto(store::v1::ActionRecord& into, const store::v1::ActionRecord& from);
void MergeInto(store::v1::PenaltyRecord& into, const store::v1::PenaltyRecord& from);
void MergeInto(store::v1::StatementRecord& into, const store::v1::StatementRecord& from);

}  // namespace pilotage::readmodel
