#pragma once
// The steering read model of a lot as typed reports, shared by every reader
// that shows them (pilotagectl's ledger, actions and statement; the query
// service; the penalty job): penalties with their adversarial procedure, the
// payment statement and fund usage of a period. Their JSON is json.h's.
//
// Pure given the read models: the caller reads the lot and its steering
// from one consistent view of the store, and gives the day ("on", Europe/
// Paris) deadlines are judged against.

#include <optional>
#include <string>
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
