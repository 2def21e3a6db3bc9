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
#include "pilotage/readmodel/lots.h"
#include "pilotage/readmodel/steering.h"

namespace pilotage::readmodel {

// What one reader read of a lot, from one view.
struct LotSteering {
  std::string lot_id;
  const LotReadModel* lot = nullptr;
  const SteeringReadModel* steering = nullptr;
  // HistoryOf(lot->terms).
  const domain::TermsHistory* history = nullptr;
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

}  // namespace pilotage::readmodel
