#pragma once
// The steering read model of a lot as typed reports, shared by every reader
// that shows them (pilotagectl's ledger, actions and statement; the query
// service; the penalty job): penalties with their adversarial procedure, the
// payment statement and fund usage of a period. Their JSON is json.h's.
//
// Pure given the read models: the caller reads the lot and its steering
// from one consistent view of the store, and gives the day ("on", Europe/
// Paris) deadlines are judged against.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/statement.h"
#include "pilotage/domain/terms.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/steering.h"
#include "pilotage/store/store.h"

namespace pilotage::readmodel {

// What one reader read of a lot, from one view.
struct LotSteering {
  std::string lot_id;
  const LotReadModel* lot = nullptr;
  const SteeringReadModel* steering = nullptr;
  // HistoryOf(lot->terms).
  const domain::TermsHistory* history = nullptr;
  // The store `lot` was read from, through the same view: when set, the
  // statement and the fund usage count the appointments and evaluate the
  // KPIs from its KPI cells (kpis.h, decision 0034) and lot->facts.journeys
  // is not read (read the lot with ReadLotOptions{.journeys = false}). Null:
  // from the journeys (the oracle of the differential test).
  const store::Store* cells = nullptr;
};

// Every penalty of the lot with its procedure (domain::ProcedureOf, under
// the terms version of its proposal); `incomplete` (may be null) receives
// the ids of records holding steps without their proposal.
[[nodiscard]] absl::StatusOr<std::vector<domain::PenaltyProcedure>> PenaltyProcedures(
    const SteeringReadModel& steering, const domain::TermsHistory& history,
    std::vector<std::string>* incomplete);

// A lot's penalties as judged on a day: each with its procedure, and totals.
struct PenaltyLedger {
  std::vector<domain::PenaltyProcedure> procedures;
  // Ids of the proposals past their observation deadline and undecided.
  std::vector<std::string> past_deadline_undecided;
  // Ids of records holding steps without their proposal.
  std::vector<std::string> steps_without_proposal;
  // Sums of amount_cents: all proposals, confirmed, waived, not decided.
  int64_t proposed_cents = 0;
  int64_t confirmed_cents = 0;
  int64_t waived_cents = 0;
  int64_t undecided_cents = 0;
};

// The ledger of `lot` on `on`. Errors: PenaltyProcedures'.
[[nodiscard]] absl::StatusOr<PenaltyLedger> ReadLedger(const LotSteering& lot, absl::CivilDay on);

// Where a corrective action stands on a day.
enum class ActionState { kOpen, kOverdue, kClosed, kClosedLate };
// "OPEN", "OVERDUE", "CLOSED", "CLOSED_LATE".
std::string_view ActionStateName(ActionState state);

struct ActionReport {
  store::v1::ActionRecord record;
  ActionState state = ActionState::kOpen;
  // Days past the due date: of the closing, or (open) of `on`; 0 when on
  // time or when a date does not parse.
  int64_t days_late = 0;
};

// The lot's corrective actions on `on`, sorted by id; closings folded
// without their opening are named apart (their action ids).
struct ActionsReport {
  std::vector<ActionReport> actions;
  std::vector<std::string> closings_without_opening;
};
ActionsReport ReportActions(const SteeringReadModel& steering, absl::CivilDay on);

// A period's payment statement as computed now (domain::ComputeStatement).
struct StatementReport {
  domain::Statement statement;
  domain::Period period = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  absl::CivilDay closing;
  absl::CivilDay on;
  // Closed on `on`: the statement is final (else provisional).
  bool closed = false;
  // The statement already issued for the period, if any.
  std::optional<pilotage::store::v1::StatementRecord> issued;
};

// kFailedPrecondition when the lot has no award (its start date and budget
// are needed); kNotFound when no terms govern the period; the errors of
// domain::ComputeStatement.
[[nodiscard]] absl::StatusOr<StatementReport> ComputeStatementReport(const LotSteering& lot,
                                                                     const domain::Period& period,
                                                                     absl::CivilDay on);

// Where a quarter stands on a day, for the readers that offer quarters.
struct QuarterStanding {
  domain::Period quarter = domain::Period::QuarterOf(absl::CivilDay(2024, 1, 1));
  // The latest closing day of the quarter among the lots: each lot's under
  // the terms governing it for the quarter (their closing_grace_days); a lot
  // no terms govern counts the quarter's last day.
  absl::CivilDay closing_day;
  // On `today`, closing_day has come: the figures are final and may be
  // judged. Otherwise they are provisional.
  bool closed = false;
};

struct QuarterCalendar {
  // From the quarter of the earliest request or appointment of the lots to
  // the quarter holding `today`, newest first: a quarter not started on
  // `today` is not offered. Empty when the lots have no activity.
  std::vector<QuarterStanding> quarters;
  // The quarter pages open on: the latest closed quarter that is not after
  // the quarter of the latest activity (capped at today's); when none is
  // closed, the quarter of the latest activity, provisional. nullopt when the
  // lots have no activity.
  std::optional<domain::Period> landing;
};

// A lot as QuartersOfSpans reads it: its terms and the span of its activity.
struct LotActivity {
  const LotReadModel* lot = nullptr;
  // ReadActivitySpan's (or JourneyActivitySpan's); nullopt: no activity.
  std::optional<ActivitySpan> span;
};

// The quarters of `lots` (no lot null) as they stand on `today`.
QuarterCalendar QuartersOfSpans(const std::vector<LotActivity>& lots, absl::CivilDay today);
// The same with each lot's span from its journeys (JourneyActivitySpan;
// none null).
QuarterCalendar QuartersOn(const std::vector<const LotReadModel*>& lots, absl::CivilDay today);

// A penalty still awaiting a pilot's decision, with what a national list
// shows of it.
struct PendingPenalty {
  std::string lot_id;
  domain::PenaltyProcedure procedure;
  // Of the proposal's terms version: the rule's label, the KPI it prices
  // and the KPI's label (empty when the version or rule is unknown).
  std::string rule_label;
  std::string kpi_id;
  std::string kpi_label;
  // The first day a pilot may decide (domain::CheckDecision): the day the
  // observations were received, else the day after the observation
  // deadline.
  absl::CivilDay decision_from;
};

// A corrective action not closed yet.
struct PendingAction {
  std::string lot_id;
  ActionReport action;
  // The label of its KPI in the lot's latest terms version that defines it
  // (empty when none does or the action names no KPI).
  std::string kpi_label;
};

// What awaits a decision or a closing across lots, in the order the lots
// were added (each lot's penalties by id, actions by id).
struct PendingReport {
  std::vector<PendingPenalty> penalties;
  std::vector<PendingAction> actions;
};

// Appends `lot`'s undecided penalties and open or overdue corrective actions,
// judged on `on`, to `report` (not null). Errors: PenaltyProcedures'.
[[nodiscard]] absl::Status AddPending(const LotSteering& lot, absl::CivilDay on,
                                      PendingReport* report);

}  // namespace pilotage::readmodel
