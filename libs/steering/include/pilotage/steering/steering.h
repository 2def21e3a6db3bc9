#pragma once
// The pilots' and operators' steering decisions (issue 5, issue 18 point 4):
// what is checked before a step of the procedure is recorded, and the one
// contract event that records it. One place for `pilotagectl` (the command
// line) and the query service (the dashboard's POST endpoints): both refuse
// the same steps with the same messages and write the same events, with the
// same content-derived event ids, so that a retry from either is
// deduplicated by the projector (decisions 0011, 0027).
//
// Each Prepare* function:
//  1. validates its request against one reading of the lot (LotState: the
//     projector's store at one point): unknown lot (no LotAwarded folded),
//     unknown penalty or action, a decision on a penalty already decided,
//     confirming before the observation deadline without observations
//     (domain::CheckDecision, CheckObservations), bad days ("YYYY-MM-DD") or
//     periods, a missing reason. Refusals carry a French or field-naming
//     message and a code: kInvalidArgument for bad input, kFailedPrecondition
//     for a step the procedure does not allow, kNotFound for an unknown lot,
//     penalty or action, kAlreadyExists for an action id taken;
//  2. builds the event (Step::event) with a deterministic event id
//     (domain::ContentId of the lot and content) and checks it with
//     readmodel::CheckSteeringEvent, the fold's own check.
// Nothing is sent here: the caller writes Step::event to the contract topic,
// keyed by lot, with an idempotent producer (libs/kafka), or prints it.
//
// Fields are named in refusals as the caller's user knows them (Naming):
// pilotagectl's flags ("--reason: missing") or the API's JSON fields
// ("reason : obligatoire").
//
// Days: `on` is the Europe/Paris day the step happens (never in the future:
// the caller checks it); the event occurs at `now` when `on` is today, else
// at noon (Paris) of `on`. Deadlines are judged on `on`.
//
// Thread-safety: pure functions of their arguments (and the time zone
// database); safe from any thread.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/v1/event.pb.h"

namespace pilotage::steering {

// How refusals name the request's fields.
enum class Naming {
  kFlags,  // pilotagectl: "--penalty", "--received-on"
  kJson,   // the query API: "penalty_id", "received_on"
};

// The name of the field a flag sets, as `naming` says: kFlags gives `flag`
// itself, kJson the JSON field ("--received-on" -> "received_on", "--penalty"
// -> "penalty_id", "--id" -> "action_id").
std::string FieldName(Naming naming, std::string_view flag);

// One lot as the projector's store holds it, read at one point in time.
struct LotState {
  std::string lot_id;
  // Where it was read from, for messages (may be empty).
  std::string source;
  readmodel::LotReadModel lot;
  readmodel::SteeringReadModel steering;
  domain::TermsHistory history;
  // Terms versions left out of the history, and why.
  std::vector<std::string> problems;
  // Where the store read stood (readmodel::SourceOffsets): the provenance
  // of what is decided from it.
  std::vector<v1::SourceOffset> input_offsets;
  // The award's start date (when there is an award).
  absl::CivilDay start;
  bool awarded = false;
};

// A LotState from one reading of the lot's read models (copied).
LotState StateOf(std::string lot_id, readmodel::LotReadModel lot,
                 readmodel::SteeringReadModel steering, std::string source = "");

// kNotFound "lot inconnu" (naming the lot field) when `state` has no award.
[[nodiscard]] absl::Status RequireAward(const LotState& state, Naming naming);

// What a step records: the event to write, and in French what it is
// ("confirmation de la pénalité PEN-… (230,00 €)").
struct Step {
  v1::Event event;
  std::string what;
};

// The procedure of penalty `id` of the lot; kNotFound naming the penalty
// field when the lot has no such proposal.
[[nodiscard]] absl::StatusOr<domain::PenaltyProcedure> PenaltyProcedureOf(const LotState& state,
                                                                          const std::string& id,
                                                                          Naming naming);

// Confirm or waive a penalty. `author` is who decides (authenticated by the
// caller: the Kafka principal or the dashboard's pilot), required; `reason`
// is required for both decisions (issue 18 point 9). The event id depends on
// the lot, the penalty and the decision only: deciding again is refused by
// the procedure, and a resend of the same decision is deduplicated.
struct DecisionRequest {
  std::string penalty_id;
  std::string author;
  std::string reason;
};
[[nodiscard]] absl::StatusOr<Step> PrepareDecision(const LotState& state, domain::Decision decision,
                                                   const DecisionRequest& request,
                                                   absl::CivilDay on, absl::Time now,
                                                   Naming naming);

// An operator's observations on a penalty, received on `received_on`
// ("YYYY-MM-DD", empty: `on`; not after `on`), text required (blank refused).
// Late observations (after the deadline) are accepted by the procedure; the
// Step says they are late, and `late` is set. A caller that must refuse them
// (an operator on the dashboard, decision 0037) checks `late`.
struct ObservationsRequest {
  std::string penalty_id;
  std::string text;
  std::string received_on;
};
struct ObservationsStep {
  Step step;
  bool late = false;
  absl::CivilDay deadline;
};
[[nodiscard]] absl::StatusOr<ObservationsStep> PrepareObservations(
    const LotState& state, const ObservationsRequest& request, absl::CivilDay on, absl::Time now,
    Naming naming);

// A review (bilan) of a period: at least one finding or decision; held on
// `held_on` (empty: `on`; not after `on`); id default
// "REV-<lot>-<period>-<held_on>".
struct ReviewRequest {
  std::string id;
  std::string period;
  std::string held_on;
  std::vector<std::string> findings;
  std::vector<std::string> decisions;
};
[[nodiscard]] absl::StatusOr<Step> PrepareReview(const LotState& state,
                                                 const ReviewRequest& request, absl::CivilDay on,
                                                 absl::Time now, Naming naming);

// Closing a corrective action that is open: evidence required; closed on
// `closed_on` (empty: `on`; not after `on`). `author` may be empty.
struct ActionCloseRequest {
  std::string id;
  std::string closed_on;
  std::string evidence;
  std::string author;
};
[[nodiscard]] absl::StatusOr<Step> PrepareActionClose(const LotState& state,
                                                      const ActionCloseRequest& request,
                                                      absl::CivilDay on, absl::Time now,
                                                      Naming naming);

// An event of `lot` with `event_id`, operator "france-competences",
// occurred_at on `on` (`now` when `on` is `now`'s Paris day, noon in Paris
// otherwise) and recorded_at `now`. kFailedPrecondition without the
// Europe/Paris zone.
[[nodiscard]] absl::StatusOr<v1::Event> NewEvent(const std::string& lot, std::string event_id,
                                                 absl::CivilDay on, absl::Time now);

// A day given in field `flag`: kInvalidArgument naming the field when it is
// not "YYYY-MM-DD", or (when `not_after`) later than *not_after.
[[nodiscard]] absl::StatusOr<absl::CivilDay> DayField(Naming naming, std::string_view flag,
                                                      const std::string& text,
                                                      const absl::CivilDay* not_after = nullptr);

// A period given in field `flag` ("CYn" relative to the lot's start).
[[nodiscard]] absl::StatusOr<domain::Period> PeriodField(Naming naming, std::string_view flag,
                                                         const std::string& text,
                                                         const LotState& state);

// kInvalidArgument naming the field when `value` is empty (kFlags:
// "<flag>: missing"; kJson: "<field> : obligatoire").
[[nodiscard]] absl::Status Required(Naming naming, std::string_view flag, const std::string& value);

}  // namespace pilotage::steering
