#pragma once
// The read models' reports as JSON: the edge shared by the readers that show
// them (the query API, `pilotagectl ... --json` and its text tables), so
// that both show the same fields. Target pilotage::readmodel_json; the typed
// library (pilotage::readmodel) never produces JSON. English keys, raw
// numbers; labels for pilots ("state_label", "period_label") are French.
//
// Pure given the typed values. Thread-safety: pure functions.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "nlohmann/json.hpp"
#include "pilotage/domain/cep.h"
#include "pilotage/readmodel/kpis.h"
#include "pilotage/readmodel/reports.h"

namespace pilotage::readmodel {

// One evaluation (a lot's or the national one):
//   {"lot", "period", "period_label", "terms_version", "closing_day",
//    "kpis": [KpiJson...],
//    "data_quality": DataQualityJson,
//    "problems": [...]}
nlohmann::json EvaluationJson(const domain::LotEvaluation& evaluation,
                              const std::vector<std::string>& problems);

// One KPI result of `evaluation`: {"id", "label", "formula", "direction",
// "value", "target", "at_risk_margin", "numerator", "sample", "min_sample",
// "status", "informational"} (min_sample from the evaluation's terms).
nlohmann::json KpiJson(const domain::LotEvaluation& evaluation, const domain::KpiResult& kpi);

// {"events", "late_events", "refused_events", "conflicting_resends" (all
//  periods), "conflicting_resends_in_period", "gateway_refusals": {"<CODE>": n}
//  (the ingest gateway's refusals on the period's days, decision 0045),
//  "imported_events", "imported_duplicates", "reporting_delay_days": {"0-1": n, ...}}
nlohmann::json DataQualityJson(const domain::DataQuality& quality);

// EvaluationJson of the national evaluation, plus "lots": the lots
// aggregated.
nlohmann::json NationalKpisJson(const NationalEvaluation& national);

// {"lot", "on", "penalties": [{penalty_id, period, rule_id, terms_version,
//  action_id, computed_cents, amount_cents, limit_applied, formula,
//  explanation, inputs, input_offsets [{topic, partition, next_offset}: the
//  store's position it was computed from, decision 0027], state,
//  state_label, proposed_on,
//  observation_deadline, observations_on, observations, observations_late,
//  decided_on, decided_by, decision_reason, past_deadline_undecided}],
//  "past_deadline_undecided", "steps_without_proposal",
//  "totals": {proposed_cents, confirmed_cents, waived_cents, undecided_cents}}
// Errors: ReadLedger's.
[[nodiscard]] absl::StatusOr<nlohmann::json> PenaltyLedgerJson(const LotSteering& lot,
                                                               absl::CivilDay on);
// Its "penalties" array and its "totals" object.
nlohmann::json PenaltyRowsJson(const PenaltyLedger& ledger, absl::CivilDay on);
nlohmann::json PenaltyTotalsJson(const PenaltyLedger& ledger);

// {"lot", "on", "actions": [{action_id, kpi_id, finding, period, due_date,
//  description, opened_by, closed_on, evidence, state (OPEN, OVERDUE, CLOSED,
//  CLOSED_LATE), state_label, days_late}], "closings_without_opening"}
nlohmann::json ActionsReportJson(const LotSteering& lot, absl::CivilDay on);
// Its "actions" array (state_label in French).
nlohmann::json ActionRowsJson(const ActionsReport& report);

// {"lot", "statement_id", "period", "period_label", "terms_version",
//  "input_offsets" (provenance, as a penalty's; empty when not recorded),
//  "closing_day", "closed", "fees": [...], "fees_cents", "variable_payments",
//  "variable_cents", "penalties", "penalties_cents", "net_amount_cents",
//  "late_appointments", "fund_usage": {contract_year, earlier_cents,
//  cumulative_cents, budget_envelope_cents, elapsed_days, year_days,
//  projected_cents, projection_exceeds_envelope}, "warnings", "issued",
//  "issued_net_amount_cents"}
nlohmann::json StatementReportJson(const std::string& lot_id, const StatementReport& report);

// [{"topic", "partition", "next_offset"}]: a decision's provenance
// (PenaltyProposed / PaymentStatementIssued input_offsets, decision 0027).
nlohmann::json SourceOffsetsJson(
    const google::protobuf::RepeatedPtrField<v1::SourceOffset>& offsets);
// The same of offsets held in a vector (e.g. where a store read stood).
nlohmann::json SourceOffsetsJson(const std::vector<v1::SourceOffset>& offsets);

// [{"period", "period_label", "closing_day", "closed"}], newest first.
nlohmann::json QuarterCalendarJson(const QuarterCalendar& calendar);

// {"on", "penalties": [{lot, penalty_id, period, period_label, rule_id,
//  rule_label, kpi_id, kpi_label, action_id, amount_cents, explanation, state,
//  state_label, proposed_on, observation_deadline, observations_on,
//  decision_from, past_deadline_undecided}],
//  "actions": [ActionRowsJson's fields, and lot, kpi_label, period_label]}
nlohmann::json PendingReportJson(const PendingReport& report, absl::CivilDay on);

}  // namespace pilotage::readmodel
