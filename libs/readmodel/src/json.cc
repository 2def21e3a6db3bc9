#include "pilotage/readmodel/json.h"

#include <optional>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"
#include "pilotage/domain/terms.h"

namespace pilotage::readmodel {
namespace {

namespace sv1 = ::pilotage::store::v1;
namespace v1 = ::pilotage::v1;

std::string DayOrEmpty(const std::optional<absl::CivilDay>& day) {
  return day ? domain::FormatDay(*day) : "";
}

std::string FrenchDay(const std::string& day) {
  auto d = domain::ParseDay(day);
  return d.ok() ? domain::FrenchDate(*d) : day;
}

// One action of ActionRowsJson.
nlohmann::json ActionRowJson(const ActionReport& r) {
  const sv1::ActionRecord& a = r.record;
  std::string label;
  switch (r.state) {
    case ActionState::kOpen:
      label = "ouverte";
      break;
    case ActionState::kOverdue:
      label = fmt::format("en retard de {} jour(s)", r.days_late);
      break;
    case ActionState::kClosed:
      label = fmt::format("clôturée le {}", FrenchDay(a.closed().closed_on()));
      break;
    case ActionState::kClosedLate:
      label = fmt::format("clôturée le {}, {} jour(s) après l'échéance",
                          FrenchDay(a.closed().closed_on()), r.days_late);
      break;
  }
  return {{"action_id", a.opened().action_id()},
          {"kpi_id", a.opened().kpi_id()},
          {"finding", a.opened().finding()},
          {"period", a.opened().period()},
          {"due_date", a.opened().due_date()},
          {"description", a.opened().description()},
          {"opened_by", a.opened().opened_by()},
          {"closed_on", a.closed().closed_on()},
          {"evidence", a.closed().evidence()},
          {"state", std::string(ActionStateName(r.state))},
          {"state_label", label},
          {"days_late", r.days_late}};
}

// The French label of a period text, or the text when it does not parse.
std::string PeriodLabel(const std::string& text) {
  auto p = domain::Period::Parse(text);
  return p.ok() ? p->FrenchLabel() : text;
}

// Of any range of v1::SourceOffset (a repeated field or a vector).
template <typename Offsets>
nlohmann::json OffsetsArray(const Offsets& offsets) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : offsets) {
    out.push_back(
        {{"topic", o.topic()}, {"partition", o.partition()}, {"next_offset", o.next_offset()}});
  }
  return out;
}

}  // namespace

nlohmann::json KpiJson(const domain::LotEvaluation& e, const domain::KpiResult& r) {
  const v1::KpiDefinition* def = domain::FindKpi(e.terms, r.kpi_id);
  return {{"id", r.kpi_id},
          {"label", r.label},
          {"formula", v1::KpiFormula::Value_Name(r.formula)},
          {"direction", v1::Direction::Value_Name(r.direction)},
          {"value", r.value},
          {"target", r.target},
          {"at_risk_margin", r.at_risk_margin},
          {"numerator", r.numerator},
          {"sample", r.sample},
          {"min_sample", def ? def->min_sample() : 0},
          {"status", std::string(domain::KpiStatusName(r.status))},
          {"informational", r.informational}};
}

nlohmann::json DataQualityJson(const domain::DataQuality& q) {
  nlohmann::json timeliness = nlohmann::json::object();
  for (const auto& [bucket, n] : q.timeliness) timeliness[bucket] = n;
  nlohmann::json refusals = nlohmann::json::object();
  for (const auto& [code, n] : q.gateway_refusals) refusals[code] = n;
  return {{"events", q.events},
          {"late_events", q.late},
          {"refused_events", q.refused},
          {"conflicting_resends", q.conflicting_resends},
          {"conflicting_resends_in_period", q.conflicting_resends_in_period},
          {"gateway_refusals", refusals},
          {"imported_events", q.imported},
          {"imported_duplicates", q.imported_duplicates},
          {"reporting_delay_days", timeliness}};
}

nlohmann::json EvaluationJson(const domain::LotEvaluation& e,
                              const std::vector<std::string>& problems) {
  nlohmann::json kpis = nlohmann::json::array();
  for (const auto& r : e.kpis) kpis.push_back(KpiJson(e, r));
  return {{"lot", e.lot_id},
          {"period", e.period.ToString()},
          {"period_label", e.period.FrenchLabel()},
          {"terms_version", e.terms.version()},
          {"closing_day", domain::FormatDay(e.closing_day)},
          {"kpis", kpis},
          {"data_quality", DataQualityJson(e.quality)},
          {"problems", problems}};
}

