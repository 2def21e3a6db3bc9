#pragma once
// The steering read model of a lot as reports, shared by every reader that
// shows them (pilotagectl's ledger, actions and statement; the query
// service): penalties with their adversarial procedure, corrective actions
// with their due dates, the payment statement and fund usage of a period.
// JSON keys are English; labels for pilots ("state_label") are French.
//
// Pure given the read models: the caller reads the lot and its steering
// from one consistent view of the store, and gives the day ("on", Europe/
// Paris) deadlines are judged against.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/period.h"
#include "pilotage/domain/procedure.h"
#include "pilotage/domain/statement.h"
#include "pilotage/domain/terms.h"
#include "pilotage/projector/cep.h"
#include "pilotage/projector/steering.h"

namespace pilotage::projector {

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

// {"lot", "on", "penalties": [{penalty_id, period, rule_id, terms_version,
//  action_id, computed_cents, amount_cents, limit_applied, formula,
//  explanation, inputs, state, state_label, proposed_on,
//  observation_deadline, observations_on, observations, observations_late,
//  decided_on, decided_by, decision_reason, past_deadline_undecided}],
//  "past_deadline_undecided", "steps_without_proposal",
//  "totals": {proposed_cents, confirmed_cents, waived_cents, undecided_cents}}
[[nodiscard]] absl::StatusOr<nlohmann::json> PenaltyLedgerJson(const LotSteering& lot,
                                                               absl::CivilDay on);

// {"lot", "on", "actions": [{action_id, kpi_id, finding, period, due_date,
//  description, opened_by, closed_on, evidence, state (OPEN, OVERDUE, CLOSED,
//  CLOSED_LATE), state_label, days_late}], "closings_without_opening"}
nlohmann::json ActionsReportJson(const LotSteering& lot, absl::CivilDay on);

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

// {"lot", "statement_id", "period", "period_label", "terms_version",
//  "closing_day", "closed", "fees": [...], "fees_cents", "variable_payments",
//  "variable_cents", "penalties", "penalties_cents", "net_amount_cents",
//  "late_appointments", "fund_usage": {contract_year, earlier_cents,
//  cumulative_cents, budget_envelope_cents, elapsed_days, year_days,
//  projected_cents, projection_exceeds_envelope}, "warnings", "issued",
//  "issued_net_amount_cents"}
nlohmann::json StatementReportJson(const std::string& lot_id, const StatementReport& report);

}  // namespace pilotage::projector
