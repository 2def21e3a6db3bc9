#pragma once
// The adversarial procedure of a penalty (procédure contradictoire, issue #5),
// pure: from the steering record of one penalty (store.v1.PenaltyRecord, as
// the cep projection folds it) to its state, its observation deadline and
// whether a step asked by a pilot is allowed on a given day. No I/O, no
// clock: callers pass the day ("today", Europe/Paris).
//
// States:
//   PROPOSED               proposée: PenaltyProposed folded, nothing since;
//   OBSERVATIONS_RECEIVED  observations reçues: the operator answered;
//   CONFIRMED              confirmée: a pilot confirmed it (it is deducted
//                          from the payment statement of its period);
//   WAIVED                 abandonnée: a pilot waived it.
// A decision ends the procedure: CONFIRMED and WAIVED are final.
//
// Notification day: the day the operator was notified of the proposal, from
// which the observation delay runs (CCAG-FCS: 15 days from the notification,
// calendar days). It is the proposal's notified_on (the penalty job's
// --today or run day); for a proposal without it (sent before the field
// existed), the Paris day the proposal event occurred.
//
// Observation deadline: the last day (included) on which the operator may
// submit observations. ObservationDays(terms) = the terms'
// delays.observation_days, or kDefaultObservationDays (15, CCAG-FCS) when no
// terms are given or they say 0.
//  - proposal with notified_on: its observation_deadline when set (what the
//    operator was told), else notified_on + ObservationDays;
//  - proposal without notified_on: the later of its observation_deadline
//    (when set) and the notification day + ObservationDays. Proposals of
//    earlier versions of the job counted from the period's closing day, so a
//    late run gave the operator fewer days than the contract; they are never
//    given less than the full delay from the day they were recorded.
//
// Rules of the steps (CheckObservations, CheckDecision), each refused with
// kFailedPrecondition and a reason in French that pilotagectl prints as is:
//  - nothing on a penalty whose proposal is unknown, or already decided;
//  - confirming is allowed once observations were received, or after the
//    deadline (today > deadline); confirming on or before the deadline
//    without observations is refused;
//  - waiving is allowed at any time before a decision;
//  - observations are accepted until the decision, even late (after the
//    deadline; the procedure then says they were late), but not dated
//    before the notification day.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/store/v1/readmodel.pb.h"
#include "pilotage/v1/contract.pb.h"
#include "pilotage/v1/terms.pb.h"

namespace pilotage::domain {

// CCAG-FCS: the contractor has 15 days to submit observations.
inline constexpr int kDefaultObservationDays = 15;

enum class PenaltyState {
  kProposed,
  kObservationsReceived,
  kConfirmed,
  kWaived,
};

// "PROPOSED", "OBSERVATIONS_RECEIVED", "CONFIRMED", "WAIVED".
std::string_view PenaltyStateName(PenaltyState state);

// For pilots: "proposée", "observations reçues", "confirmée", "abandonnée".
std::string_view PenaltyStateFrenchLabel(PenaltyState state);

// Where one penalty's procedure stands.
struct PenaltyProcedure {
  pilotage::v1::PenaltyProposed proposal;
  PenaltyState state = PenaltyState::kProposed;
  // The notification day (see above): notified_on, else the Paris day the
  // proposal occurred.
  absl::CivilDay proposed_on;
  // The last day for observations (see above).
  absl::CivilDay deadline;
  // Set once observations were received: their day (received_on) and text.
  std::optional<absl::CivilDay> observations_on;
  std::string observations;
  // After the deadline.
  bool observations_late = false;
  // Set once decided (CONFIRMED or WAIVED): the Paris day of the decision,
  // who decided, why.
  std::optional<absl::CivilDay> decided_on;
  std::string decided_by;
  std::string decision_reason;

  bool decided() const {
    return state == PenaltyState::kConfirmed || state == PenaltyState::kWaived;
  }
  // Undecided and today > deadline: the pilots must decide.
  bool PastDeadlineUndecided(absl::CivilDay today) const { return !decided() && today > deadline; }
};

// The terms' delays.observation_days, or kDefaultObservationDays when
// `terms` is null or says 0.
int ObservationDays(const pilotage::v1::ContractTerms* terms);

// The notification day described above. kInvalidArgument when notified_on is
// set but not a day; kFailedPrecondition when the Europe/Paris time zone is
// missing (calendar.h).
[[nodiscard]] absl::StatusOr<absl::CivilDay> NotificationDay(
    const pilotage::v1::PenaltyProposed& proposal, int64_t proposed_at_seconds);

// The deadline described above. `terms` may be null. kInvalidArgument when
// observation_deadline or notified_on is set but not a day;
// kFailedPrecondition when the Europe/Paris time zone is missing.
[[nodiscard]] absl::StatusOr<absl::CivilDay> ObservationDeadline(
    const pilotage::v1::PenaltyProposed& proposal, int64_t proposed_at_seconds,
    const pilotage::v1::ContractTerms* terms);

// The procedure of `record`. `terms` (may be null) are those of the
// proposal's terms_version. kNotFound ("la pénalité … n'a pas été proposée")
// when the record holds later steps but no proposal yet; kInvalidArgument
// for a stored day that does not parse.
[[nodiscard]] absl::StatusOr<PenaltyProcedure> ProcedureOf(
    const pilotage::store::v1::PenaltyRecord& record, const pilotage::v1::ContractTerms* terms);

enum class Decision { kConfirm, kWaive };

// Whether `decision` may be taken on `today` (rules above).
[[nodiscard]] absl::Status CheckDecision(const PenaltyProcedure& procedure, Decision decision,
                                         absl::CivilDay today);

// Whether observations received on `received_on` may be recorded.
[[nodiscard]] absl::Status CheckObservations(const PenaltyProcedure& procedure,
                                             absl::CivilDay received_on);

// The procedures past their deadline and still undecided on `today`,
// ordered by deadline then penalty id.
std::vector<PenaltyProcedure> PastDeadlineUndecided(const std::vector<PenaltyProcedure>& all,
                                                    absl::CivilDay today);

}  // namespace pilotage::domain
