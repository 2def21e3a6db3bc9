#include "pilotage/projector/steering_report.h"

#include "fmt/format.h"
#include "pilotage/domain/calendar.h"
#include "pilotage/domain/cep.h"

namespace pilotage::projector {
namespace {

namespace sv1 = ::pilotage::store::v1;

std::string DayOrEmpty(const std::optional<absl::CivilDay>& day) {
  return day ? domain::FormatDay(*day) : "";
}

std::string FrenchDay(const std::string& day) {
  auto d = domain::ParseDay(day);
  return d.ok() ? domain::FrenchDate(*d) : day;
}

}  // namespace

absl::StatusOr<std::vector<domain::PenaltyProcedure>> PenaltyProcedures(
    const SteeringReadModel& steering, const domain::TermsHistory& history,
    std::vector<std::string>* incomplete) {
  std::vector<domain::PenaltyProcedure> out;
  for (const auto& record : steering.penalties) {
    const auto* terms = history.Find(record.proposed().terms_version());
    auto p = domain::ProcedureOf(record, terms);
    if (absl::IsNotFound(p.status())) {
      if (incomplete) {
        std::string id = record.observations().penalty_id();
        if (id.empty()) id = record.confirmed().penalty_id();
        if (id.empty()) id = record.waived().penalty_id();
        incomplete->push_back(id);
      }
      continue;
    }
    if (!p.ok()) return p.status();
    out.push_back(std::move(*p));
  }
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

absl::StatusOr<StatementReport> ComputeStatementReport(const LotSteering& lot,
                                                       const domain::Period& period,
                                                       absl::CivilDay on) {
  if (!lot.lot->facts.award) {
    return absl::FailedPreconditionError(fmt::format(
        "lot '{}' has no award (LotAwarded): its statement needs its start date and budget",
        lot.lot_id));
  }
  StatementReport out;
  out.on = on;
  out.period = period;
  auto terms = lot.history->TermsFor(lot.lot_id, period);
  if (!terms.ok()) return terms.status();
  out.closing = period.ClosingDay((*terms)->delays().closing_grace_days());
  out.closed = on >= out.closing;
  domain::StatementInputs in;
  in.lot_id = lot.lot_id;
  in.period = period;
  in.terms = *terms;
  in.appointments = domain::CountAppointments(lot.lot->facts, period, out.closing);
  auto evaluation = domain::EvaluateLot(lot.lot->facts, *lot.history, period);
  if (!evaluation.ok()) return evaluation.status();
  in.kpis = evaluation->kpis;
  auto procedures = PenaltyProcedures(*lot.steering, *lot.history, nullptr);
  if (!procedures.ok()) return procedures.status();
  in.penalties = std::move(*procedures);
  in.award = *lot.lot->facts.award;
  for (const auto& s : lot.steering->statements) {
    in.issued.push_back(s.statement());
    if (s.statement().period() == period.ToString()) out.issued = s;
  }
  auto statement = domain::ComputeStatement(in);
  if (!statement.ok()) return statement.status();
  out.statement = std::move(*statement);
  return out;
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

}  // namespace pilotage::projector