nlohmann::json NationalKpisJson(const NationalEvaluation& national) {
  nlohmann::json out = EvaluationJson(national.evaluation, national.problems);
  out["lots"] = national.lots;
  return out;
}

nlohmann::json PenaltyRowsJson(const PenaltyLedger& ledger, absl::CivilDay on) {
  nlohmann::json penalties = nlohmann::json::array();
  for (const auto& p : ledger.procedures) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& i : p.proposal.inputs()) inputs.push_back({{i.name(), i.value()}});
    penalties.push_back({{"penalty_id", p.proposal.penalty_id()},
                         {"period", p.proposal.period()},
                         {"rule_id", p.proposal.rule_id()},
                         {"terms_version", p.proposal.terms_version()},
                         {"action_id", p.proposal.action_id()},
                         {"computed_cents", p.proposal.computed_cents()},
                         {"amount_cents", p.proposal.amount_cents()},
                         {"limit_applied", p.proposal.limit_applied()},
                         {"formula", p.proposal.formula()},
                         {"explanation", p.proposal.explanation()},
                         {"inputs", inputs},
                         {"input_offsets", SourceOffsetsJson(p.proposal.input_offsets())},
                         {"state", std::string(domain::PenaltyStateName(p.state))},
                         {"state_label", std::string(domain::PenaltyStateFrenchLabel(p.state))},
                         {"proposed_on", domain::FormatDay(p.proposed_on)},
                         {"observation_deadline", domain::FormatDay(p.deadline)},
                         {"observations_on", DayOrEmpty(p.observations_on)},
                         {"observations", p.observations},
                         {"observations_late", p.observations_late},
                         {"decided_on", DayOrEmpty(p.decided_on)},
                         {"decided_by", p.decided_by},
                         {"decision_reason", p.decision_reason},
                         {"past_deadline_undecided", p.PastDeadlineUndecided(on)}});
  }
  return penalties;
}

nlohmann::json PenaltyTotalsJson(const PenaltyLedger& ledger) {
  return {{"proposed_cents", ledger.proposed_cents},
          {"confirmed_cents", ledger.confirmed_cents},
          {"waived_cents", ledger.waived_cents},
          {"undecided_cents", ledger.undecided_cents}};
}

absl::StatusOr<nlohmann::json> PenaltyLedgerJson(const LotSteering& lot, absl::CivilDay on) {
  auto ledger = ReadLedger(lot, on);
  if (!ledger.ok()) return ledger.status();
  return nlohmann::json{{"lot", lot.lot_id},
                        {"on", domain::FormatDay(on)},
                        {"penalties", PenaltyRowsJson(*ledger, on)},
                        {"past_deadline_undecided", ledger->past_deadline_undecided},
                        {"steps_without_proposal", ledger->steps_without_proposal},
                        {"totals", PenaltyTotalsJson(*ledger)}};
}

nlohmann::json ActionRowsJson(const ActionsReport& report) {
  nlohmann::json actions = nlohmann::json::array();
  for (const ActionReport& r : report.actions) actions.push_back(ActionRowJson(r));
  return actions;
}

nlohmann::json ActionsReportJson(const LotSteering& lot, absl::CivilDay on) {
  const ActionsReport report = ReportActions(*lot.steering, on);
  return nlohmann::json{{"lot", lot.lot_id},
                        {"on", domain::FormatDay(on)},
                        {"actions", ActionRowsJson(report)},
                        {"closings_without_opening", report.closings_without_opening}};
}

