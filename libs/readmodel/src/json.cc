#include "pilotage/readmodel/json.h"

#include <optional>

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"

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

}  // namespace

nlohmann::json KpiJson(const domain::LotEvaluation& e, const domain::KpiResult& r) {
  const v1::KpiDefinition* def = nullptr;
  for (const auto& k : e.terms.kpis()) {
    if (k.id() == r.kpi_id) def = &k;
  }
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
  return {{"events", q.events},
          {"late_events", q.late},
          {"refused_events", q.refused},
          {"imported_events", q.imported},
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

absl::StatusOr<nlohmann::json> PenaltyLedgerJson(const LotSteering& lot, absl::CivilDay on) {
  std::vector<std::string> incomplete;
  auto procedures = PenaltyProcedures(*lot.steering, *lot.history, &incomplete);
  if (!procedures.ok()) return procedures.status();
  nlohmann::json penalties = nlohmann::json::array();
  int64_t proposed = 0, confirmed = 0, waived = 0, pending = 0;
  for (const auto& p : *procedures) {
    const int64_t amount = p.proposal.amount_cents();
    proposed += amount;
    if (p.state == domain::PenaltyState::kConfirmed) confirmed += amount;
    if (p.state == domain::PenaltyState::kWaived) waived += amount;
    if (!p.decided()) pending += amount;
    nlohmann::json inputs = nlohmann::json::array();
    for (const auto& i : p.proposal.inputs()) inputs.push_back({{i.name(), i.value()}});
    penalties.push_back({{"penalty_id", p.proposal.penalty_id()},
                         {"period", p.proposal.period()},
                         {"rule_id", p.proposal.rule_id()},
                         {"terms_version", p.proposal.terms_version()},
                         {"action_id", p.proposal.action_id()},
                         {"computed_cents", p.proposal.computed_cents()},
                         {"amount_cents", amount},
                         {"limit_applied", p.proposal.limit_applied()},
                         {"formula", p.proposal.formula()},
                         {"explanation", p.proposal.explanation()},
                         {"inputs", inputs},
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
  nlohmann::json late = nlohmann::json::array();
  for (const auto& p : domain::PastDeadlineUndecided(*procedures, on)) {
    late.push_back(p.proposal.penalty_id());
  }
  return nlohmann::json{{"lot", lot.lot_id},
                        {"on", domain::FormatDay(on)},
                        {"penalties", penalties},
                        {"past_deadline_undecided", late},
                        {"steps_without_proposal", incomplete},
                        {"totals",
                         {{"proposed_cents", proposed},
                          {"confirmed_cents", confirmed},
                          {"waived_cents", waived},
                          {"undecided_cents", pending}}}};
}

nlohmann::json ActionsReportJson(const LotSteering& lot, absl::CivilDay on) {
  nlohmann::json actions = nlohmann::json::array();
  nlohmann::json incomplete = nlohmann::json::array();
  for (const sv1::ActionRecord& a : lot.steering->actions) {
    if (a.opened_event_id().empty()) {
      incomplete.push_back(a.closed().action_id());
      continue;
    }
    auto due = domain::ParseDay(a.opened().due_date());
    const bool closed = !a.closed_event_id().empty();
    auto closed_on =
        closed ? domain::ParseDay(a.closed().closed_on()) : absl::StatusOr<absl::CivilDay>(on);
    int64_t days_late = 0;
    if (due.ok() && closed_on.ok() && *closed_on > *due) days_late = *closed_on - *due;
    std::string code =
        closed ? (days_late > 0 ? "CLOSED_LATE" : "CLOSED") : (days_late > 0 ? "OVERDUE" : "OPEN");
    std::string label;
    if (code == "OPEN") label = "ouverte";
    if (code == "OVERDUE") label = fmt::format("en retard de {} jour(s)", days_late);
    if (code == "CLOSED") label = fmt::format("clôturée le {}", FrenchDay(a.closed().closed_on()));
    if (code == "CLOSED_LATE") {
      label = fmt::format("clôturée le {}, {} jour(s) après l'échéance",
                          FrenchDay(a.closed().closed_on()), days_late);
    }
    actions.push_back({{"action_id", a.opened().action_id()},
                       {"kpi_id", a.opened().kpi_id()},
                       {"finding", a.opened().finding()},
                       {"period", a.opened().period()},
                       {"due_date", a.opened().due_date()},
                       {"description", a.opened().description()},
                       {"opened_by", a.opened().opened_by()},
                       {"closed_on", a.closed().closed_on()},
                       {"evidence", a.closed().evidence()},
                       {"state", code},
                       {"state_label", label},
                       {"days_late", days_late}});
  }
  return nlohmann::json{{"lot", lot.lot_id},
                        {"on", domain::FormatDay(on)},
                        {"actions", actions},
                        {"closings_without_opening", incomplete}};
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

}  // namespace pilotage::readmodel