nlohmann::json StatementReportJson(const std::string& lot_id, const StatementReport& c) {
  const auto& s = c.statement.statement;
  nlohmann::json fees = nlohmann::json::array();
  for (const auto& f : s.fees()) {
    fees.push_back({{"level", f.level()},
                    {"modality", f.modality()},
                    {"kind", f.kind()},
                    {"appointments", f.appointments()},
                    {"unit_price_cents", f.unit_price_cents()},
                    {"amount_cents", f.amount_cents()}});
  }
  nlohmann::json variable = nlohmann::json::array();
  for (const auto& v : s.variable_payments()) {
    variable.push_back(
        {{"rule_id", v.rule_id()}, {"basis", v.basis()}, {"amount_cents", v.amount_cents()}});
  }
  nlohmann::json penalties = nlohmann::json::array();
  for (const auto& p : s.penalties()) {
    penalties.push_back({{"penalty_id", p.penalty_id()}, {"amount_cents", p.amount_cents()}});
  }
  return {{"lot", lot_id},
          {"statement_id", s.statement_id()},
          {"period", s.period()},
          {"period_label", c.period.FrenchLabel()},
          {"terms_version", s.terms_version()},
          {"input_offsets", SourceOffsetsJson(s.input_offsets())},
          {"closing_day", domain::FormatDay(c.closing)},
          {"closed", c.closed},
          {"fees", fees},
          {"fees_cents", s.fees_cents()},
          {"variable_payments", variable},
          {"variable_cents", s.variable_cents()},
          {"penalties", penalties},
          {"penalties_cents", s.penalties_cents()},
          {"net_amount_cents", s.net_amount_cents()},
          {"late_appointments", c.statement.late_appointments},
          {"fund_usage",
           {{"contract_year", c.statement.contract_year.ToString()},
            {"earlier_cents", c.statement.earlier_usage_cents},
            {"cumulative_cents", s.cumulative_fund_usage_cents()},
            {"budget_envelope_cents", s.budget_envelope_cents()},
            {"elapsed_days", c.statement.elapsed_days},
            {"year_days", c.statement.year_days},
            {"projected_cents", c.statement.projected_usage_cents},
            {"projection_exceeds_envelope", c.statement.projection_exceeds_envelope}}},
          {"warnings", c.statement.warnings},
          {"issued", c.issued.has_value()},
          {"issued_net_amount_cents",
           c.issued ? c.issued->statement().net_amount_cents() : int64_t{0}}};
}

nlohmann::json SourceOffsetsJson(
    const google::protobuf::RepeatedPtrField<v1::SourceOffset>& offsets) {
  return OffsetsArray(offsets);
}

nlohmann::json SourceOffsetsJson(const std::vector<v1::SourceOffset>& offsets) {
  return OffsetsArray(offsets);
}

nlohmann::json QuarterCalendarJson(const QuarterCalendar& calendar) {
  nlohmann::json quarters = nlohmann::json::array();
  for (const auto& q : calendar.quarters) {
    quarters.push_back({{"period", q.quarter.ToString()},
                        {"period_label", q.quarter.FrenchLabel()},
                        {"closing_day", domain::FormatDay(q.closing_day)},
                        {"closed", q.closed}});
  }
  return quarters;
}

nlohmann::json PendingReportJson(const PendingReport& report, absl::CivilDay on) {
  nlohmann::json penalties = nlohmann::json::array();
  for (const auto& r : report.penalties) {
    const auto& p = r.procedure;
    penalties.push_back({{"lot", r.lot_id},
                         {"penalty_id", p.proposal.penalty_id()},
                         {"period", p.proposal.period()},
                         {"period_label", PeriodLabel(p.proposal.period())},
                         {"rule_id", p.proposal.rule_id()},
                         {"rule_label", r.rule_label},
                         {"kpi_id", r.kpi_id},
                         {"kpi_label", r.kpi_label},
                         {"action_id", p.proposal.action_id()},
                         {"amount_cents", p.proposal.amount_cents()},
                         {"explanation", p.proposal.explanation()},
                         {"state", std::string(domain::PenaltyStateName(p.state))},
                         {"state_label", std::string(domain::PenaltyStateFrenchLabel(p.state))},
                         {"proposed_on", domain::FormatDay(p.proposed_on)},
                         {"observation_deadline", domain::FormatDay(p.deadline)},
                         {"observations_on", DayOrEmpty(p.observations_on)},
                         {"decision_from", domain::FormatDay(r.decision_from)},
                         {"past_deadline_undecided", p.PastDeadlineUndecided(on)}});
  }
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& r : report.actions) {
    nlohmann::json row = ActionRowJson(r.action);
    row["lot"] = r.lot_id;
    row["kpi_label"] = r.kpi_label;
    row["period_label"] = PeriodLabel(r.action.record.opened().period());
    actions.push_back(std::move(row));
  }
  return {{"on", domain::FormatDay(on)}, {"penalties", penalties}, {"actions", actions}};
}

}  // namespace pilotage::readmodel
